#include "faults.h"

#include "codes.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/num.h"

/* Limits the ring buffer the rate limiter allocates up front. */
#define MAX_RATE_LIMIT 10000000L

struct rule {
	char method[8]; /* "" = any */
	char op[8]; /* "" = any */
	char *path; /* NULL = any */
	long page; /* 0 = any */
	long after;
	long count; /* 0 = unlimited */
	long seen; /* matching requests so far */
	long applied;
	struct fault f;
};

struct faults {
	pthread_mutex_t lock;
	struct rule *rules;
	size_t n;
};

static const char *const action_names[] = {
	[FAULT_STATUS] = "status",
	[FAULT_429] = "429",
	[FAULT_DROP] = "drop",
	[FAULT_MALFORMED] = "malformed",
	[FAULT_ENVELOPE_FALSE] = "envelope-false",
	[FAULT_DELAY] = "delay",
	[FAULT_LIE_TOTAL] = "lie-total",
	[FAULT_DUPLICATE] = "duplicate",
	[FAULT_SHORT] = "short",
	[FAULT_ENDLESS] = "endless",
};

const char *fault_action_name(enum fault_action a)
{
	if ((size_t)a < sizeof action_names / sizeof action_names[0])
		return action_names[a];
	return "?";
}

const char *faults_help(void)
{
	return "  --fault RULE          inject a fault; repeatable. RULE is comma-separated "
	       "key=value\n"
	       "                        pairs (values cannot contain commas):\n"
	       "    matching (all optional; a request must fit every one given):\n"
	       "      method=GET|PATCH|DELETE   HTTP method (default any)\n"
	       "      op=list|get|patch|delete  API operation (default any)\n"
	       "      path=SUBSTR               substring of the URL path, e.g. a domain id\n"
	       "      page=N                    list requests for page N only (no page = 1)\n"
	       "      after=N                   let the first N fitting requests through (default "
	       "0)\n"
	       "      count=N                   apply to N fitting requests, then stop (default "
	       "1;\n"
	       "                                0 = every fitting request)\n"
	       "    action=ACTION (required), with its own keys:\n"
	       "      status          answer HTTP status=CODE (default 500) with the error "
	       "envelope,\n"
	       "                      code=N (default 10001), message=TEXT (default\n"
	       "                      \"Internal Server Error\")\n"
	       "      429             answer 429, Retry-After: retry-after=SECONDS (default 1),\n"
	       "                      code 971 \"Please wait and consider throttling your request "
	       "speed\"\n"
	       "      drop            close the connection without any answer\n"
	       "      malformed       answer 200 with a body that is not valid JSON\n"
	       "      envelope-false  answer 200 with success:false, result:null and one error\n"
	       "                      (code=N default 10001, message=TEXT)\n"
	       "      delay           wait delay-ms=N more milliseconds, then answer normally\n"
	       "      lie-total       list: answer normally but with "
	       "result_info.total_count=total=N\n"
	       "      duplicate       list: this page carries the items of page 1 (same filters "
	       "and\n"
	       "                      order) while result_info describes the page asked for\n"
	       "      short           list: this page omits its last item, result_info unchanged\n"
	       "      endless         list: every page holds items=N made-up domains (default:\n"
	       "                      the per_page asked), each padded with pad=BYTES (default\n"
	       "                      0), and result_info has no total_count: a listing that\n"
	       "                      never ends (give count=0)\n"
	       "    lie-total, duplicate, short and endless only ever match list requests.\n"
	       "    Every rule counts each request that fits its matching keys; rules are tried "
	       "in\n"
	       "    the order given and the first one past its 'after' with budget left applies.\n"
	       "    Faults apply after routing, rate limiting and authentication, before\n"
	       "    validation: a 'status' fault answers even an invalid request.\n"
	       "    Example: --fault op=list,page=2,action=status,status=503,count=2\n";
}

struct faults *faults_new(void)
{
	struct faults *f = xcalloc(1, sizeof(*f));

