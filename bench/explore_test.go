package bench

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/collectors/collectorstest"
	"github.com/infragraph/infragraph/collectors/digitalocean"
	"github.com/infragraph/infragraph/collectors/digitalocean/digitaloceanfake"
	"github.com/infragraph/infragraph/collectors/docker"
	"github.com/infragraph/infragraph/collectors/docker/dockerfake"
	"github.com/infragraph/infragraph/collectors/odoo"
	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
	"github.com/infragraph/infragraph/collectors/supabase"
	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
	"github.com/infragraph/infragraph/collectors/vercel"
	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
	"github.com/infragraph/infragraph/evidence"
)

var digits = regexp.MustCompile(`[0-9]+|[a-z]{20}|prj_[0-9]+`)

func dump(t *testing.T, name string, reqs []string) {
	m := map[string]int{}
	for _, r := range reqs {
		m[digits.ReplaceAllString(r, "N")]++
	}
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	fmt.Printf("== %s: %d requests\n", name, len(reqs))
	for _, k := range ks {
		fmt.Printf("%6d %s\n", m[k], k)
	}
}

func TestExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	_ = context.Background
	_ = strings.TrimSpace
	{
		f := digitaloceanfake.New(digitaloceanfake.Scaled(500))
		s := httptest.NewServer(f)
		c, _ := digitalocean.New(digitalocean.Config{Token: digitaloceanfake.Token, APIURL: s.URL})
		out := collectorstest.Collect(t, "digitalocean", c)
		fmt.Println("nodes", len(out.Nodes))
		dump(t, "do", f.Requests())
	}
	{
		f := vercelfake.New(vercelfake.Scaled(200))
		s := httptest.NewServer(f)
		c, _ := vercel.New(vercel.Config{Token: "scaled-token", APIURL: s.URL})
		out := collectorstest.Collect(t, "vercel", c)
		fmt.Println("nodes", len(out.Nodes))
		dump(t, "vercel", f.Requests())
	}
	{
		e := supabasefake.Scaled(20)
		f := supabasefake.New(e, supabasefake.Options{})
		s := httptest.NewServer(f)
		c, _ := supabase.New(supabase.Config{AccessToken: evidence.Secret(e.Token), APIURL: s.URL, RequestsPerMinute: 100000})
		out := collectorstest.Collect(t, "supabase", c)
		fmt.Println("nodes", len(out.Nodes))
		dump(t, "supabase", f.Requests())
	}
	{
		f := dockerfake.New(dockerfake.Scaled(100))
		s := httptest.NewServer(f)
		c, _ := docker.New(docker.Config{Name: "big-1", Host: "tcp://" + s.Listener.Addr().String()})
		out := collectorstest.Collect(t, "docker", c)
		fmt.Println("nodes", len(out.Nodes))
		dump(t, "docker", f.Requests())
	}
	{
		f := odoofake.New(odoofake.Scaled(300), odoofake.Options{})
		s := httptest.NewServer(f)
		c, _ := odoo.New(odoo.Config{URL: s.URL, Database: "acme", Username: "admin", Password: "CANARY-odoo-scaled-admin", RequestsPerSecond: 1e6})
		out := collectorstest.Collect(t, "odoo", c)
		fmt.Println("nodes", len(out.Nodes), out.Err)
		var rs []string
		for _, c := range f.Calls() {
			rs = append(rs, c.Path+" "+c.Model+"."+c.Method)
		}
		dump(t, "odoo", rs)
		fmt.Println("odoo http requests", f.Requests())
	}
}
