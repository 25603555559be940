/*
 * http_test: the client-side rate limit as a server sees it. A fake server
 * on 127.0.0.1 (libmicrohttpd in this process) notes when each request
 * arrives; with --rate R no window of one second may hold more than R of
 * them, however many are in flight at once. (A slow machine only spreads
 * requests out: the bound cannot fail for lack of speed.)
 */
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

struct server {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	double arrived[N_REQUESTS * 2];
	size_t n;
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	static const char body[] = "{}";
	struct server *srv = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	if (!*req_cls) {
		*req_cls = conn;
		pthread_mutex_lock(&srv->lock);
		if (srv->n < ARRAY_SIZE(srv->arrived))
			srv->arrived[srv->n++] = time_mono();
		pthread_mutex_unlock(&srv->lock);
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(conn, 200, r);
	MHD_destroy_response(r);
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The most arrivals within any one second. */
static size_t most_in_a_second(double *t, size_t n)
{
	size_t most = 0;

	qsort(t, n, sizeof(*t), cmp_double);
	for (size_t i = 0, j = 0; i < n; i++) {
		while (t[i] - t[j] >= 1.0)
			j++;
		if (i - j + 1 > most)
			most = i - j + 1;
	}
	return most;
}

static void rate_holds_at_the_server(void **state)
{
	struct server srv = { 0 };
	struct http_opts ho = { 0 };
	struct http_client *c = NULL;
	struct http_req reqs[N_REQUESTS], *ptrs[N_REQUESTS];
	char url[64];
	const union MHD_DaemonInfo *info;
	size_t most;

	(void)state;
	pthread_mutex_init(&srv.lock, NULL);
	srv.daemon =
		MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
				 NULL, NULL, on_request, &srv, MHD_OPTION_END);
	assert_non_null(srv.daemon);
	info = MHD_get_daemon_info(srv.daemon, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", (unsigned)info->port);
	ho.concurrency = 8;
	ho.rate = RATE;
	ho.timeout_ms = 20000;
	assert_int_equal(http_client_new(&c, &ho), 0);
	memset(reqs, 0, sizeof(reqs));
	for (size_t i = 0; i < N_REQUESTS; i++) {
		reqs[i].method = "GET";
		reqs[i].url = url;
		ptrs[i] = &reqs[i];
	}
	assert_int_equal(http_run(c, ptrs, N_REQUESTS, NULL, NULL), 0);
	for (size_t i = 0; i < N_REQUESTS; i++) {
		assert_int_equal(reqs[i].status, 200);
		http_req_reset(&reqs[i]);
	}
	MHD_stop_daemon(srv.daemon);
	http_client_free(c);
	assert_int_equal(srv.n, N_REQUESTS);
	/*
	 * Under valgrind the server's thread and the client share one core
	 * by turns: arrivals are noted late and bunch up, so only the
	 * requests' completion is checked there (as tests/cli/apply_rate.sh
	 * does).
	 */
	most = most_in_a_second(srv.arrived, srv.n);
	if (!getenv("MAILWARD_VALGRIND") && most > (size_t)RATE)
		fail_msg("the server saw %zu requests within one second at --rate %g", most, RATE);
	pthread_mutex_destroy(&srv.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rate_holds_at_the_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
