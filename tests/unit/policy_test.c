/*
 * policy_test: policy documents (every problem with its place) and every
 * rule at its boundaries, judged through the one planner (planner_run) on
 * plans built from desired and live state: max_deletes, max_changed_percent,
 * protect, require, levels, and the built-in safety threshold beside a
 * policy's own rules.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/planner.h"
#include "core/policy.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define POLICY_FILE "policies/guard.yaml"

static const struct plan_source source = { "/srv/repo", "HEAD", TU_COMMIT, "desired", false };

/* What a test allocates, released by the teardown even when an assertion fails. */
struct fx {
	struct tu_files files;
	struct diags diags;
	struct policy_set set;
	struct desired d;
	struct live l;
	struct plan plan;
	struct planner_input in;
	char *text;
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	fx->diags = (struct diags)DIAGS_INIT;
	fx->set = (struct policy_set)POLICY_SET_INIT;
	fx->d = (struct desired)DESIRED_INIT;
	fx->l = (struct live)LIVE_INIT;
	fx->in.desired = &fx->d;
	fx->in.live = &fx->l;
	fx->in.policies = &fx->set;
	fx->in.account_id = TU_ACCOUNT;
	fx->in.api_url = TU_API_URL;
	fx->in.source = &source;
	fx->in.now = 1795770000;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	tu_files_release(&fx->files);
	diags_release(&fx->diags);
	policy_set_release(&fx->set);
	desired_release(&fx->d);
	live_release(&fx->l);
	plan_release(&fx->plan);
	free(fx->text);
	free(fx);
	return 0;
}

/* Forget the policies loaded so far. */
static void reset_policies(struct fx *fx)
{
	tu_files_release(&fx->files);
	policy_set_release(&fx->set);
	diags_release(&fx->diags);
	fx->diags = (struct diags)DIAGS_INIT;
}

/* Load one policy document at `path`, which must load. */
static void policy_at(struct fx *fx, const char *path, const char *yaml)
{
	tu_files_add(&fx->files, path, yaml, true);
	if (policy_load(&fx->set, &fx->files.v[fx->files.nr - 1], 1, &fx->diags) != 0) {
		char *t = tu_diags_text(&fx->diags);

		print_error("policy does not load:\n%s", t);
		free(t);
		fail();
	}
}

static void policy(struct fx *fx, const char *yaml)
{
	policy_at(fx, POLICY_FILE, yaml);
}

/*
 * Load `yaml` as the only policy, which must be refused; returns its
 * problems as "FILE:LINE:COL: message\n" lines (owned by fx).
 */
static const char *refused(struct fx *fx, const char *yaml)
{
	reset_policies(fx);
	tu_files_add(&fx->files, POLICY_FILE, yaml, true);
	err_clear();
	assert_int_equal(policy_load(&fx->set, fx->files.v, fx->files.nr, &fx->diags), MW_EINVALID);
	assert_int_equal(fx->set.nr, 0);
	free(fx->text);
	fx->text = tu_diags_text(&fx->diags);
	return fx->text;
}

/* The desired state and the live listing to plan from. */
static void world(struct fx *fx, const char *yaml, const char *live)
{
	desired_release(&fx->d);
	fx->d = (struct desired)DESIRED_INIT;
	tu_desired_yaml_ok(&fx->d, &fx->diags, "desired/d.yaml", yaml);
	live_release(&fx->l);
	assert_int_equal(tu_live_json(&fx->l, live), 0);
}

/*
 * An account of `n_live` domains t00..: each live with lookback_hops 2; the
 * first `n_update` declared with 3 (an update each), the next `n_delete`
 * declared absent (a delete each), the next `n_same` declared with 2 (in
 * sync), the rest not declared (unmanaged, or pruned with --prune).
 */
static void account(struct fx *fx, size_t n_live, size_t n_update, size_t n_delete, size_t n_same)
{
	struct buf yaml = BUF_INIT, live = BUF_INIT;

	buf_puts(&yaml, "domains:\n");
	buf_putc(&live, '[');
	for (size_t i = 0; i < n_live; i++) {
		if (i < n_update)
			buf_printf(&yaml, "  t%02zu.example.com: {lookback_hops: 3}\n", i);
		else if (i < n_update + n_delete)
			buf_printf(&yaml, "  t%02zu.example.com: {absent: true}\n", i);
		else if (i < n_update + n_delete + n_same)
			buf_printf(&yaml, "  t%02zu.example.com: {lookback_hops: 2}\n", i);
		buf_printf(&live,
			   "%s{\"id\": \"33333333-0000-4000-8000-0000000000%02zu\", "
			   "\"domain\": \"t%02zu.example.com\", \"lookback_hops\": 2}",
			   i ? "," : "", i, i);
	}
	buf_putc(&live, ']');
	world(fx, n_update + n_delete + n_same ? yaml.ptr : "domains: {}\n", live.ptr);
	buf_release(&yaml);
	buf_release(&live);
}

