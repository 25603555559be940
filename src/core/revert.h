/*
 * revert: the plan that puts back what one apply run changed, built from
 * the run's audit records and the live state now.
 *
 * For every domain the run updated (outcome "applied"), one PATCH of
 * exactly the fields the run sent, with their values from before the run.
 * A domain whose live values of those fields are no longer what the run
 * left (its `after`) is a conflict: listed, left out. A domain the run
 * deleted cannot be put back through this API: listed. The same builder
 * serves `mailward revert` and the verification of a saved revert plan
 * (`apply PLANFILE`: rebuild it and compare).
 */
#ifndef MW_CORE_REVERT_H
#define MW_CORE_REVERT_H

#include <jansson.h>

#include "core/live.h"
#include "core/plan.h"

/*
 * What revert_build() could not put into the plan, each a list of
 * {"domain", "id", "why"}: `conflicts` changed since the run, and
 * `not_restorable` (deleted domains, fields that had no value before).
 */
struct revert_notes {
	json_t *conflicts;
	json_t *not_restorable;
};

void revert_notes_release(struct revert_notes *n);

/*
 * Build into `out` (release with plan_release()) the plan of kind "revert"
 * of run `run_id`, from `records` (audit records in file order, from a log
 * that verified: audit_verify()'s report) against `live`. The plan takes
 * its account, API and source from the run's records. `notes` receives
 * what was left out. Fails with MW_EPLAN when the log holds no result of
 * that run.
 */
int revert_build(struct plan *out, struct revert_notes *notes, const json_t *records,
		 const char *run_id, const struct live *live);

/*
 * Check a saved revert plan against one rebuilt now: same run, account and
 * API, and every saved change (action, domain id, body) one the rebuilt
 * plan holds. Fails with MW_ESTALE naming each change that differs.
 */
int revert_compare(const struct plan *saved, const struct plan *rebuilt);

#endif
