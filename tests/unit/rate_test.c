/*
 * rate_test: the gate of src/core/rate.c driven by a fake clock.
 *
 * A simulated client starts each request as soon as the gate allows it
 * (advancing the fake clock by exactly the wait the gate asks for), and the
 * start times are then checked against what --rate R promises:
 * - never more than k = max(1, floor(R)) starts in any window of k / R
 *   seconds: for a whole R, no more than R in any window of 1.0 s. The clock
 *   is exact, so the bound is checked strictly, with no allowance;
 * - in any stretch of time T, no more than max(1, R) + R T starts (the
 *   bucket's size plus its refill);
 * - when requests queue up, the long-run rate lies between R / 1.05 and R;
 * - no start before a 429 pause ends, and after it the restart is slow (the
 *   m-th start after the pause no sooner than m / R seconds after it);
 * - R = 0: no limit, but a pause still holds.
 * Everything runs on the fake clock: the suite takes milliseconds.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "core/rate.h"
#include "util/mem.h"

static const double rates[] = { 0.3, 0.5, 1, 2.5, 4, 8, 50 };

/* A fake client: the gate, the fake clock, and the start times so far. */
struct sim {
	struct rate_gate g;
	double now;
	double *t; /* owned: start times, in order */
	size_t n, alloc;
};

static void sim_init(struct sim *s, double rate, double t0)
{
	*s = (struct sim){ 0 };
	s->now = t0;
	rate_gate_init(&s->g, rate, t0);
}

static void sim_release(struct sim *s)
{
	rate_gate_release(&s->g);
	free(s->t);
}

/* Start one request that is ready at `ready`, as soon as the gate allows. */
static double sim_start(struct sim *s, double ready)
{
	int turns = 0;
	double wait;

	if (ready > s->now)
		s->now = ready;
	while ((wait = rate_gate_wait(&s->g, s->now)) > 0) {
		double next = s->now + wait;

		/* A wait below the clock's resolution still moves it on. */
		s->now = next > s->now ? next : nextafter(s->now, INFINITY);
		if (++turns > 100)
			fail_msg("the gate keeps asking to wait at t=%.9f (%.3g s)", s->now, wait);
	}
	rate_gate_start(&s->g, s->now);
	if (s->n == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 64;
		s->t = xrealloc(s->t, s->alloc * sizeof(*s->t));
	}
	s->t[s->n++] = s->now;
	return s->now;
}

/* No more than k = max(1, floor(R)) starts within any k / R seconds. */
static void check_window(const struct sim *s, double rate)
{
	size_t k = rate >= 1 ? (size_t)rate : 1;
	double span = (double)k / rate;

	for (size_t i = 0; i + k < s->n; i++)
		if (s->t[i + k] - s->t[i] < span)
			fail_msg("at rate %g, %zu starts within %.6f s (t=%.6f..%.6f), more "
				 "than %zu in %g s",
				 rate, k + 1, s->t[i + k] - s->t[i], s->t[i], s->t[i + k], k, span);
}

/* In any stretch [t_i, t_j], no more than max(1, R) + R (t_j - t_i) starts. */
static void check_bucket(const struct sim *s, double rate)
{
	double cap = rate > 1 ? rate : 1;

	for (size_t i = 0; i < s->n; i++)
		for (size_t j = i; j < s->n; j++)
			if ((double)(j - i + 1) > cap + rate * (s->t[j] - s->t[i]) + 1e-9)
				fail_msg("at rate %g, %zu starts within %.6f s (t=%.6f..%.6f)",
					 rate, j - i + 1, s->t[j] - s->t[i], s->t[i], s->t[j]);
}

/* Queued requests go out at R / 1.05 .. R per second over the run. */
static void check_long_run(const struct sim *s, double rate)
{
	double got = (double)(s->n - 1) / (s->t[s->n - 1] - s->t[0]);

	if (got > rate || got < rate / 1.05)
		fail_msg("at rate %g, %zu queued requests went out at %.4f per second", rate, s->n,
			 got);
}

static size_t queue_of(double rate)
{
	return 10 * (size_t)ceil(rate) + 10;
}

static void queued_requests_keep_the_rate(void **state)
{
	(void)state;
	for (size_t r = 0; r < ARRAY_SIZE(rates); r++) {
		struct sim s;

		sim_init(&s, rates[r], 100.0);
		for (size_t i = 0; i < queue_of(rates[r]); i++)
			sim_start(&s, 100.0);
		/* The bucket starts with one token: no burst in the first second. */
		if (s.n > 1 && s.t[1] - s.t[0] < 1 / rates[r])
			fail_msg("at rate %g, the second start came %.6f s after the first",
				 rates[r], s.t[1] - s.t[0]);
		check_window(&s, rates[r]);
		check_bucket(&s, rates[r]);
		check_long_run(&s, rates[r]);
		sim_release(&s);
	}
}