/* planner_run() on the world and policies so far; returns the deny findings. */
static size_t run(struct fx *fx)
{
	plan_release(&fx->plan);
	assert_int_equal(planner_run(&fx->plan, &fx->in), 0);
	return plan_violations(&fx->plan);
}

static json_t *findings(struct fx *fx, const char *list)
{
	return json_object_get(fx->plan.policy, list);
}

static size_t n_warnings(struct fx *fx)
{
	return json_array_size(findings(fx, "warnings"));
}

/* The message of finding `i` of `list` ("violations" or "warnings"). */
static const char *message(struct fx *fx, const char *list, size_t i)
{
	json_t *f = json_array_get(findings(fx, list), i);

	assert_non_null(f);
	return json_string_value(json_object_get(f, "message"));
}

/* Every message of `list`, one per line (owned by fx). */
static const char *messages(struct fx *fx, const char *list)
{
	struct buf all = BUF_INIT;
	size_t i;
	json_t *f;

	json_array_foreach(findings(fx, list), i, f)
		buf_printf(&all, "%s\n", json_string_value(json_object_get(f, "message")));
	free(fx->text);
	fx->text = buf_detach(&all, NULL);
	return fx->text;
}

/* --- loading: every problem with its place ------------------------------ */

static void load_unknown_keys_suggest(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(refused(fx, "nmae: strict\nrules: []\n"),
			    POLICY_FILE ":1:1: unknown key 'nmae' (did you mean 'name'?)\n");
	assert_string_equal(refused(fx, "rules:\n  - max_delete: 1\n"),
			    POLICY_FILE ":2:5: unknown rule 'max_delete' (did you mean "
					"'max_deletes'?)\n");
	assert_string_equal(refused(fx, "rules:\n  - colour: red\n"),
			    POLICY_FILE ":2:5: unknown rule 'colour'\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      domain: [a.example.com]\n"
					"      settings: {lookback_hops: 3}\n"),
			    POLICY_FILE ":3:7: unknown key of 'require' 'domain' (did you mean "
					"'domains'?)\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings:\n"
					"        lookback_hop: 3\n"),
			    POLICY_FILE ":4:9: unknown setting 'lookback_hop' (did you mean "
					"'lookback_hops'?)\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings:\n"
					"        lookback_hops: {mn: 3}\n"),
			    POLICY_FILE ":4:25: unknown constraint 'mn' (did you mean 'min'?)\n");
}

static void load_bad_level(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(refused(fx, "rules:\n  - max_deletes: 1\n    level: block\n"),
			    POLICY_FILE ":3:12: 'level' takes deny or warn\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      level: Warn\n"
					"      settings: {lookback_hops: 3}\n"),
			    POLICY_FILE ":3:14: 'level' takes deny or warn\n");
	/* Both places take warn. */
	policy(fx, "rules:\n  - max_deletes: 1\n    level: warn\n  - require:\n      level: warn\n"
		   "      settings: {lookback_hops: 3}\n");
	assert_int_equal(fx->set.v[0].rules[0].level, LEVEL_WARN);
	assert_int_equal(fx->set.v[0].rules[1].level, LEVEL_WARN);
}

static void load_bad_max_deletes(void **state)
{
	struct fx *fx = *state;
	static const char *const bad[] = { "-1", "two", "1.5", "[1]", "null", "\"1\"" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *yaml = xasprintf("rules:\n  - max_deletes: %s\n", bad[i]);

		assert_string_equal(refused(fx, yaml), POLICY_FILE ":2:18: 'max_deletes' takes a "
								   "whole number, 0 or more\n");
		free(yaml);
	}
	policy(fx, "rules:\n  - max_deletes: 0\n");
	assert_int_equal(fx->set.v[0].rules[0].kind, RULE_MAX_DELETES);
	assert_int_equal(fx->set.v[0].rules[0].max, 0);
	assert_string_equal(fx->set.v[0].rules[0].where, POLICY_FILE ":2:5");
}

static void load_percent_range(void **state)
{
	struct fx *fx = *state;
	static const char *const bad[] = { "101", "-1", "100.5", "-0.5", "ten", ".inf", "1e3" };
	static const char *const good[] = { "0", "100", "12.5", "0.0" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *yaml = xasprintf("rules:\n  - max_changed_percent: %s\n", bad[i]);

		assert_string_equal(refused(fx, yaml),
				    POLICY_FILE ":2:26: 'max_changed_percent' "
						"takes a number from 0 to 100\n");
		free(yaml);
	}
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		char *yaml = xasprintf("rules:\n  - max_changed_percent: %s\n", good[i]);

		reset_policies(fx);
		policy(fx, yaml);
		assert_true(fx->set.v[0].rules[0].percent == strtod(good[i], NULL));
		free(yaml);
	}
}

