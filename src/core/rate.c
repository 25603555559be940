#include "rate.h"

#include <stdlib.h>

#include "util/mem.h"

void rate_gate_init(struct rate_gate *g, double rate, double now)
{
	*g = (struct rate_gate){ 0 };
	g->rate = rate;
	g->tokens = 1.0;
	g->refilled_at = now;
	if (rate > 0) {
		g->window_n = rate >= 1 ? (size_t)rate : 1;
		g->window_s = (double)g->window_n / rate * RATE_MARGIN;
		g->starts = xcalloc(g->window_n, sizeof(*g->starts));
	}
}

void rate_gate_release(struct rate_gate *g)
{
	if (!g)
		return;
	free(g->starts);
	g->starts = NULL;
	g->window_n = g->n_starts = g->next_start = 0;
}

static void refill(struct rate_gate *g, double now)
{
	double cap = g->rate > 1 ? g->rate : 1;
	/* While paused by a 429, tokens do not pile up: the restart is slow too. */
	double from = g->refilled_at > g->paused_until ? g->refilled_at : g->paused_until;

	if (g->rate <= 0)
		return;
	if (now > from) {
		g->tokens += (now - from) * g->rate / RATE_MARGIN;
		if (g->tokens > cap)
			g->tokens = cap;
	}
	g->refilled_at = now;
}

double rate_gate_wait(struct rate_gate *g, double now)
{
	double wait = g->paused_until > now ? g->paused_until - now : 0;

	refill(g, now);
	/* The oldest of the last window_n starts sits where the next one goes. */
	if (g->window_n && g->n_starts == g->window_n &&
	    g->starts[g->next_start] + g->window_s - now > wait)
		wait = g->starts[g->next_start] + g->window_s - now;

	if (g->rate > 0 && g->tokens < 1) {
		double t = (1 - g->tokens) * RATE_MARGIN / g->rate;

		if (g->paused_until > now)
			t += g->paused_until - now;
		if (t > wait)
			wait = t;
	}
	return wait;
}

void rate_gate_start(struct rate_gate *g, double now)
{
	if (g->rate > 0)
		g->tokens -= 1;
	if (!g->window_n)
		return;
	g->starts[g->next_start] = now;
	g->next_start = (g->next_start + 1) % g->window_n;
	if (g->n_starts < g->window_n)
		g->n_starts++;
}

void rate_gate_pause(struct rate_gate *g, double until)
{
	if (until > g->paused_until)
		g->paused_until = until;
	g->tokens = 0;
}
