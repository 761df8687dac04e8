package odoofake

// field is one field of a model, present in the versions since..until (0 = unbounded), as
// providers.md §3 and the Odoo sources describe them.
type field struct {
	name, typ, relation string
	since, until        int
	// admin marks fields with groups="base.group_system": hidden from other users' fields_get,
	// an AccessError when they ask for them.
	admin bool
}

type model struct {
	label  string
	fields []field
	since  int
	until  int
	// source is the estate key the records come from when the model was renamed
	// (payment.acquirer ≤15 serves the payment.provider records).
	source string
	// renamed maps a served field to the estate field it comes from (acquirer.provider = code).
	renamed map[string]string
}

func f(name, typ string) field             { return field{name: name, typ: typ} }
func rel(name, typ, relation string) field { return field{name: name, typ: typ, relation: relation} }
func since(fl field, v int) field          { fl.since = v; return fl }
func admin(fl field) field                 { fl.admin = true; return fl }
func until(fl field, v int) field          { fl.until = v; return fl }
func (fl field) in(v int) bool {
	return (fl.since == 0 || v >= fl.since) && (fl.until == 0 || v <= fl.until)
}
func (m model) in(v int) bool {
	return (m.since == 0 || v >= m.since) && (m.until == 0 || v <= m.until)
}
func common(fs ...field) []field {
	return append([]field{f("id", "integer"), f("display_name", "char")}, fs...)
}
func (m model) field(name string, v int) (field, bool) {
	for _, fl := range m.fields {
		if fl.name == name && fl.in(v) {
			return fl, true
		}
	}
	return field{}, false
}

// schema is the slice of Odoo's data model the collector reads, per version. Secret fields are
// part of it (the fake must be able to serve them, so a test can prove they are never asked for).
var schema = map[string]model{
	"ir.model": {label: "Models", fields: common(f("model", "char"), f("name", "char"), f("state", "selection"))},
	"ir.module.module": {label: "Module", fields: common(f("name", "char"), f("shortdesc", "char"), f("state", "selection"),
		f("latest_version", "char"), f("installed_version", "char"), f("author", "char"), f("website", "char"),
		f("application", "boolean"), f("license", "selection"), rel("dependencies_id", "one2many", "ir.module.module.dependency"))},
	"ir.module.module.dependency": {label: "Module dependency", fields: common(f("name", "char"),
		rel("module_id", "many2one", "ir.module.module"), rel("depend_id", "many2one", "ir.module.module"), f("state", "selection"))},
	"ir.cron": {label: "Scheduled Actions", fields: common(f("name", "char"), f("cron_name", "char"), f("active", "boolean"),
		f("interval_number", "integer"), f("interval_type", "selection"), f("priority", "integer"),
		until(f("numbercall", "integer"), 17), until(f("doall", "boolean"), 17),
		since(f("failure_count", "integer"), 18), since(f("first_failure_date", "datetime"), 18),
		f("nextcall", "datetime"), f("lastcall", "datetime"), rel("model_id", "many2one", "ir.model"),
		f("state", "selection"), admin(f("code", "text")), rel("user_id", "many2one", "res.users"),
		// ir.cron _inherits ir.actions.server: the action's fields are the cron's too.
		rel("ir_actions_server_id", "many2one", "ir.actions.server"), since(f("webhook_url", "char"), 17),
		rel("child_ids", "many2many", "ir.actions.server"))},
	"ir.config_parameter": {label: "System Parameter", fields: common(f("key", "char"), f("value", "text"))},
	"ir.mail_server": {label: "Mail Server", fields: common(f("name", "char"), f("smtp_host", "char"), f("smtp_port", "integer"),
		f("smtp_encryption", "selection"), f("smtp_authentication", "selection"), f("smtp_user", "char"), f("smtp_pass", "char"),
		f("smtp_ssl_certificate", "binary"), f("smtp_ssl_private_key", "binary"), f("from_filter", "char"),
		f("active", "boolean"), f("sequence", "integer"))},
	"fetchmail.server": {label: "Incoming Mail Server", fields: common(f("name", "char"), f("server", "char"), f("port", "integer"),
		f("server_type", "selection"), f("is_ssl", "boolean"), f("user", "char"), f("password", "char"), f("state", "selection"),
		f("active", "boolean"), rel("object_id", "many2one", "ir.model"))},
	"base.automation": {label: "Automation Rule", fields: common(f("name", "char"), rel("model_id", "many2one", "ir.model"),
		f("trigger", "selection"), f("active", "boolean"), f("filter_domain", "char"),
		until(rel("action_server_id", "many2one", "ir.actions.server"), 16),
		since(rel("action_server_ids", "one2many", "ir.actions.server"), 17),
		since(f("url", "char"), 17), since(f("webhook_uuid", "char"), 17), since(f("log_webhook_calls", "boolean"), 17))},
	"ir.actions.server": {label: "Server Action", fields: common(f("name", "char"), f("state", "selection"), f("usage", "selection"),
		rel("model_id", "many2one", "ir.model"), admin(f("code", "text")), since(f("webhook_url", "char"), 17),
		since(rel("webhook_field_ids", "many2many", "ir.model.fields"), 17),
		since(rel("base_automation_id", "many2one", "base.automation"), 17),
		rel("child_ids", "many2many", "ir.actions.server"))},
	"res.company": {label: "Companies", fields: common(f("name", "char"), f("website", "char"), f("email", "char"),
		rel("currency_id", "many2one", "res.currency"), since(rel("parent_id", "many2one", "res.company"), 17), f("active", "boolean"))},
	"website": {label: "Website", fields: common(f("name", "char"), f("domain", "char"), rel("company_id", "many2one", "res.company"),
		f("cdn_activated", "boolean"), f("cdn_url", "char"))},
	"payment.provider": {label: "Payment Provider", since: 16, fields: common(f("name", "char"), f("code", "selection"),
		f("state", "selection"), rel("company_id", "many2one", "res.company"), rel("website_id", "many2one", "website"),
		f("stripe_secret_key", "char"), f("stripe_publishable_key", "char"), f("stripe_webhook_secret", "char"))},
	"payment.acquirer": {label: "Payment Acquirer", until: 15, source: "payment.provider", renamed: map[string]string{"provider": "code"},
		fields: common(f("name", "char"), f("provider", "selection"), f("state", "selection"),
			rel("company_id", "many2one", "res.company"), f("stripe_secret_key", "char"), f("stripe_publishable_key", "char"),
			f("stripe_webhook_secret", "char"))},
	"res.users": {label: "User", fields: common(f("name", "char"), f("login", "char"), f("password", "char"))},
}
