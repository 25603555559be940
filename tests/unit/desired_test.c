/*
 * desired_test: desired-state documents to the validated desired model:
 * account_id, defaults, domains, id/absent, every value checked, every
 * problem reported at FILE:LINE:COL, duplicates across files.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/desired.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define ACCOUNT "023e105f4ecef8ad9ca31a8372d0c353"

struct fx {
	struct desired d;
	struct diags diags;
	struct tu_files files;
	struct buf text;
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	buf_init(&fx->text);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	desired_release(&fx->d);
	diags_release(&fx->diags);
	tu_files_release(&fx->files);
	buf_release(&fx->text);
	free(fx);
	return 0;
}

static void add(struct fx *fx, const char *path, const char *yaml)
{
	tu_files_add(&fx->files, path, yaml, false);
}

/* Load the documents added so far; diagnostics are sorted as the CLI prints them. */
static int load(struct fx *fx)
{
	int rc;

	err_clear();
	rc = desired_load(&fx->d, fx->files.v, fx->files.nr, &fx->diags);
	diags_sort(&fx->diags);
	return rc;
}

/* Load one document "d.yaml". */
static int load1(struct fx *fx, const char *yaml)
{
	add(fx, "d.yaml", yaml);
	return load(fx);
}

static const struct desired_domain *domain(struct fx *fx, const char *name)
{
	const struct desired_domain *dd = desired_find(&fx->d, name);

	if (!dd)
		fail_msg("domain '%s' not in the desired model", name);
	return dd;
}

static void assert_settings(struct fx *fx, const char *name, const char *json)
{
	assert_json(domain(fx, name)->settings, json);
}

/* Load must succeed with no diagnostics at all; shows them otherwise. */
static void assert_loads(struct fx *fx)
{
	int rc = load(fx);

	assert_diags(&fx->diags, "");
	assert_int_equal(rc, 0);
}

/* --- the example documents --------------------------------------------- */

static const char example_com[] = "# Protected domains of the example.com brand.\n"
				  "account_id: 023e105f4ecef8ad9ca31a8372d0c353\n"
				  "\n"
				  "defaults:\n"
				  "  drop_dispositions: [MALICIOUS, MALICIOUS-BEC, SPOOF]\n"
				  "  require_tls_inbound: true\n"
				  "  regions: [GLOBAL]\n"
				  "\n"
				  "domains:\n"
				  "  example.com:\n"
				  "    allowed_delivery_modes: [DIRECT, BCC]\n"
				  "    lookback_hops: 2\n"
				  "    folder: null\n"
				  "\n"
				  "  mail.example.com:\n"
				  "    allowed_delivery_modes: [DIRECT]\n"
				  "    ip_restrictions: [\"192.0.2.0/24\", \"2001:db8::/32\"]\n"
				  "    lookback_hops: 3\n"
				  "\n"
				  "  support.example.com: &support\n"
				  "    allowed_delivery_modes: [DIRECT]\n"
				  "    drop_dispositions: [MALICIOUS, MALICIOUS-BEC, SPOOF, SPAM]\n"
				  "    lookback_hops: 2\n"
				  "\n"
				  "  help.example.com:\n"
				  "    <<: *support\n"
				  "    lookback_hops: 3\n";

static const char example_net[] = "account_id: 023E105F4ECEF8AD9CA31A8372D0C353\n"
				  "defaults:\n"
				  "  regions: [DE]\n"
				  "  require_tls_inbound: true\n"
				  "  require_tls_outbound: true\n"
				  "domains:\n"
				  "  example.net:\n"
				  "    allowed_delivery_modes: [JOURNAL]\n"
				  "    lookback_hops: 4\n"
				  "  eu.example.net:\n"
				  "    allowed_delivery_modes: [JOURNAL, API]\n"
				  "    integration_id: 6f1c6a2e-2d4b-4c8e-9a51-0b7d3c2f4e10\n"
				  "    folder: Inbox\n";

static const char retired[] = "domains:\n"
			      "  legacy.example.org:\n"
			      "    absent: true\n"
			      "  pinned.example.org:\n"
			      "    id: 3FA85F64-5717-4562-B3FC-2C963F66AFA6\n"
			      "    absent: true\n";

