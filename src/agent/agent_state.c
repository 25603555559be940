#include "agent/agent_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

const double agent_buckets[AGENT_BUCKETS] = { 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300 };

void agent_cycle_release(struct agent_cycle *c)
{
	free(c->error);
	free(c->commit);
	free(c->ref);
	memset(c, 0, sizeof(*c));
}

void agent_state_init(struct agent_state *st)
{
	memset(st, 0, sizeof(*st));
	st->sync = AGENT_SYNC_UNKNOWN;
}

void agent_state_release(struct agent_state *st)
{
	agent_cycle_release(&st->last);
}

static void count_ops(struct agent_state *st, const struct apply_exec_opts *a)
{
	st->ops[0][AGENT_OP_APPLIED] += a->updated;
	st->ops[1][AGENT_OP_APPLIED] += a->deleted;
	st->ops[1][AGENT_OP_GONE] += a->gone;
	st->ops[0][AGENT_OP_FAILED] += a->update_failed;
	st->ops[1][AGENT_OP_FAILED] += a->delete_failed;
	/* Not sent: the plan's order does not say which; count them as updates first. */
	st->ops[0][AGENT_OP_NOT_SENT] += a->not_sent;
}

/* The domains gauge after the cycle: as found, less what self-heal fixed. */
static void set_domains(struct agent_state *st, const struct agent_cycle *c)
{
	size_t fixed_updates = 0, fixed_deletes = 0, from_absent;

	if (c->applied) {
		fixed_updates = c->apply.updated;
		fixed_deletes = c->apply.deleted + c->apply.gone;
	}
	from_absent = fixed_deletes < c->absent_deletes ? fixed_deletes : c->absent_deletes;
	st->in_sync_domains = c->summary.noop + fixed_updates;
	st->drifted = c->summary.update - fixed_updates;
	st->missing = c->summary.missing;
	st->absent_but_live = c->absent_deletes - from_absent;
	/* Pruned domains were unmanaged ones. */
	st->unmanaged =
		c->summary.unmanaged + c->prune_deletes -
		(fixed_deletes - from_absent < c->prune_deletes ? fixed_deletes - from_absent
								: c->prune_deletes);
}

unsigned agent_state_record(struct agent_state *st, struct agent_cycle *c, double now_mono)
{
	unsigned ev = 0;

	st->has_cycle = true;
	st->last_ok = c->ok;
	st->last_cycle_ts = c->end;
	for (size_t i = 0; i < AGENT_BUCKETS; i++)
		if (c->duration <= agent_buckets[i])
			st->buckets[i]++;
	st->duration_count++;
	st->duration_sum += c->duration;
	if (c->applied) {
		count_ops(st, &c->apply);
		ev |= AGENT_EV_APPLIED;
	}
	if (c->planned) {
		st->policy_denied = c->denied;
		set_domains(st, c);
		/* The sync machine moves on every cycle that saw the whole picture. */
		if (c->in_sync) {
			if (st->sync == AGENT_SYNC_DRIFT)
				ev |= AGENT_EV_RESOLVED;
			st->sync = AGENT_SYNC_IN_SYNC;
		} else {
			if (st->sync != AGENT_SYNC_DRIFT)
				ev |= AGENT_EV_DRIFT;
			st->sync = AGENT_SYNC_DRIFT;
		}
	}
	if (c->ok) {
		st->cycles_ok++;
		st->last_success_ts = c->end;
		st->last_success_mono = now_mono;
		if (st->failing)
			ev |= AGENT_EV_RECOVERED;
		st->failing = false;
		st->failures_in_row = 0;
	} else {
		st->cycles_error++;
		st->failures_in_row++;
		if (st->failures_in_row >= 2 && !st->failing) {
			st->failing = true;
			ev |= AGENT_EV_FAILING;
		}
	}
	/* A heal that left nothing behind is one event: "applied". */
	if ((ev & AGENT_EV_APPLIED) && c->in_sync)
		ev &= ~AGENT_EV_RESOLVED;
	agent_cycle_release(&st->last);
	st->last = *c;
	memset(c, 0, sizeof(*c));
	return ev;
}

