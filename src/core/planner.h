/*
 * planner: the one way a plan is made, and the one way a saved plan is
 * checked before it is carried out.
 *
 * planner_run() turns the desired state, the live state, the policies and
 * the options into a plan with its verdict (the policy findings recorded in
 * it). `plan`, `drift`, `apply`, the agent and the golden tests all call it,
 * so what is reviewed and what is applied come from the same code.
 *
 * planner_verify() is what `apply PLANFILE` trusts instead of the plan file:
 * it builds the plan again from the same inputs (the desired state read at
 * the saved plan's commit by the caller, the live state listed now, the
 * policies of that commit) and keeps only the saved changes that the
 * rebuilt plan holds too, exactly (action, domain, id and body). A saved
 * plan is an artifact that anyone who can replace it can re-seal: its
 * digest proves nothing about who made it, so nothing in it is taken on
 * trust but the choice of which implied changes to apply.
 */
#ifndef MW_CORE_PLANNER_H
#define MW_CORE_PLANNER_H

#include <stdbool.h>
#include <time.h>

#include "core/desired.h"
#include "core/live.h"
#include "core/plan.h"
#include "core/policy.h"
#include "util/buf.h"

/* What a plan is made from. Everything is borrowed. */
struct planner_input {
	const struct desired *desired;
	const struct live *live;
	const struct policy_set *policies;
	const char *account_id;
	const char *api_url;
	const struct plan_source *source;
	bool prune; /* delete live domains no document declares */
	bool force; /* lift the built-in safety threshold (never a policy) */
	const char *const *targets; /* --domain patterns; a saved plan's own when verifying */
	size_t n_targets;
	time_t now; /* the time the plan records; 0: time_now() */
};

/*
 * Build the plan for `in` into `out` (release with plan_release()) and
 * record the policy findings in it. Fails like plan_build() (MW_EAMBIGUOUS).
 * A denied plan is not a failure: plan_violations(out) tells.
 */
int planner_run(struct plan *out, const struct planner_input *in);

/*
 * Whether the saved plan `saved` is for what `in` is configured for: its
 * account, API URL, folder, commit (or working tree) and prune. Fails with
 * MW_ESTALE saying which differs. planner_verify() starts with it; callers
 * may call it first to refuse before listing the live state.
 */
int planner_check_target(const struct plan *saved, const struct planner_input *in);

/*
 * Check the saved plan `saved` against what `in` implies now, and write the
 * plan to carry out to `out`: the saved updates and deletes, as rebuilt
 * (with the saved plan's targets, which can only narrow what is compared),
 * judged again by the policies on exactly what will be sent, and carrying
 * the saved plan's digest (what was reviewed) for the records.
 *
 * Fails with MW_ESTALE, naming each domain, when the saved plan targets
 * another account, API URL or path than `in`, was made with prune and `in`
 * does not allow it, has a change whose domain changed live since it was
 * made (its fingerprint), or has a change that the rebuilt plan does not
 * hold (a forged or edited plan). Fails like plan_build() otherwise.
 * Changes that the rebuilt plan holds and the saved one does not (drift
 * since the plan) are not carried out; they are listed in `notice`, one per
 * line, for the caller to show.
 */
int planner_verify(struct plan *out, const struct plan *saved, const struct planner_input *in,
		   struct buf *notice);

#endif
