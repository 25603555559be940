#include "policy.h"

#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "core/yamldoc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/suggest.h"

/* max_changed_percent only speaks for accounts of at least this many domains. */
#define PERCENT_MIN_DOMAINS 10

static const char *const doc_keys[] = { "name", "rules", NULL };
static const char *const rule_keys[] = {
	"max_deletes", "max_changed_percent", "protect", "require", "level", NULL,
};
const struct policy_rule_spec policy_rule_specs[] = {
	{ "max_deletes", RULE_MAX_DELETES, "at most this many deletes in one plan" },
	{ "max_changed_percent", RULE_MAX_CHANGED_PERCENT,
	  "(updates + deletes) / live domains at most this percentage, checked when there are at "
	  "least 10 live domains" },
	{ "protect", RULE_PROTECT, "domains matching these names or patterns are never deleted" },
	{ "require", RULE_REQUIRE,
	  "every declared domain that matches must end up with these settings" },
	{ NULL, 0, NULL },
};

static const char *const require_keys[] = { "domains", "level", "settings", NULL };
static const char *const constraint_keys[] = { "contains", "min", "max", NULL };

struct ploader {
	struct diags *diags;
	const char *file;
};

static void unknown(struct ploader *l, const struct ynode *key, const char *what,
		    const char *const *names)
{
	const char *close = suggest_closest(key->text, names);

	if (close)
		ydoc_error(l->diags, l->file, key, "unknown %s '%s' (did you mean '%s'?)", what,
			   key->text, close);
	else
		ydoc_error(l->diags, l->file, key, "unknown %s '%s'", what, key->text);
}

static bool is_name(const struct ynode *n, const char *s)
{
	return !strcmp(n->text, s);
}

static const struct policy_rule_spec *rule_spec_find(const char *name)
{
	for (size_t i = 0; policy_rule_specs[i].name; i++)
		if (!strcmp(policy_rule_specs[i].name, name))
			return &policy_rule_specs[i];
	return NULL;
}

static const char *plain_string(const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR || n->type != YS_STR || strlen(n->text) != n->len)
		return NULL;
	return n->text;
}

static int read_globs(struct ploader *l, const struct ynode *n, const char *what,
		      struct policy_rule *r)
{
	if (n->kind != YNODE_SEQ || n->n_items == 0) {
		ydoc_error(l->diags, l->file, n,
			   "'%s' takes a non-empty list of domain names or patterns like "
			   "'*.example.com'",
			   what);
		return MW_EINVALID;
	}
	r->globs = xcalloc(n->n_items, sizeof(*r->globs));
	for (size_t i = 0; i < n->n_items; i++) {
		const char *s = plain_string(n->items[i]);

		if (!s || !*s) {
			ydoc_error(l->diags, l->file, n->items[i],
				   "'%s' takes domain names or patterns, not %s", what,
				   ynode_describe(n->items[i]));
			return MW_EINVALID;
		}
		/* Names compare in lower case without the trailing dot; so do patterns. */
		fields_normalize_domain(&r->globs[r->n_globs++], s, false);
	}
	return 0;
}

static int read_level(struct ploader *l, const struct ynode *n, enum policy_level *out)
{
	const char *s = plain_string(n);

	if (s && !strcmp(s, "deny")) {
		*out = LEVEL_DENY;
		return 0;
	}
	if (s && !strcmp(s, "warn")) {
		*out = LEVEL_WARN;
		return 0;
	}
	ydoc_error(l->diags, l->file, n, "'level' takes deny or warn");
	return MW_EINVALID;
}