static void load_protect_lists(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(refused(fx, "rules:\n  - protect: []\n"),
			    POLICY_FILE ":2:14: 'protect' takes a non-empty list of domain names "
					"or patterns like '*.example.com'\n");
	assert_string_equal(refused(fx, "rules:\n  - protect: a.example.com\n"),
			    POLICY_FILE ":2:14: 'protect' takes a non-empty list of domain names "
					"or patterns like '*.example.com'\n");
	assert_string_equal(refused(fx, "rules:\n  - protect: [a.example.com, '']\n"),
			    POLICY_FILE ":2:30: 'protect' takes domain names or patterns, not a "
					"string\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      domains: []\n"
					"      settings: {lookback_hops: 3}\n"),
			    POLICY_FILE ":3:16: 'domains' takes a non-empty list of domain names "
					"or patterns like '*.example.com'\n");
	/* Patterns compare like names: lower case, without the trailing dot. */
	policy(fx, "rules:\n  - protect: ['*.Corp.Example.COM.', B.example.com]\n");
	assert_int_equal(fx->set.v[0].rules[0].n_globs, 2);
	assert_string_equal(fx->set.v[0].rules[0].globs[0], "*.corp.example.com");
	assert_string_equal(fx->set.v[0].rules[0].globs[1], "b.example.com");
}

static void load_require_shapes(void **state)
{
	struct fx *fx = *state;
	const struct policy_rule *r;

	assert_string_equal(refused(fx, "rules:\n  - require:\n      domains: [a.example.com]\n"),
			    POLICY_FILE ":3:7: 'require' needs 'settings': a map of settings to "
					"the values or constraints they must meet\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings: {}\n"),
			    POLICY_FILE ":3:17: 'require' needs 'settings': a map of settings to "
					"the values or constraints they must meet\n");
	assert_string_equal(refused(fx, "rules:\n  - require: [lookback_hops]\n"),
			    POLICY_FILE ":2:14: 'require' takes a map with 'settings' (and "
					"'domains', 'level')\n");
	/* Read-only and identity fields are not settings a policy can require. */
	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings: {status: active}\n"),
			    POLICY_FILE ":3:18: unknown setting 'status'\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings: {domain: x.com}\n"),
			    POLICY_FILE ":3:18: unknown setting 'domain'\n");
	/* Values are checked like desired state. */
	assert_string_equal(
		refused(fx, "rules:\n  - require:\n      settings: {lookback_hops: 21}\n"),
		POLICY_FILE ":3:33: lookback_hops must be from 1 to 20, not 21\n");
	/* No domains: every domain. */
	policy(fx, "rules:\n  - require:\n      settings:\n        folder: null\n"
		   "        lookback_hops: {min: 2, max: 2}\n"
		   "        regions: {contains: [US]}\n");
	r = &fx->set.v[0].rules[0];
	assert_int_equal(r->kind, RULE_REQUIRE);
	assert_int_equal(r->n_globs, 1);
	assert_string_equal(r->globs[0], "*");
	assert_json(r->settings, "{\"folder\": {\"equals\": null}, \"lookback_hops\": {\"min\": 2, "
				 "\"max\": 2}, \"regions\": {\"contains\": [\"US\"]}}");
}

static void load_constraint_kinds(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings:\n"
					"        lookback_hops: {contains: [3]}\n"),
			    POLICY_FILE ":4:25: 'contains' applies to list settings; "
					"lookback_hops is not one\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings:\n"
					"        folder: {contains: [Inbox]}\n"),
			    POLICY_FILE ":4:18: 'contains' applies to list settings; folder is "
					"not one\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings:\n"
					"        regions: {min: 1}\n"),
			    POLICY_FILE ":4:19: 'min' applies to number settings; regions is not "
					"one\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings:\n"
					"        lookback_hops: {max: high}\n"),
			    POLICY_FILE ":4:30: 'max' takes an integer\n");
	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings:\n"
					"        regions: {contains: [MARS]}\n"),
			    POLICY_FILE ":4:30: 'MARS' is not a valid value for regions; expected "
					"one of GLOBAL, AU, DE, IN, US\n");
}

static void load_min_above_max(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(refused(fx, "rules:\n  - require:\n      settings:\n"
					"        lookback_hops: {min: 5, max: 4}\n"),
			    POLICY_FILE ":4:24: 'min' is larger than 'max'\n");
	/* Equal bounds are one allowed value. */
	policy(fx,
	       "rules:\n  - require:\n      settings:\n        lookback_hops: {min: 4, max: 4}\n");
	assert_int_equal(fx->set.nr, 1);
}

static void load_one_rule_per_item(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(
		refused(fx, "rules:\n  - max_deletes: 1\n    protect: [a.example.com]\n"),
		POLICY_FILE ":3:5: one rule per list item: 'max_deletes' and 'protect' "
			    "are two; start another item with '-'\n");
	assert_string_equal(refused(fx, "rules:\n  - level: warn\n"),
			    POLICY_FILE ":2:5: this rule names no rule: use max_deletes, "
					"max_changed_percent, protect or require\n");
	assert_string_equal(refused(fx, "rules:\n  - max_deletes\n"),
			    POLICY_FILE ":2:5: a rule is a map such as '- max_deletes: 1', not a "
					"string\n");
}

