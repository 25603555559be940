/*
 * import_test: desired-state YAML written from live state. The document
 * holds only writable fields, in schema-table order whatever order the API
 * used; every value reads back as itself (odd strings quoted by libyaml's
 * emitter), so that planning the import against the same live state shows
 * no change, in one file or one file per domain; a value no document could
 * hold is left out as a comment and a warning; the id comment stays one
 * line; a name that no document could declare (and no file could be named
 * after) is skipped.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/desired.h"
#include "core/import.h"
#include "core/live.h"
#include "core/plan.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define ID_A "3fa85f64-5717-4562-b3fc-2c963f66afa6"
#define ID_B "7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define ID_C "6f1c6a2e-2d4b-4c8e-9a51-0b7d3c2f4e10"

#define HEADER                                                                                     \
	"# Written by `mailward import` (mailward " MAILWARD_VERSION ") from the live settings "   \
	"of\n# account " TU_ACCOUNT ". Only writable settings; a setting left out is "             \
	"unmanaged.\naccount_id: " TU_ACCOUNT "\ndomains:\n"

struct fx {
	struct live l;
	struct diags notes;
	struct buf out;
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	setenv("SOURCE_DATE_EPOCH", "1795779600", 1);
	buf_init(&fx->out);
	err_clear();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	live_release(&fx->l);
	diags_release(&fx->notes);
	buf_release(&fx->out);
	free(fx);
	return 0;
}

static void load_live(struct fx *fx, const char *json)
{
	assert_int_equal(tu_live_json(&fx->l, json), 0);
}

/* The whole account as one document, as `import` writes it to a file. */
static const char *import_all(struct fx *fx)
{
	buf_truncate(&fx->out, 0);
	import_header(&fx->out, TU_ACCOUNT);
	for (size_t i = 0; i < fx->l.nr; i++)
		import_domain(&fx->out, &fx->l.v[i], false, &fx->notes);
	return fx->out.ptr;
}

/*
 * Plan `files` (loaded as desired state, which must load without a
 * problem) against the fixture's live state: the number of changes.
 */
static size_t changes_against_live(struct fx *fx, const struct tu_files *files)
{
	static const struct plan_source source = { "/srv/repo", "HEAD", TU_COMMIT, "", false };
	struct plan_meta meta = { TU_ACCOUNT, TU_API_URL, &source, true, NULL, 0, 0 };
	struct desired d = DESIRED_INIT;
	struct diags diags = DIAGS_INIT;
	struct plan p;
	size_t n;

	if (desired_load(&d, files->v, files->nr, &diags) < 0 || diags.nr) {
		char *text = tu_diags_text(&diags);

		fail_msg("the import does not load:\n%s", text);
	}
	assert_int_equal(plan_build(&p, &d, &fx->l, &meta), 0);
	if (plan_has_changes(&p)) {
		struct buf shown = BUF_INIT;

		for (size_t i = 0; i < p.nr; i++)
			buf_printf(&shown, "%s ", p.changes[i].domain);
		print_error("changes for: %s\n", shown.ptr);
		buf_release(&shown);
	}
	n = p.nr;
	plan_release(&p);
	desired_release(&d);
	diags_release(&diags);
	return n;
}

/* --- order and fields ---------------------------------------------------- */

static void writable_fields_in_table_order(void **state)
{
	struct fx *fx = *state;

	/* The API's order, read-only fields among the writable ones. */
	load_live(fx, "[{\"transport\": \"smtp.example.net\", \"status\": \"ready\","
		      " \"id\": \"" ID_A "\", \"regions\": [\"US\", \"AU\"],"
		      " \"created_at\": \"2024-01-01T00:00:00Z\", \"lookback_hops\": 3,"
		      " \"domain\": \"Example.COM.\", \"require_tls_inbound\": true,"
		      " \"emails_processed\": {\"total\": 5}, \"folder\": null,"
		      " \"o365_tenant_id\": \"t\", \"allowed_delivery_modes\": [\"DIRECT\"],"
		      " \"ip_restrictions\": [\"192.0.2.0/24\"], \"integration_id\": null,"
		      " \"drop_dispositions\": [], \"require_tls_outbound\": false,"
		      " \"dmarc_status\": \"good\"}]");
	assert_string_equal(import_all(fx), HEADER "  # id " ID_A "\n"
						   "  example.com:\n"
						   "    allowed_delivery_modes: [DIRECT]\n"
						   "    drop_dispositions: []\n"
						   "    folder: null\n"
						   "    integration_id: null\n"
						   "    ip_restrictions: [192.0.2.0/24]\n"
						   "    lookback_hops: 3\n"
						   "    regions: [US, AU]\n"
						   "    require_tls_inbound: true\n"
						   "    require_tls_outbound: false\n"
						   "    transport: smtp.example.net\n");
	assert_int_equal(fx->notes.nr, 0);
}

