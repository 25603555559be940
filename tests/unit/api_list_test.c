/*
 * api_list_test: api_list_domains() against a fake list endpoint on
 * 127.0.0.1 (libmicrohttpd in this process). Pages are parsed straight
 * into the compact live model: identity and writable values only, odd
 * values as given, the whole object only under API_KEEP_ALL; a page with
 * an item that is not a domain, or an id on two pages, fails the listing
 * and leaves nothing behind.
 */
#include "fake_server.h"
#include "testutil.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#include "core/api.h"
#include "core/live.h"
#include "util/err.h"
#include "util/mem.h"

/* The listing the fake endpoint serves: two domains a page, five in all. */
static const char *const *pages;

static const char *const good[] = {
	("[{\"id\": \"id-1\", \"domain\": \"A.example.com.\", \"lookback_hops\": 3,"
	 "  \"status\": \"active\", \"created_at\": \"2024-01-01T00:00:00Z\"},"
	 " {\"id\": \"id-2\", \"domain\": \"b.example.com\", \"folder\": \"Archive\","
	 "  \"regions\": [\"US\", \"GLOBAL\", \"US\"]}]"),
	("[{\"id\": \"id-3\", \"domain\": \"c.example.com\", \"require_tls_inbound\": null},"
	 " {\"id\": \"id-4\", \"domain\": \"d.example.com\", \"lookback_hops\": \"3\"}]"),
	("[{\"id\": \"id-5\", \"domain\": \"e.example.com\", \"authorization\": {\"x\": 1}}]"),
};

static const char *const bad_item[] = {
	("[{\"id\": \"id-1\", \"domain\": \"a.example.com\"},"
	 " {\"id\": \"id-2\", \"domain\": \"b.example.com\"}]"),
	("[{\"id\": 3, \"domain\": \"c.example.com\"},"
	 " {\"id\": \"id-4\", \"domain\": \"d.example.com\"}]"),
	("[{\"id\": \"id-5\", \"domain\": \"e.example.com\"}]"),
};

static const char *const repeated_id[] = {
	("[{\"id\": \"id-1\", \"domain\": \"a.example.com\"},"
	 " {\"id\": \"id-2\", \"domain\": \"b.example.com\"}]"),
	("[{\"id\": \"id-3\", \"domain\": \"c.example.com\"},"
	 " {\"id\": \"id-4\", \"domain\": \"d.example.com\"}]"),
	("[{\"id\": \"id-2\", \"domain\": \"e.example.com\"}]"),
};

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	const char *page = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "page");
	long n = page ? strtol(page, NULL, 10) : 0;
	struct MHD_Response *r;
	char *body;
	enum MHD_Result ret;

	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_cls;
	if (n >= 1 && n <= 3)
		body = xasprintf(
			"{\"success\": true, \"errors\": [], \"messages\": [], "
			"\"result\": %s, \"result_info\": {\"page\": %ld, \"per_page\": 2, "
			"\"count\": %d, \"total_count\": 5}}",
			pages[n - 1], n, n < 3 ? 2 : 1);
	else
		body = xstrdup("{\"success\": false, \"errors\": [{\"code\": 1, \"message\": "
			       "\"no such page\"}], \"messages\": [], \"result\": null}");
	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(conn, n >= 1 && n <= 3 ? 200 : 404, r);
	MHD_destroy_response(r);
	return ret;
}

struct fx {
	struct MHD_Daemon *daemon;
	struct api *api;
	struct live l;
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	unsigned int port;

	fx->l = (struct live)LIVE_INIT;
	fx->daemon = tu_serve(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, on_request, NULL,
			      &port);
	fx->api = tu_fake_api(port);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	live_release(&fx->l);
	api_free(fx->api);
	MHD_stop_daemon(fx->daemon);
	free(fx);
	return 0;
}

static void assert_value(const struct live_domain *d, const char *name, const char *want)
{
	json_t *v = live_domain_value(d, fields_find(name));
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("");

	assert_string_equal(text, want);
	free(text);
	json_decref(v);
}

static void pages_become_the_compact_model(void **state)
{
	struct fx *fx = *state;
	const struct live_domain *d;

	pages = good;
	assert_int_equal(api_list_domains(fx->api, &fx->l, API_KEEP_SETTINGS), 0);
	assert_int_equal(fx->l.nr, 5);
	d = live_find_id(&fx->l, "id-1");
	assert_non_null(d);
	assert_string_equal(d->name, "a.example.com");
	assert_null(d->raw);
	assert_value(d, "lookback_hops", "3");
	assert_value(d, "folder", "");
	d = live_find_id(&fx->l, "id-2");
	assert_value(d, "folder", "\"Archive\"");
	assert_value(d, "regions", "[\"US\",\"GLOBAL\",\"US\"]");
	d = live_find_id(&fx->l, "id-3");
	assert_value(d, "require_tls_inbound", "null");
	d = live_find_id(&fx->l, "id-4");
	assert_int_equal(d->values[fields_writable_index(fields_find("lookback_hops"))].tag,
			 LIVE_OPAQUE);
	assert_value(d, "lookback_hops", "\"3\"");
	/* Sorted by name, whatever order the pages came in. */
	for (size_t i = 1; i < fx->l.nr; i++)
		assert_true(strcmp(fx->l.v[i - 1].name, fx->l.v[i].name) < 0);
}

static void keep_all_keeps_the_objects(void **state)
{
	struct fx *fx = *state;
	const struct live_domain *d;

	pages = good;
	assert_int_equal(api_list_domains(fx->api, &fx->l, API_KEEP_ALL), 0);
	assert_int_equal(fx->l.nr, 5);
	d = live_find_id(&fx->l, "id-1");
	assert_non_null(d->raw);
	assert_string_equal(json_string_value(json_object_get(d->raw, "status")), "active");
	assert_string_equal(json_string_value(json_object_get(d->raw, "domain")), "A.example.com.");
	d = live_find_id(&fx->l, "id-5");
	assert_non_null(json_object_get(d->raw, "authorization"));
}

static void item_that_is_not_a_domain_fails_the_listing(void **state)
{
	struct fx *fx = *state;

	pages = bad_item;
	err_clear();
	assert_int_equal(api_list_domains(fx->api, &fx->l, API_KEEP_SETTINGS), MW_EAPI);
	assert_string_equal(err_msg(), "listing domains (page 2): item 1 is not a domain with "
				       "an 'id' and a 'domain' name");
	assert_int_equal(fx->l.nr, 0);
	assert_null(fx->l.v);
}

static void id_on_two_pages_fails_the_listing(void **state)
{
	struct fx *fx = *state;

	pages = repeated_id;
	err_clear();
	assert_int_equal(api_list_domains(fx->api, &fx->l, API_KEEP_SETTINGS), MW_ECONSISTENCY);
	assert_contains(err_msg(), "id 'id-2' appears on page 1 and again on page 3");
	assert_int_equal(fx->l.nr, 0);
	assert_null(fx->l.v);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(pages_become_the_compact_model),
		T(keep_all_keeps_the_objects),
		T(item_that_is_not_a_domain_fails_the_listing),
		T(id_on_two_pages_fails_the_listing),
	};

	return cmocka_run_group_tests_name("api_list", tests, NULL, NULL);
}
