package demo

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
)

func TestWithoutCron(t *testing.T) {
	sql := withoutCron(supabasefake.DemoSQL())
	for _, gone := range []string{"CREATE EXTENSION pg_cron", "cron.schedule"} {
		if strings.Contains(sql, gone) {
			t.Errorf("%q left in", gone)
		}
	}
	for _, kept := range []string{"CREATE TABLE public.orders", `CREATE TRIGGER "order-created"`, "CREATE PUBLICATION"} {
		if !strings.Contains(sql, kept) {
			t.Errorf("%q dropped", kept)
		}
	}
}

// Start wires one instance per provider plus the skipped catalog half; Close stops every fake.
func TestStartAndClose(t *testing.T) {
	e, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, i := range e.Instances {
		keys = append(keys, i.Key())
		if (i.Collector == nil) == (i.Skip == "") {
			t.Errorf("%s: collector %v, skip %q", i.Key(), i.Collector, i.Skip)
		}
	}
	want := "digitalocean/acme docker/erp-1 odoo/erp supabase/acme supabase/acme-catalog vercel/acme"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("instances %s, want %s", got, want)
	}
	var urls []string
	for _, n := range e.Notes {
		if i := strings.Index(n, "http://127.0.0.1:"); i >= 0 {
			urls = append(urls, strings.Fields(n[i:])[0])
		}
	}
	if len(urls) != 5 {
		t.Fatalf("%d fake URLs in the notes: %v", len(urls), e.Notes)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	for _, u := range urls {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers after Close", u)
		}
	}
}
