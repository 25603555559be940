#include "render.h"

#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "util/esc.h"
#include "util/mem.h"

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_CYAN "\033[36m"
#define C_DIM "\033[2m"

int render_parse_format(const char *s)
{
	if (!strcmp(s, "text"))
		return RENDER_TEXT;
	if (!strcmp(s, "json"))
		return RENDER_JSON;
	if (!strcmp(s, "markdown") || !strcmp(s, "md"))
		return RENDER_MARKDOWN;
	return -1;
}

static bool in_set(const json_t *set, const json_t *item)
{
	size_t i;
	json_t *v;

	json_array_foreach(set, i, v)
		if (json_equal(v, item))
			return true;
	return false;
}

static void format_item(struct buf *out, const json_t *v)
{
	if (json_is_string(v))
		buf_puts(out, json_string_value(v));
	else
		fields_format_value(out, v);
}

void render_set_delta(struct buf *out, const char *field, const json_t *before, const json_t *after)
{
	const struct field *f = fields_find(field);
	json_t *b, *a, *v;
	size_t i;
	bool any = false;

	if (!f || (f->kind != FIELD_ENUM_SET && f->kind != FIELD_CIDR_SET))
		return;
	b = fields_canonical(f, before);
	a = fields_canonical(f, after);
	if (!json_is_array(b) || !json_is_array(a))
		goto done;
	json_array_foreach(a, i, v) {
		if (in_set(b, v))
			continue;
		buf_puts(out, any ? " +" : "+");
		format_item(out, v);
		any = true;
	}
	json_array_foreach(b, i, v) {
		if (in_set(a, v))
			continue;
		buf_puts(out, any ? " -" : "-");
		format_item(out, v);
		any = true;
	}
done:
	json_decref(a);
	json_decref(b);
}

/* --- text --------------------------------------------------------------- */

/*
 * Colours are the only control bytes of the text form. Every string that
 * came from the API, a repository or a plan file (names, ids, values,
 * policy messages, the source) is shown through E() or put_value(), which
 * escape it for the terminal (util/esc.h). The painter keeps what E()
 * returns until the rendering is done.
 */
struct painter {
	bool color;
	char **kept;
	size_t nr, alloc;
};

static const char *paint(const struct painter *p, const char *code)
{
	return p->color ? code : "";
}

static const char *E(struct painter *p, const char *s)
{
	char *e = esc_str(s);

	ARRAY_GROW(p->kept, p->nr + 1, p->alloc);
	p->kept[p->nr++] = e;
	return e;
}

static void painter_release(struct painter *p)
{
	for (size_t i = 0; i < p->nr; i++)
		free(p->kept[i]);
	free(p->kept);
}

static void put_value(struct buf *out, const json_t *v)
{
	struct buf raw = BUF_INIT;

	fields_format_value(&raw, v);
	esc_append(out, raw.ptr, 0);
	buf_release(&raw);
}

static void text_header(struct buf *out, const struct plan *p, const struct render_opts *o,
			struct painter *pt)
{
	const char *what = o->mode == RENDER_MODE_DRIFT ? "drift check" : "plan";

	buf_printf(out, "%smailward %s%s for account %s at %s\n", paint(pt, C_BOLD), what,
		   paint(pt, C_RESET), E(pt, p->account_id), E(pt, p->api_url));
	if (p->source.worktree)
		buf_printf(out, "source: %s (working tree, no commit)", E(pt, p->source.repo));
	else
		buf_printf(out, "source: %s at %.12s (%s)",
			   p->source.repo ? E(pt, p->source.repo) : "?",
			   p->source.commit ? E(pt, p->source.commit) : "?",
			   p->source.ref ? E(pt, p->source.ref) : "?");
	if (p->source.path && *p->source.path)
		buf_printf(out, ", path %s", E(pt, p->source.path));
	buf_printf(out, "%s\n\n", p->prune ? ", prune on" : "");
}

static void text_update(struct buf *out, const struct plan_change *c, const struct render_opts *o,
			struct painter *pt)
{
	size_t i;
	json_t *d;

