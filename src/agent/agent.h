/*
 * agent: `mailward agent`, the reconcile loop (cmd_agent() in cli/cli.h).
 *
 * Each cycle is the pipeline of plan, and with --self-heal of apply, made
 * fresh and released at its end (session, plan, API client): the source
 * at --ref, the desired state and policies, the live state, planner_run(),
 * and apply_execute() for the updates and deletes. Cycles run one after
 * the other on this thread, every --interval (plus up to 10% jitter), at
 * once after a verified webhook, and after a failure with backoff up to the
 * interval. The HTTP endpoints run on their own thread (agent_http.c) and
 * share the state under a lock (agent_state.h).
 */
#ifndef MW_AGENT_AGENT_H
#define MW_AGENT_AGENT_H

#include <stdbool.h>

/* The first wait after a failed cycle; it doubles per failure in a row. */
#define AGENT_BACKOFF_BASE_S 1.0

/*
 * Seconds until the next cycle after one that went `ok` (or the
 * `failures`-th failure in a row), for an interval of `interval` seconds and
 * `u` drawn uniformly from [0, 1): the interval plus up to 10% jitter, or
 * the backoff, never more than the interval.
 */
double agent_next_delay(double interval, bool ok, unsigned failures, double u);

#endif
