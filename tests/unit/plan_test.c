/*
 * plan_test: plan_build (matching, actions, counting, order, ambiguity)
 * and the plan file (exact JSON, digest, tampering, strict reading).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/desired.h"
#include "core/fields.h"
#include "core/live.h"
#include "core/plan.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/mem.h"

#define ACCOUNT TU_ACCOUNT
#define API_URL TU_API_URL
#define COMMIT TU_COMMIT

#define ID_A "3fa85f64-5717-4562-b3fc-2c963f66afa6"
#define ID_B "7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define ID_C "16fd2706-8baf-433b-82eb-8c7fada847da"
#define ID_D "6f1c6a2e-2d4b-4c8e-9a51-0b7d3c2f4e10"
#define ID_E "0a2f7c7e-0000-4000-8000-000000000001"

struct fx {
	struct desired d;
	struct live l;
	struct diags diags;
	struct plan p, q;
	json_t *j[4];
	char *s[4];
	char *dir;
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	setenv("SOURCE_DATE_EPOCH", "1795779600", 1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	desired_release(&fx->d);
	live_release(&fx->l);
	diags_release(&fx->diags);
	plan_release(&fx->p);
	plan_release(&fx->q);
	for (size_t i = 0; i < ARRAY_SIZE(fx->j); i++)
		json_decref(fx->j[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fx->s); i++)
		free(fx->s[i]);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* Build the plan of one desired document against a live listing. */
static int build(struct fx *fx, const char *yaml, const char *live, bool prune)
{
	return tu_plan(&fx->p, &fx->d, &fx->diags, &fx->l, yaml, live, prune);
}

static void fingerprint_of(char out[HASH_HEX_SIZE], struct fx *fx, const char *id)
{
	const struct live_domain *ld = live_find_id(&fx->l, id);

	assert_non_null(ld);
	live_fingerprint(out, ld);
}

/* The digest as the contract defines it: the plan object but its digest. */
static void digest_of(char out[HASH_HEX_SIZE], const json_t *plan)
{
	json_t *copy = json_copy((json_t *)plan);
	char *text;

	json_object_del(copy, "digest");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	hash_sha256_hex(out, text, strlen(text));
	free(text);
	json_decref(copy);
}

/* Give an edited plan object a matching digest again (what a forger would do). */
static void reseal(json_t *plan)
{
	char d[HASH_HEX_SIZE];

	digest_of(d, plan);
	json_object_set_new(plan, "digest", json_string(d));
}

/*
 * The plan file object, deep-copied: plan_to_json() shares the plan's own
 * diff and body objects, and the tests below edit what they get.
 */
static json_t *plan_json(const struct plan *p)
{
	json_t *shared = plan_to_json(p);
	json_t *copy = json_deep_copy(shared);

	json_decref(shared);
	return copy;
}

/* --- plan_build --------------------------------------------------------- */

static const char mixed_yaml[] = "domains:\n"
				 "  example.com:\n"
				 "    lookback_hops: 2\n"
				 "    drop_dispositions: [MALICIOUS, SPOOF]\n"
				 "    regions: [GLOBAL]\n"
				 "  old.example.com:\n"
				 "    absent: true\n"
				 "  new.example.com:\n"
				 "    regions: [US]\n"
				 "  same.example.com:\n"
				 "    lookback_hops: 3\n"
				 "  gone.example.com:\n"
				 "    absent: true\n";

static const char mixed_live[] =
	"[{\"id\": \"" ID_A "\", \"domain\": \"example.com\", \"lookback_hops\": 1,"
	"  \"drop_dispositions\": [\"BULK\", \"MALICIOUS\"], \"regions\": [\"GLOBAL\"],"
	"  \"status\": \"active\"},"
	" {\"id\": \"" ID_B "\", \"domain\": \"Old.Example.com\", \"lookback_hops\": 4},"
	" {\"id\": \"" ID_C "\", \"domain\": \"same.example.com\", \"lookback_hops\": 3},"
	" {\"id\": \"" ID_D "\", \"domain\": \"other.example.com\"}]";

