package fakescale

import (
	"fmt"

	"github.com/infragraph/infragraph/collectors/vercel/vercelfake"
)

// Vercel returns a large estate for benchmarks and load demos: one team with n projects, each
// with a GitHub link, four env vars (plain, encrypted, sensitive, integration-managed), two
// project domains, three deployments (one production, two previews) and an alias, plus one
// domain with n records, n/10 shared env vars, an integration, a store, a drain and a webhook.
// Every secret contains CANARY. The token is "scaled-token".
func Vercel(n int) *vercelfake.Estate {
	const base = int64(1_700_000_000_000)
	sc := &vercelfake.Scope{
		Team:           vercelfake.Object{"id": "team_scaled", "slug": "scaled", "name": "Scaled", "createdAt": base},
		Env:            map[string][]vercelfake.Object{},
		ProjectDomains: map[string][]vercelfake.Object{},
		Records:        map[string][]vercelfake.Object{},
	}
	var ids []any
	for i := 0; i < n; i++ {
		pid := fmt.Sprintf("prj_%05d", i)
		ids = append(ids, pid)
		name := fmt.Sprintf("app-%05d", i)
		ts := base + int64(i)*1000
		sc.Projects = append(sc.Projects, vercelfake.Object{
			"id": pid, "name": name, "accountId": "team_scaled", "framework": "nextjs", "createdAt": ts, "updatedAt": ts,
			"link": vercelfake.Object{"type": "github", "org": "scaled", "repo": name, "productionBranch": "main",
				"deployHooks": []any{vercelfake.Object{"id": "hk_" + pid, "name": "hook", "ref": "main", "url": "https://api.vercel.com/v1/integrations/deploy/" + pid + "/CANARY-scaled-hook"}}},
			"targets": vercelfake.Object{"production": vercelfake.Object{"id": "dpl_" + pid + "_p", "url": name + "-p.vercel.app", "alias": []any{name + ".vercel.app"}, "target": "production", "createdAt": ts + 300}},
		})
		sc.Env[pid] = []vercelfake.Object{
			{"id": "env_" + pid + "_a", "key": "API_URL", "type": "plain", "target": []any{"production"}, "value": fmt.Sprintf("https://api-%d.scaled.dev/v1", i), "createdAt": ts + 1},
			{"id": "env_" + pid + "_b", "key": "DATABASE_URL", "type": "encrypted", "target": []any{"production"}, "value": "CANARY-cipher", "createdAt": ts + 2,
				"_decrypted": fmt.Sprintf("postgres://u:CANARY-scaled-db@db-%d.scaled.internal:5432/app", i%50)},
			{"id": "env_" + pid + "_c", "key": "SECRET_KEY", "type": "sensitive", "target": []any{"production"}, "createdAt": ts + 3},
			{"id": "env_" + pid + "_d", "key": "KV_URL", "type": "encrypted", "target": []any{"production"}, "createdAt": ts + 4, "configurationId": "icfg_scaled",
				"contentHint": vercelfake.Object{"type": "redis-url", "storeId": "store_scaled"}, "_decrypted": "rediss://default:CANARY-scaled-kv@kv.scaled.dev:6379"},
		}
		sc.ProjectDomains[pid] = []vercelfake.Object{
			{"name": name + ".scaled.dev", "apexName": "scaled.dev", "projectId": pid, "verified": true, "createdAt": ts + 5},
			{"name": name + ".vercel.app", "apexName": "vercel.app", "projectId": pid, "verified": true, "createdAt": ts + 6},
		}
		for j, t := range []any{nil, nil, "production"} {
			sc.Deployments = append(sc.Deployments, vercelfake.Object{
				"uid": fmt.Sprintf("dpl_%s_%d", pid, j), "name": name, "projectId": pid, "url": fmt.Sprintf("%s-%d.vercel.app", name, j),
				"target": t, "readyState": "READY", "createdAt": base + int64(n)*1000 + int64(i)*10 + int64(3-j),
				"meta": vercelfake.Object{"githubCommitSha": fmt.Sprintf("%040d", i*3+j), "githubCommitRef": "main", "githubOrg": "scaled", "githubRepo": name},
			})
		}
		sc.Aliases = append(sc.Aliases, vercelfake.Object{"uid": "als_" + pid, "alias": name + ".vercel.app", "createdAt": ts + 7,
			"deploymentId": fmt.Sprintf("dpl_%s_2", pid), "projectId": pid})
		sc.Records["scaled.dev"] = append(sc.Records["scaled.dev"], vercelfake.Object{"id": "rec_" + pid, "name": name, "type": "CNAME", "value": "cname.vercel-dns.com.", "ttl": 60, "createdAt": ts + 8})
	}
	for i := 0; i < n/10; i++ {
		sc.SharedEnv = append(sc.SharedEnv, vercelfake.Object{"id": fmt.Sprintf("env_shared_%d", i), "key": fmt.Sprintf("SHARED_%d", i), "type": "plain",
			"target": []any{"production"}, "projectId": ids[i*10 : i*10+1], "value": fmt.Sprintf("https://svc-%d.scaled.dev", i), "createdAt": base + int64(i)})
	}
	sc.Domains = []vercelfake.Object{{"id": "dom_scaled", "name": "scaled.dev", "verified": true, "serviceType": "zeit.world", "nameservers": []any{"ns1.vercel-dns.com"}, "createdAt": base}}
	sc.IntegrationConfigurations = []vercelfake.Object{{"id": "icfg_scaled", "integrationId": "oac_kv", "slug": "kv", "projectSelection": "all", "status": "ready"}}
	sc.Stores = []vercelfake.Object{{"id": "store_scaled", "name": "scaled-kv", "type": "redis", "status": "available", "projectsMetadata": []any{}}}
	sc.Drains = []vercelfake.Object{{"id": "drn_scaled", "name": "logs", "schemas": vercelfake.Object{"log": vercelfake.Object{}}, "delivery": vercelfake.Object{"type": "http", "endpoint": "https://logs.scaled.dev/in", "headers": vercelfake.Object{"X-Key": "CANARY-scaled-drain"}, "secret": "CANARY-scaled-drain-secret"}}}
	sc.Webhooks = []vercelfake.Object{{"id": "hook_scaled", "url": "https://ci.scaled.dev/hook", "events": []any{"deployment.created"}}}
	return &vercelfake.Estate{Token: "scaled-token", User: vercelfake.Object{"id": "usr_scaled", "username": "scaled"}, Scopes: []*vercelfake.Scope{sc}}
}

// VercelHub returns the shape a busy team has: Vercel(10), plus n preview deployments of its first
// project, one per pull request.
func VercelHub(n int) *vercelfake.Estate {
	e := Vercel(10)
	sc := e.Scopes[0]
	const base = int64(1_800_000_000_000) // newer than Scaled's: previews since the last production deployment
	for i := 0; i < n; i++ {
		sc.Deployments = append(sc.Deployments, vercelfake.Object{
			"uid": fmt.Sprintf("dpl_hub_%05d", i), "name": "app-00000", "projectId": "prj_00000", "url": fmt.Sprintf("app-00000-git-pr%d-scaled.vercel.app", i),
			"target": nil, "readyState": "READY", "createdAt": base + int64(n-i)*1000,
			"meta": vercelfake.Object{"githubCommitSha": fmt.Sprintf("%040x", 1_000_000+i), "githubCommitRef": fmt.Sprintf("pr-%d", i), "githubOrg": "scaled", "githubRepo": "app-00000"},
		})
	}
	return e
}
