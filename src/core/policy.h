/*
 * policy: guardrails every plan is checked against before it is printed,
 * saved or applied.
 *
 * Policy documents (YAML, validated like desired state, every problem with
 * its place) hold rules:
 *   max_deletes: N            at most N deletes in one plan
 *   max_changed_percent: P    (updates + deletes) / live domains <= P%,
 *                             checked when there are at least 10 live domains
 *   protect: [GLOB, ...]      domains matching never deleted
 *   require: {domains, level, settings}
 *                             every declared domain that matches must end up
 *                             with these settings: a value, {contains: [...]}
 *                             for sets, {min, max} for integers
 * Each rule may say `level: warn` (default: deny). The findings go into the
 * plan's `policy` field; any deny finding means the plan is denied.
 */
#ifndef MW_CORE_POLICY_H
#define MW_CORE_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/desired.h"
#include "core/live.h"
#include "core/plan.h"
#include "core/source.h"
#include "util/diag.h"

enum policy_rule_kind {
	RULE_MAX_DELETES,
	RULE_MAX_CHANGED_PERCENT,
	RULE_PROTECT,
	RULE_REQUIRE,
};

enum policy_level { LEVEL_DENY, LEVEL_WARN };

/*
 * The rule kinds a policy document may hold, one row each, in the order
 * the documentation lists them; the JSON Schema (core/schema.c) and the
 * manual page are generated from it. Ends with a row whose name is NULL.
 */
struct policy_rule_spec {
	const char *name; /* the rule's key in a policy document */
	enum policy_rule_kind kind;
	const char *summary; /* one line for the schema and the manual */
};

extern const struct policy_rule_spec policy_rule_specs[];

/*
 * The built-in safety threshold, checked when no policy has a max_deletes
 * or max_changed_percent rule of its own: updates plus deletes above this
 * percentage of at least 10 live domains, a prune that deletes every live
 * domain, or a prune from a desired state that declares none, are denied
 * with findings of this policy name.
 */
#define POLICY_BUILTIN_NAME "built-in safety"
#define POLICY_BUILTIN_PERCENT 30

struct policy_rule {
	enum policy_rule_kind kind;
	enum policy_level level;
	long long max; /* max_deletes */
	double percent; /* max_changed_percent */
	char **globs; /* protect: patterns; require: domains (["*"] when not given) */
	size_t n_globs;
	json_t *settings; /* require: field -> {"equals": v} | {"contains": [..]} | {"min", "max"}
			   */
	char *where; /* "file:line:col" of the rule */
};

struct policy {
	char *name;
	char *file;
	struct policy_rule *rules;
	size_t nr, alloc;
};

/* Invariant: policies are in the order of their files (byte order of path). */
struct policy_set {
	struct policy *v;
	size_t nr, alloc;
};

#define POLICY_SET_INIT                                                                            \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/*
 * Load the policy documents among `files` (those with `policy` set) into
 * `set`. Problems go to `diags`; returns 0, or MW_EINVALID when there was
 * an error.
 */
int policy_load(struct policy_set *set, const struct source_file *files, size_t n,
		struct diags *diags);

void policy_set_release(struct policy_set *set);

/*
 * Check `plan` (built by plan_build() against `live`) against every rule:
 * the counting rules against the plan's changes and the size of `live`,
 * `require` against each of the plan's subjects as it will be after the
 * plan (its live settings with the planned PATCH body applied); and, unless
 * `force`, the built-in safety threshold (above). Returns the
 * findings as a new object {"violations": [...], "warnings": [...]}, each
 * finding {"policy", "rule", "level", "domain", "message", "where"}; the
 * plan is not changed (the planner records them with plan_set_policy()).
 */
json_t *policy_findings(const struct policy_set *set, const struct plan *plan,
			const struct live *live, bool force);

#endif