/* The same account listed in another order imports to the same bytes. */
static void stable_across_listing_order(void **state)
{
	struct fx *fx = *state;
	char *first;

	load_live(fx,
		  "[{\"id\": \"" ID_B "\", \"domain\": \"b.example.com\", \"lookback_hops\": 2},"
		  " {\"id\": \"" ID_A "\", \"domain\": \"a.example.com\", \"regions\": [\"EU\"]},"
		  " {\"id\": \"" ID_C "\", \"domain\": \"c.example.com\"}]");
	first = xstrdup(import_all(fx));
	live_release(&fx->l);
	load_live(fx,
		  "[{\"domain\": \"c.example.com\", \"id\": \"" ID_C "\"},"
		  " {\"regions\": [\"EU\"], \"domain\": \"a.example.com\", \"id\": \"" ID_A "\"},"
		  " {\"lookback_hops\": 2, \"id\": \"" ID_B "\", \"domain\": \"b.example.com\"}]");
	assert_string_equal(import_all(fx), first);
	assert_true(strstr(first, "a.example.com") < strstr(first, "b.example.com"));
	assert_true(strstr(first, "b.example.com") < strstr(first, "c.example.com"));
	free(first);
}

/* --- values read back as themselves ---------------------------------------- */

static void odd_strings_round_trip(void **state)
{
	static const char *const odd[] = {
		"yes",
		"no",
		"on",
		"true",
		"null",
		"~",
		"",
		"0",
		"0x1F",
		"1e3",
		"-1",
		".inf",
		"a: b",
		"- x",
		"#x",
		"x #y",
		"[a]",
		"{a: 1}",
		"'q'",
		"\"dq\"",
		" lead",
		"trail ",
		"a\nb",
		"a\tb",
		"\\back",
		"*alias",
		"&anc",
		"!tag",
		"%dir",
		"@at",
		"`bt`",
		"|",
		">",
		"---",
		"...",
		"ü",
		"\xe2\x80\xa8",
		("\xe2\x80\xae"
		 "rtl"),
	};
	struct fx *fx = *state;
	struct buf live = BUF_INIT;
	struct tu_files files = { 0 };

	buf_puts(&live, "[");
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
		json_t *v = json_string(odd[i]);
		char *text = json_dumps(v, JSON_ENCODE_ANY);

		buf_printf(&live,
			   "%s{\"id\": \"00000000-0000-4000-8000-%012zu\", \"domain\": "
			   "\"d%zu.example.com\", \"transport\": %s}",
			   i ? ", " : "", i, i, text);
		free(text);
		json_decref(v);
	}
	buf_puts(&live, "]");
	load_live(fx, live.ptr);
	import_all(fx);
	assert_int_equal(fx->notes.nr, 0);
	/* Printable ASCII only: controls, line breaks and bidi marks are escaped. */
	for (const char *p = fx->out.ptr; *p; p++) {
		if (*p != '\n' && (*p < 0x20 || *p > 0x7e))
			fail_msg("byte 0x%02x at %zu of the import", (unsigned char)*p,
				 (size_t)(p - fx->out.ptr));
	}
	tu_files_add(&files, "domains.yaml", fx->out.ptr, false);
	assert_int_equal(changes_against_live(fx, &files), 0);
	tu_files_release(&files);
	buf_release(&live);
}

/* Sets, CIDRs, numbers and nulls read back too: the import plans no change. */
static void every_kind_round_trips(void **state)
{
	struct fx *fx = *state;
	struct tu_files files = { 0 };

	load_live(fx, "[{\"id\": \"" ID_A "\", \"domain\": \"a.example.com\","
		      " \"allowed_delivery_modes\": [\"BCC\", \"DIRECT\", \"JOURNAL\"],"
		      " \"drop_dispositions\": [\"SPOOF\", \"MALICIOUS\"],"
		      " \"folder\": \"Inbox\", \"integration_id\": \"" ID_C "\","
		      " \"ip_restrictions\": [\"2001:db8::/32\", \"10.0.0.0/8\"],"
		      " \"lookback_hops\": 20, \"regions\": [],"
		      " \"require_tls_inbound\": false, \"require_tls_outbound\": true,"
		      " \"transport\": \"smtp://relay.example.net:2525\"},"
		      " {\"id\": \"" ID_B "\", \"domain\": \"b.example.com\", \"folder\": null,"
		      " \"lookback_hops\": 1}]");
	tu_files_add(&files, "all.yaml", import_all(fx), false);
	assert_int_equal(fx->notes.nr, 0);
	assert_int_equal(changes_against_live(fx, &files), 0);
	tu_files_release(&files);
}

/* One document per domain (`import --out DIR/`) plans no change either. */
static void per_domain_files_round_trip(void **state)
{
	struct fx *fx = *state;
	struct tu_files files = { 0 };
	struct buf doc = BUF_INIT;

	load_live(fx,
		  "[{\"id\": \"" ID_A "\", \"domain\": \"a.example.com\", \"lookback_hops\": 4},"
		  " {\"id\": \"" ID_B "\", \"domain\": \"b.example.com\", \"regions\": [\"EU\"]},"
		  " {\"id\": \"" ID_C "\", \"domain\": \"c.example.com\","
		  "  \"transport\": \"null\"}]");
	for (size_t i = 0; i < fx->l.nr; i++) {
		char name[128];

		buf_truncate(&doc, 0);
		import_header(&doc, TU_ACCOUNT);
		assert_true(import_domain(&doc, &fx->l.v[i], false, &fx->notes));
		/* Each file holds its own domain only. */
		assert_int_equal(tu_count(doc.ptr, "example.com:\n"), 1);
		assert_contains(doc.ptr, fx->l.v[i].name);
		snprintf(name, sizeof(name), "%s.yaml", fx->l.v[i].name);
		tu_files_add(&files, name, doc.ptr, false);
	}
	assert_int_equal(changes_against_live(fx, &files), 0);
	tu_files_release(&files);
	buf_release(&doc);
}

