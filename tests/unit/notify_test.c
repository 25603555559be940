/*
 * notify_test: the drift notification as a webhook sees it. A fake webhook
 * on 127.0.0.1 (libmicrohttpd in this process) records each request; the
 * tests check the body (the drift report plus Slack's `text`), that no
 * credential or trace goes with it, the failure codes (refused, unreachable,
 * too slow), that a redirect is not followed, and that messages name the
 * webhook by its origin only: its path, query and userinfo are its secret.
 */
#include "fake_server.h"
#include "testutil.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/http.h"
#include "core/notify.h"
#include "core/plan.h"
#include "core/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define ID_A "3fa85f64-5717-4562-b3fc-2c963f66afa6"
#define ID_B "7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define SECRET "s3cr3t-path-token"

/* What the fake webhook answers, and what it saw. */
struct hook {
	struct MHD_Daemon *daemon;
	unsigned port;
	pthread_mutex_t lock;
	int status; /* the answer's status */
	const char *location; /* a Location header to send, or NULL */
	volatile int delay; /* answer only after `stop`, when set */
	volatile int stop;
	size_t n; /* requests that arrived */
	char method[16];
	char url[256];
	char content_type[64];
	bool authorization; /* any request carried an Authorization header */
	struct buf body; /* the last request's body */
	struct buf upload; /* the body being received */
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct hook *h = cls;
	struct MHD_Response *r;
	const char *ct;
	enum MHD_Result ret;

	(void)version;
	if (!*req_cls) {
		*req_cls = conn;
		pthread_mutex_lock(&h->lock);
		h->n++;
		snprintf(h->method, sizeof(h->method), "%s", method);
		snprintf(h->url, sizeof(h->url), "%s", url);
		ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
		snprintf(h->content_type, sizeof(h->content_type), "%s", ct ? ct : "");
		if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"))
			h->authorization = true;
		buf_truncate(&h->upload, 0);
		pthread_mutex_unlock(&h->lock);
		return MHD_YES;
	}
	if (*upload_size) {
		pthread_mutex_lock(&h->lock);
		buf_add(&h->upload, upload, *upload_size);
		pthread_mutex_unlock(&h->lock);
		*upload_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&h->lock);
	buf_truncate(&h->body, 0);
	buf_add(&h->body, h->upload.ptr, h->upload.len);
	pthread_mutex_unlock(&h->lock);
	while (h->delay && !h->stop)
		usleep(10000);
	r = MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
	if (h->location)
		MHD_add_response_header(r, "Location", h->location);
	ret = MHD_queue_response(conn, (unsigned)h->status, r);
	MHD_destroy_response(r);
	return ret;
}

struct fx {
	struct hook h;
	struct desired d;
	struct live l;
	struct diags diags;
	struct plan p;
	struct http_opts ho;
	char url[512];
};

static void never_traced(void *ctx, const char *line)
{
	(void)ctx;
	fail_msg("a webhook request was traced: %s", line);
}

/* Sent with every API request; a webhook must never see it. */
static const char *const api_headers[] = { "Authorization: Bearer " SECRET, NULL };

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	setenv("SOURCE_DATE_EPOCH", "1795779600", 1);
	pthread_mutex_init(&fx->h.lock, NULL);
	buf_init(&fx->h.body);
	buf_init(&fx->h.upload);
	fx->h.status = 200;
	fx->h.daemon = tu_serve(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
				on_request, &fx->h, &fx->h.port);
	snprintf(fx->url, sizeof(fx->url), "http://127.0.0.1:%u/services/" SECRET, fx->h.port);
	fx->ho.retries = 0;
	fx->ho.timeout_ms = 5000;
	fx->ho.headers = api_headers;
	fx->ho.trace = never_traced;
	err_clear();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	fx->h.stop = 1;
	if (fx->h.daemon)
		MHD_stop_daemon(fx->h.daemon);
	pthread_mutex_destroy(&fx->h.lock);
	buf_release(&fx->h.body);
	buf_release(&fx->h.upload);
	desired_release(&fx->d);
	live_release(&fx->l);
	diags_release(&fx->diags);
	plan_release(&fx->p);
	free(fx);
	return 0;
}

/* One drifted, one missing, one absent in git but live; one unmanaged. */
static void drift_plan(struct fx *fx)
{
	assert_int_equal(tu_plan(&fx->p, &fx->d, &fx->diags, &fx->l,
				 "domains:\n"
				 "  example.com:\n"
				 "    lookback_hops: 2\n"
				 "  old.example.com:\n"
				 "    absent: true\n"
				 "  new.example.com:\n"
				 "    regions: [US]\n",
				 "[{\"id\": \"" ID_A "\", \"domain\": \"example.com\","
				 "  \"lookback_hops\": 1},"
				 " {\"id\": \"" ID_B "\", \"domain\": \"old.example.com\"},"
				 " {\"id\": \"6f1c6a2e-2d4b-4c8e-9a51-0b7d3c2f4e10\","
				 "  \"domain\": \"other.example.com\"}]",
				 false),
			 0);
}

