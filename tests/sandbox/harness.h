/*
 * harness: runs the real mailward-sandbox binary for the tests and talks to
 * it over loopback with libcurl.
 *
 * The binary comes from $MAILWARD_SANDBOX; $MAILWARD_SANDBOX_WRAPPER, when
 * set, is a command line put in front of it (e.g. "valgrind -q
 * --leak-check=full --error-exitcode=99"). MAILWARD_VALGRIND=1 (set by the
 * project's valgrind test setup) means memcheck when no wrapper is given.
 * Timing checks relax under a wrapper.
 */
#ifndef MAILWARD_TESTS_SANDBOX_HARNESS_H
#define MAILWARD_TESTS_SANDBOX_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#define TEST_ACCOUNT "023e105f4ecef8ad9ca31a8372d0c353"
#define TEST_ACCOUNT2 "11111111111111111111111111111111"
#define TEST_TOKEN "tok-s3cret-value"

/* One running (or finished) sandbox and its scratch directory. */
struct sandbox {
	char dir[256]; /* temporary directory, removed by sandbox_cleanup() */
	char state_path[300]; /* dir/state.json */
	char err_path[300]; /* dir/stderr.txt: the sandbox's stderr */
	pid_t pid; /* 0 when not running */
	char base[128]; /* "http://127.0.0.1:PORT/client/v4" */
	char root[128]; /* "http://127.0.0.1:PORT" */
	char domains[256]; /* base + "/accounts/" TEST_ACCOUNT "/email-security/settings/domains" */
};

struct http_resp {
	int curl_code; /* CURLcode; 0 when an answer came */
	long status;
	char *body; /* NUL-terminated */
	size_t len;
	char *headers; /* raw header block */
	json_t *json; /* parsed body or NULL */
	double seconds; /* wall time of the exchange */
};

/* 1 when the sandbox runs under $MAILWARD_SANDBOX_WRAPPER. */
int harness_wrapped(void);

/* Creates the scratch directory; 0 or -1. */
int sandbox_init(struct sandbox *sb);

/* Writes state (not stolen) to sb->state_path; 0 or -1. */
int sandbox_write_state(struct sandbox *sb, const json_t *state);

/*
 * Starts the binary with "--state sb->state_path --listen 127.0.0.1:0" and
 * the NULL-terminated extra args, and waits for its "listening on" line.
 * Returns 0, or -1 when it exited instead (then sandbox_wait() tells how).
 */
int sandbox_start(struct sandbox *sb, const char *const *args);

/* Runs the binary with exactly args (no --state added) to completion.
 * Returns its exit status, or -1 when it died by a signal; *out gets its
 * stdout and *err its stderr (malloc'ed; either may be NULL). */
int sandbox_run(struct sandbox *sb, const char *const *args, char **out, char **err);

/* Sends sig and waits; returns the exit status (or -1 when killed). */
int sandbox_signal_wait(struct sandbox *sb, int sig);

/* Stops a running sandbox if any and removes the scratch directory. */
void sandbox_cleanup(struct sandbox *sb);

/* The whole of a file (malloc'ed, NUL-terminated) or NULL. */
char *harness_slurp(const char *path);

/*
 * One HTTP exchange. headers is a NULL-terminated list of "Name: value"
 * lines (may be NULL); body may be NULL. The answer's JSON is parsed when
 * possible. Free with http_free().
 */
void http(struct http_resp *r, const char *method, const char *url, const char *const *headers,
	  const char *body);

/* Like http() with "Authorization: Bearer TEST_TOKEN", plus
 * "Content-Type: application/json" when body is given. */
void api(struct http_resp *r, const char *method, const char *url, const char *body);

void http_free(struct http_resp *r);

/* Value of header name in r (case-insensitive) copied into buf, or NULL. */
const char *http_header(const struct http_resp *r, const char *name, char *buf, size_t len);

/* Seconds since an arbitrary start (monotonic). */
double harness_now(void);

#endif