static void example_documents_load(void **state)
{
	struct fx *fx = *state;
	static const char *const names[] = {
		"eu.example.net",     "example.com",         "example.net",
		"help.example.com",   "legacy.example.org",  "mail.example.com",
		"pinned.example.org", "support.example.com",
	};

	add(fx, "domains/example-com.yaml", example_com);
	add(fx, "domains/example-net.yaml", example_net);
	add(fx, "domains/retired.yaml", retired);
	assert_loads(fx);
	assert_string_equal(fx->d.account_id, ACCOUNT);
	assert_string_equal(fx->d.account_file, "domains/example-com.yaml");
	assert_int_equal(fx->d.account_line, 2);
	assert_int_equal(fx->d.account_col, 13);
	assert_int_equal(fx->d.nr, ARRAY_SIZE(names));
	/* Sorted by name. */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_string_equal(fx->d.domains[i].name, names[i]);

	assert_settings(
		fx, "example.com",
		"{\"allowed_delivery_modes\": [\"DIRECT\", \"BCC\"], \"lookback_hops\": 2, "
		"\"folder\": null, \"drop_dispositions\": [\"MALICIOUS\", \"MALICIOUS-BEC\", "
		"\"SPOOF\"], \"require_tls_inbound\": true, \"regions\": [\"GLOBAL\"]}");
	assert_settings(fx, "mail.example.com",
			"{\"allowed_delivery_modes\": [\"DIRECT\"], \"ip_restrictions\": "
			"[\"192.0.2.0/24\", \"2001:db8::/32\"], \"lookback_hops\": 3, "
			"\"drop_dispositions\": [\"MALICIOUS\", \"MALICIOUS-BEC\", \"SPOOF\"], "
			"\"require_tls_inbound\": true, \"regions\": [\"GLOBAL\"]}");
	assert_settings(fx, "help.example.com",
			"{\"allowed_delivery_modes\": [\"DIRECT\"], \"lookback_hops\": 3, "
			"\"drop_dispositions\": [\"MALICIOUS\", \"MALICIOUS-BEC\", \"SPOOF\", "
			"\"SPAM\"], \"require_tls_inbound\": true, \"regions\": [\"GLOBAL\"]}");
	assert_settings(fx, "eu.example.net",
			"{\"allowed_delivery_modes\": [\"JOURNAL\", \"API\"], \"integration_id\": "
			"\"6f1c6a2e-2d4b-4c8e-9a51-0b7d3c2f4e10\", \"folder\": \"Inbox\", "
			"\"regions\": [\"DE\"], \"require_tls_inbound\": true, "
			"\"require_tls_outbound\": true}");

	/* Where each domain was declared: the key. */
	assert_string_equal(domain(fx, "example.com")->file, "domains/example-com.yaml");
	assert_int_equal(domain(fx, "example.com")->line, 10);
	assert_int_equal(domain(fx, "example.com")->col, 3);
	assert_int_equal(domain(fx, "eu.example.net")->line, 10);
	assert_null(domain(fx, "example.com")->id);
	assert_false(domain(fx, "example.com")->absent);

	assert_true(domain(fx, "legacy.example.org")->absent);
	assert_json(domain(fx, "legacy.example.org")->settings, "{}");
	assert_true(domain(fx, "pinned.example.org")->absent);
	/* The pinned id is kept as written: ids are opaque (compared without case). */
	assert_string_equal(domain(fx, "pinned.example.org")->id,
			    "3FA85F64-5717-4562-B3FC-2C963F66AFA6");
}

/* --- defaults ----------------------------------------------------------- */

static void defaults_apply_and_domain_settings_win(void **state)
{
	struct fx *fx = *state;

	load1(fx, "domains:\n"
		  "  a.example.com:\n"
		  "    lookback_hops: 5\n"
		  "    folder: null\n"
		  "  b.example.com:\n"
		  "  c.example.com: {regions: []}\n"
		  "defaults:\n"
		  "  lookback_hops: 2\n"
		  "  folder: Inbox\n"
		  "  regions: [US]\n");
	assert_diags(&fx->diags, "");
	/* A domain's own null wins over a default: null is a real value. */
	assert_settings(fx, "a.example.com",
			"{\"lookback_hops\": 5, \"folder\": null, \"regions\": [\"US\"]}");
	/* A bare `name:` declares the domain with the defaults. */
	assert_settings(fx, "b.example.com",
			"{\"lookback_hops\": 2, \"folder\": \"Inbox\", \"regions\": [\"US\"]}");
	assert_settings(fx, "c.example.com",
			"{\"lookback_hops\": 2, \"folder\": \"Inbox\", \"regions\": []}");
}

static void defaults_are_per_file(void **state)
{
	struct fx *fx = *state;

	add(fx, "a.yaml", "defaults: {lookback_hops: 2}\ndomains: {a.example.com: {}}\n");
	add(fx, "b.yaml", "domains: {b.example.com: {regions: [US]}}\n");
	add(fx, "c.yaml", "defaults: {lookback_hops: 7}\n");
	assert_loads(fx);
	assert_settings(fx, "a.example.com", "{\"lookback_hops\": 2}");
	assert_settings(fx, "b.example.com", "{\"regions\": [\"US\"]}");
	assert_int_equal(fx->d.nr, 2);
}

static void defaults_not_applied_to_absent_domains(void **state)
{
	struct fx *fx = *state;

	load1(fx, "defaults:\n  lookback_hops: 2\n  regions: [US]\n"
		  "domains:\n  old.example.com:\n    absent: true\n"
		  "  kept.example.com:\n    absent: false\n");
	assert_diags(&fx->diags, "");
	assert_true(domain(fx, "old.example.com")->absent);
	assert_json(domain(fx, "old.example.com")->settings, "{}");
	assert_false(domain(fx, "kept.example.com")->absent);
	assert_settings(fx, "kept.example.com", "{\"lookback_hops\": 2, \"regions\": [\"US\"]}");
}

