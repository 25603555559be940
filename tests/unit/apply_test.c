/*
 * apply_test: apply_run() against a fake API on 127.0.0.1 (libmicrohttpd in
 * this process): a PATCH is done only when the answer shows every value
 * sent; an answer of success that did not apply them is a failure; a
 * DELETE answered 404 is "already gone"; an API error fails that operation
 * only; every item reaches the `finished` hook once.
 */
#include "fake_server.h"
#include "testutil.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "core/apply.h"
#include "core/plan.h"
#include "util/err.h"
#include "util/mem.h"

#define ID_OK "00000001-0000-4000-8000-000000000001" /* PATCH applied */
#define ID_LIES "00000002-0000-4000-8000-000000000002" /* success, value not applied */
#define ID_GONE "00000003-0000-4000-8000-000000000003" /* DELETE: 404 */
#define ID_DENIED "00000004-0000-4000-8000-000000000004" /* PATCH: 400 with the API's error */

static const char desired[] = "domains:\n"
			      "  ok.example.com: {lookback_hops: 3}\n"
			      "  lies.example.com: {lookback_hops: 3}\n"
			      "  gone.example.com: {absent: true}\n"
			      "  denied.example.com: {lookback_hops: 3}\n";

static const char live[] =
	"[{\"id\": \"" ID_OK "\", \"domain\": \"ok.example.com\", \"lookback_hops\": 2},"
	" {\"id\": \"" ID_LIES "\", \"domain\": \"lies.example.com\", \"lookback_hops\": 2},"
	" {\"id\": \"" ID_GONE "\", \"domain\": \"gone.example.com\"},"
	" {\"id\": \"" ID_DENIED "\", \"domain\": \"denied.example.com\", \"lookback_hops\": 2}]";

/* The answer the fake API gives a request on `url`. */
static void answer_for(const char *method, const char *url, unsigned *status, const char **body)
{
	*status = 200;
	if (!strcmp(method, "DELETE") && strstr(url, ID_GONE)) {
		*status = 404;
		*body = "{\"success\": false, \"errors\": [{\"code\": 1404, \"message\": \"not "
			"found\"}], \"messages\": [], \"result\": null}";
	} else if (strstr(url, ID_OK)) {
		*body = "{\"success\": true, \"errors\": [], \"messages\": [], \"result\": "
			"{\"id\": \"" ID_OK "\", \"domain\": \"ok.example.com\", "
			"\"lookback_hops\": 3}}";
	} else if (strstr(url, ID_LIES)) {
		*body = "{\"success\": true, \"errors\": [], \"messages\": [], \"result\": "
			"{\"id\": \"" ID_LIES "\", \"domain\": \"lies.example.com\", "
			"\"lookback_hops\": 2}}";
	} else {
		*status = 400;
		*body = "{\"success\": false, \"errors\": [{\"code\": 1001, \"message\": "
			"\"lookback_hops is locked\"}], \"messages\": [], \"result\": null}";
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct MHD_Response *r;
	const char *body;
	unsigned status;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	(void)upload;
	/* Take the whole request body before answering. */
	if (!*req_cls) {
		*req_cls = conn;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	answer_for(method, url, &status, &body);
	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "cf-ray", "0123456789abcdef-TST");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

struct fx {
	struct MHD_Daemon *daemon;
	struct api *api;
	struct desired d;
	struct diags diags;
	struct live l;
	struct plan p;
	struct apply_item *items;
	size_t n;
	size_t finished;
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	unsigned int port;

	fx->d = (struct desired)DESIRED_INIT;
	fx->diags = (struct diags)DIAGS_INIT;
	fx->l = (struct live)LIVE_INIT;
	fx->daemon = tu_serve(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, on_request, NULL,
			      &port);
	fx->api = tu_fake_api(port);
	assert_int_equal(tu_plan(&fx->p, &fx->d, &fx->diags, &fx->l, desired, live, false), 0);
	fx->n = apply_items_new(&fx->items, &fx->p);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	apply_items_free(fx->items, fx->n);
	plan_release(&fx->p);
	live_release(&fx->l);
	desired_release(&fx->d);
	diags_release(&fx->diags);
	api_free(fx->api);
	MHD_stop_daemon(fx->daemon);
	free(fx);
	return 0;
}

static int count_finished(struct apply_item *it, void *ctx)
{
	struct fx *fx = ctx;

	assert_int_not_equal(it->outcome, APPLY_PENDING);
	fx->finished++;
	return 0;
}

static const struct apply_item *item_of(const struct fx *fx, const char *id)
{
	for (size_t i = 0; i < fx->n; i++)
		if (!strcmp(fx->items[i].change->id, id))
			return &fx->items[i];
	fail_msg("no item for %s", id);
	return NULL;
}

static void outcomes(void **state)
{
	struct fx *fx = *state;
	struct apply_hooks hooks = { 0 };
	const struct apply_item *it;

	hooks.finished = count_finished;
	hooks.ctx = fx;
	assert_int_equal(fx->n, 4);
	assert_int_equal(apply_run(fx->api, fx->items, fx->n, &hooks), 0);
	assert_int_equal(fx->finished, 4);

	it = item_of(fx, ID_OK);
	assert_int_equal(it->outcome, APPLY_DONE);
	assert_json(json_object_get(it->after, "lookback_hops"), "3");
	assert_string_equal(it->op.req.cf_ray, "0123456789abcdef-TST");

	/* Success that did not apply the value: a failure, saying what is not so. */
	it = item_of(fx, ID_LIES);
	assert_int_equal(it->outcome, APPLY_FAILED);
	assert_contains(it->error, "did not apply the plan: lookback_hops is 2, not 3");

	it = item_of(fx, ID_GONE);
	assert_int_equal(it->outcome, APPLY_GONE);

	/* The API's own code and message; the others went on. */
	it = item_of(fx, ID_DENIED);
	assert_int_equal(it->outcome, APPLY_FAILED);
	assert_contains(it->error, "1001");
	assert_contains(it->error, "lookback_hops is locked");
}

static int stop_after_first(struct apply_item *it, void *ctx)
{
	struct fx *fx = ctx;

	(void)it;
	return ++fx->finished == 1 ? -1 : 0;
}

static void hook_stops_the_batch(void **state)
{
	struct fx *fx = *state;
	struct apply_hooks hooks = { 0 };
	size_t not_sent = 0;

	api_free(fx->api);
	{
		struct api_opts ao = { 0 };
		char url[64];
		const union MHD_DaemonInfo *info =
			MHD_get_daemon_info(fx->daemon, MHD_DAEMON_INFO_BIND_PORT);

		snprintf(url, sizeof(url), "http://127.0.0.1:%u/client/v4", (unsigned)info->port);
		ao.base_url = url;
		ao.account_id = TU_ACCOUNT;
		ao.token = "test-token";
		ao.http.concurrency = 1;
		ao.http.timeout_ms = 10000;
		assert_int_equal(api_new(&fx->api, &ao), 0);
	}
	hooks.finished = stop_after_first;
	hooks.ctx = fx;
	assert_int_equal(apply_run(fx->api, fx->items, fx->n, &hooks), 0);
	for (size_t i = 0; i < fx->n; i++)
		if (fx->items[i].outcome == APPLY_NOT_SENT)
			not_sent++;
	/* One at a time: after the first result nothing more starts. */
	assert_int_equal(not_sent, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(outcomes, setup, teardown),
		cmocka_unit_test_setup_teardown(hook_stops_the_batch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