static void load_document_shape(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(refused(fx, "- max_deletes: 1\n"),
			    POLICY_FILE ":1:1: a policy document is a map with 'name' and "
					"'rules'\n");
	assert_string_equal(refused(fx, "name: strict\n"),
			    POLICY_FILE ":1:1: a policy needs 'rules': a list of rules\n");
	assert_string_equal(refused(fx, "name: strict\nrules: {max_deletes: 1}\n"),
			    POLICY_FILE ":2:8: a policy needs 'rules': a list of rules\n");
	assert_string_equal(refused(fx, "name: ''\nrules: []\n"),
			    POLICY_FILE ":1:7: 'name' takes the policy's name\n");
	/* Every problem of a document is reported, not only the first. */
	refused(fx, "rules:\n  - max_deletes: -1\n  - max_changed_percent: 200\n  - protect: []\n");
	assert_int_equal(fx->diags.errors, 3);
	assert_string_equal(err_msg(), "the policies have 3 problems");
}

static void load_default_name(void **state)
{
	struct fx *fx = *state;

	policy_at(fx, "desired/policies/strict.yaml", "rules: []\n");
	policy_at(fx, "no-deletes.v2.yml", "rules: []\n");
	policy_at(fx, "policies/x.yaml", "name: Friday freeze\nrules: []\n");
	assert_int_equal(fx->set.nr, 3);
	assert_string_equal(fx->set.v[0].name, "strict");
	assert_string_equal(fx->set.v[0].file, "desired/policies/strict.yaml");
	assert_string_equal(fx->set.v[1].name, "no-deletes");
	assert_string_equal(fx->set.v[2].name, "Friday freeze");
	/* Only the files marked as policies are read. */
	reset_policies(fx);
	tu_files_add(&fx->files, "desired/d.yaml", "domains: {}\n", false);
	assert_int_equal(policy_load(&fx->set, fx->files.v, fx->files.nr, &fx->diags), 0);
	assert_int_equal(fx->set.nr, 0);
}

/* --- max_deletes -------------------------------------------------------- */

static void max_deletes_boundary(void **state)
{
	struct fx *fx = *state;
	json_t *f;

	policy(fx, "name: guard\nrules:\n  - max_deletes: 2\n");
	account(fx, 12, 0, 2, 0);
	assert_int_equal(run(fx), 0);
	account(fx, 12, 0, 3, 0);
	assert_int_equal(run(fx), 1);
	f = json_array_get(findings(fx, "violations"), 0);
	assert_json(f, "{\"policy\": \"guard\", \"rule\": \"max_deletes\", \"level\": \"deny\", "
		       "\"domain\": null, \"where\": \"" POLICY_FILE
		       ":3:5\", \"message\": \"policy 'guard', rule "
		       "max_deletes: the plan deletes 3 domains (t00.example.com, t01.example.com, "
		       "t02.example.com), more than 2 (" POLICY_FILE ":3:5)\"}");
	/* Updates do not count. */
	account(fx, 12, 5, 2, 0);
	fx->in.force = true;
	assert_int_equal(run(fx), 0);
}

static void max_deletes_zero(void **state)
{
	struct fx *fx = *state;

	policy(fx, "rules:\n  - max_deletes: 0\n");
	account(fx, 3, 1, 0, 0);
	assert_int_equal(run(fx), 0);
	account(fx, 3, 0, 1, 0);
	assert_int_equal(run(fx), 1);
	/* Pruned domains are deletes too. */
	account(fx, 3, 0, 0, 2);
	assert_int_equal(run(fx), 0);
	fx->in.prune = true;
	assert_int_equal(run(fx), 1);
	assert_contains(message(fx, "violations", 0), "deletes 1 domains (t02.example.com)");
}

static void max_deletes_names_five(void **state)
{
	struct fx *fx = *state;

	policy(fx, "rules:\n  - max_deletes: 1\n");
	account(fx, 12, 0, 8, 0);
	assert_int_equal(run(fx), 1);
	assert_contains(message(fx, "violations", 0),
			"deletes 8 domains (t00.example.com, t01.example.com, t02.example.com, "
			"t03.example.com, t04.example.com, and 3 more), more than 1");
}

/* --- max_changed_percent ------------------------------------------------ */

static void percent_needs_ten_domains(void **state)
{
	struct fx *fx = *state;

	policy(fx, "rules:\n  - max_changed_percent: 10\n");
	/* 9 live domains, every one changed: too few to judge. */
	account(fx, 9, 5, 4, 0);
	assert_int_equal(run(fx), 0);
	/* 10 live domains: 1 change is 10%, allowed; 2 are 20%. */
	account(fx, 10, 1, 0, 0);
	assert_int_equal(run(fx), 0);
	account(fx, 10, 1, 1, 0);
	assert_int_equal(run(fx), 1);
	assert_contains(message(fx, "violations", 0),
			"policy 'guard', rule max_changed_percent: the plan changes 2 of 10 live "
			"domains (20.0%), more than 10% (" POLICY_FILE ":2:5)");
}