	if (o->mode == RENDER_MODE_DRIFT)
		buf_printf(out, "  %s~ %s%s (%s): %zu setting%s from git\n", paint(pt, C_YELLOW),
			   E(pt, c->domain), paint(pt, C_RESET), E(pt, c->id),
			   json_array_size(c->diff),
			   json_array_size(c->diff) == 1 ? " differs" : "s differ");
	else
		buf_printf(out, "  %s~ update %s%s (%s)\n", paint(pt, C_YELLOW), E(pt, c->domain),
			   paint(pt, C_RESET), E(pt, c->id));
	json_array_foreach(c->diff, i, d) {
		const char *field = json_string_value(json_object_get(d, "field"));
		const json_t *before = json_object_get(d, "before");
		const json_t *after = json_object_get(d, "after");
		struct buf delta = BUF_INIT;

		render_set_delta(&delta, field, before, after);
		buf_printf(out, "      %s: ", E(pt, field));
		if (o->mode == RENDER_MODE_DRIFT) {
			buf_printf(out, "git %s", paint(pt, C_GREEN));
			put_value(out, after);
			buf_printf(out, "%s, live %s", paint(pt, C_RESET), paint(pt, C_RED));
			put_value(out, before);
			buf_puts(out, paint(pt, C_RESET));
		} else {
			buf_puts(out, paint(pt, C_RED));
			put_value(out, before);
			buf_printf(out, "%s → %s", paint(pt, C_RESET), paint(pt, C_GREEN));
			put_value(out, after);
			buf_puts(out, paint(pt, C_RESET));
		}
		if (delta.len)
			buf_printf(out, "  %s(%s)%s", paint(pt, C_DIM), E(pt, delta.ptr),
				   paint(pt, C_RESET));
		buf_putc(out, '\n');
		buf_release(&delta);
	}
}

static void text_change(struct buf *out, const struct plan_change *c, const struct render_opts *o,
			struct painter *pt)
{
	bool drift = o->mode == RENDER_MODE_DRIFT;

	switch (c->action) {
	case PLAN_UPDATE:
		text_update(out, c, o, pt);
		break;
	case PLAN_DELETE:
		if (!strcmp(c->reason, "prune"))
			buf_printf(out, "  %s- %s%s%s (%s): %s\n", paint(pt, C_RED),
				   drift ? "" : "delete ", E(pt, c->domain), paint(pt, C_RESET),
				   E(pt, c->id),
				   drift ? "live, declared nowhere in git"
					 : "declared nowhere in git (--prune)");
		else
			buf_printf(out, "  %s- %s%s%s (%s): %s\n", paint(pt, C_RED),
				   drift ? "" : "delete ", E(pt, c->domain), paint(pt, C_RESET),
				   E(pt, c->id),
				   drift ? "absent in git, still protected live" : "absent in git");
		break;
	case PLAN_MISSING:
		buf_printf(out, "  %s! %s%s%s: in git, not protected in Cloudflare%s\n",
			   paint(pt, C_CYAN), drift ? "" : "missing ", E(pt, c->domain),
			   paint(pt, C_RESET),
			   drift ? "" : "; onboard it first (apply cannot create domains)");
		break;
	}
}

static void text_policy(struct buf *out, const struct plan *p, struct painter *pt)
{
	const json_t *viol = json_object_get(p->policy, "violations");
	const json_t *warn = json_object_get(p->policy, "warnings");
	size_t i;
	json_t *v;

	if (!json_array_size(viol) && !json_array_size(warn))
		return;
	buf_puts(out, "\npolicy:\n");
	json_array_foreach(viol, i, v)
		buf_printf(out, "  %sdeny%s %s\n", paint(pt, C_RED), paint(pt, C_RESET),
			   E(pt, json_string_value(json_object_get(v, "message"))));
	json_array_foreach(warn, i, v)
		buf_printf(out, "  %swarn%s %s\n", paint(pt, C_YELLOW), paint(pt, C_RESET),
			   E(pt, json_string_value(json_object_get(v, "message"))));
}

