/*
 * golden: desired documents + live state in, plan out, one case per file.
 *
 * A case (tests/golden/cases/NAME.case) is a text file of sections, each
 * opened by a line "--- KIND [ARG]":
 *
 *   --- args              planning flags: --prune, --account-id ID
 *   --- file PATH         a document at PATH (under policies/: a policy)
 *   --- live              the live Domain objects, a JSON array
 *   --- expect errors     the FILE:LINE:COL problems, one per line
 *   --- expect plan       {"summary", "changes", "unmanaged", "policy"} as JSON
 *   --- expect text       the text rendering, exactly
 *   --- expect markdown   the Markdown rendering, exactly
 *   --- expect drift      the drift report as JSON (without checked_at)
 *   --- expect exit       the exit code `mailward plan` would give
 *
 * Lines before the first section are a comment. The runner takes the case
 * files (or folders of them) as arguments and runs the pipeline without git
 * or HTTP: desired_load -> live_load -> planner_run (plan and policies) -> render. With
 * MAILWARD_GOLDEN_UPDATE=1 it rewrites the expectations present in each case
 * from what the code produces, for review in the diff.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/desired.h"
#include "core/live.h"
#include "core/plan.h"
#include "core/planner.h"
#include "core/policy.h"
#include "core/render.h"
#include "util/buf.h"
#include "util/diag.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/mem.h"

struct section {
	char *kind; /* "file", "live", "expect plan", ... */
	char *arg; /* the path of a file section */
	struct buf body;
};

struct gcase {
	const char *path;
	char *comment;
	struct section *v;
	size_t nr, alloc;
};

static struct section *find(struct gcase *c, const char *kind)
{
	for (size_t i = 0; i < c->nr; i++)
		if (!strcmp(c->v[i].kind, kind))
			return &c->v[i];
	return NULL;
}

static void case_release(struct gcase *c)
{
	for (size_t i = 0; i < c->nr; i++) {
		free(c->v[i].kind);
		free(c->v[i].arg);
		buf_release(&c->v[i].body);
	}
	free(c->v);
	free(c->comment);
}

static int case_parse(struct gcase *c, const char *path)
{
	struct buf comment = BUF_INIT;
	struct section *cur = NULL;
	char *text = NULL, *line, *save = NULL;
	size_t len;

	memset(c, 0, sizeof(*c));
	c->path = path;
	if (fs_read_file(&text, &len, path, 0) < 0) {
		fprintf(stderr, "%s\n", err_msg());
		return -1;
	}
	/* strtok_r would merge blank lines: split by hand. */
	for (line = text; line && *line; line = save) {
		char *nl = strchr(line, '\n');

		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		if (!strncmp(line, "--- ", 4)) {
			const char *kind = line + 4;
			const char *sp = NULL;

			ARRAY_GROW(c->v, c->nr + 1, c->alloc);
			cur = &c->v[c->nr++];
			memset(cur, 0, sizeof(*cur));
			buf_init(&cur->body);
			if (!strncmp(kind, "file ", 5)) {
				sp = kind + 5;
				cur->kind = xstrdup("file");
				cur->arg = xstrdup(sp);
			} else {
				cur->kind = xstrdup(kind);
			}
			continue;
		}
		if (cur) {
			buf_puts(&cur->body, line);
			buf_putc(&cur->body, '\n');
		} else {
			buf_puts(&comment, line);
			buf_putc(&comment, '\n');
		}
	}
	c->comment = buf_detach(&comment, NULL);
	free(text);
	return 0;
}

static void case_write(struct gcase *c)
{
	struct buf out = BUF_INIT;

	buf_puts(&out, c->comment);
	for (size_t i = 0; i < c->nr; i++) {
		if (c->v[i].arg)
			buf_printf(&out, "--- %s %s\n", c->v[i].kind, c->v[i].arg);
		else
			buf_printf(&out, "--- %s\n", c->v[i].kind);
		buf_add(&out, c->v[i].body.ptr, c->v[i].body.len);
	}
	if (fs_write_atomic(c->path, out.ptr, out.len, 0644) < 0)
		fprintf(stderr, "%s\n", err_msg());
	buf_release(&out);
}

struct result {
	struct buf errors;
	json_t *plan;
	struct buf text, markdown;
	json_t *drift;
	int exit;
};

