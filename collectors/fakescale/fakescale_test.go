package fakescale

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"testing"

	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
)

func TestDigitalOcean(t *testing.T) {
	e := DigitalOcean(100)
	if len(e.Droplets) != 100 || len(e.Domains) != 10 || len(e.Databases) != 5 || len(e.Apps) != 5 {
		t.Errorf("DigitalOcean(100): %d droplets %d domains %d databases %d apps", len(e.Droplets), len(e.Domains), len(e.Databases), len(e.Apps))
	}
}

func TestDocker(t *testing.T) {
	e := Docker(50)
	if len(e.Containers) != 150 || len(e.Volumes) != 50 || len(e.Networks) != 53 {
		t.Errorf("scaled: %d containers %d volumes %d networks", len(e.Containers), len(e.Volumes), len(e.Networks))
	}
	seen := map[string]bool{}
	for _, c := range e.Containers {
		id := c["Id"].(string)
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
}

func TestOdoo(t *testing.T) {
	if n := len(Odoo(10).Canaries()); n < 10 {
		t.Errorf("Odoo(10) has %d canaries", n)
	}
}

var refRE = regexp.MustCompile(`^[a-z]{20}$`)

func TestSupabase(t *testing.T) {
	e := Supabase(120)
	seen := map[string]bool{}
	for _, ref := range e.Refs() {
		if !refRE.MatchString(ref) || seen[ref] {
			t.Errorf("bad or duplicate ref %q", ref)
		}
		seen[ref] = true
	}
	if len(seen) != 120 || len(e.Projects) != 120 || e.Token == "" {
		t.Errorf("Supabase(120): %d refs, %d projects, token %q", len(seen), len(e.Projects), e.Token)
	}
	if n := len(SupabaseOrganization(30).Organizations); n != 1 {
		t.Errorf("SupabaseOrganization: %d organizations", n)
	}
}

func TestVercel(t *testing.T) {
	e := Vercel(50)
	if len(e.Scopes[0].Projects) != 50 || len(e.Scopes[0].Deployments) != 150 {
		t.Fatalf("scaled estate: %d projects, %d deployments", len(e.Scopes[0].Projects), len(e.Scopes[0].Deployments))
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/v10/projects?teamId=team_scaled&limit=20", nil)
	req.Header.Set("Authorization", "Bearer scaled-token")
	vercelfake.New(e).ServeHTTP(rec, req)
	var body struct {
		Projects   []any
		Pagination struct{ Next any }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Projects) != 20 || body.Pagination.Next == nil {
		t.Errorf("scaled projects page: %d %v %s", rec.Code, err, rec.Body.String()[:min(200, rec.Body.Len())])
	}
}