static void build_mixed_plan(void **state)
{
	struct fx *fx = *state;
	const struct plan_change *c;

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	assert_int_equal(fx->p.summary.update, 1);
	assert_int_equal(fx->p.summary.del, 1);
	assert_int_equal(fx->p.summary.missing, 1);
	assert_int_equal(fx->p.summary.noop, 2);
	assert_int_equal(fx->p.summary.unmanaged, 1);
	assert_true(plan_has_changes(&fx->p));
	assert_int_equal(fx->p.nr, 3);

	c = &fx->p.changes[0];
	assert_int_equal(c->action, PLAN_UPDATE);
	assert_string_equal(c->domain, "example.com");
	assert_string_equal(c->id, ID_A);
	assert_json(c->body,
		    "{\"lookback_hops\": 2, \"drop_dispositions\": [\"MALICIOUS\", \"SPOOF\"]}");
	assert_json(c->diff,
		    "[{\"field\": \"drop_dispositions\", \"before\": [\"BULK\", \"MALICIOUS\"], "
		    "\"after\": [\"MALICIOUS\", \"SPOOF\"]}, "
		    "{\"field\": \"lookback_hops\", \"before\": 1, \"after\": 2}]");
	assert_string_equal(c->declared_at, "d.yaml:2:3");
	assert_null(c->reason);

	c = &fx->p.changes[1];
	assert_int_equal(c->action, PLAN_MISSING);
	assert_string_equal(c->domain, "new.example.com");
	assert_null(c->id);
	assert_null(c->fingerprint);
	assert_null(c->body);
	assert_string_equal(c->declared_at, "d.yaml:8:3");

	c = &fx->p.changes[2];
	assert_int_equal(c->action, PLAN_DELETE);
	assert_string_equal(c->domain, "old.example.com");
	assert_string_equal(c->id, ID_B);
	assert_string_equal(c->reason, "absent");
	assert_string_equal(c->declared_at, "d.yaml:6:3");
	assert_null(c->body);

	assert_int_equal(fx->p.n_unmanaged, 1);
	assert_string_equal(fx->p.unmanaged[0].domain, "other.example.com");
	assert_string_equal(fx->p.unmanaged[0].id, ID_D);

	assert_int_equal(fx->p.format_version, 1);
	assert_string_equal(fx->p.tool_version, MAILWARD_VERSION);
	assert_string_equal(fx->p.created_at, "2026-11-27T11:40:00Z");
	assert_string_equal(fx->p.account_id, ACCOUNT);
	assert_string_equal(fx->p.api_url, API_URL);
	assert_string_equal(fx->p.source.commit, COMMIT);
	assert_false(fx->p.prune);
	assert_json(fx->p.policy, "{\"violations\": [], \"warnings\": []}");
}

static void fingerprints_are_of_the_live_objects(void **state)
{
	struct fx *fx = *state;
	char a[HASH_HEX_SIZE], b[HASH_HEX_SIZE];

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	fingerprint_of(a, fx, ID_A);
	fingerprint_of(b, fx, ID_B);
	assert_string_equal(fx->p.changes[0].fingerprint, a);
	assert_string_equal(fx->p.changes[2].fingerprint, b);
	assert_string_not_equal(a, b);
}

static void plan_file_is_exactly_the_contract(void **state)
{
	struct fx *fx = *state;
	char a[HASH_HEX_SIZE], b[HASH_HEX_SIZE], d[HASH_HEX_SIZE];
	struct buf want = BUF_INIT;

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	fingerprint_of(a, fx, ID_A);
	fingerprint_of(b, fx, ID_B);
	fx->j[0] = plan_to_json(&fx->p);
	buf_printf(&want,
		   "{\"format_version\": 1,"
		   " \"tool\": {\"name\": \"mailward\", \"version\": \"%s\"},"
		   " \"created_at\": \"2026-11-27T11:40:00Z\","
		   " \"account_id\": \"" ACCOUNT "\","
		   " \"kind\": \"plan\","
		   " \"api_url\": \"" API_URL "\","
		   " \"source\": {\"repo\": \"/srv/repo\", \"ref\": \"HEAD\", \"commit\": "
		   "\"" COMMIT "\","
		   "  \"path\": \"desired\", \"worktree\": false},"
		   " \"prune\": false,"
		   " \"live_count\": 4,"
		   " \"summary\": {\"update\": 1, \"delete\": 1, \"missing\": 1, \"noop\": 2, "
		   "\"unmanaged\": 1},"
		   " \"changes\": ["
		   "  {\"action\": \"update\", \"domain\": \"example.com\", \"id\": \"" ID_A "\","
		   "   \"diff\": [{\"field\": \"drop_dispositions\", \"before\": [\"BULK\", "
		   "\"MALICIOUS\"],"
		   "              \"after\": [\"MALICIOUS\", \"SPOOF\"]},"
		   "             {\"field\": \"lookback_hops\", \"before\": 1, \"after\": 2}],"
		   "   \"body\": {\"drop_dispositions\": [\"MALICIOUS\", \"SPOOF\"], "
		   "\"lookback_hops\": "
		   "2},"
		   "   \"live_fingerprint\": \"%s\", \"declared_at\": \"d.yaml:2:3\"},"
		   "  {\"action\": \"missing\", \"domain\": \"new.example.com\", \"id\": null,"
		   "   \"declared_at\": \"d.yaml:8:3\"},"
		   "  {\"action\": \"delete\", \"domain\": \"old.example.com\", \"id\": \"" ID_B
		   "\","
		   "   \"reason\": \"absent\", \"live_fingerprint\": \"%s\", \"declared_at\": "
		   "\"d.yaml:6:3\"}],"
		   " \"unmanaged\": [{\"domain\": \"other.example.com\", \"id\": \"" ID_D "\"}],"
		   " \"policy\": {\"violations\": [], \"warnings\": []},"
		   " \"digest\": \"%s\"}",
		   MAILWARD_VERSION, a, b, fx->p.digest);
	fx->s[0] = buf_detach(&want, NULL);
	assert_json(fx->j[0], fx->s[0]);
	/* The digest covers everything but itself. */
	digest_of(d, fx->j[0]);
	assert_string_equal(fx->p.digest, d);
	assert_int_equal(strlen(d), 71);
}

