/*
 * faults: injected failures (--fault rules) and the request rate limiter
 * (--rate-limit). Both are thread-safe: they keep their counters under
 * their own mutex.
 *
 * A rule is "key=value[,key=value...]" (see faults_add()). Rules are tried
 * in the order they were added; every rule whose match keys fit a request
 * counts it, and the first one that is past its "after" and has budget
 * left applies to it.
 */
#ifndef MAILWARD_SANDBOX_FAULTS_H
#define MAILWARD_SANDBOX_FAULTS_H

#include <stddef.h>

enum fault_action {
	FAULT_STATUS, /* answer status=CODE with the error envelope */
	FAULT_429, /* answer 429 with Retry-After and code 971 */
	FAULT_DROP, /* close the connection without an answer */
	FAULT_MALFORMED, /* 200 whose body is not JSON */
	FAULT_ENVELOPE_FALSE, /* 200 whose envelope says success:false */
	FAULT_DELAY, /* wait delay-ms more, then answer normally */
	FAULT_LIE_TOTAL, /* list: result_info.total_count = total */
	FAULT_DUPLICATE, /* list: this page carries page 1's items */
	FAULT_SHORT, /* list: drop the page's last item, keep result_info */
	FAULT_ENDLESS, /* list: `items` made-up domains on every page, no total_count */
};

/* What an applied rule asks for (a copy, owned by the caller). */
struct fault {
	enum fault_action action;
	int rule; /* 1-based position of the rule on the command line */
	int status; /* FAULT_STATUS: HTTP status (default 500) */
	int code; /* FAULT_STATUS, FAULT_ENVELOPE_FALSE: error code (default 10001) */
	char message[256]; /* ditto: error message */
	long retry_after; /* FAULT_429: seconds (default 1) */
	long delay_ms; /* FAULT_DELAY */
	long long total; /* FAULT_LIE_TOTAL */
	long items; /* FAULT_ENDLESS: domains per page (default: per_page asked) */
	long pad; /* FAULT_ENDLESS: bytes of padding per domain (default 0) */
};

struct faults;

/* An empty rule set, owned by the caller (faults_free()). */
struct faults *faults_new(void);

/* Frees f; NULL is fine. */
void faults_free(struct faults *f);

/*
 * Parses rule and appends it. Keys: method, op, path, page, after, count,
 * action, status, code, message, retry-after, delay-ms, total, items, pad.
 * Returns 0, or MW_EUSAGE with a message quoting the offending part in the
 * error slot.
 */
int faults_add(struct faults *f, const char *rule);

/* Number of rules. */
size_t faults_count(const struct faults *f);

/*
 * Counts a request against the rules. method is "GET", ...; op is "list",
 * "get", "patch" or "delete"; path the URL path; page the list page asked
 * for (1 when absent, -1 when not a number or not a list). Returns 1 and
 * fills *out when a rule applies, else 0.
 */
int faults_match(struct faults *f, const char *method, const char *op, const char *path, long page,
		 struct fault *out);

/* The action's name as written in rules, e.g. "envelope-false". */
const char *fault_action_name(enum fault_action a);

/* Help text describing the rule syntax (static). */
const char *faults_help(void);

struct ratelimit;

struct ratelimit_info {
	long limit; /* requests per window */
	long window; /* seconds */
	long remaining; /* requests left in the window after this one */
	long reset; /* seconds until a slot frees up (t= of the Ratelimit header) */
	long retry_after; /* when limited: seconds to wait, at least 1 */
};

/*
 * Parses "N/SECONDS" (N >= 1, SECONDS >= 1) into *limit and *window.
 * Returns 0, or MW_EUSAGE with the message in the error slot.
 */
int ratelimit_parse(long *limit, long *window, const char *text);

/* A sliding-window limiter of limit requests per window seconds, owned by
 * the caller (ratelimit_free()). */
struct ratelimit *ratelimit_new(long limit, long window);

/* Frees rl; NULL is fine. */
void ratelimit_free(struct ratelimit *rl);

/*
 * Counts a request arriving at now (seconds) unless the window is full.
 * Only admitted requests take a slot. Returns 1 when admitted, 0 when over
 * the limit; fills *info either way.
 */
int ratelimit_take(struct ratelimit *rl, double now, struct ratelimit_info *info);

/* Fills *info as ratelimit_take() would, without counting a request. */
void ratelimit_peek(struct ratelimit *rl, double now, struct ratelimit_info *info);

#endif
