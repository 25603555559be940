#include "stats.h"

#include "util/err.h"
#include "util/mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* HTTP statuses fall in 100..599; index by status - 100. */
#define NSTATUS 500

struct stats {
	pthread_mutex_t lock;
	long total, list, get, patch, del, other;
	long status[NSTATUS];
	long invalid, unauthorized, rate_limited, faults, dropped;
	long arrivals; /* begun since the last reset */
	long max_in_1s;
	long in_progress, max_concurrent;
	double first_at, last_at;
	/* arrival times within the last second, a growable ring */
	double *recent;
	size_t recent_cap, recent_head, recent_len;
};

struct stats *stats_new(void)
{
	struct stats *st = xcalloc(1, sizeof(*st));

	/* default attributes: glibc's pthread_mutex_init() cannot fail */
	pthread_mutex_init(&st->lock, NULL);
	return st;
}

void stats_free(struct stats *st)
{
	if (!st)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st->recent);
	free(st);
}

/* Appends t to the ring of recent arrivals. */
static void recent_push(struct stats *st, double t)
{
	if (st->recent_len == st->recent_cap) {
		size_t cap = st->recent_cap ? st->recent_cap * 2 : 64;
		double *grown = xmalloc(cap * sizeof(*grown));

		for (size_t i = 0; i < st->recent_len; i++)
			grown[i] = st->recent[(st->recent_head + i) % st->recent_cap];
		free(st->recent);
		st->recent = grown;
		st->recent_cap = cap;
		st->recent_head = 0;
	}
	st->recent[(st->recent_head + st->recent_len) % st->recent_cap] = t;
	st->recent_len++;
}

void stats_begin(struct stats *st, double now)
{
	pthread_mutex_lock(&st->lock);
	if (st->arrivals == 0)
		st->first_at = now;
	st->arrivals++;
	if (now > st->last_at)
		st->last_at = now;
	/* the densest 1 s window ends at some arrival: count arrivals in [now-1, now] */
	while (st->recent_len > 0 && st->recent[st->recent_head] < now - 1.0) {
		st->recent_head = (st->recent_head + 1) % st->recent_cap;
		st->recent_len--;
	}
	recent_push(st, now);
	if ((long)st->recent_len > st->max_in_1s)
		st->max_in_1s = (long)st->recent_len;
	st->in_progress++;
	if (st->in_progress > st->max_concurrent)
		st->max_concurrent = st->in_progress;
	pthread_mutex_unlock(&st->lock);
}

void stats_finish(struct stats *st, const struct stats_outcome *o)
{
	pthread_mutex_lock(&st->lock);
	st->total++;
	if (strcmp(o->op, "list") == 0)
		st->list++;
	else if (strcmp(o->op, "get") == 0)
		st->get++;
	else if (strcmp(o->op, "patch") == 0)
		st->patch++;
	else if (strcmp(o->op, "delete") == 0)
		st->del++;
	else
		st->other++;
	if (o->status >= 100 && o->status < 100 + NSTATUS)
		st->status[o->status - 100]++;
	else
		st->dropped++;
	st->invalid += o->invalid != 0;
	st->unauthorized += o->unauthorized != 0;
	st->rate_limited += o->rate_limited != 0;
	st->faults += o->fault != 0;
	pthread_mutex_unlock(&st->lock);
}

void stats_end(struct stats *st)
{
	pthread_mutex_lock(&st->lock);
	if (st->in_progress > 0)
		st->in_progress--;
	pthread_mutex_unlock(&st->lock);
}

void stats_reset(struct stats *st)
{
	pthread_mutex_lock(&st->lock);
	st->total = st->list = st->get = st->patch = st->del = st->other = 0;
	memset(st->status, 0, sizeof st->status);
	st->invalid = st->unauthorized = st->rate_limited = st->faults = st->dropped = 0;
	st->arrivals = 0;
	st->max_in_1s = 0;
	st->first_at = st->last_at = 0.0;
	st->recent_head = st->recent_len = 0;
	/* requests still running keep counting as concurrent */
	st->max_concurrent = st->in_progress;
	pthread_mutex_unlock(&st->lock);
}

json_t *stats_json(struct stats *st)
{
	json_t *out = NULL, *status = NULL;
	double rate = 0.0;

	pthread_mutex_lock(&st->lock);
	status = json_object();
	if (!status)
		goto done;
	for (int i = 0; i < NSTATUS; i++) {
		char key[8];

		if (!st->status[i])
			continue;
		snprintf(key, sizeof key, "%d", i + 100);
		if (json_object_set_new(status, key, json_integer(st->status[i])) != 0)
			goto done;
	}
	if (st->arrivals >= 2 && st->last_at > st->first_at)
		rate = (double)(st->arrivals - 1) / (st->last_at - st->first_at);
	out = json_pack("{s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:O, s:I, s:I, s:I, s:I, s:I, s:I, "
			"s:f, s:I, s:o, s:o}",
			"requests", "total", (json_int_t)st->total, "list", (json_int_t)st->list,
			"get", (json_int_t)st->get, "patch", (json_int_t)st->patch, "delete",
			(json_int_t)st->del, "other", (json_int_t)st->other, "status", status,
			"invalid", (json_int_t)st->invalid, "unauthorized",
			(json_int_t)st->unauthorized, "rate_limited", (json_int_t)st->rate_limited,
			"faults", (json_int_t)st->faults, "dropped", (json_int_t)st->dropped,
			"max_in_any_1s", (json_int_t)st->max_in_1s, "avg_rate", rate,
			"max_concurrent", (json_int_t)st->max_concurrent, "first_at",
			st->arrivals ? json_real(st->first_at) : json_null(), "last_at",
			st->arrivals ? json_real(st->last_at) : json_null());
done:
	pthread_mutex_unlock(&st->lock);
	json_decref(status);
	return out;
}

int stats_write(struct stats *st, const char *path)
{
	json_t *j = stats_json(st);
	int rc = 0;

	if (!j)
		return err_set(MW_ENOMEM, "cannot write stats to '%s': out of memory", path);
	if (json_dump_file(j, path, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0) {
		rc = err_set(MW_EIO, "cannot write stats to '%s': %s", path, strerror(errno));
		goto done;
	}
done:
	json_decref(j);
	return rc;
}