void agent_state_count_api(struct agent_state *st, const char *method, const char *code)
{
	struct agent_api_count *slot = NULL;

	for (size_t i = 0; i < st->n_api; i++)
		if (!strcmp(st->api[i].method, method) && !strcmp(st->api[i].code, code))
			slot = &st->api[i];
	if (!slot && st->n_api < AGENT_API_MAX) {
		slot = &st->api[st->n_api++];
		snprintf(slot->method, sizeof(slot->method), "%s", method);
		snprintf(slot->code, sizeof(slot->code), "%s", code);
	}
	if (!slot) {
		/* Bounded: past the table, one pair for everything else. */
		slot = &st->api[AGENT_API_MAX - 1];
		snprintf(slot->method, sizeof(slot->method), "other");
		snprintf(slot->code, sizeof(slot->code), "other");
	}
	slot->n++;
}

bool agent_state_ready(const struct agent_state *st, double now_mono, double window)
{
	return st->last_success_mono > 0 && now_mono - st->last_success_mono <= window;
}

static json_t *time_or_null(double t)
{
	char s[32];

	if (t <= 0)
		return json_null();
	time_format(s, (time_t)t);
	return json_string(s);
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *agent_state_status(const struct agent_state *st)
{
	const struct agent_cycle *c = &st->last;
	json_t *o = json_object(), *cycle;

	json_object_set_new(o, "sync",
			    json_string(st->sync == AGENT_SYNC_IN_SYNC ? "in_sync"
					: st->sync == AGENT_SYNC_DRIFT ? "drift"
								       : "unknown"));
	json_object_set_new(o, "health", json_string(st->failing ? "failing" : "ok"));
	json_object_set_new(o, "cycles",
			    json_pack("{s:I,s:I}", "ok", (json_int_t)st->cycles_ok, "error",
				      (json_int_t)st->cycles_error));
	if (!st->has_cycle) {
		json_object_set_new(o, "last_cycle", json_null());
		return o;
	}
	cycle = json_object();
	json_object_set_new(cycle, "start", time_or_null(c->start));
	json_object_set_new(cycle, "end", time_or_null(c->end));
	json_object_set_new(cycle, "duration_seconds", json_real(c->duration));
	json_object_set_new(cycle, "result", json_string(c->ok ? "ok" : "error"));
	json_object_set_new(cycle, "error", string_or_null(c->error));
	json_object_set_new(cycle, "commit", string_or_null(c->commit));
	json_object_set_new(cycle, "ref", string_or_null(c->ref));
	if (c->planned)
		json_object_set_new(cycle, "summary",
				    json_pack("{s:I,s:I,s:I,s:I,s:I}", "update",
					      (json_int_t)c->summary.update, "delete",
					      (json_int_t)c->summary.del, "missing",
					      (json_int_t)c->summary.missing, "noop",
					      (json_int_t)c->summary.noop, "unmanaged",
					      (json_int_t)c->summary.unmanaged));
	else
		json_object_set_new(cycle, "summary", json_null());
	json_object_set_new(cycle, "policy_denied", json_boolean(c->planned && c->denied));
	json_object_set_new(cycle, "in_sync", c->planned ? json_boolean(c->in_sync) : json_null());
	if (c->applied)
		json_object_set_new(
			cycle, "applied",
			json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "run_id", c->apply.run_id, "updated",
				  (json_int_t)c->apply.updated, "deleted",
				  (json_int_t)c->apply.deleted, "already_gone",
				  (json_int_t)c->apply.gone, "failed",
				  (json_int_t)(c->apply.update_failed + c->apply.delete_failed),
				  "not_sent", (json_int_t)c->apply.not_sent));
	else
		json_object_set_new(cycle, "applied", json_null());
	json_object_set_new(o, "last_cycle", cycle);
	return o;
}

void agent_shared_init(struct agent_shared *sh)
{
	memset(sh, 0, sizeof(*sh));
	pthread_mutex_init(&sh->lock, NULL);
	pthread_cond_init(&sh->wake, NULL);
	agent_state_init(&sh->st);
}

void agent_shared_release(struct agent_shared *sh)
{
	agent_state_release(&sh->st);
	pthread_cond_destroy(&sh->wake);
	pthread_mutex_destroy(&sh->lock);
}
