#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/session.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/esc.h"

enum validate_format { VALIDATE_TEXT, VALIDATE_JSON, VALIDATE_GITHUB };

/*
 * GitHub's workflow-command escaping: '%', CR and LF in the message; also
 * ':' and ',' in a property value, where they would end it.
 */
static void github_escape(struct buf *out, const char *s, bool property)
{
	for (; *s; s++) {
		if (*s == '%')
			buf_puts(out, "%25");
		else if (*s == '\r')
			buf_puts(out, "%0D");
		else if (*s == '\n')
			buf_puts(out, "%0A");
		else if (property && *s == ':')
			buf_puts(out, "%3A");
		else if (property && *s == ',')
			buf_puts(out, "%2C");
		else
			buf_printf(out, "%c", *s);
	}
}

/*
 * One annotation line. The file name comes from a repository: it is
 * escaped for a terminal first (CI logs are read on one), then for GitHub.
 */
static void print_github(const char *level, const char *file, int line, int col, const char *msg)
{
	struct buf b = BUF_INIT;
	char *shown = esc_str(file ? file : "");
	struct buf m = BUF_INIT;

	esc_append(&m, msg, 0);
	buf_printf(&b, "::%s", level);
	if (*shown) {
		buf_puts(&b, " file=");
		github_escape(&b, shown, true);
		if (line > 0)
			buf_printf(&b, ",line=%d,col=%d", line, col > 0 ? col : 1);
	}
	buf_puts(&b, "::");
	github_escape(&b, m.ptr, false);
	printf("%s\n", b.ptr);
	free(shown);
	buf_release(&m);
	buf_release(&b);
}

/*
 * One problem as JSON. A file name may hold any bytes (git allows them) and
 * a message may quote one: JSON strings must be UTF-8, and json_pack()
 * would fail and the problem be left out, so both are escaped as the text
 * and github formats show them.
 */
static json_t *problem_json(const char *level, const char *file, int line, int col, const char *msg)
{
	char *shown_file = esc_str(file);
	char *shown_msg = esc_str(msg);
	json_t *out = json_pack("{s:s, s:s, s:i, s:i, s:s}", "level", level, "file", shown_file,
				"line", line, "col", col, "message", shown_msg);

	free(shown_file);
	free(shown_msg);
	return out;
}

/*
 * Print the problems in `format`: the documents' (s->diags), and, when the
 * load stopped before the documents (`rc` < 0 with none), the error slot's.
 */
static void print_problems(const struct session *s, enum validate_format format, int rc)
{
	const struct diags *d = &s->diags;
	bool other = rc < 0 && d->errors == 0;
	json_t *doc, *problems;
	char *text;

	if (format == VALIDATE_TEXT) {
		diags_print(d, stderr);
		if (rc < 0)
			cli_report(s->o);
		return;
	}
	if (format == VALIDATE_GITHUB) {
		for (size_t i = 0; i < d->nr; i++)
			print_github(d->v[i].level == DIAG_WARNING ? "warning" : "error",
				     d->v[i].file, d->v[i].line, d->v[i].col, d->v[i].msg);
		if (other)
			print_github("error", NULL, 0, 0, err_msg());
		return;
	}
	problems = json_array();
	for (size_t i = 0; i < d->nr; i++)
		json_array_append_new(
			problems,
			problem_json(d->v[i].level == DIAG_WARNING ? "warning" : "error",
				     d->v[i].file, d->v[i].line, d->v[i].col, d->v[i].msg));
	if (other)
		json_array_append_new(problems, problem_json("error", NULL, 0, 0, err_msg()));
	doc = json_pack("{s:b, s:I, s:o}", "valid", rc == 0, "domains",
			(json_int_t)(rc == 0 ? s->desired.nr : 0), "problems", problems);
	text = json_dumps(doc, JSON_INDENT(2));
	printf("%s\n", text);
	free(text);
	json_decref(doc);
}

int cmd_validate(struct cli_opts *o)
{
	enum validate_format format = VALIDATE_TEXT;
	struct session s;
	size_t files = 0;
	int rc;

	if (cli_no_args(o) < 0)
		return EXIT_ERROR;
	if (o->format && !strcmp(o->format, "json")) {
		format = VALIDATE_JSON;
	} else if (o->format && !strcmp(o->format, "github")) {
		format = VALIDATE_GITHUB;
	} else if (o->format && strcmp(o->format, "text")) {
		cli_usage_error(o->cmd, "--format takes text, json or github, not '%s'", o->format);
		return EXIT_ERROR;
	}
	session_init(&s, o);
	rc = session_load_desired(&s, NULL, NULL);
	if (rc == 0)
		rc = session_resolve_account(&s, false);
	print_problems(&s, format, rc);
	if (rc < 0)
		goto done;
	for (size_t i = 0; i < s.src->nr; i++)
		files += !s.src->files[i].policy;
	cli_info(o, "valid: %zu domain%s in %zu file%s, %zu polic%s%s%s", s.desired.nr,
		 s.desired.nr == 1 ? "" : "s", files, files == 1 ? "" : "s", s.policies.nr,
		 s.policies.nr == 1 ? "y" : "ies", s.account_id ? ", account " : "",
		 s.account_id ? s.account_id : "");
done:
	session_release(&s);
	return rc < 0 ? EXIT_ERROR : EXIT_OK;
}
