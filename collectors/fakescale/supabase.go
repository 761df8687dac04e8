package fakescale

import (
	"encoding/json"
	"fmt"

	"github.com/infragraph/infragraph/collectors/supabase/supabasefake"
)

// Supabase generates an estate of n projects over max(1, n/50) organizations, each project with
// 5 edge functions, 8 secrets, 2 API keys, a pooler, 3 buckets and an auth config, for
// benchmarks and the demo at size.
func Supabase(n int) *supabasefake.Estate { return supabaseScaled(n, n/50+1) }

// SupabaseOrganization is Scaled's projects all in one organization: the hub shape of a company that
// keeps a project per customer or per preview.
func SupabaseOrganization(n int) *supabasefake.Estate { return supabaseScaled(n, 1) }

func supabaseScaled(n, orgs int) *supabasefake.Estate {
	e := &supabasefake.Estate{Token: "sbp_scaled_token"}
	for i := 0; i < orgs; i++ {
		e.Organizations = append(e.Organizations, raw(map[string]any{"id": orgSlug(i), "slug": orgSlug(i), "name": fmt.Sprintf("Org %d", i)}))
	}
	for i := 0; i < n; i++ {
		ref := scaledRef(i)
		org := orgSlug(i % orgs)
		p := supabasefake.Project{Project: raw(map[string]any{
			"id": ref, "ref": ref, "organization_id": org, "organization_slug": org,
			"name": fmt.Sprintf("project-%d", i), "region": "eu-central-1", "created_at": "2024-01-01T00:00:00Z",
			"status": "ACTIVE_HEALTHY", "database": map[string]any{"host": "db." + ref + ".supabase.co",
				"version": "15.8.1.054", "postgres_engine": "15", "release_channel": "ga"},
		})}
		var fns, secrets, buckets []map[string]any
		for j := 0; j < 5; j++ {
			slug := fmt.Sprintf("fn-%d", j)
			fns = append(fns, map[string]any{"id": fmt.Sprintf("%s-%d", ref, j), "slug": slug, "name": slug, "status": "ACTIVE",
				"version": j + 1, "created_at": 1700000000000, "updated_at": 1700000000000, "verify_jwt": true})
		}
		for j := 0; j < 8; j++ {
			secrets = append(secrets, map[string]any{"name": fmt.Sprintf("SECRET_%d", j), "value": "CANARY-scaled-digest"})
		}
		for j := 0; j < 3; j++ {
			b := fmt.Sprintf("bucket-%d", j)
			buckets = append(buckets, map[string]any{"id": b, "name": b, "owner": "", "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z", "public": j == 0})
		}
		p.Functions, p.Secrets, p.Buckets = raw(fns), raw(secrets), raw(buckets)
		p.APIKeys = raw([]map[string]any{
			{"name": "anon", "api_key": "CANARY-scaled-anon-jwt", "id": "anon", "type": "legacy", "prefix": nil},
			{"name": "service_role", "api_key": "CANARY-scaled-service-jwt", "id": "service_role", "type": "legacy", "prefix": nil},
		})
		p.Pooler = raw([]map[string]any{{"identifier": ref, "database_type": "PRIMARY", "is_using_scram_auth": true,
			"db_user": "postgres." + ref, "db_host": "aws-0-eu-central-1.pooler.supabase.com", "db_port": 6543, "db_name": "postgres",
			"connection_string": "postgresql://postgres." + ref + ":[YOUR-PASSWORD]@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
			"connectionString":  "postgresql://postgres." + ref + ":[YOUR-PASSWORD]@aws-0-eu-central-1.pooler.supabase.com:6543/postgres",
			"default_pool_size": 15, "max_client_conn": 200, "pool_mode": "transaction"}})
		p.AuthConfig = raw(map[string]any{"site_url": fmt.Sprintf("https://app-%d.example.com", i), "smtp_host": "smtp.sendgrid.net", "smtp_pass": "CANARY-scaled-smtp"})
		e.Projects = append(e.Projects, p)
	}
	return e
}

func orgSlug(i int) string { return fmt.Sprintf("org%017d", i)[:20] }

// scaledRef is a 20-letter ref unique per i.
func scaledRef(i int) string {
	b := []byte("scaledaaaaaaaaaaaaaa")
	for k := len(b) - 1; i > 0 && k >= 6; k-- {
		b[k] = byte('a' + i%26)
		i /= 26
	}
	return string(b)
}

func raw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
