/*
 * http_test: the client-side rate limit as a server sees it. A fake server
 * on 127.0.0.1 (libmicrohttpd in this process) notes when each request
 * arrives; with --rate R, however many are in flight at once, no window of
 * 1.0 - JITTER_S seconds may hold more than R of them, and the whole run
 * may not go faster than R per second by more than JITTER_S allows. The
 * exact bound (no more than R in any window of 1.0 s) is checked on a fake
 * clock in rate_test.c; here the arrival times carry the scheduling jitter
 * of a loaded machine (a request noted late bunches with the next ones),
 * which JITTER_S absorbs. Sending at 2R, or with no limit, still fails.
 * A 429 with Retry-After holds every request, not only the one it answered.
 */
#include "fake_server.h"
#include "testutil.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define N_REQUESTS 20
#define RATE 8.0
/* How much later than its start a request may be noted by the server. */
#define JITTER_S 0.25

struct server {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	double arrived[N_REQUESTS * 2];
	size_t n;
	bool first_429; /* answer the first request 429, Retry-After: 1 */
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	static const char body[] = "{}";
	struct server *srv = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned int status = 200;

	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	if (!*req_cls) {
		pthread_mutex_lock(&srv->lock);
		/* Which arrival this is, counted from 1, for the second call. */
		*req_cls = (void *)(uintptr_t)(srv->n + 1);
		if (srv->n < ARRAY_SIZE(srv->arrived))
			srv->arrived[srv->n++] = time_mono();
		pthread_mutex_unlock(&srv->lock);
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (srv->first_429 && (uintptr_t)*req_cls == 1) {
		status = 429;
		MHD_add_response_header(r, "Retry-After", "1");
	}
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The most arrivals within any `window` seconds; sorts `t`. */
static size_t most_within(double *t, size_t n, double window)
{
	size_t most = 0;

	qsort(t, n, sizeof(*t), cmp_double);
	for (size_t i = 0, j = 0; i < n; i++) {
		while (t[i] - t[j] >= window)
			j++;
		if (i - j + 1 > most)
			most = i - j + 1;
	}
	return most;
}

/* Serve on 127.0.0.1 and write the URL of the fake API into `url`. */
static void server_start(struct server *srv, char *url, size_t url_size)
{
	unsigned int port;

	pthread_mutex_init(&srv->lock, NULL);
	srv->daemon = tu_serve(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
			       on_request, srv, &port);
	snprintf(url, url_size, "http://127.0.0.1:%u/x", port);
}

/* Run `n` GETs of `url` (n <= N_REQUESTS) through a client with `ho`; all must end in 200. */
static void run_requests(const struct http_opts *ho, const char *url, size_t n,
			 struct http_stats *stats)
{
	struct http_client *c = NULL;
	struct http_req reqs[N_REQUESTS], *ptrs[N_REQUESTS];

	assert_true(n <= N_REQUESTS);
	assert_int_equal(http_client_new(&c, ho), 0);
	memset(reqs, 0, sizeof(reqs));
	for (size_t i = 0; i < n; i++) {
		reqs[i].method = "GET";
		reqs[i].url = url;
		ptrs[i] = &reqs[i];
	}
	assert_int_equal(http_run(c, ptrs, n, NULL, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(reqs[i].status, 200);
		http_req_reset(&reqs[i]);
	}
	http_client_stats(c, stats);
	http_client_free(c);
}

static void rate_holds_at_the_server(void **state)
{
	struct server srv = { 0 };
	struct http_opts ho = { 0 };
	struct http_stats stats;
	char url[64];
	size_t most;
	double span;

	(void)state;
	server_start(&srv, url, sizeof(url));
	ho.concurrency = 8;
	ho.rate = RATE;
	ho.timeout_ms = 20000;
	run_requests(&ho, url, N_REQUESTS, &stats);
	MHD_stop_daemon(srv.daemon);
	pthread_mutex_destroy(&srv.lock);
	assert_int_equal(srv.n, N_REQUESTS);
	/*
	 * Under valgrind the server's thread and the client share one core
	 * by turns: arrivals are noted late and bunch up by more than
	 * JITTER_S, so only the requests' completion is checked there (as
	 * tests/cli/apply_rate.sh does).
	 */
	if (getenv("MAILWARD_VALGRIND"))
		return;
	most = most_within(srv.arrived, srv.n, 1.0 - JITTER_S);
	if (most > (size_t)RATE)
		fail_msg("the server saw %zu requests within %g s at --rate %g", most,
			 1.0 - JITTER_S, RATE);
	/* The first start takes the bucket's one token; each later one waits 1/R. */
	span = srv.arrived[srv.n - 1] - srv.arrived[0];
	if (span < (double)(srv.n - 1) / RATE - JITTER_S)
		fail_msg("the server saw %zu requests within %.3f s at --rate %g", srv.n, span,
			 RATE);
}

/*
 * One at a time and with no rate limit, the first request is answered 429
 * with Retry-After: 1; the others are not sent before that second is over
 * (nor is its retry). The client reads the answer after the server sent it,
 * so jitter only makes the others later: the bound is exact.
 */
static void retry_after_holds_every_request(void **state)
{
	struct server srv = { 0 };
	struct http_opts ho = { 0 };
	struct http_stats stats;
	char url[64];

	(void)state;
	srv.first_429 = true;
	server_start(&srv, url, sizeof(url));
	ho.concurrency = 1;
	ho.rate = 0;
	ho.retries = 2;
	ho.timeout_ms = 20000;
	run_requests(&ho, url, 4, &stats);
	MHD_stop_daemon(srv.daemon);
	pthread_mutex_destroy(&srv.lock);
	assert_int_equal(stats.rate_limited, 1);
	assert_int_equal(srv.n, 5);
	for (size_t i = 1; i < srv.n; i++)
		if (srv.arrived[i] < srv.arrived[0] + 1.0)
			fail_msg("request %zu arrived %.3f s after the 429 that asked for 1 s", i,
				 srv.arrived[i] - srv.arrived[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rate_holds_at_the_server),
		cmocka_unit_test(retry_after_holds_every_request),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