static json_t *read_constraint(struct ploader *l, const struct field *f, const struct ynode *v)
{
	json_t *c = json_object();
	bool ok = true;

	if (v->kind != YNODE_MAP) {
		json_t *val = desired_value(f, v, l->file, l->diags);

		if (!val) {
			json_decref(c);
			return NULL;
		}
		json_object_set_new(c, "equals", val);
		return c;
	}
	for (size_t i = 0; i < v->n_pairs; i++) {
		const struct ynode *k = v->pairs[i].key, *x = v->pairs[i].value;

		if (is_name(k, "contains")) {
			json_t *val;

			if (f->kind != FIELD_ENUM_SET && f->kind != FIELD_CIDR_SET) {
				ydoc_error(l->diags, l->file, k,
					   "'contains' applies to list settings; %s is not one",
					   f->name);
				ok = false;
				continue;
			}
			val = desired_value(f, x, l->file, l->diags);
			if (!val)
				ok = false;
			else
				json_object_set_new(c, "contains", val);
		} else if (is_name(k, "min") || is_name(k, "max")) {
			if (f->kind != FIELD_INT) {
				ydoc_error(l->diags, l->file, k,
					   "'%s' applies to number settings; %s is not one",
					   k->text, f->name);
				ok = false;
			} else if (x->kind != YNODE_SCALAR || x->type != YS_INT) {
				ydoc_error(l->diags, l->file, x, "'%s' takes an integer", k->text);
				ok = false;
			} else {
				json_object_set_new(c, k->text, json_integer(x->int_value));
			}
		} else {
			unknown(l, k, "constraint", constraint_keys);
			ok = false;
		}
	}
	if (ok && json_object_size(c) == 0) {
		ydoc_error(l->diags, l->file, v,
			   "a constraint needs 'contains', 'min' or 'max' (or give a value)");
		ok = false;
	}
	if (ok && json_object_get(c, "min") && json_object_get(c, "max") &&
	    json_integer_value(json_object_get(c, "min")) >
		    json_integer_value(json_object_get(c, "max"))) {
		ydoc_error(l->diags, l->file, v, "'min' is larger than 'max'");
		ok = false;
	}
	if (!ok) {
		json_decref(c);
		return NULL;
	}
	return c;
}

static int read_require(struct ploader *l, const struct ynode *n, struct policy_rule *r)
{
	const struct ynode *settings = NULL;
	int rc = 0;

	if (n->kind != YNODE_MAP) {
		ydoc_error(l->diags, l->file, n,
			   "'require' takes a map with 'settings' (and 'domains', 'level')");
		return MW_EINVALID;
	}
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct ynode *k = n->pairs[i].key, *v = n->pairs[i].value;

		if (is_name(k, "domains")) {
			if (read_globs(l, v, "domains", r) < 0)
				rc = MW_EINVALID;
		} else if (is_name(k, "level")) {
			if (read_level(l, v, &r->level) < 0)
				rc = MW_EINVALID;
		} else if (is_name(k, "settings")) {
			settings = v;
		} else {
			unknown(l, k, "key of 'require'", require_keys);
			rc = MW_EINVALID;
		}
	}
	if (!r->n_globs && rc == 0) {
		r->globs = xcalloc(1, sizeof(*r->globs));
		r->globs[r->n_globs++] = xstrdup("*");
	}
	if (!settings || settings->kind != YNODE_MAP || settings->n_pairs == 0) {
		ydoc_error(l->diags, l->file, settings ? settings : n,
			   "'require' needs 'settings': a map of settings "
			   "to the values or constraints they must meet");
		return MW_EINVALID;
	}
	r->settings = json_object();
	for (size_t i = 0; i < settings->n_pairs; i++) {
		const struct ynode *k = settings->pairs[i].key;
		const struct field *f = fields_find(k->text);
		json_t *c;

		if (!f || !(f->flags & FIELD_WRITABLE)) {
			unknown(l, k, "setting", fields_writable_names());
			rc = MW_EINVALID;
			continue;
		}
		c = read_constraint(l, f, settings->pairs[i].value);
		if (!c)
			rc = MW_EINVALID;
		else
			json_object_set_new(r->settings, f->name, c);
	}
	return rc;
}

