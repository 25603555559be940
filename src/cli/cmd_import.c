#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/session.h"
#include "core/fields.h"
#include "core/import.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/mem.h"

enum import_format { IMPORT_YAML, IMPORT_STATE };

/* The live domains to import, in name order: all, or those --domain names. */
static int select_domains(const struct session *s, const struct live_domain ***out, size_t *n)
{
	const struct cli_opts *o = s->o;
	const struct live_domain **v = xcalloc(s->live.nr + 1, sizeof(*v));
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!o->n_domains) {
		for (size_t i = 0; i < s->live.nr; i++)
			v[k++] = &s->live.v[i];
		goto done;
	}
	for (size_t i = 0; i < s->live.nr; i++) {
		for (size_t j = 0; j < o->n_domains; j++) {
			char *want = NULL;

			fields_normalize_domain(&want, o->domains[j], false);
			if (!strcmp(want, s->live.v[i].name)) {
				v[k++] = &s->live.v[i];
				free(want);
				break;
			}
			free(want);
		}
	}
	for (size_t j = 0; j < o->n_domains; j++) {
		char *want = NULL;
		size_t first;

		fields_normalize_domain(&want, o->domains[j], false);
		if (!live_find_name(&s->live, want, &first)) {
			free(v);
			err_set(MW_EUSAGE,
				"--domain '%s': no live domain has that name in account %s",
				o->domains[j], s->account_id);
			free(want);
			return MW_EUSAGE;
		}
		free(want);
	}
done:
	*out = v;
	*n = k;
	return 0;
}

/*
 * Of live domains sharing a name, the first (by id) is written with an
 * `id:` pin; the rest cannot be declared beside it and stay unmanaged.
 */
static bool shared_name(const struct session *s, const struct live_domain *d, bool *first)
{
	size_t at, count = live_find_name(&s->live, d->name, &at);

	*first = &s->live.v[at] == d;
	return count > 1;
}

/* A document's first lines: the editors' schema line (--schema-url), the header. */
static void doc_head(struct buf *doc, const struct session *s)
{
	if (s->o->schema_url)
		import_schema_line(doc, s->o->schema_url);
	import_header(doc, s->account_id);
}

/* One file to write: `path` (NULL: standard output) and what goes in it. Both owned. */
struct out_file {
	char *path;
	struct buf doc;
};

static void out_files_release(struct out_file *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		buf_release(&v[i].doc);
	}
	free(v);
}

/* Whether anything is at `path`: a file, a folder, a link (dangling or not). */
static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * Without --force, an existing file (or link, or anything else) at any of
 * the targets refuses them all, before one is written: an import must not
 * overwrite an edit that was not applied yet.
 */
static int refuse_existing(const struct cli_opts *o, const struct out_file *v, size_t n)
{
	const char *first = NULL;
	size_t existing = 0;

	if (o->force)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].path && exists(v[i].path)) {
			if (!first)
				first = v[i].path;
			existing++;
		}
	}
	if (!existing)
		return 0;
	if (existing == 1)
		return err_set(MW_EIO,
			       "'%s' exists: nothing was written; give --force to replace it",
			       first);
	return err_set(MW_EIO,
		       "'%s' and %zu other file%s exist: nothing was written; give --force to "
		       "replace them",
		       first, existing - 1, existing == 2 ? "" : "s");
}

/*
 * Write one output file: with --force over what is there, else only where
 * nothing is when it is put there (a file that appeared after
 * refuse_existing() is never replaced).
 */
static int write_out(const struct cli_opts *o, const char *path, const char *data, size_t len,
		     unsigned mode)
{
	if (o->force)
		return fs_write_atomic(path, data, len, mode);
	return fs_write_new(path, data, len, mode);
}

static int write_yaml(struct session *s, const struct live_domain **v, size_t n,
		      struct diags *notes)
{
	const char *out = s->o->out;
	bool per_file = out && (out[strlen(out) - 1] == '/' || fs_is_dir(out));
	struct out_file *files = xcalloc(n + 1, sizeof(*files));
	size_t written = 0, nf = 0;
	int rc = 0;