static void defaults_refuse_what_belongs_to_one_domain(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "defaults:\n"
				   "  id: 3fa85f64-5717-4562-b3fc-2c963f66afa6\n"
				   "  absent: true\n"
				   "  status: active\n"
				   "  domain: example.com\n"
				   "  colour: red\n"
				   "  lookback_hop: 3\n"
				   "domains:\n  a.example.com:\n"),
			 MW_EINVALID);
	assert_diags(
		&fx->diags,
		"d.yaml:2:3: 'id' belongs to one domain and cannot be a default\n"
		"d.yaml:3:3: 'absent' belongs to one domain and cannot be a default\n"
		"d.yaml:4:3: 'status' is read-only: the API reports it and no document can set it\n"
		"d.yaml:5:3: 'domain' cannot be set: the domain name is the key of this entry\n"
		"d.yaml:6:3: unknown setting 'colour'\n"
		"d.yaml:7:3: unknown setting 'lookback_hop' (did you mean 'lookback_hops'?)\n");
	assert_string_equal(err_msg(), "the desired state has 6 problems");
}

static void bad_default_is_reported_once(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx,
			       "defaults:\n  lookback_hops: 99\n"
			       "domains:\n  a.example.com:\n  b.example.com:\n  c.example.com:\n"),
			 MW_EINVALID);
	assert_diags(&fx->diags, "d.yaml:2:18: lookback_hops must be from 1 to 20, not 99\n");
	assert_string_equal(err_msg(), "the desired state has 1 problem");
}

static void defaults_must_be_a_map(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "defaults: [lookback_hops]\ndomains:\n  a.example.com:\n"),
			 MW_EINVALID);
	assert_diags(&fx->diags, "d.yaml:1:11: 'defaults' takes a map of settings, not a list\n");
	desired_release(&fx->d);
	diags_release(&fx->diags);
	tu_files_release(&fx->files);
	/* An empty `defaults:` is nothing. */
	assert_int_equal(load1(fx, "defaults:\ndomains:\n  a.example.com:\n"), 0);
	assert_settings(fx, "a.example.com", "{}");
}

/* --- domain names ------------------------------------------------------- */

static void domain_names_are_normalised(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "domains:\n  Example.COM.:\n    lookback_hops: 2\n"
				   "  MAIL.example.com: {}\n"),
			 0);
	assert_int_equal(fx->d.nr, 2);
	assert_string_equal(fx->d.domains[0].name, "example.com");
	assert_string_equal(fx->d.domains[1].name, "mail.example.com");
	assert_int_equal(fx->d.domains[0].line, 2);
	assert_int_equal(fx->d.domains[0].col, 3);
	assert_null(desired_find(&fx->d, "Example.COM."));
	assert_null(desired_find(&fx->d, "other.example.com"));
}

static void invalid_domain_names_are_located(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "domains:\n"
				   "  bad_name.example.com: {}\n"
				   "  localhost: {}\n"
				   "  123: {}\n"
				   "  yes: {}\n"
				   "  \"\": {}\n"
				   "  bücher.example: {}\n"
				   "  -x.example.com: {}\n"),
			 MW_EINVALID);
	assert_diags(
		&fx->diags,
		"d.yaml:2:3: 'bad_name.example.com' is not a valid domain name: labels are "
		"letters, digits and inner hyphens, 1 to 63 characters\n"
		"d.yaml:3:3: 'localhost' is not a fully qualified domain name\n"
		"d.yaml:4:3: '123' is not a domain name\n"
		"d.yaml:5:3: 'yes' is not a domain name\n"
		"d.yaml:6:3: '' is not a valid domain name (1 to 253 characters)\n"
		"d.yaml:7:3: 'bücher.example' is not an ASCII host name: write internationalised "
		"names in their xn-- (punycode) form\n"
		"d.yaml:8:3: '-x.example.com' is not a valid domain name: labels are letters, "
		"digits and inner hyphens, 1 to 63 characters\n");
}

static void duplicate_domain_across_files_names_both_places(void **state)
{
	struct fx *fx = *state;

	add(fx, "a.yaml", "domains:\n  example.com:\n    lookback_hops: 2\n");
	add(fx, "b.yaml",
	    "# the same domain, spelt otherwise\ndomains:\n  other.example.com: {}\n"
	    "  Example.COM.:\n    lookback_hops: 3\n");
	assert_int_equal(load(fx), MW_EINVALID);
	assert_diags(&fx->diags, "b.yaml:4:3: domain 'example.com' is declared twice: here and at "
				 "a.yaml:2:3\n");
	assert_string_equal(err_msg(), "the desired state has 1 problem");
}

static void duplicate_domain_in_one_file(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "domains:\n  example.com: {}\n  a.example.com: {}\n"
				   "  EXAMPLE.com: {}\n  example.com.: {}\n"),
			 MW_EINVALID);
	assert_diags(
		&fx->diags,
		"d.yaml:4:3: domain 'example.com' is declared twice: here and at d.yaml:2:3\n"
		"d.yaml:5:3: domain 'example.com' is declared twice: here and at d.yaml:2:3\n");
}

static void duplicate_yaml_key_is_an_error(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "domains:\n  example.com:\n    lookback_hops: 2\n"
				   "    lookback_hops: 3\n  example.com: {}\n"),
			 MW_EINVALID);
	assert_diags(&fx->diags,
		     "d.yaml:4:5: duplicate key 'lookback_hops' (first at line 3, column 5)\n"
		     "d.yaml:5:3: duplicate key 'example.com' (first at line 2, column 3)\n");
}