void render_text(struct buf *out, const struct plan *p, const struct render_opts *o)
{
	struct painter pt = { o->color, NULL, 0, 0 };
	const struct plan_summary *s = &p->summary;
	bool drift = o->mode == RENDER_MODE_DRIFT;

	text_header(out, p, o, &pt);
	for (size_t i = 0; i < p->nr; i++)
		text_change(out, &p->changes[i], o, &pt);
	if (p->n_unmanaged) {
		buf_printf(
			out,
			"%s%zu unmanaged domain%s (live, declared nowhere in git; left alone%s):\n",
			p->nr ? "\n" : "", p->n_unmanaged, p->n_unmanaged == 1 ? "" : "s",
			drift ? "" : "; --prune would delete them");
		for (size_t i = 0; i < p->n_unmanaged; i++)
			buf_printf(out, "  %s? %s%s (%s)\n", paint(&pt, C_DIM),
				   E(&pt, p->unmanaged[i].domain), paint(&pt, C_RESET),
				   E(&pt, p->unmanaged[i].id));
	}
	text_policy(out, p, &pt);
	if (p->nr || p->n_unmanaged)
		buf_putc(out, '\n');
	if (drift) {
		if (!plan_has_changes(p))
			buf_printf(out, "%sIn sync:%s %zu domain%s as git says", paint(&pt, C_BOLD),
				   paint(&pt, C_RESET), s->noop, s->noop == 1 ? "" : "s");
		else
			buf_printf(
				out,
				"%sDrift:%s %zu drifted, %zu absent in git but live, %zu missing, "
				"%zu in sync",
				paint(&pt, C_BOLD), paint(&pt, C_RESET), s->update, s->del,
				s->missing, s->noop);
	} else if (!plan_has_changes(p)) {
		buf_printf(out, "%sNo changes.%s %zu domain%s already as git says",
			   paint(&pt, C_BOLD), paint(&pt, C_RESET), s->noop,
			   s->noop == 1 ? "" : "s");
	} else {
		buf_printf(out,
			   "%sPlan:%s %zu to update, %zu to delete, %zu missing, %zu unchanged",
			   paint(&pt, C_BOLD), paint(&pt, C_RESET), s->update, s->del, s->missing,
			   s->noop);
	}
	buf_printf(out, ", %zu unmanaged.\n", s->unmanaged);
	painter_release(&pt);
}

void render_plan(struct buf *out, const struct plan *p, enum render_format format,
		 const struct render_opts *opts)
{
	char *text;

	switch (format) {
	case RENDER_TEXT:
		render_text(out, p, opts);
		return;
	case RENDER_MARKDOWN:
		render_markdown(out, p, opts);
		return;
	case RENDER_JSON:
		break;
	}
	if (opts->mode == RENDER_MODE_DRIFT) {
		json_t *d = render_drift_json(p);

		text = json_dumps(d, JSON_INDENT(2));
		json_decref(d);
	} else {
		json_t *j = plan_to_json(p);

		text = json_dumps(j, JSON_INDENT(2));
		json_decref(j);
	}
	buf_puts(out, text);
	buf_putc(out, '\n');
	free(text);
}

json_t *render_drift_json(const struct plan *p)
{
	json_t *o = json_object();
	json_t *domains = json_array();
	const struct plan_summary *s = &p->summary;

	json_object_set_new(o, "format_version", json_integer(1));
	json_object_set_new(o, "kind", json_string("drift"));
	json_object_set_new(o, "checked_at", json_string(p->created_at));
	json_object_set_new(o, "account_id", json_string(p->account_id));
	json_object_set_new(o, "api_url", json_string(p->api_url));
	json_object_set_new(o, "source",
			    json_pack("{s:s?, s:s?, s:s?, s:s?}", "repo", p->source.repo, "ref",
				      p->source.ref, "commit", p->source.commit, "path",
				      p->source.path));
	json_object_set_new(o, "prune", json_boolean(p->prune));
	json_object_set_new(o, "in_sync", json_boolean(!plan_has_changes(p)));
	json_object_set_new(o, "summary",
			    json_pack("{s:I, s:I, s:I, s:I, s:I}", "drifted", (json_int_t)s->update,
				      "absent_but_live", (json_int_t)s->del, "missing",
				      (json_int_t)s->missing, "in_sync", (json_int_t)s->noop,
				      "unmanaged", (json_int_t)s->unmanaged));
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_change *c = &p->changes[i];
		json_t *d = json_pack("{s:s, s:s?}", "domain", c->domain, "id", c->id);

		if (c->action == PLAN_UPDATE) {
			json_t *fields = json_array();
			size_t k;
			json_t *item;

			json_object_set_new(d, "status", json_string("drifted"));
			json_array_foreach(c->diff, k, item)
				json_array_append_new(
					fields, json_pack("{s:O, s:O, s:O}", "field",
							  json_object_get(item, "field"), "git",
							  json_object_get(item, "after"), "live",
							  json_object_get(item, "before")));
			json_object_set_new(d, "fields", fields);
		} else if (c->action == PLAN_DELETE) {
			json_object_set_new(d, "status",
					    json_string(!strcmp(c->reason, "prune")
								? "undeclared"
								: "absent_but_live"));
		} else {
			json_object_set_new(d, "status", json_string("missing"));
		}
		json_object_set_new(d, "declared_at",
				    c->declared_at ? json_string(c->declared_at) : json_null());
		json_array_append_new(domains, d);
	}
	json_object_set_new(o, "domains", domains);
	json_object_set_new(o, "unmanaged", plan_unmanaged_json(p));
	json_object_set(o, "policy", p->policy);
	return o;
}