static void plan_text_is_indented_json_with_newline(void **state)
{
	struct fx *fx = *state;
	size_t len;

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	fx->s[0] = plan_to_text(&fx->p);
	len = strlen(fx->s[0]);
	assert_true(len > 2);
	assert_int_equal(fx->s[0][len - 1], '\n');
	assert_int_not_equal(fx->s[0][len - 2], '\n');
	assert_true(!strncmp(fx->s[0], "{\n  \"", 5));
	fx->j[0] = tu_json(fx->s[0]);
	fx->j[1] = plan_to_json(&fx->p);
	assert_true(json_equal(fx->j[0], fx->j[1]));
}

static void pinned_id_matches_without_case(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		build(fx,
		      "domains:\n  example.com:\n    id: 3FA85F64-5717-4562-B3FC-2C963F66AFA6\n"
		      "    lookback_hops: 5\n",
		      "[{\"id\": \"" ID_A
		      "\", \"domain\": \"EXAMPLE.com.\", \"lookback_hops\": 1}]",
		      false),
		0);
	assert_int_equal(fx->p.nr, 1);
	assert_int_equal(fx->p.changes[0].action, PLAN_UPDATE);
	/* The id the API gave: what the PATCH path uses. */
	assert_string_equal(fx->p.changes[0].id, ID_A);
	assert_int_equal(fx->p.n_unmanaged, 0);
}

static void pinned_id_of_another_domain_is_ambiguous(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		build(fx, "domains:\n  a.example.com:\n    id: " ID_B "\n    lookback_hops: 2\n",
		      "[{\"id\": \"" ID_A "\", \"domain\": \"a.example.com\"},"
		      " {\"id\": \"" ID_B "\", \"domain\": \"b.example.com\"}]",
		      false),
		MW_EAMBIGUOUS);
	assert_string_equal(err_msg(),
			    "cannot match 1 declared domain with live state:\n"
			    "  d.yaml:2:3: domain 'a.example.com' pins id '" ID_B "', but "
			    "that id is live domain 'b.example.com'");
	assert_int_equal(fx->p.nr, 0);
	assert_null(fx->p.changes);
}

static void two_live_domains_of_one_name(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx, "domains:\n  dup.example.com:\n    lookback_hops: 2\n",
			       "[{\"id\": \"" ID_C "\", \"domain\": \"dup.example.com\"},"
			       " {\"id\": \"" ID_E "\", \"domain\": \"DUP.example.com.\"}]",
			       false),
			 MW_EAMBIGUOUS);
	assert_string_equal(err_msg(),
			    "cannot match 1 declared domain with live state:\n"
			    "  d.yaml:2:3: 2 live domains are named 'dup.example.com' (ids " ID_E
			    ", " ID_C "); pin the one to manage with 'id:'");
}

static void two_live_domains_of_one_name_with_a_pin(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		build(fx, "domains:\n  dup.example.com:\n    id: " ID_C "\n    lookback_hops: 2\n",
		      "[{\"id\": \"" ID_C
		      "\", \"domain\": \"dup.example.com\", \"lookback_hops\": 1},"
		      " {\"id\": \"" ID_E "\", \"domain\": \"DUP.example.com.\"}]",
		      false),
		0);
	assert_int_equal(fx->p.nr, 1);
	assert_string_equal(fx->p.changes[0].id, ID_C);
	assert_json(fx->p.changes[0].body, "{\"lookback_hops\": 2}");
	/* The other one is left alone. */
	assert_int_equal(fx->p.n_unmanaged, 1);
	assert_string_equal(fx->p.unmanaged[0].id, ID_E);
}

static void every_ambiguity_is_reported(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx,
			       "domains:\n"
			       "  a.example.com:\n    id: " ID_B "\n"
			       "  dup.example.com:\n    lookback_hops: 2\n"
			       "  fine.example.com:\n    lookback_hops: 2\n",
			       "[{\"id\": \"" ID_B "\", \"domain\": \"b.example.com\"},"
			       " {\"id\": \"" ID_C "\", \"domain\": \"dup.example.com\"},"
			       " {\"id\": \"" ID_E "\", \"domain\": \"dup.example.com\"},"
			       " {\"id\": \"" ID_D "\", \"domain\": \"fine.example.com\"}]",
			       false),
			 MW_EAMBIGUOUS);
	assert_string_equal(err_msg(),
			    "cannot match 2 declared domains with live state:\n"
			    "  d.yaml:2:3: domain 'a.example.com' pins id '" ID_B "', but "
			    "that id is live domain 'b.example.com'\n"
			    "  d.yaml:4:3: 2 live domains are named 'dup.example.com' (ids " ID_E
			    ", " ID_C "); pin the one to manage with 'id:'");
}

static void pinned_id_not_live_is_missing(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		build(fx, "domains:\n  new.example.com:\n    id: " ID_A "\n    lookback_hops: 2\n",
		      "[]", false),
		0);
	assert_int_equal(fx->p.nr, 1);
	assert_int_equal(fx->p.changes[0].action, PLAN_MISSING);
	assert_string_equal(fx->p.changes[0].id, ID_A);
	assert_int_equal(fx->p.summary.missing, 1);
}

/*
 * The pin is stale (the domain was onboarded again and has a new id): the
 * live domain of that name is declared in git, so --prune must not
 * delete it as "declared nowhere".
 */