static void duplicate_of_an_invalid_domain_is_still_reported(void **state)
{
	struct fx *fx = *state;

	add(fx, "a.yaml", "domains:\n  example.com:\n    lookback_hops: 99\n");
	add(fx, "b.yaml", "domains:\n  example.com:\n    lookback_hops: 3\n");
	assert_int_equal(load(fx), MW_EINVALID);
	assert_diags(
		&fx->diags,
		"a.yaml:3:20: lookback_hops must be from 1 to 20, not 99\n"
		"b.yaml:2:3: domain 'example.com' is declared twice: here and at a.yaml:2:3\n");
}

/* --- id and absent ------------------------------------------------------ */

static void id_and_absent(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx,
			       "domains:\n"
			       "  a.example.com:\n    id: 3fa85f64-5717-4562-b3fc-2c963f66afa6\n"
			       "    lookback_hops: 2\n"
			       "  b.example.com:\n    id: \"12345\"\n"
			       "  c.example.com:\n    absent: yes\n    id: "
			       "7c9e6679-7425-40de-944b-e07fc1f90ae7\n"),
			 0);
	assert_string_equal(domain(fx, "a.example.com")->id,
			    "3fa85f64-5717-4562-b3fc-2c963f66afa6");
	assert_false(domain(fx, "a.example.com")->absent);
	assert_settings(fx, "a.example.com", "{\"lookback_hops\": 2}");
	assert_string_equal(domain(fx, "b.example.com")->id, "12345");
	assert_true(domain(fx, "c.example.com")->absent);
	assert_string_equal(domain(fx, "c.example.com")->id,
			    "7c9e6679-7425-40de-944b-e07fc1f90ae7");
}

static void id_and_absent_errors(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "domains:\n"
				   "  a.example.com:\n    id: null\n"
				   "  b.example.com:\n    id: [x]\n"
				   "  c.example.com:\n    id: true\n"
				   "  d.example.com:\n    id: \"\"\n"
				   "  e.example.com:\n    absent: \"yes\"\n"
				   "  f.example.com:\n    absent: 1\n"
				   "  g.example.com:\n    absent:\n"),
			 MW_EINVALID);
	assert_diags(&fx->diags, "d.yaml:3:9: 'id' takes the domain's identifier (a UUID)\n"
				 "d.yaml:5:9: 'id' takes the domain's identifier (a UUID)\n"
				 "d.yaml:7:9: 'id' takes the domain's identifier (a UUID)\n"
				 "d.yaml:9:9: 'id' takes the domain's identifier (a UUID)\n"
				 "d.yaml:11:13: 'absent' takes true or false, not a string\n"
				 "d.yaml:13:13: 'absent' takes true or false, not a number\n"
				 "d.yaml:15:12: 'absent' takes true or false, not null\n");
}

static void absent_domain_cannot_have_settings(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "domains:\n  old.example.com:\n    absent: true\n"
				   "    lookback_hops: 2\n    regions: [US]\n"),
			 MW_EINVALID);
	assert_diags(&fx->diags, "d.yaml:4:5: domain 'old.example.com' is absent: it cannot also "
				 "have settings\n");
}

/* --- keys that are not settings ---------------------------------------- */

static void read_only_and_identity_keys(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "domains:\n  example.com:\n"
				   "    status: active\n"
				   "    spf_status: good\n"
				   "    created_at: 2026-01-01T00:00:00Z\n"
				   "    authorization: {authorized: true}\n"
				   "    last_modified: x\n"
				   "    domain: example.com\n"),
			 MW_EINVALID);
	assert_diags(
		&fx->diags,
		"d.yaml:3:5: 'status' is read-only: the API reports it and no document can set it\n"
		"d.yaml:4:5: 'spf_status' is read-only: the API reports it and no document can set "
		"it\n"
		"d.yaml:5:5: 'created_at' is read-only: the API reports it and no document can set "
		"it\n"
		"d.yaml:6:5: 'authorization' is read-only: the API reports it and no document can "
		"set "
		"it\n"
		"d.yaml:7:5: 'last_modified' is read-only: the API reports it and no document can "
		"set "
		"it\n"
		"d.yaml:8:5: 'domain' cannot be set: the domain name is the key of this entry\n");
}

static void unknown_keys_get_did_you_mean(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "acount_id: 023e105f4ecef8ad9ca31a8372d0c353\n"
				   "domain:\n  x.example.com:\n"
				   "domains:\n  example.com:\n"
				   "    lookback_hop: 2\n"
				   "    abesnt: true\n"
				   "    regoins: [US]\n"
				   "    Lookback_Hops: 2\n"
				   "    colour: red\n"
				   "    require_tls: true\n"),
			 MW_EINVALID);
	assert_diags(&fx->diags,
		     "d.yaml:1:1: unknown top-level key 'acount_id' (did you mean 'account_id'?)\n"
		     "d.yaml:2:1: unknown top-level key 'domain' (did you mean 'domains'?)\n"
		     "d.yaml:6:5: unknown setting 'lookback_hop' (did you mean 'lookback_hops'?)\n"
		     "d.yaml:7:5: unknown setting 'abesnt' (did you mean 'absent'?)\n"
		     "d.yaml:8:5: unknown setting 'regoins' (did you mean 'regions'?)\n"
		     "d.yaml:9:5: unknown setting 'Lookback_Hops' (did you mean 'lookback_hops'?)\n"
		     "d.yaml:10:5: unknown setting 'colour'\n"
		     "d.yaml:11:5: unknown setting 'require_tls'\n");
}