	/* default attributes: glibc's pthread_mutex_init() cannot fail */
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

void faults_free(struct faults *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->rules[i].path);
	free(f->rules);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

size_t faults_count(const struct faults *f)
{
	return f->n;
}

/* Which keys go with which action; matching keys go with all. */
static int key_fits_action(const char *key, enum fault_action a)
{
	if (strcmp(key, "status") == 0)
		return a == FAULT_STATUS;
	if (strcmp(key, "code") == 0 || strcmp(key, "message") == 0)
		return a == FAULT_STATUS || a == FAULT_ENVELOPE_FALSE;
	if (strcmp(key, "retry-after") == 0)
		return a == FAULT_429;
	if (strcmp(key, "delay-ms") == 0)
		return a == FAULT_DELAY;
	if (strcmp(key, "total") == 0)
		return a == FAULT_LIE_TOTAL;
	if (strcmp(key, "items") == 0 || strcmp(key, "pad") == 0)
		return a == FAULT_ENDLESS;
	return 1;
}

int faults_add(struct faults *f, const char *text)
{
	struct rule r;
	char *copy = NULL, *save = NULL, *part;
	int have_action = 0, have_total = 0, rc = -1;

	memset(&r, 0, sizeof r);
	r.count = 1;
	r.f.status = 500;
	r.f.code = CODE_FAULT_DEFAULT;
	snprintf(r.f.message, sizeof r.f.message, "Internal Server Error");
	r.f.retry_after = 1;
	copy = xstrdup(text);
	/* the action decides which other keys are allowed, so find it first */
	for (part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		if (strncmp(part, "action=", 7) != 0)
			continue;
		for (size_t a = 0; a < sizeof action_names / sizeof action_names[0]; a++) {
			if (strcmp(part + 7, action_names[a]) == 0) {
				r.f.action = (enum fault_action)a;
				have_action = 1;
			}
		}
		if (!have_action) {
			rc = err_set(MW_EUSAGE, "fault '%s': unknown action '%s'", text, part + 7);
			goto done;
		}
	}
	if (!have_action) {
		rc = err_set(MW_EUSAGE, "fault '%s': needs action=ACTION", text);
		goto done;
	}
	free(copy);
	copy = xstrdup(text);
	for (part = strtok_r(copy, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(part, '=');
		const char *key = part, *val;
		long n;

		if (!eq) {
			rc = err_set(MW_EUSAGE, "fault '%s': '%s' is not key=value", text, part);
			goto done;
		}
		*eq = '\0';
		val = eq + 1;
		if (!key_fits_action(key, r.f.action)) {
			rc = err_set(MW_EUSAGE,
				     "fault '%s': key '%s' does not apply to action '%s'", text,
				     key, action_names[r.f.action]);
			goto done;
		}
		if (strcmp(key, "action") == 0) {
			continue;
		} else if (strcmp(key, "method") == 0) {
			if (strcasecmp(val, "GET") != 0 && strcasecmp(val, "PATCH") != 0 &&
			    strcasecmp(val, "DELETE") != 0) {
				rc = err_set(
					MW_EUSAGE,
					"fault '%s': method must be GET, PATCH or DELETE, not '%s'",
					text, val);
				goto done;
			}
			for (size_t i = 0; val[i]; i++)
				r.method[i] = (char)toupper((unsigned char)val[i]);
		} else if (strcmp(key, "op") == 0) {
			if (strcmp(val, "list") != 0 && strcmp(val, "get") != 0 &&
			    strcmp(val, "patch") != 0 && strcmp(val, "delete") != 0) {
				rc = err_set(
					MW_EUSAGE,
					"fault '%s': op must be list, get, patch or delete, not "
					"'%s'",
					text, val);
				goto done;
			}
			snprintf(r.op, sizeof r.op, "%s", val);
		} else if (strcmp(key, "path") == 0) {
			free(r.path);
			r.path = xstrdup(val);
		} else if (strcmp(key, "message") == 0) {
			snprintf(r.f.message, sizeof r.f.message, "%s", val);
		} else {
			static const struct {
				const char *key;
				long min, max;
			} nums[] = {
				{ "page", 1, LONG_MAX },   { "after", 0, LONG_MAX },
				{ "count", 0, LONG_MAX },  { "status", 100, 599 },
				{ "code", 1000, INT_MAX }, { "retry-after", 0, 99999999 },
				{ "delay-ms", 0, 600000 }, { "total", 0, LONG_MAX },
				{ "items", 1, 100000 },    { "pad", 0, 1000000 },
			};
			size_t i;

			for (i = 0; i < sizeof nums / sizeof nums[0]; i++)
				if (strcmp(nums[i].key, key) == 0)
					break;
			if (i == sizeof nums / sizeof nums[0]) {
				rc = err_set(MW_EUSAGE, "fault '%s': unknown key '%s'", text, key);
				goto done;
			}
			if (!num_parse_long(&n, val, nums[i].min, nums[i].max)) {
				rc = err_set(
					MW_EUSAGE,
					"fault '%s': %s must be an integer from %ld to %ld, not "
					"'%s'",
					text, key, nums[i].min, nums[i].max, val);
				goto done;
			}
			if (strcmp(key, "page") == 0)
				r.page = n;
			else if (strcmp(key, "after") == 0)
				r.after = n;
			else if (strcmp(key, "count") == 0)
				r.count = n;
			else if (strcmp(key, "status") == 0)
				r.f.status = (int)n;
			else if (strcmp(key, "code") == 0)
				r.f.code = (int)n;
			else if (strcmp(key, "retry-after") == 0)
				r.f.retry_after = n;
			else if (strcmp(key, "delay-ms") == 0)
				r.f.delay_ms = n;
			else if (strcmp(key, "items") == 0)
				r.f.items = n;
			else if (strcmp(key, "pad") == 0)
				r.f.pad = n;
			else {
				r.f.total = n;
				have_total = 1;
			}
		}
	}
	if (r.f.action == FAULT_LIE_TOTAL && !have_total) {
		rc = err_set(MW_EUSAGE, "fault '%s': action lie-total needs total=N", text);
		goto done;
	}
	if (r.f.action == FAULT_LIE_TOTAL || r.f.action == FAULT_DUPLICATE ||
	    r.f.action == FAULT_SHORT || r.f.action == FAULT_ENDLESS) {
		if (r.op[0] && strcmp(r.op, "list") != 0) {
			rc = err_set(MW_EUSAGE, "fault '%s': action %s only applies to op=list",
				     text, action_names[r.f.action]);
			goto done;
		}
		snprintf(r.op, sizeof r.op, "list");
	}
	f->rules = xrealloc(f->rules, (f->n + 1) * sizeof(*f->rules));
	r.f.rule = (int)f->n + 1;
	f->rules[f->n++] = r;
	r.path = NULL;
	rc = 0;
done:
	free(r.path);
	free(copy);
	return rc;
}

int faults_match(struct faults *f, const char *method, const char *op, const char *path, long page,
		 struct fault *out)
{
	int hit = 0;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->n; i++) {
		struct rule *r = &f->rules[i];

		if (r->method[0] && strcmp(r->method, method) != 0)
			continue;
		if (r->op[0] && strcmp(r->op, op) != 0)
			continue;
		if (r->path && !strstr(path, r->path))
			continue;
		if (r->page && (strcmp(op, "list") != 0 || page != r->page))
			continue;
		r->seen++;
		if (hit || r->seen <= r->after || (r->count && r->applied >= r->count))
			continue;
		r->applied++;
		*out = r->f;
		hit = 1;
	}
	pthread_mutex_unlock(&f->lock);
	return hit;
}

/* ---- rate limiter ------------------------------------------------------- */

struct ratelimit {
	pthread_mutex_t lock;
	long limit;
	long window;
	double *times; /* ring of admission times, oldest at head */
	long head;
	long used;
};

int ratelimit_parse(long *limit, long *window, const char *text)
{
	const char *slash = strchr(text, '/');
	char *num = NULL;
	int rc = -1;

	if (!slash)
		return err_set(MW_EUSAGE, "rate limit '%s' must look like N/SECONDS, e.g. 1200/300",
			       text);
	num = xstrndup(text, (size_t)(slash - text));
	if (!num_parse_long(limit, num, 1, MAX_RATE_LIMIT) ||
	    !num_parse_long(window, slash + 1, 1, 86400)) {
		rc = err_set(
			MW_EUSAGE,
			"rate limit '%s' must look like N/SECONDS with N from 1 to %ld and SECONDS "
			"from 1 to 86400",
			text, MAX_RATE_LIMIT);
		goto done;
	}
	rc = 0;
done:
	free(num);
	return rc;
}

struct ratelimit *ratelimit_new(long limit, long window)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));

	rl->times = xcalloc((size_t)limit, sizeof(*rl->times));
	/* default attributes: glibc's pthread_mutex_init() cannot fail */
	pthread_mutex_init(&rl->lock, NULL);
	rl->limit = limit;
	rl->window = window;
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->times);
	free(rl);
}

