package render

import (
	"fmt"
	"strings"
	"testing"

	"github.com/infragraph/infragraph/graph"
)

// hubEstate is the shape real accounts have: one Vercel project with n preview deployments
// (members of its unit, each building from the project's repository) and one DigitalOcean
// account, project and VPC holding systems droplets.
func hubEstate(t *testing.T, deployments, droplets int) *graph.Graph {
	b := newBuilder(t)
	team := b.node("vercel/hub", "vercel:team:team_hub", "hub", nil)
	prj := b.node("vercel/hub", "vercel:project:prj_hub", "storefront", nil)
	b.observe(team, prj, "contains")
	repo := b.node("", "git:repo:github.com/hub/storefront", "hub/storefront", nil)
	b.observe(prj, repo, "builds_from")
	db := b.node("supabase/hub", "supabase:project:hubhubhubhubhubhubhu", "hub-db", nil)
	for i := 0; i < deployments; i++ {
		d := b.node("vercel/hub", fmt.Sprintf("vercel:deployment:dpl_%05d", i), fmt.Sprintf("storefront-git-pr%d-hub.vercel.app", i), graph.Attrs{"target": "preview"})
		b.observe(prj, d, "contains")
		b.observe(d, repo, "builds_from")
		b.observe(d, db, "calls")
	}
	acct := b.node("digitalocean/hub", "digitalocean:account:hub", "hub", nil)
	proj := b.node("digitalocean/hub", "digitalocean:project:hub", "hub-production", nil)
	vpc := b.node("digitalocean/hub", "digitalocean:vpc:hub", "hub-vpc", nil)
	b.observe(acct, proj, "contains")
	b.observe(acct, vpc, "contains")
	for i := 0; i < droplets; i++ {
		d := b.node("digitalocean/hub", fmt.Sprintf("digitalocean:droplet:%d", 1000+i), fmt.Sprintf("web-%d", i), graph.Attrs{"region": "fra1"})
		b.observe(proj, d, "contains")
		b.observe(d, vpc, "attached_to")
	}
	return b.g
}

// TestHubDiagramsBounded: a unit with thousands of members is drawn on at most maxUnitPages
// pages, the members no page draws counted by kind with the query that lists them, and an
// estate with more units than maxDiagramUnits gets that many diagrams plus one counting the
// rest, so the number and size of diagram files stay bounded. Before, every page of a hub was
// found by binary search over rebuilds of the whole neighbourhood, and each page pulled every
// member in as a neighbour of the rep: a page per member.
func TestHubDiagramsBounded(t *testing.T) {
	const deployments = 3000
	droplets := maxDiagramUnits + 200
	g := hubEstate(t, deployments, droplets)
	docs, err := Diagrams(g)
	if err != nil {
		t.Fatal(err)
	}
	assertWithinLimits(t, docs)
	pages, units, total := 0, 0, 0
	var more *Document
	for i, d := range docs {
		total += len(d.Data)
		switch {
		case strings.HasPrefix(d.Name, "diagrams/vercel-project-storefront"):
			pages++
		case d.Name == "diagrams/"+moreUnitsSlug+".mmd":
			more = &docs[i]
			continue
		}
		if d.Unit != "" && !strings.HasPrefix(d.Name, "diagrams/vercel-project-storefront-") {
			units++
		}
	}
	if pages < 2 || pages > maxUnitPages {
		t.Errorf("the hub project has %d pages, want 2..%d", pages, maxUnitPages)
	}
	if units != maxDiagramUnits {
		t.Errorf("%d units have diagrams, want the cap %d", units, maxDiagramUnits)
	}
	if limit := (maxDiagramUnits + maxUnitPages + 2) * MaxTextSize; total > limit {
		t.Errorf("diagrams total %d bytes, above %d", total, limit)
	}
	// The members left out are counted with the query that lists them.
	drawn := 0
	counted := 0
	for _, d := range docs {
		if strings.HasPrefix(d.Name, "diagrams/vercel-project-storefront") {
			drawn += strings.Count(string(d.Data), "<br/>vercel deployment\")")
			for _, c := range moreMembersRE.FindAllStringSubmatch(string(d.Data), -1) {
				var k int
				fmt.Sscan(c[1], &k)
				counted += k
			}
		}
	}
	if drawn+counted != deployments || counted == 0 {
		t.Errorf("%d deployments drawn and %d counted, want %d in all", drawn, counted, deployments)
	}
	last := docs[0]
	for _, d := range docs {
		if strings.HasPrefix(d.Name, "diagrams/vercel-project-storefront") {
			last = d
		}
	}
	if !strings.Contains(string(last.Data), "discover query -#45;kind vercel:deployment") {
		t.Error("the last page does not name the query listing the deployments left out")
	}
	// The units without a diagram are counted in diagrams/more-systems.mmd.
	if more == nil {
		t.Fatal("no diagrams/" + moreUnitsSlug + ".mmd")
	}
	// The database has the largest blast radius and the project the most members, so all the
	// droplets past the cap are left out.
	left := droplets + 2 - maxDiagramUnits
	if want := fmt.Sprintf("%d more: digitalocean droplet", left); !strings.Contains(string(more.Data), want) {
		t.Errorf("%s does not count %q:\n%s", more.Name, want, more.Data)
	}
	mermaidCheck(t, writeDocs(t, append(docs[:0:0], docs[0], docs[1], *more, last)))
}

// TestHubInfraListsCapped: a system 3,000 deployments call lists the first maxReach of them as
// its direct dependents and counts the rest, instead of a line per deployment.
func TestHubInfraListsCapped(t *testing.T) {
	doc := string(renderBytes(t, Infra(InfraOptions{}), hubEstate(t, 3000, 10)))
	sec := section(t, doc, "supabase-project-hub-db")
	by := field(t, sec, "Depended on by")
	if n := strings.Count(by, "\n  - "); n != maxReach+1 {
		t.Errorf("%d lines of direct dependents, want %d and a count", n, maxReach+1)
	}
	if !strings.Contains(by, fmt.Sprintf("and %d more", 3000-maxReach)) {
		t.Errorf("no count of the dependents left out:\n%.600s", by)
	}
}
