#include <string.h>

#include "core/fields.h"
#include "core/render.h"
#include "util/mem.h"

/* Room kept for the note that says the comment was shortened. */
#define NOTE_RESERVE 700
/* A cell longer than this is cut: a table row must stay readable. */
#define CELL_MAX 300
/* Policy findings and unmanaged domains listed before "and N more". */
#define LIST_MAX 50

/* HTML-escape for a table cell; '|' would end the cell even inside code. */
static void html_escape(struct buf *out, const char *s, size_t max)
{
	size_t n = 0;

	/* Count characters, not bytes: a cut never splits a UTF-8 sequence. */
	for (; *s && (n < max || ((unsigned char)*s & 0xC0) == 0x80); s++) {
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
		switch (*s) {
		case '&':
			buf_puts(out, "&amp;");
			break;
		case '<':
			buf_puts(out, "&lt;");
			break;
		case '>':
			buf_puts(out, "&gt;");
			break;
		case '"':
			buf_puts(out, "&quot;");
			break;
		case '|':
			buf_puts(out, "&#124;");
			break;
		case '`':
			buf_puts(out, "&#96;");
			break;
		case '\n':
		case '\r':
			buf_putc(out, ' ');
			break;
		default:
			buf_putc(out, *s);
		}
	}
	if (*s)
		buf_puts(out, "…");
}

static void code(struct buf *out, const char *s)
{
	buf_puts(out, "<code>");
	html_escape(out, s, CELL_MAX);
	buf_puts(out, "</code>");
}

static void code_value(struct buf *out, const json_t *v)
{
	struct buf text = BUF_INIT;

	fields_format_value(&text, v);
	code(out, text.ptr);
	buf_release(&text);
}

