/*
 * planner_test: the one planner (planner_run) and the check of a saved plan
 * against what its commit implies now (planner_verify): every way a forged
 * or outdated plan can differ is refused, and what is kept is judged by the
 * policies on exactly what will be sent.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "core/planner.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/mem.h"

static const char desired_yaml[] = "domains:\n"
				   "  a.example.com: {lookback_hops: 3}\n"
				   "  b.example.com: {lookback_hops: 3}\n"
				   "  c.example.com: {absent: true}\n"
				   "  d.example.com: {}\n";

static const char live_json[] =
	"[{\"id\": \"11111111-0000-4000-8000-000000000001\", \"domain\": \"a.example.com\", "
	"\"lookback_hops\": 2},"
	" {\"id\": \"11111111-0000-4000-8000-000000000002\", \"domain\": \"b.example.com\", "
	"\"lookback_hops\": 2},"
	" {\"id\": \"11111111-0000-4000-8000-000000000003\", \"domain\": \"c.example.com\"},"
	" {\"id\": \"11111111-0000-4000-8000-000000000004\", \"domain\": \"d.example.com\", "
	"\"lookback_hops\": 9},"
	" {\"id\": \"11111111-0000-4000-8000-000000000005\", \"domain\": \"e.example.com\"}]";

static const struct plan_source source = { "/srv/repo", "HEAD", TU_COMMIT, "desired", false };

struct fx {
	struct desired d;
	struct diags diags;
	struct live l;
	struct policy_set policies;
	struct tu_files files;
	struct planner_input in;
	struct plan saved, out;
	struct buf notice;
};

static void load_policy(struct fx *fx, const char *yaml)
{
	tu_files_add(&fx->files, "desired/policies/p.yaml", yaml, true);
	assert_int_equal(policy_load(&fx->policies, fx->files.v, fx->files.nr, &fx->diags), 0);
}

static void load(struct fx *fx, const char *yaml, const char *live)
{
	tu_desired_yaml_ok(&fx->d, &fx->diags, "desired/d.yaml", yaml);
	live_release(&fx->l);
	assert_int_equal(tu_live_json(&fx->l, live), 0);
	fx->in.desired = &fx->d;
	fx->in.live = &fx->l;
	fx->in.policies = &fx->policies;
	fx->in.account_id = TU_ACCOUNT;
	fx->in.api_url = TU_API_URL;
	fx->in.source = &source;
	fx->in.now = 1795770000; /* not SOURCE_DATE_EPOCH: the clock is an input */
}

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	fx->d = (struct desired)DESIRED_INIT;
	fx->diags = (struct diags)DIAGS_INIT;
	fx->l = (struct live)LIVE_INIT;
	fx->policies = (struct policy_set)POLICY_SET_INIT;
	buf_init(&fx->notice);
	load(fx, desired_yaml, live_json);
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	plan_release(&fx->saved);
	plan_release(&fx->out);
	desired_release(&fx->d);
	diags_release(&fx->diags);
	live_release(&fx->l);
	policy_set_release(&fx->policies);
	tu_files_release(&fx->files);
	buf_release(&fx->notice);
	free(fx);
	return 0;
}