static void prune_never_deletes_a_declared_name(void **state)
{
	struct fx *fx = *state;
	int rc;

	rc = build(fx, "domains:\n  example.com:\n    id: " ID_A "\n    lookback_hops: 2\n",
		   "[{\"id\": \"" ID_B "\", \"domain\": \"example.com\", \"lookback_hops\": 2}]",
		   true);
	if (rc == 0) {
		for (size_t i = 0; i < fx->p.nr; i++)
			if (fx->p.changes[i].action == PLAN_DELETE)
				fail_msg("plan deletes %s (%s, reason %s), which d.yaml:2:3 "
					 "declares",
					 fx->p.changes[i].domain, fx->p.changes[i].id,
					 fx->p.changes[i].reason);
	} else {
		assert_int_equal(rc, MW_EAMBIGUOUS);
	}
}

static void absent_domain(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx,
			       "domains:\n  old.example.com:\n    absent: true\n"
			       "  gone.example.com:\n    absent: true\n"
			       "  pinned.example.com:\n    absent: true\n    id: " ID_C "\n",
			       "[{\"id\": \"" ID_B "\", \"domain\": \"old.example.com\"},"
			       " {\"id\": \"" ID_C "\", \"domain\": \"pinned.example.com\"}]",
			       false),
			 0);
	assert_int_equal(fx->p.summary.del, 2);
	assert_int_equal(fx->p.summary.noop, 1);
	assert_int_equal(fx->p.nr, 2);
	assert_string_equal(fx->p.changes[0].domain, "old.example.com");
	assert_string_equal(fx->p.changes[0].reason, "absent");
	assert_string_equal(fx->p.changes[1].domain, "pinned.example.com");
	assert_string_equal(fx->p.changes[1].id, ID_C);
	assert_non_null(fx->p.changes[1].fingerprint);
	assert_int_equal(fx->p.n_unmanaged, 0);
}

static void absent_and_already_gone_is_no_change(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx, "domains:\n  old.example.com:\n    absent: true\n", "[]", false),
			 0);
	assert_int_equal(fx->p.nr, 0);
	assert_int_equal(fx->p.summary.noop, 1);
	assert_false(plan_has_changes(&fx->p));
}

static void prune_deletes_undeclared_live_domains(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx,
			       "domains:\n  keep.example.com:\n    lookback_hops: 2\n"
			       "  old.example.com:\n    absent: true\n",
			       "[{\"id\": \"" ID_A
			       "\", \"domain\": \"keep.example.com\", \"lookback_hops\": 2},"
			       " {\"id\": \"" ID_B "\", \"domain\": \"old.example.com\"},"
			       " {\"id\": \"" ID_E "\", \"domain\": \"stray.example.com\"},"
			       " {\"id\": \"" ID_C "\", \"domain\": \"stray.example.com\"},"
			       " {\"id\": \"" ID_D "\", \"domain\": \"another.example.com\"}]",
			       true),
			 0);
	assert_true(fx->p.prune);
	assert_int_equal(fx->p.summary.del, 4);
	assert_int_equal(fx->p.summary.noop, 1);
	assert_int_equal(fx->p.summary.unmanaged, 0);
	assert_int_equal(fx->p.n_unmanaged, 0);
	assert_int_equal(fx->p.nr, 4);
	/* Sorted by domain, then id. */
	assert_string_equal(fx->p.changes[0].domain, "another.example.com");
	assert_string_equal(fx->p.changes[0].reason, "prune");
	assert_null(fx->p.changes[0].declared_at);
	/* An absent domain is deleted once, as absent, not twice. */
	assert_string_equal(fx->p.changes[1].domain, "old.example.com");
	assert_string_equal(fx->p.changes[1].reason, "absent");
	assert_string_equal(fx->p.changes[2].domain, "stray.example.com");
	assert_string_equal(fx->p.changes[2].id, ID_E);
	assert_string_equal(fx->p.changes[3].domain, "stray.example.com");
	assert_string_equal(fx->p.changes[3].id, ID_C);
	for (size_t i = 0; i < fx->p.nr; i++)
		assert_non_null(fx->p.changes[i].fingerprint);
}

static void unmanaged_only_is_no_change(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx, "domains:\n  a.example.com:\n    lookback_hops: 2\n",
			       "[{\"id\": \"" ID_D "\", \"domain\": \"z.example.com\"},"
			       " {\"id\": \"" ID_A
			       "\", \"domain\": \"a.example.com\", \"lookback_hops\": 2},"
			       " {\"id\": \"" ID_B "\", \"domain\": \"b.example.com\"}]",
			       false),
			 0);
	assert_false(plan_has_changes(&fx->p));
	assert_int_equal(fx->p.nr, 0);
	assert_int_equal(fx->p.summary.noop, 1);
	assert_int_equal(fx->p.summary.unmanaged, 2);
	assert_string_equal(fx->p.unmanaged[0].domain, "b.example.com");
	assert_string_equal(fx->p.unmanaged[1].domain, "z.example.com");
}