/* --- comments, pins, left-out values, names ------------------------------- */

/* An id is the API's text: its comment stays one line a terminal shows as is. */
static void id_comment_is_one_line(void **state)
{
	struct fx *fx = *state;
	struct tu_files files = { 0 };

	load_live(fx, "[{\"id\": \"x\\ndomains: {evil.example.com: {}}\\u2028\\u001b[31m\","
		      " \"domain\": \"a.example.com\"}]");
	import_all(fx);
	assert_string_equal(fx->out.ptr, HEADER "  # id x\\ndomains: {evil.example.com: "
						"{}}\\u2028\\x1b[31m\n"
						"  a.example.com:\n");
	tu_files_add(&files, "a.yaml", fx->out.ptr, false);
	assert_int_equal(changes_against_live(fx, &files), 0);
	tu_files_release(&files);
}

/* A name that several live domains share is written with an id: pin. */
static void pin_writes_the_id(void **state)
{
	struct fx *fx = *state;

	load_live(fx, "[{\"id\": \"" ID_A "\", \"domain\": \"a.example.com\"}]");
	assert_true(import_domain(&fx->out, &fx->l.v[0], true, &fx->notes));
	assert_string_equal(fx->out.ptr, "  # id " ID_A "\n"
					 "  a.example.com:\n"
					 "    id: " ID_A "\n");
}

/* A live value no document could hold: a comment and a warning, not a line. */
static void unwritable_values_are_left_out(void **state)
{
	struct fx *fx = *state;
	char *notes;

	load_live(fx, "[{\"id\": \"" ID_A "\", \"domain\": \"a.example.com\","
		      " \"folder\": \"Spam\\u001b[2J\", \"lookback_hops\": null,"
		      " \"regions\": [\"US\", \"MARS\"], \"require_tls_inbound\": \"yes\","
		      " \"transport\": \"ok\"}]");
	import_all(fx);
	assert_contains(fx->out.ptr,
			"    # folder left out (unmanaged): live value \"Spam\\u001B[2J\": ");
	assert_contains(fx->out.ptr, "    # lookback_hops left out (unmanaged): live value null: ");
	assert_contains(fx->out.ptr, "    # regions left out (unmanaged): live value ");
	assert_contains(fx->out.ptr, "    # require_tls_inbound left out (unmanaged): ");
	assert_contains(fx->out.ptr, "    transport: ok\n");
	assert_not_contains(fx->out.ptr, "\x1b");
	assert_int_equal(tu_count(fx->out.ptr, "left out (unmanaged)"), 4);
	assert_int_equal(fx->notes.nr, 4);
	notes = tu_diags_text(&fx->notes);
	assert_contains(notes, "a.example.com: warning: folder left out (unmanaged): ");
	assert_contains(notes, "a.example.com: warning: regions left out (unmanaged): ");
	free(notes);
}

/*
 * A live name that is not a host name is skipped: it never becomes a key,
 * nor (with --out DIR/) a file name.
 */
static void undeclarable_names_are_skipped(void **state)
{
	static const char *const names[] = {
		"a b.example.com",
		"../etc",
		"a/b.example.com",
		"x\\ny.example.com",
		"..",
		"a..b.com",
		"-lead.example.com",
		"\\u202eevil.com",
		"",
	};
	struct fx *fx = *state;
	size_t tried = 0;

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char json[256];

		snprintf(json, sizeof(json), "[{\"id\": \"" ID_A "\", \"domain\": \"%s\"}]",
			 names[i]);
		live_release(&fx->l);
		diags_release(&fx->notes);
		if (tu_live_json(&fx->l, json) < 0)
			continue; /* live_load refuses it already */
		tried++;
		buf_truncate(&fx->out, 0);
		if (import_domain(&fx->out, &fx->l.v[0], false, &fx->notes))
			fail_msg("live name '%s' was imported as:\n%s", names[i], fx->out.ptr);
		assert_int_equal(fx->out.len, 0);
		assert_int_equal(fx->notes.nr, 1);
		assert_contains(fx->notes.v[0].msg,
				"skipped live domain " ID_A ": no document can declare it");
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(writable_fields_in_table_order),
		T(stable_across_listing_order),
		T(odd_strings_round_trip),
		T(every_kind_round_trips),
		T(per_domain_files_round_trip),
		T(id_comment_is_one_line),
		T(pin_writes_the_id),
		T(unwritable_values_are_left_out),
		T(undeclarable_names_are_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