/* The saved plan as a forger edits it: through the plan file, resealed. */
static void reload_saved(struct fx *fx, json_t *edited)
{
	json_object_del(edited, "digest");
	plan_release(&fx->saved);
	/* Reseal the way the file format allows anyone to. */
	{
		struct plan tmp;
		char *text = json_dumps(edited, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
		char hex[HASH_HEX_SIZE];

		hash_sha256_hex(hex, text, strlen(text));
		json_object_set_new(edited, "digest", json_string(hex));
		free(text);
		assert_int_equal(plan_from_json(&tmp, edited), 0);
		fx->saved = tmp;
	}
	json_decref(edited);
}

static json_t *saved_json(struct fx *fx)
{
	return plan_to_json(&fx->saved);
}

static json_t *changes_of(json_t *plan)
{
	return json_object_get(plan, "changes");
}

static int verify(struct fx *fx)
{
	err_clear();
	buf_truncate(&fx->notice, 0);
	plan_release(&fx->out);
	return planner_verify(&fx->out, &fx->saved, &fx->in, &fx->notice);
}

/* --- planner_run ---------------------------------------------------------- */

static void run_records_verdict(void **state)
{
	struct fx *fx = *state;

	/* update a, b; delete c; d in sync (nothing managed); e unmanaged. */
	assert_int_equal(fx->saved.summary.update, 2);
	assert_int_equal(fx->saved.summary.del, 1);
	assert_int_equal(fx->saved.summary.noop, 1);
	assert_int_equal(fx->saved.summary.unmanaged, 1);
	assert_int_equal(plan_violations(&fx->saved), 0);
	/* The subjects: declared, not absent, live. */
	assert_int_equal(fx->saved.n_subjects, 3);
	assert_string_equal(fx->saved.subjects[2].domain, "d.example.com");

	/* require judges the state after the plan, unmanaged values included. */
	plan_release(&fx->saved);
	load_policy(fx, "rules:\n  - require:\n      settings: {lookback_hops: {max: 3}}\n");
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(plan_violations(&fx->saved), 1);
	assert_contains(json_string_value(json_object_get(
				json_array_get(json_object_get(fx->saved.policy, "violations"), 0),
				"message")),
			"d.example.com: lookback_hops would be 9; must be at most 3");
	assert_string_equal(fx->saved.created_at, "2026-11-27T09:00:00Z");
}

static void run_max_deletes_boundary(void **state)
{
	struct fx *fx = *state;

	plan_release(&fx->saved);
	load_policy(fx, "rules:\n  - max_deletes: 1\n");
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(plan_violations(&fx->saved), 0);
	plan_release(&fx->saved);
	fx->in.prune = true; /* e is pruned too: 2 deletes */
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(plan_violations(&fx->saved), 1);
}

/* Ten live domains t0..t9 with 2 hops; the first `changed` declared with 3. */
static void load_ten(struct fx *fx, size_t changed, const char *extra)
{
	struct buf yaml = BUF_INIT, live = BUF_INIT;

	buf_puts(&yaml, "domains:\n");
	buf_putc(&live, '[');
	for (size_t i = 0; i < 10; i++) {
		buf_printf(&yaml, "  t%zu.example.com: {lookback_hops: %d}\n", i,
			   i < changed ? 3 : 2);
		buf_printf(&live,
			   "%s{\"id\": \"22222222-0000-4000-8000-00000000000%zu\", "
			   "\"domain\": \"t%zu.example.com\", \"lookback_hops\": 2}",
			   i ? "," : "", i, i);
	}
	buf_putc(&live, ']');
	buf_puts(&yaml, extra);
	desired_release(&fx->d);
	fx->d = (struct desired)DESIRED_INIT;
	load(fx, yaml.ptr, live.ptr);
	buf_release(&yaml);
	buf_release(&live);
}

static const char *first_violation(const struct plan *p)
{
	json_t *v = json_array_get(json_object_get(p->policy, "violations"), 0);

	return v ? json_string_value(json_object_get(v, "message")) : "";
}

static void builtin_threshold(void **state)
{
	struct fx *fx = *state;

	/* 3 of 10 is 30%: not more than 30%. */
	load_ten(fx, 3, "");
	plan_release(&fx->saved);
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(plan_violations(&fx->saved), 0);
	/* 4 of 10: denied, by the built-in policy. */
	load_ten(fx, 4, "");
	plan_release(&fx->saved);
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(plan_violations(&fx->saved), 1);
	assert_contains(first_violation(&fx->saved), "built-in safety, rule max_changed_percent");
	/* --force lifts it. */
	fx->in.force = true;
	plan_release(&fx->saved);
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(plan_violations(&fx->saved), 0);
	/* A policy's own threshold replaces it. */
	fx->in.force = false;
	load_policy(fx, "rules:\n  - max_deletes: 5\n");
	plan_release(&fx->saved);
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(plan_violations(&fx->saved), 0);
}

static void builtin_prune(void **state)
{
	struct fx *fx = *state;

	/* Nothing declared, prune: every live domain would go. */
	desired_release(&fx->d);
	fx->d = (struct desired)DESIRED_INIT;
	load(fx, "domains: {}\n", live_json);
	fx->in.prune = true;
	plan_release(&fx->saved);
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(plan_violations(&fx->saved), 2);
	assert_contains(first_violation(&fx->saved), "rule prune_all");
	/* --force lifts both. */
	fx->in.force = true;
	plan_release(&fx->saved);
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(plan_violations(&fx->saved), 0);
	assert_int_equal(fx->saved.summary.del, 5);
}

static void targets_narrow(void **state)
{
	struct fx *fx = *state;
	static const char *const targets[] = { "A.EXAMPLE.COM.", "c.*", "e.*" };

	fx->in.targets = targets;
	fx->in.n_targets = 3;
	fx->in.prune = true;
	plan_release(&fx->saved);
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	/* a updated, c deleted (absent), e pruned; b and d not looked at. */
	assert_int_equal(fx->saved.nr, 3);
	assert_string_equal(fx->saved.changes[0].domain, "a.example.com");
	assert_string_equal(fx->saved.changes[2].domain, "e.example.com");
	assert_string_equal(fx->saved.changes[2].reason, "prune");
	assert_int_equal(fx->saved.summary.noop, 0);
	assert_string_equal(fx->saved.targets[0], "a.example.com");
	/* Verified with the saved plan's own targets, whatever the run says. */
	fx->in.targets = NULL;
	fx->in.n_targets = 0;
	assert_int_equal(verify(fx), 0);
	assert_int_equal(fx->out.nr, 3);
	assert_int_equal(fx->notice.len, 0);
}

/* --- planner_verify: what passes ---------------------------------------- */

static void verify_genuine(void **state)
{
	struct fx *fx = *state;
	json_t *a, *b;

	assert_int_equal(verify(fx), 0);
	assert_int_equal(fx->notice.len, 0);
	assert_string_equal(fx->out.digest, fx->saved.digest);
	a = plan_to_json(&fx->out);
	b = plan_to_json(&fx->saved);
	assert_true(json_equal(json_object_get(a, "changes"), json_object_get(b, "changes")));
	json_decref(a);
	json_decref(b);
}

static void verify_subset_names_the_rest(void **state)
{
	struct fx *fx = *state;
	json_t *j = saved_json(fx);

	/* The reviewed plan holds a's update only: b and c are drift since. */
	while (json_array_size(changes_of(j)) > 1)
		json_array_remove(changes_of(j), 1);
	json_object_set_new(json_object_get(j, "summary"), "update", json_integer(1));
	json_object_set_new(json_object_get(j, "summary"), "delete", json_integer(0));
	reload_saved(fx, j);
	assert_int_equal(verify(fx), 0);
	assert_int_equal(fx->out.nr, 1);
	assert_string_equal(fx->out.changes[0].domain, "a.example.com");
	assert_int_equal(fx->out.summary.update, 1);
	assert_int_equal(fx->out.summary.del, 0);
	assert_contains(fx->notice.ptr, "update b.example.com");
	assert_contains(fx->notice.ptr, "delete c.example.com");
}

/* --- planner_verify: what is refused ------------------------------------ */

static void refuse_changed_body(void **state)
{
	struct fx *fx = *state;
	json_t *j = saved_json(fx);
	json_t *c = json_array_get(changes_of(j), 0);

	json_object_set_new(json_object_get(c, "body"), "ip_restrictions",
			    json_pack("[s]", "0.0.0.0/0"));
	json_array_append_new(json_object_get(c, "diff"),
			      json_pack("{s:s, s:n, s:[s]}", "field", "ip_restrictions", "before",
					"after", "0.0.0.0/0"));
	reload_saved(fx, j);
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "update a.example.com");
	assert_contains(err_msg(), "another PATCH body");
	assert_int_equal(fx->out.nr, 0);
}