static void assert_no_secret(const char *msg)
{
	assert_not_contains(msg, SECRET);
	assert_not_contains(msg, "/services");
}

/* --- the text ------------------------------------------------------------ */

static void text_summarises_the_drift(void **state)
{
	struct fx *fx = *state;
	struct buf t = BUF_INIT;

	drift_plan(fx);
	notify_text(&t, &fx->p);
	assert_string_equal(t.ptr, "mailward: drift in Cloudflare account " TU_ACCOUNT
				   " (git 0123456789ab): 1 drifted, 1 missing, 1 absent in git"
				   " but live\n"
				   "• example.com: lookback_hops git 2, live 1\n"
				   "• new.example.com: in git, not protected in Cloudflare\n"
				   "• old.example.com: absent in git, still protected live");
	buf_release(&t);
}

/* Twenty domains are listed; the rest are counted. */
static void text_is_bounded(void **state)
{
	struct fx *fx = *state;
	struct buf yaml = BUF_INIT, t = BUF_INIT;

	buf_puts(&yaml, "domains:\n");
	for (int i = 0; i < 25; i++)
		buf_printf(&yaml, "  d%02d.example.com:\n", i);
	assert_int_equal(tu_plan(&fx->p, &fx->d, &fx->diags, &fx->l, yaml.ptr, "[]", false), 0);
	notify_text(&t, &fx->p);
	assert_int_equal(tu_count(t.ptr, "\n• "), 20);
	assert_contains(t.ptr, "• d19.example.com: ");
	assert_not_contains(t.ptr, "d20.example.com");
	assert_contains(t.ptr, "\n…and 5 more");
	buf_release(&yaml);
	buf_release(&t);
}

/* --- the request ----------------------------------------------------------- */

static void drift_body_shape(void **state)
{
	struct fx *fx = *state;
	struct buf t = BUF_INIT;
	json_t *got, *want;

	drift_plan(fx);
	assert_int_equal(notify_drift(fx->url, &fx->p, &fx->ho), 0);
	assert_int_equal(fx->h.n, 1);
	assert_string_equal(fx->h.method, "POST");
	assert_string_equal(fx->h.url, "/services/" SECRET);
	assert_string_equal(fx->h.content_type, "application/json");
	assert_false(fx->h.authorization);
	got = tu_json(fx->h.body.ptr);
	/* The drift report, with the one-message summary as Slack's `text`. */
	notify_text(&t, &fx->p);
	assert_string_equal(json_string_value(json_object_get(got, "text")), t.ptr);
	want = render_drift_json(&fx->p);
	json_object_set_new(want, "text", json_string(t.ptr));
	if (!json_equal(got, want))
		fail_msg("body %s\nwant %s", tu_dump(got), tu_dump(want));
	assert_json(json_object_get(got, "kind"), "\"drift\"");
	json_decref(got);
	json_decref(want);
	buf_release(&t);
}

static void event_body_shape(void **state)
{
	struct fx *fx = *state;
	json_t *got;

	assert_int_equal(notify_event(fx->url, "failing", "mailward: failing", NULL, &fx->ho), 0);
	got = tu_json(fx->h.body.ptr);
	assert_json(got, "{\"event\": \"failing\", \"text\": \"mailward: failing\"}");
	json_decref(got);
	/* A payload is kept, and `event` and `text` set over what it held. */
	assert_int_equal(notify_event(fx->url, "applied", "applied 2",
				      tu_json("{\"applied\": 2, \"event\": \"x\"}"), &fx->ho),
			 0);
	got = tu_json(fx->h.body.ptr);
	assert_json(got, "{\"applied\": 2, \"event\": \"applied\", \"text\": \"applied 2\"}");
	json_decref(got);
	assert_int_equal(fx->h.n, 2);
	assert_false(fx->h.authorization);
}

/* --- failures -------------------------------------------------------------- */

static void refused_is_eapi(void **state)
{
	struct fx *fx = *state;

	drift_plan(fx);
	fx->h.status = 404;
	assert_int_equal(notify_drift(fx->url, &fx->p, &fx->ho), MW_EAPI);
	assert_contains(err_msg(), "refused: HTTP 404");
	assert_no_secret(err_msg());
	assert_int_equal(fx->h.n, 1);
}

