/*
 * yaml_desired: YAML desired-state documents (core/yamldoc.h, core/desired.h).
 *
 * The input is one or more files: a line that starts with "#>" ends the
 * current file and starts the next, named by the rest of the line (a path
 * under "policies/" is a policy document, which desired_load() skips). Being
 * a YAML comment, the marker leaves a one-file input valid YAML too. The
 * target
 *   1. parses the whole input with ydoc_parse() and checks the tree's
 *      invariants (located nodes, NUL-terminated scalars, map keys unique,
 *      scalar and NUL-free, numbers of the core schema) and its return
 *      contract;
 *   2. loads the files with desired_load() and checks the model's
 *      invariants (sorted unique normalised names, settings valid and
 *      writable, absent domains without settings, account id form);
 *   3. when the state is valid, plans it against a fixed listing and checks
 *      the plan, its round trip through the plan file format and rendering.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "core/yamldoc.h"
#include "fuzz.h"
#include "util/buf.h"
#include "util/diag.h"
#include "util/err.h"
#include "util/mem.h"

#define MAX_FILES 16

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_env();
	fuzz_fixture_live();
	return 0;
}

/* strspn, by hand: gcc's sanitizer builds warn on strspn(s + 2, ...) here. */
static size_t span(const char *s, const char *set)
{
	size_t n = 0;

	while (s[n] && strchr(set, s[n]))
		n++;
	return n;
}

/*
 * Whether `s` is a number of the YAML 1.2 core schema:
 *   int:   [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+
 *   float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
 *          | [-+]?\.(inf|Inf|INF) | \.nan|\.NaN|\.NAN
 */
static bool core_number(const char *s)
{
	static const char *const special[] = { ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN" };
	const char *p = s;
	size_t n;

	if ((!strncmp(s, "0o", 2) && s[2] && !s[2 + span(s + 2, "01234567")]) ||
	    (!strncmp(s, "0x", 2) && s[2] && !s[2 + span(s + 2, "0123456789abcdefABCDEF")]))
		return true;
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		if (!strcmp(s, special[i]) ||
		    (i < 3 && (*s == '-' || *s == '+') && !strcmp(s + 1, special[i])))
			return true;
	if (*p == '-' || *p == '+')
		p++;
	n = span(p, "0123456789");
	p += n;
	if (*p == '.') {
		size_t frac = span(p + 1, "0123456789");

		if (!n && !frac)
			return false;
		p += 1 + frac;
	} else if (!n) {
		return false;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '-' || *p == '+')
			p++;
		n = span(p, "0123456789");
		if (!n)
			return false;
		p += n;
	}
	return *p == '\0';
}

static void check_tree(const struct ydoc *doc, bool clean)
{
	for (size_t i = 0; i < doc->n_all; i++) {
		const struct ynode *n = doc->all[i];
		json_t *keys;

		FUZZ_CHECK(n->line >= 1 && n->col >= 1, "ydoc-invariant", "node at %d:%d", n->line,
			   n->col);
		FUZZ_CHECK(ynode_describe(n) != NULL, "ydoc-invariant", "no description");
		switch (n->kind) {
		case YNODE_SCALAR:
			FUZZ_CHECK(n->text && n->text[n->len] == '\0', "ydoc-invariant",
				   "scalar at %d:%d is not NUL-terminated", n->line, n->col);
			FUZZ_CHECK(n->n_items == 0 && n->n_pairs == 0, "ydoc-invariant",
				   "scalar at %d:%d has children", n->line, n->col);
			/* yamldoc.h: "the YAML 1.2 core schema" (tagged scalars that
			 * do not fit their tag were reported, so not when clean). */
			FUZZ_CHECK(!clean || (n->type != YS_INT && n->type != YS_FLOAT) ||
					   core_number(n->text),
				   "ydoc-resolve", "'%s' at %d:%d resolves as a number", n->text,
				   n->line, n->col);
			break;
		case YNODE_SEQ:
			FUZZ_CHECK(n->n_pairs == 0, "ydoc-invariant", "list with pairs");
			for (size_t k = 0; k < n->n_items; k++)
				FUZZ_CHECK(n->items[k], "ydoc-invariant", "NULL list item");
			break;
		case YNODE_MAP:
			FUZZ_CHECK(n->n_items == 0, "ydoc-invariant", "map with items");
			keys = json_object();
			for (size_t k = 0; k < n->n_pairs; k++) {
				const struct ynode *key = n->pairs[k].key;

				FUZZ_CHECK(key && n->pairs[k].value, "ydoc-invariant", "NULL pair");
				FUZZ_CHECK(key->kind == YNODE_SCALAR, "ydoc-invariant",
					   "map at %d:%d has a %s key", n->line, n->col,
					   ynode_describe(key));
				if (key->kind != YNODE_SCALAR)
					continue;
				FUZZ_CHECK(strlen(key->text) == key->len, "ydoc-invariant",
					   "map at %d:%d has a key holding NUL", n->line, n->col);
				FUZZ_CHECK(!json_object_get(keys, key->text), "ydoc-invariant",
					   "map at %d:%d holds key '%s' twice", n->line, n->col,
					   key->text);
				json_object_set_new(keys, key->text, json_true());
				FUZZ_CHECK(ynode_get(n, key->text) == n->pairs[k].value,
					   "ydoc-invariant",
					   "ynode_get() of '%s' finds another value", key->text);
			}
			json_decref(keys);
			break;
		}
	}
}