static const char *noun(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void title(struct buf *out, const struct plan *p, bool drift)
{
	const struct plan_summary *s = &p->summary;
	bool denied = json_array_size(json_object_get(p->policy, "violations")) > 0;

	buf_printf(out, "### mailward %s: ", drift ? "drift" : "plan");
	if (!plan_has_changes(p))
		buf_puts(out, drift ? "in sync" : "no changes");
	else if (drift)
		buf_printf(out, "%zu drifted, %zu absent but live, %zu missing", s->update, s->del,
			   s->missing);
	else
		buf_printf(out, "%zu to update, %zu to delete, %zu missing", s->update, s->del,
			   s->missing);
	buf_puts(out, denied ? " — **denied by policy**\n\n" : "\n\n");
}

static void summary_table(struct buf *out, const struct plan *p, bool drift)
{
	const struct plan_summary *s = &p->summary;

	buf_puts(out, "| | domains |\n|---|---:|\n");
	buf_printf(out, "| %s | %zu |\n", drift ? "drifted" : "update", s->update);
	buf_printf(out, "| %s | %zu |\n", drift ? "absent in git, live" : "delete", s->del);
	buf_printf(out, "| missing (not onboarded) | %zu |\n", s->missing);
	buf_printf(out, "| %s | %zu |\n", drift ? "in sync" : "unchanged", s->noop);
	buf_printf(out, "| unmanaged | %zu |\n\n", s->unmanaged);
	buf_puts(out, "Account ");
	code(out, p->account_id);
	if (p->source.worktree) {
		buf_puts(out, " · working tree of ");
		code(out, p->source.repo ? p->source.repo : "?");
	} else {
		char shortsha[13];

		snprintf(shortsha, sizeof(shortsha), "%.12s",
			 p->source.commit ? p->source.commit : "?");
		buf_puts(out, " · commit ");
		code(out, shortsha);
		buf_puts(out, " (");
		code(out, p->source.ref ? p->source.ref : "?");
		buf_puts(out, ")");
	}
	if (p->source.path && *p->source.path) {
		buf_puts(out, " · path ");
		code(out, p->source.path);
	}
	buf_puts(out, p->prune ? " · prune on\n\n" : "\n\n");
}

static void finding(struct buf *out, const char *level, const json_t *v)
{
	buf_printf(out, "- %s ", level);
	html_escape(out, json_string_value(json_object_get(v, "message")), CELL_MAX * 2);
	buf_putc(out, '\n');
}

/*
 * The findings, at most LIST_MAX of them and at most `room` characters, so
 * that a flood of long findings cannot crowd the changes out. Returns how
 * many were left out.
 */
static size_t policy_list(struct buf *out, const struct plan *p, size_t room)
{
	const json_t *lists[2] = { json_object_get(p->policy, "violations"),
				   json_object_get(p->policy, "warnings") };
	const char *levels[2] = { "**deny**", "warn" };
	size_t total = json_array_size(lists[0]) + json_array_size(lists[1]);
	size_t start = out->len, shown = 0;
	struct buf one = BUF_INIT;

	if (!total)
		return 0;
	buf_puts(out, "#### Policy\n\n");
	for (int l = 0; l < 2; l++) {
		size_t i;
		json_t *v;

		json_array_foreach(lists[l], i, v) {
			buf_truncate(&one, 0);
			finding(&one, levels[l], v);
			if (shown >= LIST_MAX || out->len - start + one.len > room)
				goto done;
			buf_add(out, one.ptr, one.len);
			shown++;
		}
	}
done:
	if (shown < total)
		buf_printf(out, "- … and %zu more findings (the plan file has them all)\n",
			   total - shown);
	buf_putc(out, '\n');
	buf_release(&one);
	return total - shown;
}

static void section(struct buf *out, const struct plan_change *c, bool drift)
{
	size_t i;
	json_t *d;

	buf_puts(out, "<details><summary>");
	switch (c->action) {
	case PLAN_UPDATE:
		buf_printf(out, "<b>%s</b> ", drift ? "drifted" : "update");
		code(out, c->domain);
		buf_printf(out, ": %zu %s</summary>\n\n", json_array_size(c->diff),
			   noun(json_array_size(c->diff), "setting", "settings"));
		buf_printf(out, "| setting | %s | %s | change |\n|---|---|---|---|\n",
			   drift ? "live" : "live now", drift ? "git" : "after apply");
		json_array_foreach(c->diff, i, d) {
			const char *field = json_string_value(json_object_get(d, "field"));
			struct buf delta = BUF_INIT;

			buf_puts(out, "| ");
			code(out, field);
			buf_puts(out, " | ");
			code_value(out, json_object_get(d, "before"));
			buf_puts(out, " | ");
			code_value(out, json_object_get(d, "after"));
			buf_puts(out, " | ");
			render_set_delta(&delta, field, json_object_get(d, "before"),
					 json_object_get(d, "after"));
			html_escape(out, delta.ptr, CELL_MAX);
			buf_puts(out, " |\n");
			buf_release(&delta);
		}
		break;
	case PLAN_DELETE:
		buf_printf(out, "<b>%s</b> ", drift ? "live, not in git" : "delete");
		code(out, c->domain);
		buf_printf(out, ": %s</summary>\n\n",
			   !strcmp(c->reason, "prune") ? "declared nowhere in git (prune)"
						       : "absent in git");
		buf_puts(out, "Email Security protection is removed from this domain.\n");
		break;
	case PLAN_MISSING:
		buf_puts(out, "<b>missing</b> ");
		code(out, c->domain);
		buf_puts(out, ": not protected in Cloudflare</summary>\n\n");
		buf_puts(out, "Declared in git but not onboarded; apply cannot create domains.\n");
		break;
	}
	buf_puts(out, "\n");
	if (c->id) {
		buf_puts(out, "id ");
		code(out, c->id);
	}
	if (c->declared_at) {
		buf_puts(out, c->id ? " · declared at " : "declared at ");
		code(out, c->declared_at);
	}
	buf_puts(out, "\n</details>\n\n");
}

static void compact_line(struct buf *out, const struct plan_change *c)
{
	buf_printf(out, "- %s ", plan_action_name(c->action));
	code(out, c->domain);
	if (c->action == PLAN_UPDATE)
		buf_printf(out, " (%zu %s)", json_array_size(c->diff),
			   noun(json_array_size(c->diff), "setting", "settings"));
	buf_putc(out, '\n');
}

static void unmanaged_list(struct buf *out, const struct plan *p)
{
	if (!p->n_unmanaged)
		return;
	buf_printf(out,
		   "<details><summary>%zu unmanaged %s (live, declared nowhere in git, left "
		   "alone)</summary>\n\n",
		   p->n_unmanaged, noun(p->n_unmanaged, "domain", "domains"));
	for (size_t i = 0; i < p->n_unmanaged && i < LIST_MAX; i++) {
		buf_puts(out, "- ");
		code(out, p->unmanaged[i].domain);
		buf_putc(out, '\n');
	}
	if (p->n_unmanaged > LIST_MAX)
		buf_printf(out, "- … and %zu more\n", p->n_unmanaged - LIST_MAX);
	buf_puts(out, "\n</details>\n\n");
}

/* Truncate `b` to at most `max` bytes, at the end of a line. */
static void cut_at_line(struct buf *b, size_t max)
{
	size_t len = max < b->len ? max : b->len;

	while (len && b->ptr[len - 1] != '\n')
		len--;
	buf_truncate(b, len);
}

void render_markdown(struct buf *out, const struct plan *p, const struct render_opts *o)
{
	size_t limit = o->markdown_limit ? o->markdown_limit : RENDER_MARKDOWN_LIMIT;
	bool drift = o->mode == RENDER_MODE_DRIFT;
	struct buf head = BUF_INIT, body = BUF_INIT, tail = BUF_INIT, one = BUF_INIT;
	struct buf note = BUF_INIT;
	size_t budget, compacted = 0, omitted = 0, findings_left;
	size_t start = out->len;

	title(&head, p, drift);
	summary_table(&head, p, drift);
	findings_left = policy_list(&head, p, limit / 4);
	unmanaged_list(&tail, p);
	buf_printf(&tail, "<sub>mailward %s · plan digest <code>%.19s…</code></sub>\n",
		   p->tool_version, p->digest);
	budget = head.len + tail.len + NOTE_RESERVE < limit
			 ? limit - head.len - tail.len - NOTE_RESERVE
			 : 0;
	for (size_t i = 0; i < p->nr; i++) {
		buf_truncate(&one, 0);
		if (!compacted && !omitted)
			section(&one, &p->changes[i], drift);
		if (one.len && body.len + one.len <= budget) {
			buf_add(&body, one.ptr, one.len);
			continue;
		}
		buf_truncate(&one, 0);
		compact_line(&one, &p->changes[i]);
		if (!omitted && body.len + one.len <= budget) {
			if (!compacted)
				buf_puts(&body, "Further changes, without details:\n\n");
			buf_add(&body, one.ptr, one.len);
			compacted++;
			continue;
		}
		omitted++;
	}
	if (compacted)
		buf_putc(&body, '\n');
	if (compacted || omitted || findings_left) {
		buf_printf(&note,
			   "> **This comment is shortened** to stay under %zu characters:", limit);
		if (compacted || omitted)
			buf_printf(&note,
				   " %zu %s listed without details and %zu not listed at all.",
				   compacted, noun(compacted, "change is", "changes are"), omitted);
		if (findings_left)
			buf_printf(&note, " %zu policy %s not listed.", findings_left,
				   noun(findings_left, "finding is", "findings are"));
		buf_puts(&note, " The saved plan file (`mailward show PLAN`) has everything.\n\n");
	}
	/*
	 * The budget came from sizes, so this only bites at limits too small
	 * for the head itself: drop the footer, then cut the head at a line.
	 */
	if (head.len + body.len + note.len + tail.len > limit)
		buf_truncate(&tail, 0);
	if (head.len + body.len + note.len > limit)
		cut_at_line(&head, limit > body.len + note.len ? limit - body.len - note.len : 0);
	buf_add(out, head.ptr, head.len);
	buf_add(out, body.ptr, body.len);
	buf_add(out, note.ptr, note.len);
	buf_add(out, tail.ptr, tail.len);
	if (out->len - start > limit)
		cut_at_line(out, start + limit);
	buf_release(&head);
	buf_release(&note);
	buf_release(&body);
	buf_release(&tail);
	buf_release(&one);
}
