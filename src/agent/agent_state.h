/*
 * agent_state: what the agent knows between cycles, and how a cycle moves
 * it: the counters and gauges behind /metrics, the last cycle behind
 * /status, and the two state machines whose changes are notified:
 *
 *   sync:   unknown -> in sync | drift; in sync -> drift ("drift");
 *           drift -> in sync ("resolved"). Only successful cycles move it.
 *   health: ok -> failing on the second failed cycle in a row ("failing");
 *           failing -> ok on the next success ("recovered").
 *
 * plus "applied" for every cycle whose self-heal sent operations. A cycle
 * that heals the drift it found reports "applied" alone: the drift never
 * outlived the cycle. The state is plain data: the loop fills a struct
 * agent_cycle and calls agent_state_record() under the lock of struct
 * agent_shared, which the HTTP thread takes to read.
 */
#ifndef MW_AGENT_AGENT_STATE_H
#define MW_AGENT_AGENT_STATE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/apply_exec.h"
#include "core/plan.h"

/* Upper bounds (seconds) of mailward_cycle_duration_seconds' buckets, +Inf aside. */
#define AGENT_BUCKETS 11
extern const double agent_buckets[AGENT_BUCKETS];

/* Distinct (method, code) pairs counted; more are counted as code "other". */
#define AGENT_API_MAX 48

enum agent_sync { AGENT_SYNC_UNKNOWN, AGENT_SYNC_IN_SYNC, AGENT_SYNC_DRIFT };

enum agent_event {
	AGENT_EV_DRIFT = 1u << 0,
	AGENT_EV_RESOLVED = 1u << 1,
	AGENT_EV_FAILING = 1u << 2,
	AGENT_EV_RECOVERED = 1u << 3,
	AGENT_EV_APPLIED = 1u << 4,
};

/* Operation outcomes, the columns of agent_state.ops. */
enum agent_outcome { AGENT_OP_APPLIED, AGENT_OP_GONE, AGENT_OP_FAILED, AGENT_OP_NOT_SENT };

/*
 * One cycle, as the loop saw it. The strings are owned (agent_cycle_release());
 * agent_state_record() moves them into the state.
 */
struct agent_cycle {
	double start, end; /* wall clock, seconds since the epoch */
	double duration; /* monotonic seconds */
	bool ok; /* planned (and, with self-heal, applied without failures) */
	char *error; /* why not, one line; NULL when ok */
	char *commit, *ref; /* what was read; NULL when the source could not be read */
	bool planned; /* a plan was made: summary and the rest are meaningful */
	struct plan_summary summary; /* as found, before any self-heal */
	size_t absent_deletes, prune_deletes; /* summary.del, by reason */
	bool denied; /* a policy (or the built-in threshold) denies the plan */
	bool applied; /* self-heal sent operations; `apply` says how they went */
	struct apply_exec_opts apply;
	bool in_sync; /* after the cycle, live is what git says */
};

void agent_cycle_release(struct agent_cycle *c);

struct agent_api_count {
	char method[8];
	char code[8];
	unsigned long long n;
};

struct agent_state {
	/* counters */
	unsigned long long cycles_ok, cycles_error;
	unsigned long long ops[2][4]; /* [update, delete][enum agent_outcome] */
	struct agent_api_count api[AGENT_API_MAX];
	size_t n_api;
	unsigned long long buckets[AGENT_BUCKETS]; /* cumulative, as exposed */
	unsigned long long duration_count;
	double duration_sum;
	unsigned long long notifications_sent, notifications_failed;
	unsigned long long webhooks_accepted, webhooks_refused;
	/* gauges, from the last cycle (the domains: the last one that planned) */
	bool has_cycle, last_ok, policy_denied;
	double last_cycle_ts, last_success_ts;
	double last_success_mono; /* 0: never */
	size_t in_sync_domains, drifted, missing, unmanaged, absent_but_live;
	/* state machines */
	enum agent_sync sync;
	bool failing;
	unsigned failures_in_row;
	struct agent_cycle last; /* owned */
};

void agent_state_init(struct agent_state *st);
void agent_state_release(struct agent_state *st);

/*
 * Account for the finished cycle `c` (`now_mono`: the monotonic time at its
 * end): counters, gauges, state machines. Moves `c`'s strings into the
 * state (c is left empty). Returns the AGENT_EV_* events to notify.
 */
unsigned agent_state_record(struct agent_state *st, struct agent_cycle *c, double now_mono);

/* Count one HTTP attempt of the API client: "GET", "200" (or "error"). */
void agent_state_count_api(struct agent_state *st, const char *method, const char *code);

/* Ready: a cycle succeeded within the last `window` seconds before `now_mono`. */
bool agent_state_ready(const struct agent_state *st, double now_mono, double window);

/* The JSON of GET /status: the last cycle and the agent's states. New reference. */
json_t *agent_state_status(const struct agent_state *st);

/*
 * What the loop and the HTTP thread share. `lock` guards everything else;
 * `wake` is signalled when `trigger` is set (a webhook asks for a cycle).
 */
struct agent_shared {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct agent_state st;
	bool trigger; /* a cycle is asked for: the next one starts at once */
	bool hooks_enabled; /* a webhook secret was given */
	const char *secret; /* borrowed; NULL without --webhook-secret-file */
	size_t secret_len;
	double ready_window; /* seconds: three intervals */
};

void agent_shared_init(struct agent_shared *sh);
void agent_shared_release(struct agent_shared *sh);

#endif
