#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

			fields_normalize_domain(&want, o->domains[j], false, NULL);
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

		fields_normalize_domain(&want, o->domains[j], false, NULL);
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

static int write_yaml(struct session *s, const struct live_domain **v, size_t n,
		      struct diags *notes)
{
	const char *out = s->o->out;
	bool per_file = out && (out[strlen(out) - 1] == '/' || fs_is_dir(out));
	struct buf doc = BUF_INIT;
	size_t written = 0;
	int rc = 0;

	if (per_file) {
		rc = fs_mkdirs(out, 0755);
		if (rc < 0)
			return rc;
	} else {
		import_header(&doc, s->account_id);
	}
	for (size_t i = 0; i < n; i++) {
		bool first, shared = shared_name(s, v[i], &first);

		if (shared && !first) {
			diags_add(
				notes, DIAG_WARNING, v[i]->name, 0, 0,
				"skipped live domain %s: its name is shared, and the first of them "
				"is imported with an id: pin; this one stays unmanaged",
				v[i]->id);
			continue;
		}
		if (per_file) {
			char *path;

			buf_truncate(&doc, 0);
			import_header(&doc, s->account_id);
			/* Only a valid host name, never "..", '/' or a control, names a file. */
			if (!import_domain(&doc, v[i], shared, notes))
				continue;
			path = xasprintf("%s%s%s.yaml", out, out[strlen(out) - 1] == '/' ? "" : "/",
					 v[i]->name);
			rc = fs_write_atomic(path, doc.ptr, doc.len, 0644);
			free(path);
			if (rc < 0)
				goto done;
		} else if (!import_domain(&doc, v[i], shared, notes)) {
			continue;
		}
		written++;
	}
	if (!per_file)
		rc = fs_write_atomic(out ? out : "-", doc.ptr, doc.len, 0644);
	if (rc == 0)
		cli_info(s->o, "imported %zu domain%s of account %s%s%s", written,
			 written == 1 ? "" : "s", s->account_id, out ? " to " : "", out ? out : "");
done:
	buf_release(&doc);
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
	for (size_t i = 0; i < n; i++)
		json_array_append(list, v[i]->raw);
	root = json_pack("{s:{s:o}}", "accounts", s->account_id, list);
	text = json_dumps(root, JSON_INDENT(2));
	{
		char *withnl = xasprintf("%s\n", text);

		rc = fs_write_atomic(out ? out : "-", withnl, strlen(withnl), 0600);
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
		fprintf(stderr,
			"mailward import: --format takes yaml or state, not '%s' (see "
			"'mailward import --help')\n",
			o->format);
		return EXIT_ERROR;
	}
	if (o->out && !*o->out) {
		fprintf(stderr, "mailward import: --out needs a file or folder name\n");
		return EXIT_ERROR;
	}
	if (o->out && !strcmp(o->out, "-"))
		o->out = NULL;
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