static void empty_desired_and_live(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx, "", "[]", true), 0);
	assert_false(plan_has_changes(&fx->p));
	fx->j[0] = plan_to_json(&fx->p);
	assert_json(json_object_get(fx->j[0], "changes"), "[]");
	assert_json(json_object_get(fx->j[0], "unmanaged"), "[]");
	assert_json(
		json_object_get(fx->j[0], "summary"),
		"{\"update\": 0, \"delete\": 0, \"missing\": 0, \"noop\": 0, \"unmanaged\": 0}");
}

static void in_sync_despite_spelling_is_no_change(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		build(fx,
		      "domains:\n"
		      "  Example.COM.:\n"
		      "    allowed_delivery_modes: [BCC, DIRECT, BCC]\n"
		      "    ip_restrictions: [\"2001:DB8:0:0::/32\", 192.0.2.0/24]\n"
		      "    integration_id: 6F1C6A2E-2D4B-4C8E-9A51-0B7D3C2F4E10\n"
		      "    folder: null\n"
		      "    lookback_hops: 2\n",
		      "[{\"id\": \"" ID_A "\", \"domain\": \"example.com.\","
		      "  \"allowed_delivery_modes\": [\"DIRECT\", \"BCC\"],"
		      "  \"ip_restrictions\": [\"192.0.2.0/24\", \"2001:db8::/32\"],"
		      "  \"integration_id\": \"6f1c6a2e-2d4b-4c8e-9a51-0b7d3c2f4e10\","
		      "  \"lookback_hops\": 2, \"regions\": [\"EU\"], \"status\": \"PENDING\"}]",
		      true),
		0);
	/* folder is missing live, which is null; regions is not managed. */
	assert_false(plan_has_changes(&fx->p));
	assert_int_equal(fx->p.nr, 0);
	assert_int_equal(fx->p.summary.noop, 1);
	assert_int_equal(fx->p.n_unmanaged, 0);
}

static void worktree_source_has_no_commit(void **state)
{
	struct fx *fx = *state;
	struct plan_source wt = {
		.repo = "/home/me/repo", .ref = NULL, .commit = NULL, .path = "", .worktree = true
	};
	struct plan_meta meta = { ACCOUNT, "http://127.0.0.1:8787/client/v4", &wt, false };

	assert_int_equal(
		tu_desired_yaml(&fx->d, &fx->diags, "d.yaml", "domains:\n  a.example.com:\n"), 0);
	assert_int_equal(tu_live_json(&fx->l, "[]"), 0);
	assert_int_equal(plan_build(&fx->p, &fx->d, &fx->l, &meta), 0);
	fx->j[0] = plan_to_json(&fx->p);
	assert_json(
		json_object_get(fx->j[0], "source"),
		"{\"repo\": \"/home/me/repo\", \"ref\": null, \"commit\": null, \"path\": \"\", "
		"\"worktree\": true}");
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), 0);
	assert_true(fx->q.source.worktree);
	assert_null(fx->q.source.commit);
}

static void release_is_safe(void **state)
{
	struct plan p;

	(void)state;
	memset(&p, 0, sizeof(p));
	plan_release(&p);
	plan_release(&p);
	assert_string_equal(plan_action_name(PLAN_UPDATE), "update");
	assert_string_equal(plan_action_name(PLAN_DELETE), "delete");
	assert_string_equal(plan_action_name(PLAN_MISSING), "missing");
}

/* --- reading plan files ------------------------------------------------- */

static void roundtrip(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx, mixed_yaml, mixed_live, true), 0);
	fx->j[0] = plan_json(&fx->p);
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), 0);
	fx->j[1] = plan_to_json(&fx->q);
	assert_true(json_equal(fx->j[0], fx->j[1]));
	assert_string_equal(fx->q.digest, fx->p.digest);
	assert_int_equal(fx->q.nr, fx->p.nr);
	assert_int_equal(fx->q.summary.noop, fx->p.summary.noop);
	assert_true(fx->q.prune);
	/* Resealing a read plan gives the digest it came with. */
	plan_seal(&fx->q);
	assert_string_equal(fx->q.digest, fx->p.digest);
}

static void seal_follows_changes(void **state)
{
	struct fx *fx = *state;
	char before[HASH_HEX_SIZE];

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	memcpy(before, fx->p.digest, sizeof(before));
	free(fx->p.api_url);
	fx->p.api_url = xstrdup("https://other.example/client/v4");
	plan_seal(&fx->p);
	assert_string_not_equal(fx->p.digest, before);
	fx->j[0] = plan_json(&fx->p);
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), 0);
}

static void tampering_is_detected(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	fx->j[0] = plan_json(&fx->p);
	/* One PATCH value changed after review. */
	json_object_set_new(
		json_object_get(json_array_get(json_object_get(fx->j[0], "changes"), 0), "body"),
		"lookback_hops", json_integer(20));
	err_clear();
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), MW_EPLAN);
	assert_contains(err_msg(),
			"the plan does not match its digest: it was changed after it was "
			"made");
	/* Neither digest is printed: the one that would match helps a forger. */
	assert_null(strstr(err_msg(), "sha256:"));
	assert_int_equal(fx->q.nr, 0);
	assert_null(fx->q.account_id);

	/* Even a change that means nothing (a whitespace-free key order) is covered. */
	json_decref(fx->j[0]);
	fx->j[0] = plan_json(&fx->p);
	json_object_set_new(fx->j[0], "api_url", json_string(API_URL "/"));
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), MW_EPLAN);
	/* Removing a change. */
	json_decref(fx->j[0]);
	fx->j[0] = plan_json(&fx->p);
	json_array_remove(json_object_get(fx->j[0], "changes"), 2);
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), MW_EPLAN);
	assert_contains(err_msg(), "does not match its digest");
}