/* --- values ------------------------------------------------------------- */

static void values_are_checked_where_they_are(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "domains:\n  example.com:\n"
				   "    lookback_hops: 25\n" /* 3 */
				   "    require_tls_inbound: \"yes\"\n" /* 4 */
				   "    require_tls_outbound: 1\n" /* 5 */
				   "    transport: 25\n" /* 6 */
				   "    folder: inbox\n" /* 7 */
				   "    regions: GLOBAL\n" /* 8 */
				   "    integration_id: not-a-uuid\n" /* 9 */
				   "  b.example.com:\n"
				   "    lookback_hops: \"2\"\n" /* 11 */
				   "    allowed_delivery_modes: null\n" /* 12 */
				   "    transport: {a: 1}\n" /* 13 */
				   "    lookback_hops_x: 1\n" /* 14 */
				   "  c.example.com:\n"
				   "    lookback_hops: 2.0\n" /* 16 */
				   "    require_tls_inbound: [true]\n" /* 17 */
				   "    ip_restrictions: {a: b}\n"), /* 18 */
			 MW_EINVALID);
	assert_diags(
		&fx->diags,
		"d.yaml:3:20: lookback_hops must be from 1 to 20, not 25\n"
		"d.yaml:4:26: require_tls_inbound takes true or false, not a string\n"
		"d.yaml:5:27: require_tls_outbound takes true or false, not a number\n"
		"d.yaml:6:16: transport takes a string, not a number; quote it: \"25\"\n"
		"d.yaml:7:13: 'inbox' is not a valid value for folder (did you mean 'Inbox'?); "
		"expected one of AllItems, Inbox\n"
		"d.yaml:8:14: regions takes a list, not a string\n"
		"d.yaml:9:21: integration_id must be a UUID (8-4-4-4-12 hexadecimal digits)\n"
		"d.yaml:11:20: lookback_hops takes an integer from 1 to 20, not a string\n"
		"d.yaml:12:29: allowed_delivery_modes cannot be null\n"
		"d.yaml:13:16: transport takes a string, not a map\n"
		"d.yaml:14:5: unknown setting 'lookback_hops_x' (did you mean 'lookback_hops'?)\n"
		"d.yaml:16:20: lookback_hops takes an integer from 1 to 20, not a number\n"
		"d.yaml:17:26: require_tls_inbound takes true or false, not a list\n"
		"d.yaml:18:22: ip_restrictions takes a list, not a map\n");
	assert_string_equal(err_msg(), "the desired state has 14 problems");
}

static void good_values_of_every_kind(void **state)
{
	struct fx *fx = *state;

	load1(fx, "domains:\n  example.com:\n"
		  "    allowed_delivery_modes: [DIRECT, BCC, JOURNAL, API, RETRO_SCAN]\n"
		  "    drop_dispositions: []\n"
		  "    folder: AllItems\n"
		  "    integration_id: 3FA85F64-5717-4562-B3FC-2C963F66AFA6\n"
		  "    ip_restrictions: [192.0.2.0/24, \"2001:db8::/32\", 10.0.0.1]\n"
		  "    lookback_hops: 0x14\n"
		  "    regions: [GLOBAL, AU, DE, IN, US]\n"
		  "    require_tls_inbound: yes\n"
		  "    require_tls_outbound: off\n"
		  "    transport: \"smtp://mx.example.com:25\"\n");
	assert_diags(&fx->diags, "");
	assert_settings(
		fx, "example.com",
		"{\"allowed_delivery_modes\": [\"DIRECT\", \"BCC\", \"JOURNAL\", \"API\", "
		"\"RETRO_SCAN\"], \"drop_dispositions\": [], \"folder\": \"AllItems\", "
		"\"integration_id\": \"3FA85F64-5717-4562-B3FC-2C963F66AFA6\", "
		"\"ip_restrictions\": [\"192.0.2.0/24\", \"2001:db8::/32\", \"10.0.0.1\"], "
		"\"lookback_hops\": 20, \"regions\": [\"GLOBAL\", \"AU\", \"DE\", \"IN\", \"US\"], "
		"\"require_tls_inbound\": true, \"require_tls_outbound\": false, "
		"\"transport\": \"smtp://mx.example.com:25\"}");
}

static void nullable_fields_take_null(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "domains:\n  example.com:\n    folder: null\n"
				   "    integration_id: ~\n    lookback_hops:\n"),
			 MW_EINVALID);
	assert_diags(&fx->diags, "d.yaml:5:19: lookback_hops cannot be null\n");
}