static void refuse_added_update(void **state)
{
	struct fx *fx = *state;
	json_t *j = saved_json(fx);
	json_t *c = json_deep_copy(json_array_get(changes_of(j), 0));

	/* d is declared and in sync: an update of it is not implied. */
	json_object_set_new(c, "domain", json_string("d.example.com"));
	json_object_set_new(c, "id", json_string("11111111-0000-4000-8000-000000000004"));
	json_object_set_new(c, "live_fingerprint",
			    json_string(fx->saved.changes[0].fingerprint)); /* overwritten below */
	json_array_append_new(changes_of(j), c);
	json_object_set_new(json_object_get(j, "summary"), "update", json_integer(3));
	reload_saved(fx, j);
	/* The forger copies the right fingerprint too. */
	{
		char fp[HASH_HEX_SIZE];

		live_fingerprint(fp, live_find_id(&fx->l, "11111111-0000-4000-8000-000000000004"));
		free(fx->saved.changes[3].fingerprint);
		fx->saved.changes[3].fingerprint = xstrdup(fp);
	}
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "update d.example.com");
	assert_contains(err_msg(), "does not imply it");
}

static void refuse_delete_of_declared(void **state)
{
	struct fx *fx = *state;
	struct plan_change *c;

	/* b is declared: turn its update into a delete (in memory: the file reader checks shapes).
	 */
	c = &fx->saved.changes[1];
	assert_string_equal(c->domain, "b.example.com");
	c->action = PLAN_DELETE;
	c->reason = xstrdup("absent");
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "delete b.example.com");
}