static void version_and_digest_presence(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	fx->j[0] = plan_json(&fx->p);

	json_object_set_new(fx->j[0], "format_version", json_integer(2));
	reseal(fx->j[0]);
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), MW_EPLAN);
	assert_string_equal(err_msg(),
			    "the plan has format_version 2; this mailward reads format 1");

	json_object_set_new(fx->j[0], "format_version", json_string("1"));
	reseal(fx->j[0]);
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), MW_EPLAN);
	assert_string_equal(err_msg(), "not a mailward plan: no 'format_version'");

	json_object_set_new(fx->j[0], "format_version", json_integer(1));
	json_object_del(fx->j[0], "digest");
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), MW_EPLAN);
	assert_string_equal(err_msg(), "the plan has no 'digest'");

	fx->j[1] = tu_json("[1, 2]");
	assert_int_equal(plan_from_json(&fx->q, fx->j[1]), MW_EPLAN);
	assert_string_equal(err_msg(), "a plan file is a JSON object");
}

/* Edits that keep a valid digest: the reader must still refuse them. */
typedef void (*mutation)(json_t *plan);

static json_t *change(json_t *plan, size_t i)
{
	return json_array_get(json_object_get(plan, "changes"), i);
}

static void m_body_readonly(json_t *p)
{
	json_object_set_new(json_object_get(change(p, 0), "body"), "status", json_string("active"));
}
static void m_body_range(json_t *p)
{
	json_object_set_new(json_object_get(change(p, 0), "body"), "lookback_hops",
			    json_integer(99));
}
static void m_body_empty(json_t *p)
{
	json_object_set_new(change(p, 0), "body", json_object());
}
static void m_body_enum(json_t *p)
{
	json_object_set_new(json_object_get(change(p, 0), "body"), "drop_dispositions",
			    json_pack("[s]", "QUARANTINE"));
}
static void m_diff_after(json_t *p)
{
	json_object_set_new(json_array_get(json_object_get(change(p, 0), "diff"), 1), "after",
			    json_integer(3));
}
static void m_diff_missing(json_t *p)
{
	json_object_del(change(p, 0), "diff");
}
static void m_diff_short(json_t *p)
{
	json_array_remove(json_object_get(change(p, 0), "diff"), 0);
}
static void m_action(json_t *p)
{
	json_object_set_new(change(p, 0), "action", json_string("create"));
}
static void m_reason(json_t *p)
{
	json_object_set_new(change(p, 2), "reason", json_string("cleanup"));
}
static void m_no_reason(json_t *p)
{
	json_object_del(change(p, 2), "reason");
}
static void m_fingerprint(json_t *p)
{
	json_object_set_new(change(p, 0), "live_fingerprint", json_string("sha256:XYZ"));
}
static void m_fingerprint_upper(json_t *p)
{
	char fp[HASH_HEX_SIZE];

	snprintf(fp, sizeof(fp), "%s",
		 json_string_value(json_object_get(change(p, 2), "live_fingerprint")));
	for (char *c = fp + 7; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	json_object_set_new(change(p, 2), "live_fingerprint", json_string(fp));
}
static void m_update_id_null(json_t *p)
{
	json_object_set_new(change(p, 0), "id", json_null());
}
static void m_domain_missing(json_t *p)
{
	json_object_del(change(p, 1), "domain");
}
static void m_change_not_object(json_t *p)
{
	json_array_set_new(json_object_get(p, "changes"), 1, json_string("missing"));
}
static void m_summary_update(json_t *p)
{
	json_object_set_new(json_object_get(p, "summary"), "update", json_integer(5));
}
static void m_summary_unmanaged(json_t *p)
{
	json_object_set_new(json_object_get(p, "summary"), "unmanaged", json_integer(0));
}
static void m_summary_negative(json_t *p)
{
	json_object_set_new(json_object_get(p, "summary"), "noop", json_integer(-1));
}
static void m_summary_missing(json_t *p)
{
	json_object_del(p, "summary");
}
static void m_account(json_t *p)
{
	json_object_set_new(p, "account_id", json_string("not-an-account"));
}
static void m_api_url(json_t *p)
{
	json_object_set_new(p, "api_url", json_integer(1));
}
static void m_created_at(json_t *p)
{
	json_object_set_new(p, "created_at", json_integer(1795779600));
}
static void m_prune(json_t *p)
{
	json_object_set_new(p, "prune", json_string("yes"));
}
static void m_changes(json_t *p)
{
	json_object_set_new(p, "changes", json_object());
}
static void m_unmanaged_item(json_t *p)
{
	json_object_del(json_array_get(json_object_get(p, "unmanaged"), 0), "id");
}
static void m_unmanaged(json_t *p)
{
	json_object_del(p, "unmanaged");
}
static void m_policy(json_t *p)
{
	json_object_del(p, "policy");
}
static void m_policy_lists(json_t *p)
{
	json_object_set_new(p, "policy", json_pack("{s:[]}", "violations"));
}
static void m_tool(json_t *p)
{
	json_object_del(p, "tool");
}
static void m_source(json_t *p)
{
	json_object_set_new(p, "source", json_string("/srv"));
}
static void m_source_commit(json_t *p)
{
	json_object_set_new(json_object_get(p, "source"), "commit", json_integer(5));
}
static void m_worktree(json_t *p)
{
	json_object_set_new(json_object_get(p, "source"), "worktree", json_string("no"));
}

static const struct {
	const char *name;
	mutation fn;
	const char *msg; /* the whole message */
} mutations[] = {
	{ "read-only field in body", m_body_readonly,
	  "invalid plan: changes[0]: 'body' holds 'status', which is not a writable setting" },
	{ "value out of range", m_body_range,
	  "invalid plan: changes[0]: 'body': lookback_hops must be from 1 to 20, not 99" },
	{ "empty body", m_body_empty,
	  "invalid plan: changes[0]: 'body' must be a non-empty object" },
	{ "unknown enum member", m_body_enum, NULL },
	{ "diff disagrees", m_diff_after,
	  "invalid plan: changes[0]: 'diff' item 2 does not match 'body'" },
	{ "diff missing", m_diff_missing,
	  "invalid plan: changes[0]: 'diff' must list each field of 'body' once" },
	{ "diff short", m_diff_short,
	  "invalid plan: changes[0]: 'diff' must list each field of 'body' once" },
	{ "unknown action", m_action, "invalid plan: changes[0]: unknown action 'create'" },
	{ "unknown reason", m_reason, "invalid plan: changes[2]: unknown delete reason 'cleanup'" },
	{ "no reason", m_no_reason, "invalid plan: changes[2]: 'reason' must be a string" },
	{ "bad fingerprint", m_fingerprint,
	  "invalid plan: changes[0]: 'live_fingerprint' must be sha256:<64 hex digits>" },
	{ "upper-case fingerprint", m_fingerprint_upper,
	  "invalid plan: changes[2]: 'live_fingerprint' must be sha256:<64 hex digits>" },
	{ "update without id", m_update_id_null,
	  "invalid plan: changes[0]: 'id' must be a string" },
	{ "change without domain", m_domain_missing,
	  "invalid plan: changes[1]: 'domain' must be a string" },
	{ "change not an object", m_change_not_object,
	  "invalid plan: changes[1]: must be an object" },
	{ "summary update", m_summary_update,
	  "invalid plan: 'summary' does not agree with 'changes' and 'unmanaged'" },
	{ "summary unmanaged", m_summary_unmanaged,
	  "invalid plan: 'summary' does not agree with 'changes' and 'unmanaged'" },
	{ "summary negative", m_summary_negative, "invalid plan: summary: 'noop' must be a count" },
	{ "summary missing", m_summary_missing, "invalid plan: 'summary' must be an object" },
	{ "account", m_account, "invalid plan: 'account_id' must be 32 hexadecimal digits" },
	{ "api_url", m_api_url, "invalid plan: 'api_url' must be a string" },
	{ "created_at", m_created_at, "invalid plan: 'created_at' must be a string" },
	{ "prune", m_prune, "invalid plan: 'prune' must be true or false" },
	{ "changes", m_changes, "invalid plan: 'changes' must be a list" },
	{ "unmanaged item", m_unmanaged_item,
	  "invalid plan: unmanaged[0] must have a 'domain' and an 'id'" },
	{ "unmanaged", m_unmanaged, "invalid plan: 'unmanaged' must be a list" },
	{ "policy", m_policy,
	  "invalid plan: 'policy' must be an object with 'violations' and 'warnings' lists" },
	{ "policy lists", m_policy_lists,
	  "invalid plan: 'policy' must be an object with 'violations' and 'warnings' lists" },
	{ "tool", m_tool, "invalid plan: 'tool' must be an object with a 'version'" },
	{ "source", m_source, "invalid plan: 'source' must be an object" },
	{ "source commit", m_source_commit,
	  "invalid plan: source: 'commit' must be a string or null" },
	{ "worktree", m_worktree, "invalid plan: source: 'worktree' must be true or false" },
};

static void strict_reading_of_resealed_plans(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	for (size_t i = 0; i < ARRAY_SIZE(mutations); i++) {
		json_t *p = plan_json(&fx->p);
		int rc;

		mutations[i].fn(p);
		reseal(p);
		err_clear();
		rc = plan_from_json(&fx->q, p);
		json_decref(p);
		if (rc != MW_EPLAN)
			fail_msg("%s: accepted (rc %d)", mutations[i].name, rc);
		if (mutations[i].msg && strcmp(err_msg(), mutations[i].msg))
			fail_msg("%s:\n   got: %s\n  want: %s", mutations[i].name, err_msg(),
				 mutations[i].msg);
		assert_int_equal(fx->q.nr, 0);
		assert_null(fx->q.tool_version);
	}
}

static void diff_must_name_each_body_field_once(void **state)
{
	struct fx *fx = *state;
	json_t *diff;

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	fx->j[0] = plan_json(&fx->p);
	/* Two items for lookback_hops, none for drop_dispositions. */
	diff = json_object_get(change(fx->j[0], 0), "diff");
	json_array_set(diff, 0, json_array_get(diff, 1));
	reseal(fx->j[0]);
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), MW_EPLAN);
}