static void set_items_are_checked_where_they_are(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load1(fx, "domains:\n  example.com:\n"
				   "    drop_dispositions: [MALICIOUS, SPOOFF, spam]\n"
				   "    ip_restrictions:\n"
				   "      - 192.0.2.0/24\n"
				   "      - 300.1.1.1\n"
				   "      - 10.0.0.0/33\n"
				   "    allowed_delivery_modes: [DIRECT, 1, true, [BCC]]\n"),
			 MW_EINVALID);
	assert_diags(
		&fx->diags,
		"d.yaml:3:36: 'SPOOFF' is not a valid value for drop_dispositions (did you mean "
		"'SPOOF'?); expected one of MALICIOUS, MALICIOUS-BEC, SUSPICIOUS, SPOOF, SPAM, "
		"BULK, ENCRYPTED, EXTERNAL, UNKNOWN, NONE\n"
		"d.yaml:3:44: 'spam' is not a valid value for drop_dispositions (did you mean "
		"'SPAM'?); expected one of MALICIOUS, MALICIOUS-BEC, SUSPICIOUS, SPOOF, SPAM, "
		"BULK, ENCRYPTED, EXTERNAL, UNKNOWN, NONE\n"
		"d.yaml:6:9: '300.1.1.1' is not an IP address or CIDR prefix\n"
		"d.yaml:7:9: '10.0.0.0/33' has an invalid prefix length (0..32)\n"
		"d.yaml:8:38: allowed_delivery_modes takes a string, not a number; quote it: "
		"\"1\"\n"
		"d.yaml:8:41: allowed_delivery_modes takes a string, not true; quote it: \"true\"\n"
		"d.yaml:8:47: allowed_delivery_modes takes a string, not a list\n");
}

static void set_repeats_are_removed(void **state)
{
	struct fx *fx = *state;

	load1(fx,
	      "domains:\n  example.com:\n"
	      "    allowed_delivery_modes: [DIRECT, BCC, DIRECT, BCC]\n"
	      "    ip_restrictions: [\"2001:db8::/32\", \"2001:DB8::/32\", \"2001:db8:0::/32\", "
	      "10.0.0.1, 10.0.0.1/32]\n");
	assert_diags(&fx->diags, "");
	/* The first spelling of each is kept, in document order. */
	assert_settings(fx, "example.com",
			"{\"allowed_delivery_modes\": [\"DIRECT\", \"BCC\"], "
			"\"ip_restrictions\": [\"2001:db8::/32\", \"10.0.0.1\"]}");
}

/*
 * A UUID may happen to hold no letter at all. Unquoted, it is a plain
 * scalar of digits and hyphens: a string in YAML 1.2's core schema, and a
 * valid integration_id.
 */
static void numeric_looking_uuid_is_a_string(void **state)
{
	struct fx *fx = *state;

	load1(fx, "domains:\n  example.com:\n"
		  "    integration_id: 12345678-1234-4234-8234-123456789012\n"
		  "    transport: 2026-11-27\n");
	assert_diags(&fx->diags, "");
	assert_settings(fx, "example.com",
			"{\"integration_id\": \"12345678-1234-4234-8234-123456789012\", "
			"\"transport\": \"2026-11-27\"}");
}

/* --- account_id --------------------------------------------------------- */

static void account_id_agreement(void **state)
{
	struct fx *fx = *state;

	add(fx, "a.yaml", "account_id: 023E105F4ECEF8AD9CA31A8372D0C353\n");
	add(fx, "b.yaml",
	    "account_id: 023e105f4ecef8ad9ca31a8372d0c353\ndomains:\n  a.example.com:\n");
	add(fx, "c.yaml", "domains:\n  b.example.com:\n");
	assert_loads(fx);
	assert_string_equal(fx->d.account_id, ACCOUNT);
	assert_string_equal(fx->d.account_file, "a.yaml");
}

static void account_id_disagreement(void **state)
{
	struct fx *fx = *state;

	add(fx, "a.yaml", "account_id: 023e105f4ecef8ad9ca31a8372d0c353\n");
	add(fx, "b.yaml", "# another account\naccount_id: FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\n");
	assert_int_equal(load(fx), MW_EINVALID);
	assert_diags(&fx->diags,
		     "b.yaml:2:13: account_id 'ffffffffffffffffffffffffffffffff' "
		     "disagrees with '023e105f4ecef8ad9ca31a8372d0c353' given at a.yaml:1:13\n");
}

static void account_id_must_be_32_hex_digits(void **state)
{
	struct fx *fx = *state;

	add(fx, "a.yaml", "account_id: 023e105f4ecef8ad9ca31a8372d0c35\n");
	add(fx, "b.yaml", "account_id: 023e105f4ecef8ad9ca31a8372d0c353x\n");
	add(fx, "c.yaml", "account_id: [023e105f4ecef8ad9ca31a8372d0c353]\n");
	add(fx, "d.yaml", "account_id:\n");
	add(fx, "e.yaml", "account_id: 023e105f4ecef8ad9ca31a8372d0c35g\n");
	assert_int_equal(load(fx), MW_EINVALID);
	assert_diags(
		&fx->diags,
		"a.yaml:1:13: account_id takes a Cloudflare account id: 32 hexadecimal digits\n"
		"b.yaml:1:13: account_id takes a Cloudflare account id: 32 hexadecimal digits\n"
		"c.yaml:1:13: account_id takes a Cloudflare account id: 32 hexadecimal digits\n"
		"d.yaml:1:12: account_id takes a Cloudflare account id: 32 hexadecimal digits\n"
		"e.yaml:1:13: account_id takes a Cloudflare account id: 32 hexadecimal digits\n");
	assert_null(fx->d.account_id);
}

