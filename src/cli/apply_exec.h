/*
 * apply_exec: carry out a plan, the one way both `apply` and the agent's
 * self-heal do it: the locks (the account's, the audit log's), the plan
 * verified against the live state read under them (planner_verify()), the
 * policies' verdict, and the operations sent with each written ahead to the
 * audit log, with progress and a summary on stdout.
 */
#ifndef MW_CLI_APPLY_EXEC_H
#define MW_CLI_APPLY_EXEC_H

#include <stddef.h>

#include "cli/session.h"
#include "core/audit.h"
#include "core/plan.h"
#include "util/lock.h"

/*
 * What one apply run holds from before it reads the live state to its end:
 * the account's lock and the audit log (opened, locked, its torn tail cut),
 * so that a run that waited for another sees what the other did. The audit
 * context points at `run_id` and at the plan to carry out, both filled in
 * before the first record is written.
 */
struct apply_locks {
	struct lock_file *lock;
	struct audit *audit;
	struct audit_context actx;
	char run_id[17];
	double deadline; /* --lock-timeout, for both locks together */
};

/* What one run did, by outcome; filled by apply_execute() when given. */
struct apply_exec_opts {
	size_t updated, deleted; /* APPLY_DONE */
	size_t gone; /* APPLY_GONE: a DELETE answered 404 */
	size_t update_failed, delete_failed; /* APPLY_FAILED */
	size_t not_sent; /* APPLY_NOT_SENT or still pending: interrupted or stopped */
	char run_id[17]; /* "" when nothing was sent */
};

/*
 * The account's lock (--lock-file, else locks/ACCOUNT.lock in the cache
 * folder; s->account_id settled), waiting up to --lock-timeout. Fails with
 * MW_ELOCKED naming the holder's pid, or MW_EIO.
 */
int apply_take_account_lock(struct session *s, struct apply_locks *rl);

/*
 * Open and lock --audit-log (nothing without one) for the plan `p` to be
 * carried out (borrowed until the log is closed; filled in later is fine),
 * within what is left of --lock-timeout. Prints its warnings.
 */
int apply_open_audit_log(struct session *s, struct apply_locks *rl, const struct plan *p);

/* Both, in the order a second run waits for them. */
int apply_take_locks(struct session *s, struct apply_locks *rl, const struct plan *p);

/* Close the audit log and drop the locks. Safe on a zeroed struct. */
void apply_release_locks(struct apply_locks *rl);

/*
 * Print each deny finding of `p`; MW_EDENIED when there is one.
 */
int apply_check_verdict(const struct plan *p);

/*
 * The plan to carry out for `saved` (made earlier, or read from a file),
 * against the session's live state as read now: planner_verify() with the
 * session's inputs, the changes it names printed as a notice, and the
 * verdict checked. Fails like planner_verify() or with MW_EDENIED.
 */
int apply_verify_saved(struct session *s, const struct plan *saved, struct plan *out);

/*
 * Send the updates and deletes of `p` (verified, allowed), the locks held:
 * each written ahead to the audit log, the progress, each result and the
 * summary on stdout. `opts` may be NULL; when given, its counts are filled.
 * Returns the exit code: EXIT_OK (all applied, or nothing to do),
 * EXIT_PARTIAL, or EXIT_ERROR (the audit log could not be written, or the
 * batch could not run).
 */
int apply_execute(struct session *s, struct plan *p, struct apply_locks *rl,
		  struct apply_exec_opts *opts);

/*
 * The agent's self-heal: take the locks, read the live state again, verify
 * `proposed` against it, and carry it out; release the locks. Prints errors
 * itself; returns apply's exit code (EXIT_STALE when live changed since
 * `proposed` was made, EXIT_DENIED, EXIT_ERROR for a lock held elsewhere).
 */
int apply_verified(struct session *s, const struct plan *proposed, struct apply_exec_opts *opts);

#endif