static int read_rule(struct ploader *l, const struct ynode *n, struct policy_rule *r)
{
	const struct ynode *rule_key = NULL, *rule_val = NULL;
	int rc = 0;

	if (n->kind != YNODE_MAP) {
		ydoc_error(l->diags, l->file, n,
			   "a rule is a map such as '- max_deletes: 1', not %s", ynode_describe(n));
		return MW_EINVALID;
	}
	for (size_t i = 0; i < n->n_pairs; i++) {
		const struct ynode *k = n->pairs[i].key;

		if (is_name(k, "level")) {
			if (read_level(l, n->pairs[i].value, &r->level) < 0)
				rc = MW_EINVALID;
		} else if (rule_spec_find(k->text)) {
			if (rule_key) {
				ydoc_error(l->diags, l->file, k,
					   "one rule per list item: '%s' and '%s' are two; start "
					   "another item with '-'",
					   rule_key->text, k->text);
				return MW_EINVALID;
			}
			rule_key = k;
			rule_val = n->pairs[i].value;
		} else {
			unknown(l, k, "rule", rule_keys);
			rc = MW_EINVALID;
		}
	}
	if (!rule_key) {
		if (rc == 0)
			ydoc_error(l->diags, l->file, n,
				   "this rule names no rule: use max_deletes, max_changed_percent, "
				   "protect or require");
		return MW_EINVALID;
	}
	r->where = xasprintf("%s:%d:%d", l->file, rule_key->line, rule_key->col);
	if (is_name(rule_key, "max_deletes")) {
		r->kind = RULE_MAX_DELETES;
		if (rule_val->kind != YNODE_SCALAR || rule_val->type != YS_INT ||
		    rule_val->int_value < 0) {
			ydoc_error(l->diags, l->file, rule_val,
				   "'max_deletes' takes a whole number, 0 or more");
			return MW_EINVALID;
		}
		r->max = rule_val->int_value;
	} else if (is_name(rule_key, "max_changed_percent")) {
		char *end = NULL;
		double v;

		r->kind = RULE_MAX_CHANGED_PERCENT;
		v = rule_val->kind == YNODE_SCALAR &&
				    (rule_val->type == YS_INT || rule_val->type == YS_FLOAT)
			    ? strtod(rule_val->text, &end)
			    : -1;
		if (v < 0 || v > 100 || !isfinite(v) || (end && *end)) {
			ydoc_error(l->diags, l->file, rule_val,
				   "'max_changed_percent' takes a number from 0 to 100");
			return MW_EINVALID;
		}
		r->percent = v;
	} else if (is_name(rule_key, "protect")) {
		r->kind = RULE_PROTECT;
		if (read_globs(l, rule_val, "protect", r) < 0)
			rc = MW_EINVALID;
	} else {
		r->kind = RULE_REQUIRE;
		if (read_require(l, rule_val, r) < 0)
			rc = MW_EINVALID;
	}
	return rc;
}

static void rule_release(struct policy_rule *r)
{
	for (size_t i = 0; i < r->n_globs; i++)
		free(r->globs[i]);
	free(r->globs);
	json_decref(r->settings);
	free(r->where);
}

static void policy_release(struct policy *p)
{
	for (size_t i = 0; i < p->nr; i++)
		rule_release(&p->rules[i]);
	free(p->rules);
	free(p->name);
	free(p->file);
}

/* The file's base name without .yaml/.yml: the policy's name by default. */
static char *default_name(const char *file)
{
	const char *base = strrchr(file, '/');
	size_t len;

	base = base ? base + 1 : file;
	len = strcspn(base, ".");
	return xstrndup(base, len ? len : strlen(base));
}

static int load_one(struct policy_set *set, const struct source_file *f, struct diags *diags)
{
	struct ploader l = { diags, f->path };
	struct ydoc *doc = NULL;
	const struct ynode *root, *rules = NULL;
	struct policy p = { 0 };
	int rc = 0;

	rc = ydoc_parse(&doc, f->path, f->data, f->len, diags);
	if (rc < 0)
		return rc;
	root = doc->root;
	p.file = xstrdup(f->path);
	if (!root || root->kind != YNODE_MAP) {
		ydoc_error(l.diags, l.file, root,
			   "a policy document is a map with 'name' and 'rules'");
		rc = MW_EINVALID;
		goto done;
	}
	for (size_t i = 0; i < root->n_pairs; i++) {
		const struct ynode *k = root->pairs[i].key, *v = root->pairs[i].value;

		if (is_name(k, "name")) {
			if (!plain_string(v) || !*v->text) {
				ydoc_error(l.diags, l.file, v, "'name' takes the policy's name");
				rc = MW_EINVALID;
			} else {
				p.name = xstrdup(v->text);
			}
		} else if (is_name(k, "rules")) {
			rules = v;
		} else {
			unknown(&l, k, "key", doc_keys);
			rc = MW_EINVALID;
		}
	}
	if (!p.name)
		p.name = default_name(f->path);
	if (!rules || rules->kind != YNODE_SEQ) {
		ydoc_error(l.diags, l.file, rules ? rules : root,
			   "a policy needs 'rules': a list of rules");
		rc = MW_EINVALID;
		goto done;
	}
	for (size_t i = 0; i < rules->n_items; i++) {
		struct policy_rule r = { 0 };

		if (read_rule(&l, rules->items[i], &r) < 0) {
			rule_release(&r);
			rc = MW_EINVALID;
			continue;
		}
		ARRAY_GROW(p.rules, p.nr + 1, p.alloc);
		p.rules[p.nr++] = r;
	}
done:
	ydoc_free(doc);
	if (rc < 0) {
		policy_release(&p);
		return rc;
	}
	ARRAY_GROW(set->v, set->nr + 1, set->alloc);
	set->v[set->nr++] = p;
	return 0;
}