static void percent_exact_and_just_above(void **state)
{
	struct fx *fx = *state;

	policy(fx, "rules:\n  - max_changed_percent: 2.5\n");
	/* 1 of 40 is exactly 2.5%. */
	account(fx, 40, 1, 0, 0);
	assert_int_equal(run(fx), 0);
	account(fx, 40, 0, 1, 0);
	assert_int_equal(run(fx), 0);
	account(fx, 40, 1, 1, 0);
	assert_int_equal(run(fx), 1);
	/* Just below a whole percentage that is reached. */
	reset_policies(fx);
	policy(fx, "rules:\n  - max_changed_percent: 9.99\n");
	account(fx, 10, 1, 0, 0);
	assert_int_equal(run(fx), 1);
	/* 0 allows no change at all; noops and unmanaged domains are not changes. */
	reset_policies(fx);
	policy(fx, "rules:\n  - max_changed_percent: 0\n");
	account(fx, 10, 0, 0, 5);
	assert_int_equal(run(fx), 0);
	account(fx, 10, 1, 0, 5);
	assert_int_equal(run(fx), 1);
}

/* --- protect ------------------------------------------------------------ */

static const char corp_live[] =
	"[{\"id\": \"44444444-0000-4000-8000-000000000001\", \"domain\": \"a.corp.example.com\", "
	"\"lookback_hops\": 2},"
	" {\"id\": \"44444444-0000-4000-8000-000000000002\", \"domain\": \"B.Corp.Example.com.\", "
	"\"lookback_hops\": 2},"
	" {\"id\": \"44444444-0000-4000-8000-000000000003\", \"domain\": \"corp.example.com\", "
	"\"lookback_hops\": 2},"
	" {\"id\": \"44444444-0000-4000-8000-000000000004\", \"domain\": \"other.example.com\", "
	"\"lookback_hops\": 2}]";

static void protect_globs_and_case(void **state)
{
	struct fx *fx = *state;

	policy(fx, "rules:\n  - protect: ['*.Corp.example.com']\n");
	fx->in.force = true; /* the built-in threshold is not what is tested */
	world(fx, "domains:\n  A.Corp.Example.com.: {absent: true}\n", corp_live);
	assert_int_equal(run(fx), 1);
	assert_string_equal(message(fx, "violations", 0),
			    "policy 'guard', rule protect: the plan deletes protected domain "
			    "'a.corp.example.com' (matches '*.corp.example.com') (" POLICY_FILE
			    ":2:5)");
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(findings(fx, "violations"), 0), "domain")),
			    "a.corp.example.com");
	/* A live name in other case, pruned. */
	world(fx,
	      "domains:\n  a.corp.example.com: {}\n  corp.example.com: {}\n"
	      "  other.example.com: {}\n",
	      corp_live);
	fx->in.prune = true;
	assert_int_equal(run(fx), 1);
	assert_contains(message(fx, "violations", 0), "'b.corp.example.com'");
	/* The pattern does not match the apex. */
	fx->in.prune = false;
	world(fx, "domains:\n  corp.example.com: {absent: true}\n", corp_live);
	assert_int_equal(run(fx), 0);
	assert_int_equal(fx->plan.summary.del, 1);
}

static void protect_exact_name_with_dot(void **state)
{
	struct fx *fx = *state;

	policy(fx, "rules:\n  - protect: [OTHER.example.com., nothing.example.com]\n");
	fx->in.force = true;
	world(fx, "domains:\n  other.example.com: {absent: true}\n", corp_live);
	assert_int_equal(run(fx), 1);
	assert_contains(message(fx, "violations", 0), "(matches 'other.example.com')");
}

static void protect_only_deletes(void **state)
{
	struct fx *fx = *state;

	policy(fx, "rules:\n  - protect: ['*']\n");
	fx->in.force = true;
	/* Updates, noops and missing domains of protected names pass. */
	world(fx,
	      "domains:\n  a.corp.example.com: {lookback_hops: 5}\n"
	      "  corp.example.com: {lookback_hops: 2}\n  new.example.com: {}\n",
	      corp_live);
	assert_int_equal(run(fx), 0);
	assert_int_equal(fx->plan.summary.update, 1);
	assert_int_equal(fx->plan.summary.missing, 1);
	/* Each delete is a finding of its own. */
	world(fx,
	      "domains:\n  a.corp.example.com: {absent: true}\n"
	      "  corp.example.com: {absent: true}\n",
	      corp_live);
	assert_int_equal(run(fx), 2);
}

/* --- require ------------------------------------------------------------ */

static const char one_live[] =
	"[{\"id\": \"55555555-0000-4000-8000-000000000001\", \"domain\": \"a.example.com\", "
	"\"lookback_hops\": 4, \"require_tls_inbound\": false, \"folder\": \"Inbox\", "
	"\"ip_restrictions\": [\"2001:db8::/32\", \"192.0.2.1/32\"], "
	"\"drop_dispositions\": [\"SPOOF\", \"MALICIOUS\", \"SPAM\"], "
	"\"integration_id\": \"ABCDEF00-0000-4000-8000-000000000001\", \"transport\": \"smtp\"},"
	" {\"id\": \"55555555-0000-4000-8000-000000000002\", \"domain\": \"b.example.com\"}]";