/*
 * After idle time the bucket is full: max(1, floor(R)) start at once, and
 * the window still holds the next ones back.
 */
static void full_bucket_after_idle(void **state)
{
	(void)state;
	for (size_t r = 0; r < ARRAY_SIZE(rates); r++) {
		double rate = rates[r];
		size_t k = rate >= 1 ? (size_t)rate : 1;
		size_t burst = 0;
		struct sim s;
		double t0;

		sim_init(&s, rate, 0.0);
		for (size_t i = 0; i < queue_of(rate); i++)
			sim_start(&s, 0.0);
		t0 = s.now + 20.0 / rate + 10.0;
		for (size_t i = 0; i < 3 * k + 3; i++)
			if (sim_start(&s, t0) == t0)
				burst++;
		assert_int_equal(burst, k);
		check_window(&s, rate);
		check_bucket(&s, rate);
		sim_release(&s);
	}
}

static uint64_t next_random(uint64_t *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ULL;
}

/* Bursts of up to 3R requests at random moments, with gaps from 0 to 4 s. */
static void random_bursts(void **state)
{
	(void)state;
	for (size_t r = 0; r < ARRAY_SIZE(rates); r++) {
		double rate = rates[r];
		uint64_t x = 88172645463325252ULL + r;
		double ready = 0;
		struct sim s;

		sim_init(&s, rate, 0.0);
		for (int b = 0; b < 40; b++) {
			size_t size = 1 + next_random(&x) % (3 * (uint64_t)ceil(rate));

			ready += (double)(next_random(&x) % 4000) / 1000.0;
			for (size_t i = 0; i < size; i++)
				sim_start(&s, ready);
		}
		check_window(&s, rate);
		check_bucket(&s, rate);
		sim_release(&s);
	}
}

/*
 * A 429 with Retry-After in the middle of a queue: nothing starts before
 * the pause ends, the bucket did not fill during it (the m-th start after
 * it comes no sooner than m / R), and the limits hold across it.
 */
static void pause_holds_and_restarts_slowly(void **state)
{
	(void)state;
	for (size_t r = 0; r < ARRAY_SIZE(rates); r++) {
		double rate = rates[r];
		size_t n = queue_of(rate);
		double paused_at = 0, until = 0;
		size_t first_after = 0;
		struct sim s;

		sim_init(&s, rate, 0.0);
		for (size_t i = 0; i < n; i++) {
			sim_start(&s, 0.0);
			if (i == n / 2) {
				paused_at = s.now;
				until = s.now + 3.0;
				rate_gate_pause(&s.g, until);
				/* An earlier end does not shorten the pause. */
				rate_gate_pause(&s.g, s.now + 1.0);
				first_after = s.n;
			}
		}
		for (size_t i = first_after; i < s.n; i++) {
			double m = (double)(i - first_after + 1);

			if (s.t[i] < until)
				fail_msg(
					"at rate %g, a start at t=%.6f during the pause %.6f..%.6f",
					rate, s.t[i], paused_at, until);
			if (s.t[i] - until < m / rate)
				fail_msg("at rate %g, start %g after the pause came %.6f s after "
					 "it: the bucket filled while paused",
					 rate, m, s.t[i] - until);
		}
		check_window(&s, rate);
		check_bucket(&s, rate);
		sim_release(&s);
	}
}

/* Rate 0: no limit, every request starts at once; a pause still holds them. */
static void rate_zero_is_unlimited(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, 0, 5.0);
	for (size_t i = 0; i < 1000; i++)
		assert_true(sim_start(&s, 5.0) == 5.0);
	rate_gate_pause(&s.g, 7.5);
	assert_true(rate_gate_wait(&s.g, 6.0) == 1.5);
	for (size_t i = 0; i < 100; i++)
		assert_true(sim_start(&s, 6.0) == 7.5);
	sim_release(&s);
	/* A negative rate is no limit too, and release takes NULL. */
	sim_init(&s, -1, 0.0);
	for (size_t i = 0; i < 100; i++)
		assert_true(sim_start(&s, 0.0) == 0.0);
	sim_release(&s);
	rate_gate_release(NULL);
}

/* Asking twice at the same time gives the same answer: the refill is not counted twice. */
static void wait_is_repeatable(void **state)
{
	struct rate_gate g;
	double w;

	(void)state;
	rate_gate_init(&g, 4, 0.0);
	rate_gate_start(&g, 0.0);
	w = rate_gate_wait(&g, 0.1);
	assert_true(w > 0);
	assert_true(rate_gate_wait(&g, 0.1) == w);
	assert_true(rate_gate_wait(&g, 0.1 + w) == 0);
	rate_gate_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(queued_requests_keep_the_rate),
		cmocka_unit_test(full_bucket_after_idle),
		cmocka_unit_test(random_bursts),
		cmocka_unit_test(pause_holds_and_restarts_slowly),
		cmocka_unit_test(rate_zero_is_unlimited),
		cmocka_unit_test(wait_is_repeatable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