static void parse_whole(const char *data, size_t size)
{
	struct diags diags = DIAGS_INIT;
	struct ydoc *doc = (struct ydoc *)1;
	int rc = ydoc_parse(&doc, "fuzz.yaml", data, size, &diags);

	if (rc < 0) {
		FUZZ_CHECK(doc == NULL, "ydoc-contract", "a failed parse left a document");
		FUZZ_CHECK(diags.errors > 0, "ydoc-contract", "a failed parse reported nothing");
	} else {
		FUZZ_CHECK(rc == 0 && doc != NULL, "ydoc-contract", "parse returned %d", rc);
		if (doc)
			check_tree(doc, diags.errors == 0);
	}
	for (size_t i = 0; i < diags.nr; i++)
		FUZZ_CHECK(diags.v[i].line >= 0 && diags.v[i].col >= 0 && diags.v[i].msg[0],
			   "ydoc-contract", "diagnostic at %d:%d: '%s'", diags.v[i].line,
			   diags.v[i].col, diags.v[i].msg);
	ydoc_free(doc);
	diags_release(&diags);
}

static bool is_marker(const char *data, size_t size, size_t at)
{
	return at + 1 < size && (at == 0 || data[at - 1] == '\n') && data[at] == '#' &&
	       data[at + 1] == '>';
}

static size_t split_files(struct source_file *files, const char *data, size_t size)
{
	size_t n = 0, start = 0;
	char *path = xstrdup("desired.yaml");

	for (;;) {
		size_t m = start, eol, b;

		while (m < size && !(n + 1 < MAX_FILES && is_marker(data, size, m)))
			m++;
		if (m > 0 || m == size) {
			files[n].path = path;
			files[n].len = m - start;
			files[n].data = xmalloc(files[n].len + 1);
			memcpy(files[n].data, data + start, files[n].len);
			files[n].data[files[n].len] = '\0';
			files[n].policy =
				!strncmp(path, "policies/", 9) || strstr(path, "/policies/");
			n++;
		} else {
			free(path);
		}
		if (m == size)
			break;
		/* The marker line names the next file. */
		for (eol = m + 2; eol < size && data[eol] != '\n'; eol++)
			;
		for (b = m + 2; b < eol && data[b] == ' '; b++)
			;
		if (b < eol && !memchr(data + b, '\0', eol - b))
			path = xstrndup(data + b, eol - b);
		else
			path = xasprintf("file%zu.yaml", n);
		start = eol < size ? eol + 1 : size;
	}
	return n;
}