/* Plan a.example.com (declared with `settings`) against one_live under one require rule. */
static size_t require(struct fx *fx, const char *constraint, const char *settings)
{
	char *pol = xasprintf("rules:\n  - require:\n      domains: [a.example.com]\n"
			      "      settings:\n        %s\n",
			      constraint);
	char *yaml = xasprintf("domains:\n  a.example.com: %s\n", settings);

	reset_policies(fx);
	policy(fx, pol);
	world(fx, yaml, one_live);
	free(pol);
	free(yaml);
	return run(fx);
}

static void require_equals(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(require(fx, "require_tls_inbound: true", "{}"), 1);
	assert_string_equal(
		message(fx, "violations", 0),
		"policy 'guard', rule require: a.example.com: require_tls_inbound would "
		"be false; must be true (" POLICY_FILE ":2:5)");
	/* Judged after the body: the plan sets it. */
	assert_int_equal(require(fx, "require_tls_inbound: true", "{require_tls_inbound: true}"),
			 0);
	assert_int_equal(fx->plan.summary.update, 1);
	/* And a plan that sets it otherwise is denied. */
	assert_int_equal(require(fx, "lookback_hops: 4", "{lookback_hops: 5}"), 1);
	assert_contains(message(fx, "violations", 0), "lookback_hops would be 5; must be 4");
	assert_int_equal(require(fx, "transport: smtp", "{}"), 0);
	assert_int_equal(require(fx, "integration_id: abcdef00-0000-4000-8000-000000000001", "{}"),
			 0);
}

static void require_null(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(require(fx, "folder: null", "{}"), 1);
	assert_contains(message(fx, "violations", 0), "folder would be \"Inbox\"; must be null");
	assert_int_equal(require(fx, "folder: null", "{folder: null}"), 0);
	/* A field the live object lacks is null. */
	reset_policies(fx);
	policy(fx, "rules:\n  - require:\n      settings: {folder: null, integration_id: null}\n");
	world(fx, "domains:\n  b.example.com: {}\n", one_live);
	assert_int_equal(run(fx), 0);
}

static void require_contains(void **state)
{
	struct fx *fx = *state;

	/* Any order, compared by value. */
	assert_int_equal(
		require(fx, "ip_restrictions: {contains: ['192.0.2.1', '2001:DB8:0::/32']}", "{}"),
		0);
	assert_int_equal(require(fx, "drop_dispositions: {contains: [SPAM, SPOOF]}", "{}"), 0);
	assert_int_equal(require(fx, "drop_dispositions: {contains: [SPAM, BULK, SPOOF]}", "{}"),
			 1);
	assert_string_equal(message(fx, "violations", 0),
			    "policy 'guard', rule require: a.example.com: drop_dispositions would "
			    "be [MALICIOUS, SPAM, SPOOF]; must contain BULK (" POLICY_FILE ":2:5)");
	assert_int_equal(require(fx, "ip_restrictions: {contains: ['192.0.2.0/24']}", "{}"), 1);
	assert_contains(message(fx, "violations", 0), "must contain 192.0.2.0/24");
	/* After the body: the plan removes a required member. */
	assert_int_equal(require(fx, "drop_dispositions: {contains: [SPAM]}",
				 "{drop_dispositions: [SPOOF]}"),
			 1);
	/* A set that is not there contains nothing. */
	assert_int_equal(require(fx, "regions: {contains: [US]}", "{}"), 1);
	assert_contains(message(fx, "violations", 0), "regions would be null; must contain US");
	/* An empty contains list holds for any set, and for none. */
	assert_int_equal(require(fx, "regions: {contains: []}", "{}"), 0);
}

static void require_min_max_bounds(void **state)
{
	struct fx *fx = *state;
	static const char range[] = "lookback_hops: {min: 3, max: 5}";

	assert_int_equal(require(fx, range, "{lookback_hops: 3}"), 0);
	assert_int_equal(require(fx, range, "{lookback_hops: 5}"), 0);
	assert_int_equal(require(fx, range, "{}"), 0); /* live 4 */
	assert_int_equal(require(fx, range, "{lookback_hops: 2}"), 1);
	assert_contains(message(fx, "violations", 0),
			"lookback_hops would be 2; must be at least 3");
	assert_int_equal(require(fx, range, "{lookback_hops: 6}"), 1);
	assert_contains(message(fx, "violations", 0),
			"lookback_hops would be 6; must be at most 5");
	assert_int_equal(require(fx, "lookback_hops: {min: 4}", "{}"), 0);
	assert_int_equal(require(fx, "lookback_hops: {max: 4}", "{}"), 0);
	assert_int_equal(require(fx, "lookback_hops: {min: 5}", "{}"), 1);
	assert_int_equal(require(fx, "lookback_hops: {max: 3}", "{}"), 1);
	/* A domain without the field: no number to compare. */
	reset_policies(fx);
	policy(fx, "rules:\n  - require:\n      settings: {lookback_hops: {min: 1}}\n");
	world(fx, "domains:\n  b.example.com: {}\n", one_live);
	assert_int_equal(run(fx), 1);
	assert_contains(message(fx, "violations", 0),
			"b.example.com: lookback_hops would be null; must be a number");
}

