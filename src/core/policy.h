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

/* Whether any rule of `set` judges domains' end states (needs subjects). */
bool policy_needs_subjects(const struct policy_set *set);

/* A domain whose end state `require` rules judge. */
struct policy_subject {
	const char *domain;
	const char *id;
	json_t *state; /* the writable settings after the plan; owned by the caller */
};

/*
 * The subjects of a plan made from `desired` and `live`: every declared,
 * not absent domain that exists live, with its live settings and the
 * planned PATCH body applied. Writes a new array to `*out` (free with
 * policy_subjects_free()).
 */
size_t policy_subjects(struct policy_subject **out, const struct plan *plan,
		       const struct desired *desired, const struct live *live);
void policy_subjects_free(struct policy_subject *v, size_t n);

/*
 * Check `plan` against every rule, given its subjects and how many live
 * domains the account has. Returns the findings as a new object
 * {"violations": [...], "warnings": [...]}, each finding {"policy", "rule",
 * "level", "domain", "message", "where"}; the plan is not changed (at plan
 * time, plan_set_policy() records them; apply only reads them).
 */
json_t *policy_findings(const struct policy_set *set, const struct plan *plan,
			const struct policy_subject *subjects, size_t n_subjects,
			size_t live_count);

#endif