static void check_desired(const struct desired *d, int rc, size_t errors_before,
			  const struct diags *diags)
{
	FUZZ_CHECK((rc == 0) == (diags->errors == errors_before), "desired-contract",
		   "desired_load() returned %d with %zu new errors", rc,
		   diags->errors - errors_before);
	FUZZ_CHECK(rc == 0 || rc == MW_EINVALID, "desired-contract", "desired_load() returned %d",
		   rc);
	if (d->account_id) {
		FUZZ_CHECK(desired_is_account_id(d->account_id), "desired-invariant",
			   "account id '%s'", d->account_id);
		for (const char *p = d->account_id; *p; p++)
			FUZZ_CHECK(!isupper((unsigned char)*p), "desired-invariant",
				   "account id '%s' is not lower case", d->account_id);
	}
	for (size_t i = 0; i < d->nr; i++) {
		const struct desired_domain *dd = &d->domains[i];
		char *norm = NULL;
		const char *name;
		json_t *v;

		FUZZ_CHECK(dd->name && dd->file && dd->line >= 1 && dd->col >= 1 &&
				   json_is_object(dd->settings),
			   "desired-invariant", "domain %zu incomplete", i);
		FUZZ_CHECK(fields_normalize_domain(&norm, dd->name, true) == 0 &&
				   !strcmp(norm, dd->name),
			   "desired-invariant", "domain '%s' is not a normalised name (%s)",
			   dd->name, err_msg());
		free(norm);
		if (i > 0)
			FUZZ_CHECK(strcmp(d->domains[i - 1].name, dd->name) < 0,
				   "desired-invariant",
				   "domains '%s' and '%s' are out of order or repeated",
				   d->domains[i - 1].name, dd->name);
		FUZZ_CHECK(desired_find(d, dd->name) == dd, "desired-invariant",
			   "desired_find('%s') finds another entry", dd->name);
		/* A domain with bad settings is kept (so that a second declaration
		 * is reported) but the load fails: only a good load is all clean. */
		FUZZ_CHECK(rc < 0 || !dd->absent || json_object_size(dd->settings) == 0,
			   "desired-invariant", "absent domain '%s' has settings", dd->name);
		FUZZ_CHECK(!dd->id || dd->id[0], "desired-invariant", "domain '%s' pins ''",
			   dd->name);
		json_object_foreach(dd->settings, name, v) {
			const struct field *f = fields_find(name);
			long bad;

			FUZZ_CHECK(f && (f->flags & FIELD_WRITABLE), "desired-invariant",
				   "domain '%s' sets '%s'", dd->name, name);
			if (!f)
				continue;
			FUZZ_CHECK(fields_check(f, v, &bad) == 0, "desired-invariant",
				   "domain '%s' holds an invalid %s: %s", dd->name, name,
				   err_msg());
		}
	}
}

static void plan_against_fixture(const struct desired *d)
{
	const struct live *live = fuzz_fixture_live();

	for (int prune = 0; prune <= 1; prune++) {
		struct plan p;
		int rc = plan_build(&p, d, live, fuzz_fixture_meta(prune));

		FUZZ_CHECK(rc == 0 || rc == MW_EAMBIGUOUS, "plan-contract",
			   "plan_build() returned %d", rc);
		if (rc < 0)
			continue;
		fuzz_check_built_plan(&p, d, live);
		fuzz_check_plan_roundtrip(&p);
		if (!prune)
			fuzz_render_plan(&p);
		plan_release(&p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source_file files[MAX_FILES];
	struct desired d = DESIRED_INIT;
	struct diags diags = DIAGS_INIT;
	size_t n, errors_before;
	int rc;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	parse_whole((const char *)data, size);

	n = split_files(files, (const char *)data, size);
	/* Start with a warning-free, non-empty list: errors are counted from here. */
	diags_add(&diags, DIAG_WARNING, "fuzz", 0, 0, "%s", "start");
	errors_before = diags.errors;
	rc = desired_load(&d, files, n, &diags);
	check_desired(&d, rc, errors_before, &diags);
	if (rc == 0)
		plan_against_fixture(&d);
	desired_release(&d);
	diags_sort(&diags);
	diags_release(&diags);
	for (size_t i = 0; i < n; i++) {
		free(files[i].path);
		free(files[i].data);
	}
	err_clear();
	return 0;
}