static json_t *plan_view(const struct plan *p)
{
	json_t *full = plan_to_json(p);
	json_t *view = json_object();

	json_object_set(view, "summary", json_object_get(full, "summary"));
	json_object_set(view, "changes", json_object_get(full, "changes"));
	json_object_set(view, "unmanaged", json_object_get(full, "unmanaged"));
	json_object_set(view, "policy", json_object_get(full, "policy"));
	json_decref(full);
	return view;
}

static bool has_arg(struct gcase *c, const char *flag, const char **value)
{
	struct section *s = find(c, "args");
	char *p;

	if (!s)
		return false;
	p = strstr(s->body.ptr, flag);
	if (!p)
		return false;
	if (value) {
		static char buf[128];

		p += strlen(flag);
		while (*p == ' ' || *p == '=')
			p++;
		snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(p, " \n"), p);
		*value = buf;
	}
	return true;
}

static void run_case(struct gcase *c, struct result *r)
{
	struct source_file *files = NULL;
	size_t n = 0, alloc = 0;
	struct desired d = DESIRED_INIT;
	struct diags diags = DIAGS_INIT;
	struct live live = LIVE_INIT;
	struct policy_set policies = POLICY_SET_INIT;
	struct plan p = { 0 };
	struct plan_source src = { "golden", "HEAD", "0123456789abcdef0123456789abcdef01234567", "",
				   false };
	struct planner_input in = { 0 };
	struct render_opts ro = { RENDER_MODE_PLAN, false, 0 };
	const char *account = NULL;
	struct section *live_s = find(c, "live");
	json_t *live_json = NULL;
	json_error_t jerr;
	int rc;

	memset(r, 0, sizeof(*r));
	buf_init(&r->errors);
	buf_init(&r->text);
	buf_init(&r->markdown);
	r->exit = 1;
	for (size_t i = 0; i < c->nr; i++) {
		if (strcmp(c->v[i].kind, "file"))
			continue;
		ARRAY_GROW(files, n + 1, alloc);
		files[n].path = c->v[i].arg;
		files[n].data = c->v[i].body.ptr;
		files[n].len = c->v[i].body.len;
		files[n].policy = !strncmp(c->v[i].arg, "policies/", 9);
		n++;
	}
	rc = desired_load(&d, files, n, &diags);
	if (policy_load(&policies, files, n, &diags) < 0 && rc == 0)
		rc = MW_EINVALID;
	diags_sort(&diags);
	for (size_t i = 0; i < diags.nr; i++)
		buf_printf(&r->errors, "%s:%d:%d: %s%s\n", diags.v[i].file, diags.v[i].line,
			   diags.v[i].col, diags.v[i].level == DIAG_WARNING ? "warning: " : "",
			   diags.v[i].msg);
	if (rc < 0)
		goto done;
	live_json = json_loads(live_s ? live_s->body.ptr : "[]", 0, &jerr);
	if (!live_json) {
		buf_printf(&r->errors, "live: %d:%d: %s\n", jerr.line, jerr.column, jerr.text);
		goto done;
	}
	if (live_load(&live, live_json) < 0) {
		buf_printf(&r->errors, "live: %s\n", err_msg());
		goto done;
	}
	if (!has_arg(c, "--account-id", &account))
		account = d.account_id ? d.account_id : "023e105f4ecef8ad9ca31a8372d0c353";
	in.desired = &d;
	in.live = &live;
	in.policies = &policies;
	in.account_id = account;
	in.api_url = "https://api.cloudflare.com/client/v4";
	in.source = &src;
	in.prune = has_arg(c, "--prune", NULL);
	if (planner_run(&p, &in) < 0) {
		buf_printf(&r->errors, "plan: %s\n", err_msg());
		goto done;
	}
	/* Expectations must not change with each commit: pin the version that
	 * `git describe` completes (the digest follows, sealed again). */
	free(p.tool_version);
	p.tool_version = xstrdup("0.1.0");
	plan_seal(&p);
	r->plan = plan_view(&p);
	render_text(&r->text, &p, &ro);
	render_markdown(&r->markdown, &p, &ro);
	r->drift = render_drift_json(&p);
	json_object_del(r->drift, "checked_at");
	if (plan_violations(&p))
		r->exit = 3;
	else
		r->exit = plan_has_changes(&p) ? 2 : 0;
done:
	plan_release(&p);
	policy_set_release(&policies);
	live_release(&live);
	json_decref(live_json);
	desired_release(&d);
	diags_release(&diags);
	free(files);
}