static void refuse_twice(void **state)
{
	struct fx *fx = *state;
	json_t *j = saved_json(fx);

	json_array_append(changes_of(j), json_array_get(changes_of(j), 0));
	json_object_set_new(json_object_get(j, "summary"), "update", json_integer(3));
	reload_saved(fx, j);
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "twice");
}

static void refuse_other_id(void **state)
{
	struct fx *fx = *state;

	free(fx->saved.changes[2].id);
	fx->saved.changes[2].id = xstrdup("11111111-0000-4000-8000-000000000005");
	free(fx->saved.changes[2].fingerprint);
	{
		char fp[HASH_HEX_SIZE];

		live_fingerprint(fp, live_find_id(&fx->l, "11111111-0000-4000-8000-000000000005"));
		fx->saved.changes[2].fingerprint = xstrdup(fp);
	}
	assert_int_equal(verify(fx), MW_ESTALE);
}

/*
 * Two live domains share a name; the documents pin one. A saved update moved
 * to the other id (with that domain's own fingerprint, so it is not stale)
 * would PATCH a domain the documents do not manage.
 */
static void refuse_other_id_of_same_name(void **state)
{
	struct fx *fx = *state;
	static const char live[] = "[{\"id\": \"77777777-0000-4000-8000-000000000001\", "
				   "\"domain\": \"x.example.com\", "
				   "\"lookback_hops\": 2},"
				   " {\"id\": \"77777777-0000-4000-8000-000000000002\", "
				   "\"domain\": \"x.example.com\", "
				   "\"lookback_hops\": 2}]";
	char fp[HASH_HEX_SIZE];

	desired_release(&fx->d);
	fx->d = (struct desired)DESIRED_INIT;
	load(fx,
	     "domains:\n  x.example.com:\n    id: 77777777-0000-4000-8000-000000000001\n"
	     "    lookback_hops: 3\n",
	     live);
	plan_release(&fx->saved);
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(fx->saved.nr, 1);
	assert_int_equal(fx->saved.summary.unmanaged, 1);
	assert_int_equal(verify(fx), 0);
	free(fx->saved.changes[0].id);
	fx->saved.changes[0].id = xstrdup("77777777-0000-4000-8000-000000000002");
	live_fingerprint(fp, live_find_id(&fx->l, "77777777-0000-4000-8000-000000000002"));
	free(fx->saved.changes[0].fingerprint);
	fx->saved.changes[0].fingerprint = xstrdup(fp);
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "update x.example.com (77777777-0000-4000-8000-000000000002)");
	/* Back to the pinned id and its own fingerprint: accepted again. */
	free(fx->saved.changes[0].id);
	fx->saved.changes[0].id = xstrdup("77777777-0000-4000-8000-000000000001");
	live_fingerprint(fp, live_find_id(&fx->l, "77777777-0000-4000-8000-000000000001"));
	free(fx->saved.changes[0].fingerprint);
	fx->saved.changes[0].fingerprint = xstrdup(fp);
	assert_int_equal(verify(fx), 0);
}

