package render

import (
	"fmt"
	"strings"
	"testing"
)

// TestRestoreAgreesWithInfra: INFRA.md's restore table and Restore (the CLI's and the MCP
// tool's answer) give every system the same wave, and Restore lists a system's dependencies
// before what needs them, the system last.
func TestRestoreAgreesWithInfra(t *testing.T) {
	all := estates(t)
	for _, name := range []string{"small", "large"} {
		est := all[name]
		doc := string(renderBytes(t, Infra(InfraOptions{}), est))
		table := section(t, doc, "dependency-cycles")
		m, err := newModel(est)
		if err != nil {
			t.Fatal(err)
		}
		slugs := m.slugs(m.systems)
		for _, v := range m.systems {
			id := m.id(v)
			p, err := Restore(est, id)
			if err != nil {
				t.Fatal(err)
			}
			last := p.Steps[len(p.Steps)-1]
			if last.ID != id {
				t.Fatalf("%s: %s last, want the system", name, last.ID)
			}
			pos := map[string]int{}
			for i, s := range p.Steps {
				pos[s.ID] = i
			}
			for _, s := range p.Steps {
				for _, e := range m.lifted.Out(s.ID) {
					if j, ok := pos[e.To]; ok && j > pos[s.ID] && !(s.Cycle && p.Steps[j].Cycle) {
						t.Errorf("%s: %s comes before its dependency %s", name, s.ID, e.To)
					}
				}
			}
			wave := fmt.Sprint(last.Wave)
			if last.Cycle {
				wave += " (cycle)"
			}
			row := ""
			for _, l := range strings.Split(table, "\n") {
				// | wave | systems | restore first |: the system in the second column
				if f := strings.Split(l, " | "); len(f) == 3 && strings.Contains(f[1]+",", cell(m.ref(v, slugs))+",") {
					row = l
					break
				}
			}
			if row == "" { // past a row's first maxReach names: counted in a row of its wave
				for _, l := range strings.Split(table, "\n") {
					if strings.HasPrefix(l, "| "+wave+" | ") && strings.Contains(l, " more (`discover query restore` lists them) | ") {
						row = l
					}
				}
			}
			if !strings.HasPrefix(row, "| "+wave+" | ") {
				t.Errorf("%s: %s is wave %s for Restore, INFRA.md's row: %q", name, id, wave, row)
			}
		}
	}
}

// TestRestoreCycleAndHub: the dependency cycle of the small estate (Odoo calls the storefront's
// webhook, the storefront calls Odoo's API) is named, and a hub's
// 1,200 droplets that need the same things first are one row naming a few of them, not 1,200.
func TestRestoreCycleAndHub(t *testing.T) {
	doc := string(renderBytes(t, Infra(InfraOptions{}), acme(t)))
	cycles := section(t, doc, "dependency-cycles")
	if !strings.Contains(cycles, "- [erp.acme-coffee.com (odoo instance)](#odoo-instance-erp-acme-coffee-com), [storefront (vercel project)](#vercel-project-storefront)\n") {
		t.Errorf("the storefront / Odoo cycle is not listed:\n%s", cycles)
	}
	doc = string(renderBytes(t, Infra(InfraOptions{}), hubEstate(t, 300, 1200)))
	table := section(t, doc, "dependency-cycles")
	if rows := strings.Count(table, "\n| "); rows > 10 {
		t.Errorf("%d rows for 1,200 droplets and a few systems:\n%.2000s", rows, table)
	}
	if !strings.Contains(table, fmt.Sprintf("and %d more (`discover query restore` lists them)", 1200-maxReach)) {
		t.Errorf("the droplets' row does not count the rest:\n%.2000s", table)
	}
}

// TestRestoreUnderBudget: a budget first keeps the restore order's waves and cycles, and at its
// floor drops the section, saying so in the trim note.
func TestRestoreUnderBudget(t *testing.T) {
	g := acme(t)
	full := string(renderBytes(t, Infra(InfraOptions{}), g))
	floor := string(renderBytes(t, Infra(InfraOptions{MaxBytes: 1}), g))
	if strings.Contains(floor, "## Restore order") || !strings.Contains(floor, "restore order omitted (`discover query restore` lists it)") {
		t.Errorf("at the floor the restore order is not dropped and named:\n%.3000s", floor)
	}
	if !strings.Contains(full, "| wave | system | restore first, in order |") {
		t.Error("no restore table without a budget")
	}
}