static void account_id_of_digits_only(void **state)
{
	struct fx *fx = *state;

	/* 32 decimal digits read as a (too large) number; still an account id. */
	assert_int_equal(load1(fx, "account_id: 12345678901234567890123456789012\n"), 0);
	assert_string_equal(fx->d.account_id, "12345678901234567890123456789012");
}

static void is_account_id(void **state)
{
	(void)state;
	assert_true(desired_is_account_id(ACCOUNT));
	assert_true(desired_is_account_id("023E105F4ECEF8AD9CA31A8372D0C353"));
	assert_false(desired_is_account_id(""));
	assert_false(desired_is_account_id("023e105f4ecef8ad9ca31a8372d0c35"));
	assert_false(desired_is_account_id("023e105f4ecef8ad9ca31a8372d0c3533"));
	assert_false(desired_is_account_id("023e105f-ecef8ad9ca31a8372d0c353"));
}

/* --- documents and files ------------------------------------------------ */

static void document_shapes(void **state)
{
	struct fx *fx = *state;

	add(fx, "empty.yaml", "");
	add(fx, "comment.yaml", "# nothing yet\n");
	add(fx, "null-domains.yaml", "domains:\n");
	add(fx, "list.yaml", "- example.com\n");
	add(fx, "scalar.yaml", "example.com\n");
	add(fx, "domains-list.yaml", "domains: [example.com]\n");
	add(fx, "body-list.yaml", "domains:\n  example.com: [lookback_hops]\n");
	assert_int_equal(load(fx), MW_EINVALID);
	assert_diags(
		&fx->diags,
		"body-list.yaml:2:16: domain 'example.com' takes a map of settings, not a list\n"
		"domains-list.yaml:1:10: 'domains' takes a map of domain names, not a list\n"
		"list.yaml:1:1: a desired-state document is a map with 'domains', not a list\n"
		"scalar.yaml:1:1: a desired-state document is a map with 'domains', not a "
		"string\n");
}

static void policy_documents_are_skipped(void **state)
{
	struct fx *fx = *state;

	tu_files_add(&fx->files, "policies/safety.yaml",
		     "name: safety\nrules:\n  - max_deletes: 1\n", true);
	tu_files_add(&fx->files, "policies/broken.yaml", "{{{ not yaml", true);
	add(fx, "domains.yaml", "domains:\n  example.com:\n");
	assert_loads(fx);
	assert_int_equal(fx->d.nr, 1);
}

static void every_problem_in_every_file_is_reported(void **state)
{
	struct fx *fx = *state;

	add(fx, "a.yaml",
	    "domains:\n  a.example.com:\n    lookback_hops: 0\n"
	    "  b.example.com:\n    regions: [EU]\n");
	add(fx, "b.yaml", "domains:\n  c.example.com: [\n");
	add(fx, "c.yaml",
	    "domains:\n  d.example.com:\n    folder: Outbox\n"
	    "  e.example.com:\n    lookback: 3\n");
	assert_int_equal(load(fx), MW_EINVALID);
	assert_int_equal(fx->diags.errors, 5);
	assert_diag(&fx->diags, "a.yaml:3:20: lookback_hops must be from 1 to 20, not 0");
	assert_diag(&fx->diags, "a.yaml:5:15: 'EU' is not a valid value for regions (did you mean "
				"'AU'?); expected one of GLOBAL, AU, DE, IN, US");
	assert_diag(&fx->diags, "c.yaml:3:13: 'Outbox' is not a valid value for folder; expected "
				"one of AllItems, Inbox");
	assert_diag(&fx->diags, "c.yaml:5:5: unknown setting 'lookback'");
	assert_int_equal(fx->diags.v[2].line, 3);
	assert_string_equal(fx->diags.v[2].file, "b.yaml");
	assert_true(!strncmp(fx->diags.v[2].msg, "invalid YAML: ", 14));
	assert_string_equal(err_msg(), "the desired state has 5 problems");
}

static void yaml_problems_fail_the_load(void **state)
{
	struct fx *fx = *state;

	add(fx, "two.yaml", "domains:\n  a.example.com:\n---\ndomains:\n  b.example.com:\n");
	add(fx, "alias.yaml", "domains:\n  c.example.com: *nowhere\n");
	add(fx, "tab.yaml", "domains:\n\tx.example.com:\n");
	assert_int_equal(load(fx), MW_EINVALID);
	assert_diag(&fx->diags, "alias.yaml:2:18: unknown anchor '*nowhere'");
	assert_diag(&fx->diags,
		    "two.yaml:3:1: a file holds one YAML document; this is a second one");
	assert_diag(&fx->diags, "tab.yaml:2:1: invalid YAML: found character that cannot start any "
				"token (while scanning for the next token at line 2, column 1)");
}