/* Drops admissions that left the window and fills *info; lock held. */
static void ratelimit_update(struct ratelimit *rl, double now, struct ratelimit_info *info,
			     int take, int *admitted)
{
	double wait;

	while (rl->used > 0 && rl->times[rl->head] <= now - (double)rl->window) {
		rl->head = (rl->head + 1) % rl->limit;
		rl->used--;
	}
	*admitted = rl->used < rl->limit;
	if (take && *admitted) {
		rl->times[(rl->head + rl->used) % rl->limit] = now;
		rl->used++;
	}
	wait = rl->used ? rl->times[rl->head] + (double)rl->window - now : (double)rl->window;
	info->limit = rl->limit;
	info->window = rl->window;
	info->remaining = rl->limit - rl->used;
	info->reset = (long)ceil(wait);
	if (info->reset < 0)
		info->reset = 0;
	info->retry_after = info->reset < 1 ? 1 : info->reset;
}

int ratelimit_take(struct ratelimit *rl, double now, struct ratelimit_info *info)
{
	int admitted;

	pthread_mutex_lock(&rl->lock);
	ratelimit_update(rl, now, info, 1, &admitted);
	pthread_mutex_unlock(&rl->lock);
	return admitted;
}

void ratelimit_peek(struct ratelimit *rl, double now, struct ratelimit_info *info)
{
	int admitted;

	pthread_mutex_lock(&rl->lock);
	ratelimit_update(rl, now, info, 0, &admitted);
	pthread_mutex_unlock(&rl->lock);
}
