/*
 * plan: the changes that make live state equal to the desired state, as a
 * value.
 *
 * plan_build() matches desired domains with live ones and decides, per
 * domain, update (with the minimal PATCH body), delete, missing or nothing;
 * everything after it (policy checks, rendering, saving, apply) reads the
 * same struct plan. plan_to_json()/plan_from_json() are the plan file
 * format (CLI contract, "Plan file"); the digest covers the whole plan but
 * itself, so that a plan edited after review is refused.
 */
#ifndef MW_CORE_PLAN_H
#define MW_CORE_PLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/desired.h"
#include "core/live.h"
#include "util/hash.h"

#define PLAN_FORMAT_VERSION 1
/* A plan's --domain patterns: bounded, since fnmatch() backtracks. */
#define PLAN_MAX_TARGETS 256
#define PLAN_MAX_TARGET_LEN 253

enum plan_action { PLAN_UPDATE, PLAN_DELETE, PLAN_MISSING };

/*
 * What a plan file holds: a plan to apply (`plan`), the report of `drift
 * --format json` (`drift`, the same format), or a plan that puts back what
 * one apply run changed (`revert`, with `revert_of`: that run's id).
 */
enum plan_kind { PLAN_KIND_PLAN, PLAN_KIND_DRIFT, PLAN_KIND_REVERT };

struct plan_change {
	enum plan_action action;
	char *domain; /* normalised name */
	char *id; /* live id; for missing, the pinned id or NULL */
	json_t *diff; /* update: [{"field", "before", "after"}], else NULL */
	json_t *body; /* update: exactly what PATCH sends, else NULL */
	char *reason; /* delete: "absent" or "prune", else NULL */
	char *fingerprint; /* update, delete: the live object's at plan time */
	char *declared_at; /* "file:line:col" of the declaration, or NULL (prune) */
};

struct plan_unmanaged {
	char *domain;
	char *id;
};

struct plan_source {
	char *repo;
	char *ref; /* NULL in worktree mode */
	char *commit; /* NULL in worktree mode */
	char *path;
	bool worktree;
};

/*
 * A declared, not absent domain that exists live: what a policy's `require`
 * rules judge (its live settings with the plan's PATCH body applied).
 */
struct plan_subject {
	char *domain;
	char *id; /* the live id */
};

struct plan_summary {
	size_t update, del, missing, noop, unmanaged;
};

/*
 * Invariants: `changes` is sorted by domain, then id, and `unmanaged` too;
 * `summary` counts them (noop: declared domains already as desired, and
 * absent ones already gone); `policy` is an object with "violations" and
 * "warnings" arrays.
 */
struct plan {
	int format_version;
	enum plan_kind kind;
	char *revert_of; /* kind revert: the run it puts back; else NULL */
	char *tool_version;
	char *created_at;
	char *account_id;
	char *api_url;
	struct plan_source source;
	bool prune;
	/* --domain patterns (normalised: lower case, no trailing dot); none: every domain */
	char **targets;
	size_t n_targets;
	size_t live_count; /* live domains in the account when planned */
	struct plan_summary summary;
	struct plan_change *changes;
	size_t nr, alloc;
	struct plan_unmanaged *unmanaged;
	size_t n_unmanaged, unmanaged_alloc;
	json_t *policy;
	char digest[HASH_HEX_SIZE];
	/*
	 * Set by plan_build() only, not part of the plan file: the domains the
	 * policies judge, sorted by domain like `changes`.
	 */
	struct plan_subject *subjects;
	size_t n_subjects, subjects_alloc;
	size_t declared; /* domains the documents declare, targeted or not */
	/*
	 * A plan read from a file: the object as read, so that writing it
	 * again keeps fields a newer mailward added, and its digest with them.
	 */
	json_t *loaded;
};

/* What plan_build() records besides the changes; all borrowed. */
struct plan_meta {
	const char *account_id;
	const char *api_url;
	const struct plan_source *source;
	bool prune;
	/* Only domains matching one of these shell patterns (fnmatch, without case). */
	const char *const *targets;
	size_t n_targets;
	time_t now; /* the time the plan records; 0: time_now() */
};

/*
 * The index of the first change of `p` for `domain` (changes are sorted by
 * domain), found in log time; p->nr when there is none.
 */
size_t plan_first_change(const struct plan *p, const char *domain);

/* Add a domain the policies judge (`subjects`); strings are copied. */
void plan_add_subject(struct plan *p, const char *domain, const char *id);

/* Whether `domain` (normalised) is one the plan's targets reach: all when none. */
bool plan_targets(const struct plan *p, const char *domain);

/*
 * Build the plan for `desired` against `live` into `out` (zeroed first;
 * release with plan_release()). Fails with MW_EAMBIGUOUS, naming every
 * domain that cannot be matched safely (two live domains of one name with
 * no `id:` pin, a pin that names another domain's id).
 */
int plan_build(struct plan *out, const struct desired *desired, const struct live *live,
	       const struct plan_meta *meta);

void plan_release(struct plan *p);

/*
 * Keep only the changes of `p` for which `keep` returns true, fix the
 * summary's update/delete/missing counts, and reseal. `p` must not be a
 * loaded plan (its `loaded` object is dropped).
 */
void plan_retain(struct plan *p, bool (*keep)(const struct plan_change *c, void *ctx), void *ctx);

/* Whether the plan has differences: updates, deletes or missing domains. */
bool plan_has_changes(const struct plan *p);

/* Recompute `p->digest` from the rest of the plan. */
void plan_seal(struct plan *p);

/* Record policy findings (a reference is taken over) and reseal the plan. */
void plan_set_policy(struct plan *p, json_t *findings);

/* The number of deny findings the plan records. */
size_t plan_violations(const struct plan *p);

/* The plan's unmanaged domains as [{"domain", "id"}]. A new reference. */
json_t *plan_unmanaged_json(const struct plan *p);

/* The plan file object (digest included). A new reference. */
json_t *plan_to_json(const struct plan *p);

/*
 * The plan file object of `p` as a plan of `kind` (its digest computed for
 * that kind), e.g. the drift report of a plan. A new reference.
 */
json_t *plan_to_json_kind(const struct plan *p, enum plan_kind kind);

/* The plan file text: plan_to_json(), indented, with a final newline. */
char *plan_to_text(const struct plan *p);

/*
 * Read a plan file object into `out`. Checks every field's type, the format
 * version, the actions, that every PATCH body holds only writable fields
 * with valid values, that the summary agrees with the changes, and that the
 * digest matches. Fails with MW_EPLAN and a message that says what is wrong.
 */
int plan_from_json(struct plan *out, const json_t *obj);

/* plan_from_json() on a file; the message names the file. */
int plan_load_file(struct plan *out, const char *path);

/* The kind's name as in the plan file: "plan", "drift", "revert". Static. */
const char *plan_kind_name(enum plan_kind k);

/* The action's name as in the plan file: "update", "delete", "missing". */
const char *plan_action_name(enum plan_action a);

#endif
