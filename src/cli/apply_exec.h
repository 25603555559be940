/*
 * apply_exec: carry out a plan whose target is checked, the one way both
 * `apply` and the agent's self-heal do it: the items of the plan, the audit
 * log, apply_run() with its hooks, the progress and the summary on stdout.
 */
#ifndef MW_CLI_APPLY_EXEC_H
#define MW_CLI_APPLY_EXEC_H

#include <stddef.h>

#include "cli/session.h"
#include "core/plan.h"

/* What one run did, by outcome; filled by apply_execute() when given. */
struct apply_exec_opts {
	size_t updated, deleted; /* APPLY_DONE */
	size_t gone; /* APPLY_GONE: a DELETE answered 404 */
	size_t update_failed, delete_failed; /* APPLY_FAILED */
	size_t not_sent; /* APPLY_NOT_SENT or still pending: interrupted or stopped */
	char run_id[17]; /* "" when nothing was sent */
};

/*
 * Send the updates and deletes of `p` (verified against s->live, allowed
 * by the policies) through s->api, recording each in the audit log
 * (s->o->audit_log) before the next result is taken. Prints the progress,
 * each result and the summary on stdout, errors on stderr. `opts` may be
 * NULL; when given, its counts are filled. Returns the exit code: EXIT_OK
 * (all applied, or nothing to do), EXIT_PARTIAL, or EXIT_ERROR (the audit
 * log could not be opened or written, or the batch could not run).
 */
int apply_execute(struct session *s, struct plan *p, struct apply_exec_opts *opts);

#endif