static void added_fields_are_accepted(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	fx->j[0] = plan_json(&fx->p);
	/* "fields may be added": a reader ignores what it does not know. */
	json_object_set_new(fx->j[0], "x_generator", json_string("ci"));
	json_object_set_new(change(fx->j[0], 1), "note", json_string("onboard first"));
	reseal(fx->j[0]);
	assert_int_equal(plan_from_json(&fx->q, fx->j[0]), 0);
	assert_int_equal(fx->q.nr, 3);
}

/* --- plan files on disk ------------------------------------------------- */

static void load_file(void **state)
{
	struct fx *fx = *state;
	char *path;

	fx->dir = tu_tmpdir();
	assert_non_null(fx->dir);
	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	fx->s[0] = plan_to_text(&fx->p);
	path = tu_write_file(fx->dir, "plan.json", fx->s[0]);
	fx->s[1] = path;
	err_clear();
	assert_int_equal(plan_load_file(&fx->q, path), 0);
	assert_string_equal(fx->q.digest, fx->p.digest);
	assert_int_equal(fx->q.nr, 3);
	assert_string_equal(fx->q.changes[0].domain, "example.com");
	assert_json(fx->q.changes[0].body, "{\"drop_dispositions\": [\"MALICIOUS\", \"SPOOF\"], "
					   "\"lookback_hops\": 2}");
	assert_string_equal(fx->q.changes[2].reason, "absent");
	assert_string_equal(fx->q.changes[2].fingerprint, fx->p.changes[2].fingerprint);
	assert_string_equal(fx->q.created_at, "2026-11-27T11:40:00Z");
}