static void require_unmanaged_live_value(void **state)
{
	struct fx *fx = *state;

	/* The documents do not manage transport; its live value is judged all the same. */
	assert_int_equal(require(fx, "transport: relay", "{lookback_hops: 4}"), 1);
	assert_contains(message(fx, "violations", 0),
			"transport would be \"smtp\"; must be \"relay\"");
	assert_int_equal(fx->plan.summary.noop, 1);
}

static void require_domains_and_subjects(void **state)
{
	struct fx *fx = *state;
	static const char live[] = "[{\"id\": \"66666666-0000-4000-8000-000000000001\", "
				   "\"domain\": \"a.example.com\"},"
				   " {\"id\": \"66666666-0000-4000-8000-000000000002\", "
				   "\"domain\": \"b.example.com\"},"
				   " {\"id\": \"66666666-0000-4000-8000-000000000003\", "
				   "\"domain\": \"c.example.com\"},"
				   " {\"id\": \"66666666-0000-4000-8000-000000000004\", "
				   "\"domain\": \"d.example.net\"}]";

	policy(fx, "rules:\n  - require:\n      domains: ['*.EXAMPLE.com']\n"
		   "      settings: {require_tls_inbound: true}\n");
	fx->in.force = true;
	/*
	 * a: declared, judged. b: absent (deleted), c: not declared
	 * (unmanaged), m: declared, not live (missing): not judged. d: declared,
	 * not matched by the rule's domains.
	 */
	world(fx,
	      "domains:\n  a.example.com: {}\n  b.example.com: {absent: true}\n"
	      "  m.example.com: {}\n  d.example.net: {}\n",
	      live);
	assert_int_equal(run(fx), 1);
	assert_string_equal(messages(fx, "violations"),
			    "policy 'guard', rule require: a.example.com: require_tls_inbound "
			    "would be null; must be true (" POLICY_FILE ":2:5)\n");
	assert_int_equal(fx->plan.summary.del, 1);
	assert_int_equal(fx->plan.summary.missing, 1);
	assert_int_equal(fx->plan.summary.unmanaged, 1);
	/* Without domains: every subject, one finding per setting. */
	reset_policies(fx);
	policy(fx, "rules:\n  - require:\n      settings: {require_tls_inbound: true, "
		   "require_tls_outbound: true}\n");
	assert_int_equal(run(fx), 4);
	assert_int_equal(tu_count(messages(fx, "violations"), "d.example.net: "), 2);
}

/* --- levels ------------------------------------------------------------- */