static void billion_laughs_document_is_refused(void **state)
{
	struct fx *fx = *state;

	buf_puts(&fx->text, "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n");
	for (int i = 1; i < 9; i++) {
		buf_printf(&fx->text, "x%d: &x%d [", i, i);
		for (int k = 0; k < 10; k++)
			buf_printf(&fx->text, "%s*x%d", k ? ", " : "", i - 1);
		buf_puts(&fx->text, "]\n");
	}
	buf_puts(&fx->text, "domains:\n  example.com:\n    regions: *x8\n");
	assert_int_equal(load1(fx, fx->text.ptr), MW_EINVALID);
	assert_int_equal(fx->diags.errors, 1);
	assert_contains(fx->diags.v[0].msg, "(is it a 'billion laughs'?)");
}

/* --- scale -------------------------------------------------------------- */

static void ten_thousand_domains_load_fast(void **state)
{
	struct fx *fx = *state;
	double t0, took;

	buf_puts(&fx->text, "account_id: 023e105f4ecef8ad9ca31a8372d0c353\n"
			    "defaults:\n"
			    "  drop_dispositions: [MALICIOUS, MALICIOUS-BEC, SPOOF]\n"
			    "  require_tls_inbound: true\n"
			    "x-shared: &shared\n"
			    "  regions: [GLOBAL]\n"
			    "  ip_restrictions: [\"192.0.2.0/24\", \"2001:db8::/32\"]\n"
			    "domains:\n");
	for (int i = 0; i < 10000; i++)
		buf_printf(&fx->text,
			   "  host-%05d.example.com:\n"
			   "    <<: *shared\n"
			   "    allowed_delivery_modes: [DIRECT, BCC]\n"
			   "    lookback_hops: %d\n",
			   9999 - i, 1 + i % 20);
	add(fx, "big.yaml", fx->text.ptr);
	t0 = tu_now();
	load(fx);
	took = tu_now() - t0;
	/* x-shared is not a key mailward knows: exactly one problem. */
	assert_diags(&fx->diags, "big.yaml:5:1: unknown top-level key 'x-shared'\n");
	assert_int_equal(fx->d.nr, 10000);
	assert_string_equal(fx->d.domains[0].name, "host-00000.example.com");
	assert_string_equal(fx->d.domains[9999].name, "host-09999.example.com");
	assert_settings(fx, "host-00000.example.com",
			"{\"regions\": [\"GLOBAL\"], \"ip_restrictions\": [\"192.0.2.0/24\", "
			"\"2001:db8::/32\"], \"allowed_delivery_modes\": [\"DIRECT\", \"BCC\"], "
			"\"lookback_hops\": 20, \"drop_dispositions\": [\"MALICIOUS\", "
			"\"MALICIOUS-BEC\", \"SPOOF\"], \"require_tls_inbound\": true}");
	if (took >= tu_time_bound(1.0))
		fail_msg("10,000 domains took %.3f s", took);
}

static void ten_thousand_domains_across_files_fast(void **state)
{
	struct fx *fx = *state;
	double t0, took;

	for (int f = 0; f < 100; f++) {
		char path[64];

		buf_truncate(&fx->text, 0);
		buf_puts(&fx->text, "defaults: {lookback_hops: 2}\ndomains:\n");
		for (int i = 0; i < 100; i++)
			buf_printf(&fx->text, "  d%03d-%03d.example.com: {regions: [US]}\n", i, f);
		snprintf(path, sizeof(path), "domains/%03d.yaml", f);
		add(fx, path, fx->text.ptr);
	}
	t0 = tu_now();
	assert_int_equal(load(fx), 0);
	took = tu_now() - t0;
	assert_int_equal(fx->d.nr, 10000);
	if (took >= tu_time_bound(1.0))
		fail_msg("10,000 domains in 100 files took %.3f s", took);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(example_documents_load),
		T(defaults_apply_and_domain_settings_win),
		T(defaults_are_per_file),
		T(defaults_not_applied_to_absent_domains),
		T(defaults_refuse_what_belongs_to_one_domain),
		T(bad_default_is_reported_once),
		T(defaults_must_be_a_map),
		T(domain_names_are_normalised),
		T(invalid_domain_names_are_located),
		T(duplicate_domain_across_files_names_both_places),
		T(duplicate_domain_in_one_file),
		T(duplicate_yaml_key_is_an_error),
		T(duplicate_of_an_invalid_domain_is_still_reported),
		T(id_and_absent),
		T(id_and_absent_errors),
		T(absent_domain_cannot_have_settings),
		T(read_only_and_identity_keys),
		T(unknown_keys_get_did_you_mean),
		T(values_are_checked_where_they_are),
		T(good_values_of_every_kind),
		T(nullable_fields_take_null),
		T(set_items_are_checked_where_they_are),
		T(set_repeats_are_removed),
		T(numeric_looking_uuid_is_a_string),
		T(account_id_agreement),
		T(account_id_disagreement),
		T(account_id_must_be_32_hex_digits),
		T(account_id_of_digits_only),
		T(is_account_id),
		T(document_shapes),
		T(policy_documents_are_skipped),
		T(every_problem_in_every_file_is_reported),
		T(yaml_problems_fail_the_load),
		T(billion_laughs_document_is_refused),
		T(ten_thousand_domains_load_fast),
		T(ten_thousand_domains_across_files_fast),
	};

	return cmocka_run_group_tests_name("desired", tests, NULL, NULL);
}
