package fakescale

import (
	"fmt"

	"github.com/infragraph/infragraph/collectors/odoo/odoofake"
)

// Odoo returns an estate with one database "acme" holding about n modules, n crons, n server
// actions (half of them webhooks), n/5 automations, n/10 mail servers, companies and websites,
// for benchmarks and the performance demo.
func Odoo(n int) *odoofake.Estate {
	if n < 1 {
		n = 1
	}
	recs := map[string][]map[string]any{}
	add := func(model string, r map[string]any) { recs[model] = append(recs[model], r) }
	add("ir.module.module", map[string]any{"id": int64(1), "name": "base", "shortdesc": "Base", "state": "installed", "latest_version": "17.0.1.3", "author": "Odoo S.A.", "application": false})
	for i := 2; i <= n+1; i++ {
		add("ir.module.module", map[string]any{"id": int64(i), "name": fmt.Sprintf("acme_mod_%d", i), "shortdesc": fmt.Sprintf("Acme %d", i), "state": "installed", "latest_version": "17.0.1.0", "author": "Acme"})
		add("ir.module.module.dependency", map[string]any{"id": int64(2*i - 1), "name": "base", "module_id": int64(i), "state": "installed"})
		add("ir.module.module.dependency", map[string]any{"id": int64(2 * i), "name": fmt.Sprintf("acme_mod_%d", i-1), "module_id": int64(i), "state": "installed"})
	}
	models := []string{"sale.order", "res.partner", "account.move", "stock.picking", "product.product"}
	for i, m := range models {
		add("ir.model", map[string]any{"id": int64(100 + i), "model": m, "name": m})
	}
	add("ir.config_parameter", map[string]any{"id": int64(1), "key": "web.base.url", "value": "https://erp.acme-coffee.com"})
	add("ir.config_parameter", map[string]any{"id": int64(2), "key": "database.secret", "value": "CANARY-odoo-scaled-database-secret"})
	add("res.company", map[string]any{"id": int64(1), "name": "Acme Coffee", "website": "https://acme-coffee.com", "active": true})
	for i := 1; i <= n; i++ {
		add("ir.cron", map[string]any{"id": int64(i), "name": fmt.Sprintf("cron %d", i), "cron_name": fmt.Sprintf("cron %d", i), "active": true,
			"interval_number": int64(1), "interval_type": "hours", "priority": int64(5), "numbercall": int64(-1), "doall": false, "failure_count": int64(0),
			"model_id": int64(100 + i%len(models)), "state": "code", "code": fmt.Sprintf("requests.get('https://api%d.example.com/x?token=CANARY-odoo-scaled-%d')", i%7, i)})
		sa := map[string]any{"id": int64(i), "name": fmt.Sprintf("action %d", i), "usage": "ir_actions_server", "model_id": int64(100 + i%len(models))}
		if i%2 == 0 {
			sa["state"], sa["webhook_url"], sa["_since"] = "webhook", fmt.Sprintf("https://hooks%d.example.com/odoo?key=CANARY-odoo-scaled-hook-%d", i%5, i), int64(17)
		} else {
			sa["state"], sa["code"] = "code", "record.write({'x': 1})"
		}
		add("ir.actions.server", sa)
		if i%5 == 0 {
			add("base.automation", map[string]any{"id": int64(i / 5), "name": fmt.Sprintf("automation %d", i/5), "model_id": int64(100 + i%len(models)),
				"trigger": "on_create_or_write", "active": true, "action_server_ids": []any{int64(i - 1)}, "webhook_uuid": fmt.Sprintf("CANARY-odoo-scaled-uuid-%d", i)})
		}
		if i%10 == 0 {
			add("ir.mail_server", map[string]any{"id": int64(i / 10), "name": fmt.Sprintf("smtp %d", i/10), "smtp_host": fmt.Sprintf("smtp%d.example.com", i/10),
				"smtp_port": int64(587), "smtp_encryption": "starttls", "smtp_authentication": "login", "smtp_user": "apikey", "smtp_pass": fmt.Sprintf("CANARY-odoo-scaled-smtp-%d", i), "active": true})
			add("website", map[string]any{"id": int64(i / 10), "name": fmt.Sprintf("site %d", i/10), "domain": fmt.Sprintf("site%d.acme-coffee.com", i/10), "company_id": int64(1)})
		}
	}
	if _, ok := recs["base.automation"]; !ok {
		recs["base.automation"] = nil
	}
	if _, ok := recs["website"]; !ok {
		recs["website"] = nil
	}
	return &odoofake.Estate{Databases: map[string]*odoofake.Database{"acme": {
		Users:   []odoofake.User{{ID: 2, Login: "admin", Password: "CANARY-odoo-scaled-admin", APIKey: "CANARY-odoo-scaled-apikey", Admin: true}},
		Records: recs,
	}}}
}
