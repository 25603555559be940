/*
 * apply_revert: how `apply PLANFILE` trusts a plan of kind "revert": not
 * by a commit but by the audit log that recorded the run it reverts.
 */
#ifndef MW_CLI_APPLY_REVERT_H
#define MW_CLI_APPLY_REVERT_H

#include "cli/session.h"
#include "core/plan.h"

/*
 * Verify `saved` (a revert plan) against `audit_log`: the log must verify
 * (hash chain whole, every intent answered); the revert is built again from
 * the run's records and the live state now (listed into s->live, with
 * s->api connected), and every saved change must be one it holds. The
 * rebuilt plan goes to `rebuilt_out` (plan_release()). Fails with MW_EUSAGE
 * (no audit log given), MW_EPLAN (the log does not verify, the run is not
 * in it), MW_ESTALE (the plan differs from what the log implies now) or a
 * network error; nothing is sent in any case.
 */
int apply_revert_verify(struct session *s, const struct plan *saved, const char *audit_log,
			struct plan *rebuilt_out);

/*
 * Read and verify the audit log at `path` into `*records` (a new
 * reference: its records, in file order). Fails with MW_EPLAN naming
 * FILE:LINE of the first problem when it does not verify, MW_EIO when it
 * cannot be read.
 */
int apply_revert_records(json_t **records, const char *path);

#endif