	for (size_t i = 0; i <= n; i++)
		buf_init(&files[i].doc);
	if (!per_file) {
		files[nf].path = out ? xstrdup(out) : NULL;
		doc_head(&files[nf].doc, s);
		nf++;
	}
	for (size_t i = 0; i < n; i++) {
		bool first, shared = shared_name(s, v[i], &first);
		struct buf *doc = per_file ? &files[nf].doc : &files[0].doc;

		if (shared && !first) {
			diags_add(
				notes, DIAG_WARNING, v[i]->name, 0, 0,
				"skipped live domain %s: its name is shared, and the first of them "
				"is imported with an id: pin; this one stays unmanaged",
				v[i]->id);
			continue;
		}
		if (per_file) {
			buf_truncate(doc, 0);
			doc_head(doc, s);
		}
		/* Only a valid host name, never "..", '/' or a control, names a file. */
		if (!import_domain(doc, v[i], shared, notes))
			continue;
		if (per_file)
			files[nf++].path =
				xasprintf("%s%s%s.yaml", out,
					  out[strlen(out) - 1] == '/' ? "" : "/", v[i]->name);
		written++;
	}
	rc = refuse_existing(s->o, files, nf);
	if (rc == 0 && per_file)
		rc = fs_mkdirs(out, 0755);
	for (size_t i = 0; i < nf && rc == 0; i++)
		rc = write_out(s->o, files[i].path ? files[i].path : "-", files[i].doc.ptr,
			       files[i].doc.len, 0644);
	if (rc == 0)
		cli_info(s->o, "imported %zu domain%s of account %s%s%s", written,
			 written == 1 ? "" : "s", s->account_id, out ? " to " : "", out ? out : "");
	out_files_release(files, n + 1);
	return rc;
}

/* The sandbox's --state format: the full live objects of one account. */
static int write_state(struct session *s, const struct live_domain **v, size_t n)
{
	const char *out = s->o->out;
	json_t *list = json_array();
	json_t *root;
	char *text;
	int rc;

	if (out && (out[strlen(out) - 1] == '/' || fs_is_dir(out))) {
		json_decref(list);
		return err_set(MW_EUSAGE, "--format state writes one file: give --out FILE, not a "
					  "folder");
	}
	if (out && !s->o->force && exists(out)) {
		json_decref(list);
		return err_set(MW_EIO,
			       "'%s' exists: nothing was written; give --force to replace it", out);
	}
	for (size_t i = 0; i < n; i++)
		json_array_append(list, v[i]->raw);
	root = json_pack("{s:{s:o}}", "accounts", s->account_id, list);
	text = json_dumps(root, JSON_INDENT(2));
	{
		char *withnl = xasprintf("%s\n", text);

		rc = write_out(s->o, out ? out : "-", withnl, strlen(withnl), 0600);
		free(withnl);
	}
	free(text);
	json_decref(root);
	if (rc == 0)
		cli_info(s->o, "wrote the live state of %zu domain%s%s%s", n, n == 1 ? "" : "s",
			 out ? " to " : "", out ? out : "");
	return rc;
}

int cmd_import(struct cli_opts *o)
{
	struct diags notes = DIAGS_INIT;
	const struct live_domain **v = NULL;
	enum import_format format = IMPORT_YAML;
	struct session s;
	size_t n = 0;
	int rc, code = EXIT_ERROR;

	if (cli_no_args(o) < 0)
		return EXIT_ERROR;
	if (o->format && !strcmp(o->format, "state"))
		format = IMPORT_STATE;
	else if (o->format && strcmp(o->format, "yaml")) {
		cli_usage_error(o->cmd, "--format takes yaml or state, not '%s'", o->format);
		return EXIT_ERROR;
	}
	if (o->out && !*o->out) {
		cli_usage_error(o->cmd, "--out needs a file or folder name");
		return EXIT_ERROR;
	}
	if (o->out && !strcmp(o->out, "-"))
		o->out = NULL;
	if (o->schema_url) {
		struct buf probe = BUF_INIT;

		rc = import_schema_line(&probe, o->schema_url);
		buf_release(&probe);
		if (rc < 0) {
			cli_report(o);
			return EXIT_ERROR;
		}
		if (format == IMPORT_STATE) {
			fprintf(stderr, "mailward import: --schema-url applies to YAML, not to "
					"--format state (see 'mailward import --help')\n");
			return EXIT_ERROR;
		}
	}
	session_init(&s, o);
	rc = session_resolve_account(&s, true);
	if (rc == 0)
		rc = session_connect(&s);
	if (rc == 0)
		rc = session_read_live(&s, format == IMPORT_STATE);
	if (rc == 0)
		rc = select_domains(&s, &v, &n);
	if (rc == 0)
		rc = format == IMPORT_STATE ? write_state(&s, v, n) : write_yaml(&s, v, n, &notes);
	if (rc < 0) {
		cli_report(o);
		goto done;
	}
	for (size_t i = 0; i < notes.nr; i++)
		cli_info(o, "%s: %s", notes.v[i].file, notes.v[i].msg);
	code = EXIT_OK;
done:
	free(v);
	diags_release(&notes);
	session_release(&s);
	return code;
}