int policy_load(struct policy_set *set, const struct source_file *files, size_t n,
		struct diags *diags)
{
	size_t before = diags->errors;

	for (size_t i = 0; i < n; i++)
		if (files[i].policy)
			load_one(set, &files[i], diags);
	if (diags->errors > before)
		return err_set(MW_EINVALID, "the policies have %zu problem%s",
			       diags->errors - before, diags->errors - before == 1 ? "" : "s");
	return 0;
}

void policy_set_release(struct policy_set *set)
{
	for (size_t i = 0; i < set->nr; i++)
		policy_release(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->nr = set->alloc = 0;
}

/* --- subjects ----------------------------------------------------------- */

/* The plan's changes are sorted by domain: find the update of one in log time. */
static const struct plan_change *find_update(const struct plan *plan, const char *domain,
					     const char *id)
{
	size_t lo = plan_first_change(plan, domain);

	for (; lo < plan->nr && !strcmp(plan->changes[lo].domain, domain); lo++) {
		const struct plan_change *c = &plan->changes[lo];

		if (c->action == PLAN_UPDATE && c->id && !strcmp(c->id, id))
			return c;
	}
	return NULL;
}

/* A subject's writable settings after the plan: live, with its PATCH body applied. */
static json_t *end_state(const struct plan *plan, const struct plan_subject *sub,
			 const struct live *live)
{
	const struct live_domain *ld = live_find_id(live, sub->id);
	const struct plan_change *c = find_update(plan, sub->domain, sub->id);
	json_t *state = json_object();

	if (ld) {
		json_t *obj = live_domain_json(ld);

		json_decref(state);
		state = fields_project(obj, FIELD_WRITABLE, FIELDS_CANONICAL);
		json_decref(obj);
	}

	if (c)
		json_object_update(state, c->body);
	return state;
}

/* --- checking ----------------------------------------------------------- */

struct findings {
	json_t *violations;
	json_t *warnings;
};

static const char *rule_name(enum policy_rule_kind k)
{
	switch (k) {
	case RULE_MAX_DELETES:
		return "max_deletes";
	case RULE_MAX_CHANGED_PERCENT:
		return "max_changed_percent";
	case RULE_PROTECT:
		return "protect";
	case RULE_REQUIRE:
		break;
	}
	return "require";
}

static void add_finding(struct findings *fs, const struct policy *p, const struct policy_rule *r,
			const char *domain, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add_finding(struct findings *fs, const struct policy *p, const struct policy_rule *r,
			const char *domain, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	buf_printf(&msg, "policy '%s', rule %s: ", p->name, rule_name(r->kind));
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	buf_printf(&msg, " (%s)", r->where);
	json_array_append_new(r->level == LEVEL_DENY ? fs->violations : fs->warnings,
			      json_pack("{s:s, s:s, s:s, s:s?, s:s, s:s}", "policy", p->name,
					"rule", rule_name(r->kind), "level",
					r->level == LEVEL_DENY ? "deny" : "warn", "domain", domain,
					"message", msg.ptr, "where", r->where));
	buf_release(&msg);
}

static bool glob_match(const struct policy_rule *r, const char *domain, const char **which)
{
	for (size_t i = 0; i < r->n_globs; i++) {
		if (fnmatch(r->globs[i], domain, FNM_CASEFOLD) == 0) {
			if (which)
				*which = r->globs[i];
			return true;
		}
	}
	return false;
}

static void check_max_deletes(struct findings *fs, const struct policy *p,
			      const struct policy_rule *r, const struct plan *plan)
{
	struct buf names = BUF_INIT;
	size_t shown = 0;

	if ((long long)plan->summary.del <= r->max)
		return;
	for (size_t i = 0; i < plan->nr; i++) {
		if (plan->changes[i].action != PLAN_DELETE)
			continue;
		if (shown++ < 5)
			buf_printf(&names, "%s%s", shown > 1 ? ", " : "", plan->changes[i].domain);
	}
	if (shown > 5)
		buf_printf(&names, ", and %zu more", shown - 5);
	add_finding(fs, p, r, NULL, "the plan deletes %zu domains (%s), more than %lld",
		    plan->summary.del, names.ptr, r->max);
	buf_release(&names);
}

static void check_percent(struct findings *fs, const struct policy *p, const struct policy_rule *r,
			  const struct plan *plan, size_t live_count)
{
	size_t changed = plan->summary.update + plan->summary.del;
	double pct;

	if (live_count < PERCENT_MIN_DOMAINS)
		return;
	pct = 100.0 * (double)changed / (double)live_count;
	if (pct <= r->percent)
		return;
	add_finding(fs, p, r, NULL,
		    "the plan changes %zu of %zu live domains (%.1f%%), more than "
		    "%g%%",
		    changed, live_count, pct, r->percent);
}

static void check_protect(struct findings *fs, const struct policy *p, const struct policy_rule *r,
			  const struct plan *plan)
{
	for (size_t i = 0; i < plan->nr; i++) {
		const struct plan_change *c = &plan->changes[i];
		const char *which = NULL;

		if (c->action == PLAN_DELETE && glob_match(r, c->domain, &which))
			add_finding(fs, p, r, c->domain,
				    "the plan deletes protected domain '%s' "
				    "(matches '%s')",
				    c->domain, which);
	}
}

static bool set_contains(const struct field *f, const json_t *set, const json_t *item)
{
	json_t *canon_set = fields_canonical(f, set);
	json_t *one = json_pack("[O]", item);
	json_t *canon_one = fields_canonical(f, one);
	json_t *want = json_array_get(canon_one, 0);
	bool found = false;
	size_t i;
	json_t *v;

	if (json_is_array(canon_set)) {
		json_array_foreach(canon_set, i, v)
			if (json_equal(v, want))
				found = true;
	}
	json_decref(canon_set);
	json_decref(one);
	json_decref(canon_one);
	return found;
}

/* Why `have` fails the constraint, into `why`; nothing when it holds. */
static void judge(struct buf *why, const struct field *f, const json_t *c, const json_t *have)
{
	json_t *eq = json_object_get(c, "equals");
	json_t *contains = json_object_get(c, "contains");
	json_t *min = json_object_get(c, "min");
	json_t *max = json_object_get(c, "max");
	struct buf v = BUF_INIT;
	size_t i;
	json_t *item;

	fields_format_value(&v, have ? have : json_null());
	if (eq && !fields_equal(f, eq, have)) {
		buf_printf(why, "%s would be %s; must be ", f->name, v.ptr);
		fields_format_value(why, eq);
	} else if (contains) {
		json_array_foreach(contains, i, item) {
			if (json_is_array(have) && set_contains(f, have, item))
				continue;
			buf_printf(why, "%s would be %s; must contain %s", f->name, v.ptr,
				   json_string_value(item));
			break;
		}
	}
	if (!why->len && (min || max)) {
		if (!json_is_integer(have))
			buf_printf(why, "%s would be %s; must be a number", f->name, v.ptr);
		else if (min && json_integer_value(have) < json_integer_value(min))
			buf_printf(why, "%s would be %s; must be at least %lld", f->name, v.ptr,
				   (long long)json_integer_value(min));
		else if (max && json_integer_value(have) > json_integer_value(max))
			buf_printf(why, "%s would be %s; must be at most %lld", f->name, v.ptr,
				   (long long)json_integer_value(max));
	}
	buf_release(&v);
}

static void check_require(struct findings *fs, const struct policy *p, const struct policy_rule *r,
			  const struct plan *plan, const struct live *live)
{
	for (size_t i = 0; i < plan->n_subjects; i++) {
		const struct plan_subject *sub = &plan->subjects[i];
		json_t *state;
		const char *name;
		json_t *c;

		if (!glob_match(r, sub->domain, NULL))
			continue;
		state = end_state(plan, sub, live);
		json_object_foreach(r->settings, name, c) {
			const struct field *f = fields_find(name);
			struct buf why = BUF_INIT;

			judge(&why, f, c, json_object_get(state, name));
			if (why.len)
				add_finding(fs, p, r, sub->domain, "%s: %s", sub->domain, why.ptr);
			buf_release(&why);
		}
		json_decref(state);
	}
}

/* --- the built-in safety threshold ------------------------------------- */

/* Whether any policy sets its own threshold: then the built-in one stands aside. */
static bool has_own_threshold(const struct policy_set *set)
{
	for (size_t i = 0; i < set->nr; i++)
		for (size_t k = 0; k < set->v[i].nr; k++)
			if (set->v[i].rules[k].kind == RULE_MAX_DELETES ||
			    set->v[i].rules[k].kind == RULE_MAX_CHANGED_PERCENT)
				return true;
	return false;
}

static void add_builtin(struct findings *fs, const char *rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add_builtin(struct findings *fs, const char *rule, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	buf_printf(&msg, "%s, rule %s: ", POLICY_BUILTIN_NAME, rule);
	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	buf_puts(&msg, " (no policy sets max_deletes or max_changed_percent; --force lifts this "
		       "threshold)");
	json_array_append_new(fs->violations,
			      json_pack("{s:s, s:s, s:s, s:n, s:s, s:s}", "policy",
					POLICY_BUILTIN_NAME, "rule", rule, "level", "deny",
					"domain", "message", msg.ptr, "where", "built-in"));
	buf_release(&msg);
}

/*
 * octoDNS's habit: without a threshold of its own, a plan that changes a
 * large part of an account, or a prune that would empty it, is stopped.
 */
static void check_builtin(struct findings *fs, const struct plan *plan, size_t live_count)
{
	size_t changed = plan->summary.update + plan->summary.del;

	if (live_count >= PERCENT_MIN_DOMAINS &&
	    100.0 * (double)changed > POLICY_BUILTIN_PERCENT * (double)live_count)
		add_builtin(fs, "max_changed_percent",
			    "the plan changes %zu of %zu live domains (%.1f%%), more than %d%%",
			    changed, live_count, 100.0 * (double)changed / (double)live_count,
			    POLICY_BUILTIN_PERCENT);
	if (!plan->prune || plan->summary.del == 0)
		return;
	if (plan->summary.del == live_count)
		add_builtin(fs, "prune_all",
			    "the plan deletes every live domain of the account (%zu) with --prune",
			    live_count);
	if (plan->declared == 0)
		add_builtin(fs, "prune_empty",
			    "the desired state declares no domain, and --prune deletes %zu live "
			    "domain%s",
			    plan->summary.del, plan->summary.del == 1 ? "" : "s");
}

json_t *policy_findings(const struct policy_set *set, const struct plan *plan,
			const struct live *live, bool force)
{
	struct findings fs = { json_array(), json_array() };

	if (!force && !has_own_threshold(set))
		check_builtin(&fs, plan, live->nr);

	for (size_t i = 0; i < set->nr; i++) {
		const struct policy *p = &set->v[i];

		for (size_t k = 0; k < p->nr; k++) {
			const struct policy_rule *r = &p->rules[k];

			switch (r->kind) {
			case RULE_MAX_DELETES:
				check_max_deletes(&fs, p, r, plan);
				break;
			case RULE_MAX_CHANGED_PERCENT:
				check_percent(&fs, p, r, plan, live->nr);
				break;
			case RULE_PROTECT:
				check_protect(&fs, p, r, plan);
				break;
			case RULE_REQUIRE:
				check_require(&fs, p, r, plan, live);
				break;
			}
		}
	}
	return json_pack("{s:o, s:o}", "violations", fs.violations, "warnings", fs.warnings);
}