static void refuse_stale(void **state)
{
	struct fx *fx = *state;
	static const char changed[] = "[{\"id\": \"11111111-0000-4000-8000-000000000001\", "
				      "\"domain\": \"a.example.com\", "
				      "\"lookback_hops\": 2, \"transport\": \"changed\"},"
				      " {\"id\": \"11111111-0000-4000-8000-000000000002\", "
				      "\"domain\": \"b.example.com\", "
				      "\"lookback_hops\": 2},"
				      " {\"id\": \"11111111-0000-4000-8000-000000000004\", "
				      "\"domain\": \"d.example.com\", "
				      "\"lookback_hops\": 9},"
				      " {\"id\": \"11111111-0000-4000-8000-000000000005\", "
				      "\"domain\": \"e.example.com\"}]";

	live_release(&fx->l);
	assert_int_equal(tu_live_json(&fx->l, changed), 0);
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "the plan is stale");
	assert_contains(
		err_msg(),
		"a.example.com (11111111-0000-4000-8000-000000000001): its settings changed");
	assert_contains(err_msg(),
			"c.example.com (11111111-0000-4000-8000-000000000003): no longer exists");
	assert_not_contains(err_msg(), "b.example.com");
}

static void refuse_other_target(void **state)
{
	struct fx *fx = *state;
	struct plan_source other = source;

	fx->in.account_id = "9a7806061c88ada191ed06f989cc3dac";
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "account");
	fx->in.account_id = TU_ACCOUNT;
	fx->in.api_url = "https://api.example.net/client/v4";
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "API");
	fx->in.api_url = TU_API_URL;
	fx->in.source = &other;
	other.path = "";
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "folder 'desired'");
	other.path = "desired";
	other.commit = "89abcdef0123456789abcdef0123456789abcdef";
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "commit");
	other.commit = TU_COMMIT;
	assert_int_equal(verify(fx), 0);
}

static void refuse_prune_not_allowed(void **state)
{
	struct fx *fx = *state;

	plan_release(&fx->saved);
	fx->in.prune = true;
	assert_int_equal(planner_run(&fx->saved, &fx->in), 0);
	assert_int_equal(fx->saved.summary.del, 2);
	fx->in.prune = false;
	assert_int_equal(verify(fx), MW_ESTALE);
	assert_contains(err_msg(), "prune");
	fx->in.prune = true;
	assert_int_equal(verify(fx), 0);
	assert_int_equal(fx->out.summary.del, 2);
}

/* --- the verdict is on what will be sent ---------------------------------- */

static void judged_again(void **state)
{
	struct fx *fx = *state;

	/* Saved before the policy existed (or with its violations stripped). */
	load_policy(fx, "rules:\n  - max_deletes: 0\n");
	assert_int_equal(plan_violations(&fx->saved), 0);
	assert_int_equal(verify(fx), 0);
	assert_int_equal(plan_violations(&fx->out), 1);
}

static void judged_on_the_subset(void **state)
{
	struct fx *fx = *state;
	json_t *j = saved_json(fx);

	/* Without the delete, max_deletes: 0 holds for what is sent. */
	json_array_remove(changes_of(j), 2);
	json_object_set_new(json_object_get(j, "summary"), "delete", json_integer(0));
	reload_saved(fx, j);
	load_policy(fx, "rules:\n  - max_deletes: 0\n  - require:\n      domains: [\"a.*\"]\n"
			"      settings: {lookback_hops: {min: 3}}\n");
	assert_int_equal(verify(fx), 0);
	assert_int_equal(plan_violations(&fx->out), 0);
	assert_contains(fx->notice.ptr, "delete c.example.com");

	/* Without a's update, a keeps its live 2 hops: require denies. */
	j = saved_json(fx);
	json_array_remove(changes_of(j), 0);
	json_object_set_new(json_object_get(j, "summary"), "update", json_integer(1));
	reload_saved(fx, j);
	assert_int_equal(verify(fx), 0);
	assert_int_equal(plan_violations(&fx->out), 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(run_records_verdict),
		T(run_max_deletes_boundary),
		T(builtin_threshold),
		T(builtin_prune),
		T(targets_narrow),
		T(verify_genuine),
		T(verify_subset_names_the_rest),
		T(refuse_changed_body),
		T(refuse_added_update),
		T(refuse_delete_of_declared),
		T(refuse_twice),
		T(refuse_other_id),
		T(refuse_other_id_of_same_name),
		T(refuse_stale),
		T(refuse_other_target),
		T(refuse_prune_not_allowed),
		T(judged_again),
		T(judged_on_the_subset),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
