/*
 * import_roundtrip: the YAML `mailward import` writes (core/import.h)
 * read back by the desired-state loader (core/desired.h).
 *
 * The input is a live listing, JSON text read as api.c reads answers: an
 * array of Domain objects, where any name, id or value may be hostile. The
 * target indexes it with live_load(), writes the import document for it as
 * cmd_import.c does (one document; of live domains sharing a name, the
 * first with an `id:` pin), and checks that
 *   1. the document holds nothing a terminal acts on: every line is left
 *      as it is by the escaping helper (util/esc.h);
 *   2. desired_load() reads it without an error;
 *   3. it declares exactly the domains import said it wrote, and planning
 *      it against the same listing finds no change: every value written
 *      reads back as the live value, every domain left out is unmanaged.
 */
#include <stdlib.h>
#include <string.h>

#include "core/import.h"
#include "fuzz.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/esc.h"
#include "util/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_env();
	return 0;
}

/* The document for every domain of `l`; `*written` counts those declared. */
static void write_import(struct buf *doc, const struct live *l, const char *account,
			 struct diags *notes, size_t *written)
{
	*written = 0;
	import_header(doc, account);
	for (size_t i = 0; i < l->nr; i++) {
		size_t at, count = live_find_name(l, l->v[i].name, &at);

		if (count > 1 && at != i)
			continue;
		if (import_domain(doc, &l->v[i], count > 1, notes))
			(*written)++;
	}
}

static void check_terminal_safe(const struct buf *doc)
{
	const char *line = doc->ptr;

	while (*line) {
		size_t len = strcspn(line, "\n");
		char *raw = xstrndup(line, len);
		char *shown = esc_str(raw);

		FUZZ_CHECK(!strcmp(raw, shown), "import-terminal",
			   "import wrote a line a terminal would act on: %s", shown);
		free(shown);
		free(raw);
		line += len;
		if (*line)
			line++;
	}
}

static void check_reads_back(const struct buf *doc, const struct live *l, size_t written)
{
	const struct plan_meta *meta = fuzz_fixture_meta(false);
	struct source_file file = { xstrdup("domains.yaml"), xstrndup(doc->ptr, doc->len), doc->len,
				    false };
	struct desired d = DESIRED_INIT;
	struct diags diags = DIAGS_INIT;
	struct plan p;
	int rc;

	rc = desired_load(&d, &file, 1, &diags);
	FUZZ_CHECK(rc == 0 && diags.errors == 0, "import-roundtrip",
		   "import wrote a document that does not load (%zu errors, first: %s:%d:%d: "
		   "%s):\n%s",
		   diags.errors, diags.nr ? diags.v[0].file : "", diags.nr ? diags.v[0].line : 0,
		   diags.nr ? diags.v[0].col : 0, diags.nr ? diags.v[0].msg : "", doc->ptr);
	if (rc < 0)
		goto done;
	FUZZ_CHECK(d.nr == written, "import-roundtrip",
		   "import wrote %zu domains, the document declares %zu:\n%s", written, d.nr,
		   doc->ptr);
	rc = plan_build(&p, &d, l, meta);
	FUZZ_CHECK(rc == 0, "import-roundtrip", "planning the import fails (%d): %s\n%s", rc,
		   err_msg(), doc->ptr);
	if (rc < 0)
		goto done;
	FUZZ_CHECK(!plan_has_changes(&p), "import-roundtrip",
		   "planning the import finds %zu changes, the first for '%s':\n%s", p.nr,
		   p.nr ? p.changes[0].domain : "", doc->ptr);
	FUZZ_CHECK(p.n_unmanaged == l->nr - written, "import-roundtrip",
		   "%zu unmanaged after import of %zu of %zu domains", p.n_unmanaged, written,
		   l->nr);
	plan_release(&p);
done:
	desired_release(&d);
	diags_release(&diags);
	free(file.path);
	free(file.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct live l = LIVE_INIT;
	struct diags notes = DIAGS_INIT;
	struct buf doc = BUF_INIT;
	json_error_t jerr;
	size_t written;
	json_t *root;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return 0;
	if (live_load(&l, root) == 0) {
		write_import(&doc, &l, fuzz_fixture_meta(false)->account_id, &notes, &written);
		check_terminal_safe(&doc);
		check_reads_back(&doc, &l, written);
		for (size_t i = 0; i < notes.nr; i++)
			FUZZ_CHECK(notes.v[i].level == DIAG_WARNING, "import-contract",
				   "import noted an error: %s", notes.v[i].msg);
	}
	live_release(&l);
	buf_release(&doc);
	diags_release(&notes);
	json_decref(root);
	err_clear();
	return 0;
}