static void load_file_errors_name_the_file(void **state)
{
	struct fx *fx = *state;
	char *path;

	fx->dir = tu_tmpdir();
	assert_non_null(fx->dir);

	fx->s[0] = xasprintf("%s/none.json", fx->dir);
	assert_int_equal(plan_load_file(&fx->q, fx->s[0]), MW_EPLAN);
	assert_contains(err_msg(), "reading plan: cannot open '");
	assert_contains(err_msg(), "none.json': No such file or directory");

	path = tu_write_file(fx->dir, "garbage.json", "this is not json\n");
	assert_int_equal(plan_load_file(&fx->q, path), MW_EPLAN);
	fx->s[1] = xasprintf("%s:1:", path);
	assert_true(!strncmp(err_msg(), fx->s[1], strlen(fx->s[1])));
	assert_contains(err_msg(), ": not a plan file: ");
	free(path);

	path = tu_write_file(fx->dir, "dup.json", "{\"format_version\": 1, \"format_version\": 1}");
	assert_int_equal(plan_load_file(&fx->q, path), MW_EPLAN);
	assert_contains(err_msg(), "not a plan file: ");
	assert_contains(err_msg(), "duplicate");
	free(path);

	path = tu_write_file(fx->dir, "trailing.json", "{\"format_version\": 1} {}");
	assert_int_equal(plan_load_file(&fx->q, path), MW_EPLAN);
	assert_contains(err_msg(), "not a plan file: ");
	free(path);

	assert_int_equal(build(fx, mixed_yaml, mixed_live, false), 0);
	fx->j[0] = plan_json(&fx->p);
	json_object_set_new(fx->j[0], "prune", json_true());
	fx->s[2] = json_dumps(fx->j[0], JSON_INDENT(2));
	path = tu_write_file(fx->dir, "tampered.json", fx->s[2]);
	assert_int_equal(plan_load_file(&fx->q, path), MW_EPLAN);
	fx->s[3] = xasprintf("%s: the plan does not match its digest", path);
	assert_true(!strncmp(err_msg(), fx->s[3], strlen(fx->s[3])));
	free(path);
	assert_int_equal(fx->q.nr, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(build_mixed_plan),
		T(fingerprints_are_of_the_live_objects),
		T(plan_file_is_exactly_the_contract),
		T(plan_text_is_indented_json_with_newline),
		T(pinned_id_matches_without_case),
		T(pinned_id_of_another_domain_is_ambiguous),
		T(two_live_domains_of_one_name),
		T(two_live_domains_of_one_name_with_a_pin),
		T(every_ambiguity_is_reported),
		T(pinned_id_not_live_is_missing),
		T(prune_never_deletes_a_declared_name),
		T(absent_domain),
		T(absent_and_already_gone_is_no_change),
		T(prune_deletes_undeclared_live_domains),
		T(unmanaged_only_is_no_change),
		T(empty_desired_and_live),
		T(in_sync_despite_spelling_is_no_change),
		T(worktree_source_has_no_commit),
		T(release_is_safe),
		T(roundtrip),
		T(seal_follows_changes),
		T(tampering_is_detected),
		T(version_and_digest_presence),
		T(strict_reading_of_resealed_plans),
		T(diff_must_name_each_body_field_once),
		T(added_fields_are_accepted),
		T(load_file),
		T(load_file_errors_name_the_file),
	};

	return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
