/*
 * rate: the gate that paces request starts under a client-side rate limit.
 *
 * Pure: it reads no clock. The caller passes the time (monotonic seconds,
 * time_mono() in http.c, a fake clock in tests/unit/rate_test.c) to every
 * call, asks rate_gate_wait() how long until a start is allowed, and tells
 * the gate of each start it makes (rate_gate_start()) and of each 429 pause
 * (rate_gate_pause()). The gate never sleeps; waiting is the caller's.
 *
 * Two limits hold together at a rate R > 0:
 * - a token bucket that refills RATE_MARGIN (2%) slower than R, so that a
 *   server counting any one-second window with its own clock and the
 *   network's jitter between us never sees more than R; it holds at most
 *   max(1, R) tokens and starts with one, so the first second carries no
 *   burst;
 * - a window: no max(1, floor(R)) + 1 starts within max(1, floor(R)) / R
 *   seconds (times RATE_MARGIN), so that a bucket full after idle time does
 *   not let nearly 2R through in one second.
 * A pause (a 429's Retry-After) holds every start until it ends, and the
 * bucket neither fills during it nor keeps what it had: the restart is slow.
 * R <= 0 means no limit: only a pause holds starts then.
 */
#ifndef MW_CORE_RATE_H
#define MW_CORE_RATE_H

#include <stddef.h>

/* The bucket refills this much slower than the rate (see above). */
#define RATE_MARGIN 1.02

struct rate_gate {
	double rate; /* starts per second; <= 0: no limit */
	double tokens; /* may fall below 0 by less than 1: one start per token */
	double refilled_at; /* when the bucket was last topped up */
	double paused_until; /* no start before this time (a 429's Retry-After) */
	/*
	 * The start times of the last `window_n` starts, a ring owned by the
	 * gate (NULL when there is no limit); `next_start` is the oldest once
	 * `n_starts` reaches `window_n`.
	 */
	double *starts;
	size_t window_n, n_starts, next_start;
	double window_s; /* no window_n + 1 starts within this many seconds */
};

/*
 * Set up `g` for `rate` starts per second (<= 0: no limit) at time `now`,
 * with one token. Allocates the window's ring (aborts when memory runs
 * out, as xcalloc does); rate_gate_release() frees it.
 */
void rate_gate_init(struct rate_gate *g, double rate, double now);

/*
 * Seconds from `now` until a start is allowed: 0 when one may start now.
 * Tops the bucket up to `now` first (calling it again with the same `now`
 * changes nothing). `now` never goes back between calls of this function
 * (a start noted a little later than the `now` asked about is fine).
 */
double rate_gate_wait(struct rate_gate *g, double now);

/* Note a start at `now`: it takes a token and enters the window. */
void rate_gate_start(struct rate_gate *g, double now);

/*
 * A 429 asked every request to wait until `until`: hold starts until then
 * (a later pause already set stays) and empty the bucket.
 */
void rate_gate_pause(struct rate_gate *g, double until);

/* Free what rate_gate_init() allocated; `g` may be NULL. */
void rate_gate_release(struct rate_gate *g);

#endif