static void result_release(struct result *r)
{
	buf_release(&r->errors);
	buf_release(&r->text);
	buf_release(&r->markdown);
	json_decref(r->plan);
	json_decref(r->drift);
}

static char *pretty(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;

	return s ? s : xstrdup("(none)");
}

static bool check_json(struct gcase *c, const char *kind, const json_t *got, bool update)
{
	struct section *s = find(c, kind);
	json_error_t jerr;
	json_t *want;
	bool ok;

	if (!s)
		return true;
	if (update) {
		char *text = pretty(got);

		buf_truncate(&s->body, 0);
		buf_puts(&s->body, text);
		buf_putc(&s->body, '\n');
		free(text);
		return true;
	}
	want = json_loads(s->body.ptr, 0, &jerr);
	if (!want) {
		fprintf(stderr, "%s: '%s' is not JSON: %d:%d: %s\n", c->path, kind, jerr.line,
			jerr.column, jerr.text);
		return false;
	}
	ok = got && json_equal(want, got);
	if (!ok) {
		char *a = pretty(want), *b = pretty(got);

		fprintf(stderr, "%s: %s differs.\n--- want\n%s\n--- got\n%s\n", c->path, kind, a,
			b);
		free(a);
		free(b);
	}
	json_decref(want);
	return ok;
}

static bool check_text(struct gcase *c, const char *kind, const struct buf *got, bool update)
{
	struct section *s = find(c, kind);

	if (!s)
		return true;
	if (update) {
		buf_truncate(&s->body, 0);
		buf_add(&s->body, got->ptr, got->len);
		return true;
	}
	if (s->body.len == got->len && !memcmp(s->body.ptr, got->ptr, got->len))
		return true;
	fprintf(stderr, "%s: %s differs.\n--- want\n%s--- got\n%s", c->path, kind, s->body.ptr,
		got->ptr);
	return false;
}

static bool check_case(const char *path, bool update)
{
	struct gcase c;
	struct result r;
	struct buf exit_text = BUF_INIT;
	bool ok = true;

	if (case_parse(&c, path) < 0)
		return false;
	run_case(&c, &r);
	if (!find(&c, "expect errors") && r.errors.len) {
		fprintf(stderr, "%s: unexpected problems:\n%s", path, r.errors.ptr);
		ok = false;
	}
	ok &= check_text(&c, "expect errors", &r.errors, update);
	ok &= check_json(&c, "expect plan", r.plan, update);
	ok &= check_text(&c, "expect text", &r.text, update);
	ok &= check_text(&c, "expect markdown", &r.markdown, update);
	ok &= check_json(&c, "expect drift", r.drift, update);
	buf_printf(&exit_text, "%d\n", r.exit);
	ok &= check_text(&c, "expect exit", &exit_text, update);
	if (update)
		case_write(&c);
	printf("%s %s\n", ok ? "ok  " : "FAIL", path);
	buf_release(&exit_text);
	result_release(&r);
	case_release(&c);
	return ok;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, bool update, int *failed)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, alloc = 0;

	if (!d) {
		perror(dir);
		return -1;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 5 && !strcmp(de->d_name + l - 5, ".case")) {
			ARRAY_GROW(names, n + 1, alloc);
			names[n++] = xasprintf("%s/%s", dir, de->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (!check_case(names[i], update))
			(*failed)++;
		free(names[i]);
	}
	free(names);
	return (int)n;
}

int main(int argc, char **argv)
{
	const char *up = getenv("MAILWARD_GOLDEN_UPDATE");
	bool update = up && *up && strcmp(up, "0");
	int failed = 0, total = 0;

	for (int i = 1; i < argc; i++) {
		if (fs_is_dir(argv[i])) {
			int n = run_dir(argv[i], update, &failed);

			if (n < 0)
				return 1;
			total += n;
		} else {
			total++;
			if (!check_case(argv[i], update))
				failed++;
		}
	}
	printf("%d case%s, %d failed\n", total, total == 1 ? "" : "s", failed);
	return failed || total == 0 ? 1 : 0;
}