/* A server error is retried like an API request, then refused. */
static void server_error_is_retried(void **state)
{
	struct fx *fx = *state;
	char want[128];

	drift_plan(fx);
	fx->h.status = 500;
	fx->ho.retries = 1;
	assert_int_equal(notify_drift(fx->url, &fx->p, &fx->ho), MW_EAPI);
	snprintf(want, sizeof(want), "notification to http://127.0.0.1:%u/... refused: HTTP 500",
		 fx->h.port);
	assert_string_equal(err_msg(), want);
	assert_int_equal(fx->h.n, 2);
}

static void unreachable_is_enet(void **state)
{
	struct fx *fx = *state;

	drift_plan(fx);
	MHD_stop_daemon(fx->h.daemon);
	fx->h.daemon = NULL;
	assert_int_equal(notify_drift(fx->url, &fx->p, &fx->ho), MW_ENET);
	assert_contains(err_msg(), "failed after 1 attempt: ");
	assert_no_secret(err_msg());
}

/* A webhook that does not answer holds the run no longer than the timeout. */
static void slow_webhook_times_out(void **state)
{
	struct fx *fx = *state;
	double t0;

	drift_plan(fx);
	fx->h.delay = 1;
	fx->ho.timeout_ms = 300;
	t0 = tu_now();
	assert_int_equal(notify_drift(fx->url, &fx->p, &fx->ho), MW_ENET);
	if (tu_now() - t0 > tu_time_bound(2.0))
		fail_msg("a 300 ms timeout took %.1f s", tu_now() - t0);
	assert_contains(err_msg(), "failed after 1 attempt");
	assert_no_secret(err_msg());
}

/* The webhook's answer is its answer: a redirect elsewhere is not followed. */
static void redirect_is_not_followed(void **state)
{
	struct fx *fx = *state;
	char elsewhere[128];

	drift_plan(fx);
	snprintf(elsewhere, sizeof(elsewhere), "http://127.0.0.1:%u/elsewhere", fx->h.port);
	fx->h.status = 307;
	fx->h.location = elsewhere;
	assert_int_equal(notify_drift(fx->url, &fx->p, &fx->ho), MW_EAPI);
	assert_contains(err_msg(), "refused: HTTP 307");
	assert_int_equal(fx->h.n, 1);
	assert_string_equal(fx->h.url, "/services/" SECRET);
}

/* --- URLs and what messages show of them ----------------------------------- */

static void messages_show_the_origin_only(void **state)
{
	struct fx *fx = *state;
	char url[512], want[128];

	drift_plan(fx);
	fx->h.status = 403;
	snprintf(url, sizeof(url),
		 "http://hook:" SECRET "@127.0.0.1:%u/services/" SECRET "?token=" SECRET,
		 fx->h.port);
	assert_int_equal(notify_drift(url, &fx->p, &fx->ho), MW_EAPI);
	snprintf(want, sizeof(want),
		 "notification to http://***@127.0.0.1:%u/... refused: HTTP 403", fx->h.port);
	assert_string_equal(err_msg(), want);
	assert_int_equal(fx->h.n, 1);
}

/* A URL that may not be used is refused before anything is sent. */
static void unusable_urls_are_econfig(void **state)
{
	static const struct {
		const char *url, *msg;
	} cases[] = {
		{ "http://hooks.example.com/services/" SECRET,
		  "http://hooks.example.com/...: the notification URL uses plain http" },
		{ "ftp://127.0.0.1/services/" SECRET, "the notification URL must use https" },
		{ "https://hooks.example.com/services/" SECRET "#frag",
		  "https://hooks.example.com/...: the notification URL must not have a fragment" },
		{ "not a url " SECRET, "the notification URL is not a valid absolute URL" },
	};
	struct fx *fx = *state;

	drift_plan(fx);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		err_clear();
		assert_int_equal(notify_drift(cases[i].url, &fx->p, &fx->ho), MW_ECONFIG);
		assert_contains(err_msg(), cases[i].msg);
		assert_no_secret(err_msg());
		/* Core speaks of the URL; the CLI says which option it came from. */
		assert_not_contains(err_msg(), "--notify");
	}
	assert_int_equal(fx->h.n, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(text_summarises_the_drift), T(text_is_bounded),
		T(drift_body_shape),          T(event_body_shape),
		T(refused_is_eapi),           T(server_error_is_retried),
		T(unreachable_is_enet),       T(slow_webhook_times_out),
		T(redirect_is_not_followed),  T(messages_show_the_origin_only),
		T(unusable_urls_are_econfig),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