static void level_warn_goes_to_warnings(void **state)
{
	struct fx *fx = *state;
	json_t *w;

	policy(fx, "rules:\n  - max_deletes: 0\n    level: warn\n"
		   "  - protect: ['t01.*']\n    level: warn\n"
		   "  - require:\n      level: warn\n      settings: {lookback_hops: 2}\n"
		   "  - max_changed_percent: 5\n    level: warn\n");
	account(fx, 10, 1, 1, 0);
	assert_int_equal(run(fx), 0);
	assert_int_equal(n_warnings(fx), 4);
	w = json_array_get(findings(fx, "warnings"), 0);
	assert_string_equal(json_string_value(json_object_get(w, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(w, "rule")), "max_deletes");
	assert_contains(messages(fx, "warnings"), "rule protect: the plan deletes protected domain "
						  "'t01.example.com'");
	/* A warning is not a violation: only the deny rule counts. */
	policy_at(fx, "policies/hard.yaml", "rules:\n  - max_deletes: 0\n");
	assert_int_equal(run(fx), 1);
	assert_int_equal(n_warnings(fx), 4);
	assert_contains(message(fx, "violations", 0), "policy 'hard', rule max_deletes");
}

/* --- the built-in safety threshold beside a policy's own rules ----------- */

static void builtin_without_own_threshold(void **state)
{
	struct fx *fx = *state;
	json_t *f;

	/* protect and require are no threshold: the built-in one stays. */
	policy(fx, "rules:\n  - protect: [keep.example.com]\n  - require:\n"
		   "      settings: {lookback_hops: {min: 1}}\n");
	account(fx, 10, 3, 0, 0);
	assert_int_equal(run(fx), 0);
	account(fx, 10, 2, 2, 0);
	assert_int_equal(run(fx), 1);
	f = json_array_get(findings(fx, "violations"), 0);
	assert_json(f,
		    "{\"policy\": \"" POLICY_BUILTIN_NAME "\", \"rule\": \"max_changed_percent\", "
		    "\"level\": \"deny\", \"domain\": null, \"where\": \"built-in\", \"message\": "
		    "\"built-in safety, rule max_changed_percent: the plan changes 4 of 10 live "
		    "domains (40.0%), more than 30% (no policy sets max_deletes or "
		    "max_changed_percent; --force lifts this threshold)\"}");
	/* Under ten live domains it does not judge the percentage either. */
	account(fx, 9, 9, 0, 0);
	assert_int_equal(run(fx), 0);
	/* --force lifts it, never a policy's own rules. */
	reset_policies(fx);
	policy(fx, "rules:\n  - max_deletes: 0\n");
	account(fx, 10, 0, 1, 0);
	fx->in.force = true;
	assert_int_equal(run(fx), 1);
	assert_contains(message(fx, "violations", 0), "policy 'guard', rule max_deletes");
}

static void builtin_replaced_by_own_threshold(void **state)
{
	struct fx *fx = *state;

	/* Either counting rule, at any level, replaces the built-in one. */
	policy(fx, "rules:\n  - max_changed_percent: 50\n");
	account(fx, 10, 5, 0, 0);
	assert_int_equal(run(fx), 0);
	account(fx, 10, 6, 0, 0);
	assert_int_equal(run(fx), 1);
	assert_contains(message(fx, "violations", 0), "policy 'guard', rule max_changed_percent");
	reset_policies(fx);
	policy(fx, "rules:\n  - max_deletes: 100\n    level: warn\n");
	account(fx, 10, 10, 0, 0);
	assert_int_equal(run(fx), 0);
	assert_int_equal(n_warnings(fx), 0);
	/* In another policy file too. */
	reset_policies(fx);
	policy_at(fx, "policies/a.yaml", "rules:\n  - protect: [keep.example.com]\n");
	policy_at(fx, "policies/b.yaml", "rules:\n  - max_deletes: 3\n");
	assert_int_equal(run(fx), 0);
}

static void builtin_prune_rules(void **state)
{
	struct fx *fx = *state;
	static const char *const only_t00[] = { "t00.example.com" };

	/* Declares none and prunes one (targeted): prune_empty only. */
	account(fx, 5, 0, 0, 0);
	fx->in.prune = true;
	fx->in.targets = only_t00;
	fx->in.n_targets = 1;
	assert_int_equal(run(fx), 1);
	assert_contains(message(fx, "violations", 0),
			"built-in safety, rule prune_empty: the desired state declares no domain, "
			"and --prune deletes 1 live domain (");
	/* Declares one, prunes every other: not all, not empty. */
	fx->in.targets = NULL;
	fx->in.n_targets = 0;
	account(fx, 2, 0, 0, 1);
	assert_int_equal(run(fx), 0);
	assert_int_equal(fx->plan.summary.del, 1);
	/* Deletes every live domain, declared absent and pruned. */
	account(fx, 2, 0, 1, 0);
	assert_int_equal(run(fx), 1);
	assert_contains(message(fx, "violations", 0),
			"built-in safety, rule prune_all: the plan deletes every live domain of "
			"the account (2) with --prune");
	/* Without --prune, deleting every domain is what the documents say. */
	fx->in.prune = false;
	account(fx, 2, 0, 2, 0);
	assert_int_equal(run(fx), 0);
	/* A policy's own threshold replaces the prune rules too. */
	policy(fx, "rules:\n  - max_deletes: 5\n");
	account(fx, 2, 0, 1, 0);
	fx->in.prune = true;
	assert_int_equal(run(fx), 0);
}

/* policy_findings() of a plan by hand: what the planner records, nothing more. */
static void findings_direct(void **state)
{
	struct fx *fx = *state;
	json_t *got;

	policy(fx, "rules:\n  - max_deletes: 0\n    level: warn\n");
	account(fx, 3, 0, 1, 0);
	assert_int_equal(run(fx), 0);
	got = policy_findings(&fx->set, &fx->plan, &fx->l, false);
	assert_true(json_equal(got, fx->plan.policy));
	json_decref(got);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(load_unknown_keys_suggest),
		T(load_bad_level),
		T(load_bad_max_deletes),
		T(load_percent_range),
		T(load_protect_lists),
		T(load_require_shapes),
		T(load_constraint_kinds),
		T(load_min_above_max),
		T(load_one_rule_per_item),
		T(load_document_shape),
		T(load_default_name),
		T(max_deletes_boundary),
		T(max_deletes_zero),
		T(max_deletes_names_five),
		T(percent_needs_ten_domains),
		T(percent_exact_and_just_above),
		T(protect_globs_and_case),
		T(protect_exact_name_with_dot),
		T(protect_only_deletes),
		T(require_equals),
		T(require_null),
		T(require_contains),
		T(require_min_max_bounds),
		T(require_unmanaged_live_value),
		T(require_domains_and_subjects),
		T(level_warn_goes_to_warnings),
		T(builtin_without_own_threshold),
		T(builtin_replaced_by_own_threshold),
		T(builtin_prune_rules),
		T(findings_direct),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
