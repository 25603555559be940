/*
 * End-to-end tests of mailward-sandbox: each test starts the real binary on
 * 127.0.0.1 port 0 with a state file of its own and talks to it with
 * libcurl. Successful and 4xx answers are also judged against the embedded
 * OpenAPI document with the sandbox's own validator.
 */
#include "harness.h"
#include "spec.h"
#include "spec_data.h"
#include "validate.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <ctype.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fields.h"
#include "util/err.h"
#include "util/timeutil.h"

#define NDOMAINS 25
#define ID_OF(i) "00000000-0000-4000-8000-0000000000" #i
#define INTEGRATION "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

static struct spec *g_spec;

/* ---- fixtures ---------------------------------------------------------------- */

/* Domain i of the standard state: names are shuffled against state order
 * (d07 comes second), created_at falls with i, every third has no id. */
static json_t *standard_domain(int i)
{
	char name[64], id[64], created[64];
	json_t *d;

	snprintf(name, sizeof name, "d%02d.example.com", (i * 7) % NDOMAINS);
	snprintf(id, sizeof id, "00000000-0000-4000-8000-0000000000%02d", i);
	snprintf(created, sizeof created, "2024-01-%02dT%02d:00:00Z", 1 + (NDOMAINS - 1 - i) / 24,
		 (NDOMAINS - 1 - i) % 24);
	d = json_pack("{s:s, s:[s], s:[s], s:i, s:s, s:b, s:b, s:[]}", "domain", name,
		      "allowed_delivery_modes", i % 2 ? "API" : "BCC", "regions", "GLOBAL",
		      "lookback_hops", 2, "created_at", created, "require_tls_inbound", 0,
		      "require_tls_outbound", 0, "drop_dispositions");
	if (i % 3 != 0)
		json_object_set_new(d, "id", json_string(id));
	if (i % 5 == 0)
		json_object_set_new(d, "status", json_string("pending"));
	if (i == 7)
		json_object_set_new(d, "integration_id", json_string(INTEGRATION));
	return d;
}

static json_t *standard_state(void)
{
	json_t *list = json_array();

	for (int i = 0; i < NDOMAINS; i++)
		json_array_append_new(list, standard_domain(i));
	return json_pack("{s:{s:o, s:[{s:s, s:s}]}}", "accounts", TEST_ACCOUNT, list, TEST_ACCOUNT2,
			 "id", "99999999-0000-4000-8000-000000000000", "domain", "other.example");
}

static int setup(void **ctx)
{
	struct sandbox *sb = calloc(1, sizeof *sb);

	if (!sb || sandbox_init(sb) != 0) {
		free(sb);
		return -1;
	}
	*ctx = sb;
	return 0;
}

/* Stops the sandbox the test left running: it must exit 0 on SIGTERM, which
 * under valgrind also means no memory errors or leaks. */
static int teardown(void **ctx)
{
	struct sandbox *sb = *ctx;
	int rc = 0;

	if (sb->pid && sandbox_signal_wait(sb, SIGTERM) != 0) {
		char *err = harness_slurp(sb->err_path);

		fprintf(stderr, "sandbox did not exit cleanly: %s\n", err ? err : "(no stderr)");
		free(err);
		rc = -1;
	}
	sandbox_cleanup(sb);
	free(sb);
	return rc;
}

/* Starts a sandbox on the standard state (or state, when given) with args. */
static void start_with(struct sandbox *sb, json_t *state, const char *const *args)
{
	json_t *s = state ? state : standard_state();

	assert_int_equal(sb->pid, 0);
	assert_int_equal(sandbox_write_state(sb, s), 0);
	json_decref(s);
	if (sandbox_start(sb, args) != 0) {
		char *err = harness_slurp(sb->err_path);

		fprintf(stderr, "sandbox did not start: %s\n", err ? err : "(no stderr)");
		free(err);
		fail();
	}
}

static void start_standard(struct sandbox *sb)
{
	const char *args[] = { "--token", TEST_TOKEN, NULL };

	start_with(sb, NULL, args);
}

/* ---- judging answers against the document ------------------------------------ */

static void judge(const char *method, const char *url, const struct http_resp *r)
{
	const json_t *doc = spec_document(g_spec);
	const json_t *schema = NULL;
	json_t *errors = json_array();
	char path[512];
	const char *p = strchr(url + strlen("http://"), '/');
	struct spec_match m;
	struct validate_ctx ctx;
	int n;

	assert_non_null(r->json);
	snprintf(path, sizeof path, "%s", p ? p : "/");
	path[strcspn(path, "?")] = '\0';
	if (spec_route(g_spec, method, path, &m) == SPEC_ROUTE_OK)
		schema = spec_response_schema(g_spec, m.op, (int)r->status);
	else
		schema = validate_pointer(
			doc, "#/components/schemas/email-security_api-response-common-failure");
	spec_match_clear(&m);
	assert_non_null(schema);
	ctx = (struct validate_ctx){ .root = doc,
				     .errors = errors,
				     .code = 1000,
				     .root_label = "answer",
				     .label_prefix = "" };
	n = validate_value(&ctx, schema, r->json, "", "");
	if (n != 0) {
		char *text = json_dumps(errors, JSON_INDENT(2));

		fprintf(stderr, "%s %s answered %ld, which breaks the document: %s\n", method, url,
			r->status, text);
		free(text);
	}
	json_decref(errors);
	assert_int_equal(n, 0);
}

/* An authenticated request whose answer must match the document. */
static void call(struct http_resp *r, const char *method, const char *url, const char *body)
{
	api(r, method, url, body);
	assert_int_equal(r->curl_code, 0);
	judge(method, url, r);
}

static const json_t *result_of(const struct http_resp *r)
{
	return json_object_get(r->json, "result");
}

static long long info_of(const struct http_resp *r, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(r->json, "result_info"), key));
}

static int first_error_code(const struct http_resp *r)
{
	return (int)json_integer_value(
		json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "code"));
}

static const char *first_error_pointer(const struct http_resp *r)
{
	return json_string_value(json_object_get(
		json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "source"),
		"pointer"));
}

static const char *first_error_message(const struct http_resp *r)
{
	return json_string_value(
		json_object_get(json_array_get(json_object_get(r->json, "errors"), 0), "message"));
}

static void url_of(char *buf, size_t len, const struct sandbox *sb, const char *suffix)
{
	snprintf(buf, len, "%s%s", sb->domains, suffix);
}

static json_t *stats_now(const struct sandbox *sb)
{
	char url[256];
	struct http_resp r;
	json_t *out;

	snprintf(url, sizeof url, "%s/__sandbox/stats", sb->root);
	http(&r, "GET", url, NULL, NULL);
	if (r.status != 200) {
		char *err = harness_slurp(sb->err_path);

		fprintf(stderr, "GET %s: curl code %d, status %ld; sandbox stderr: %s\n", url,
			r.curl_code, r.status, err ? err : "(none)");
		free(err);
	}
	assert_int_equal(r.status, 200);
	out = json_incref(r.json);
	http_free(&r);
	return out;
}

static long long stat_int(const json_t *stats, const char *a, const char *b)
{
	const json_t *v = json_object_get(stats, a);

	if (b)
		v = json_object_get(v, b);
	return json_integer_value(v);
}

/* ---- list ---------------------------------------------------------------------- */

static void test_list_pagination(void **ctx)
{
	struct sandbox *sb = *ctx;
	char url[512];
	struct http_resp r;
	json_t *seen = json_object();

	start_standard(sb);
	for (int page = 1; page <= 3; page++) {
		snprintf(url, sizeof url, "%s?per_page=10&page=%d", sb->domains, page);
		call(&r, "GET", url, NULL);
		assert_int_equal(r.status, 200);
		assert_int_equal(info_of(&r, "count"), page < 3 ? 10 : 5);
		assert_int_equal(info_of(&r, "page"), page);
		assert_int_equal(info_of(&r, "per_page"), 10);
		assert_int_equal(info_of(&r, "total_count"), NDOMAINS);
		assert_int_equal(json_array_size(result_of(&r)), page < 3 ? 10 : 5);
		for (size_t i = 0; i < json_array_size(result_of(&r)); i++) {
			const json_t *d = json_array_get(result_of(&r), i);

			json_object_set_new(seen, json_string_value(json_object_get(d, "id")),
					    json_true());
			/* served in state order without "order" */
			if (page == 1 && i == 1)
				assert_string_equal(json_string_value(json_object_get(d, "domain")),
						    "d07.example.com");
		}
		http_free(&r);
	}
	assert_int_equal(json_object_size(seen), NDOMAINS);
	json_decref(seen);

	/* a page past the end is empty but tells the truth */
	snprintf(url, sizeof url, "%s?per_page=10&page=4", sb->domains);
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_array_size(result_of(&r)), 0);
	assert_int_equal(info_of(&r, "count"), 0);
	assert_int_equal(info_of(&r, "total_count"), NDOMAINS);
	http_free(&r);

	/* defaults come from the document: page 1, per_page 20 */
	call(&r, "GET", sb->domains, NULL);
	assert_int_equal(info_of(&r, "page"), 1);
	assert_int_equal(info_of(&r, "per_page"), 20);
	assert_int_equal(info_of(&r, "count"), 20);
	http_free(&r);

	/* unknown query parameters are ignored, as the real API does */
	snprintf(url, sizeof url, "%s?per_page=1000&whatever=1", sb->domains);
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(info_of(&r, "count"), NDOMAINS);
	http_free(&r);
}

static void test_list_filters(void **ctx)
{
	struct sandbox *sb = *ctx;
	char url[512];
	struct http_resp r;

	start_standard(sb);
	snprintf(url, sizeof url, "%s?search=D1&per_page=100", sb->domains);
	call(&r, "GET", url, NULL);
	/* d10..d19 */
	assert_int_equal(info_of(&r, "total_count"), 10);
	http_free(&r);

	snprintf(url, sizeof url, "%s?allowed_delivery_mode=API&per_page=100", sb->domains);
	call(&r, "GET", url, NULL);
	assert_int_equal(info_of(&r, "total_count"), 12);
	http_free(&r);

	snprintf(url, sizeof url, "%s?domain=d03.example.com&domain=d04.example.com&domain=nope",
		 sb->domains);
	call(&r, "GET", url, NULL);
	assert_int_equal(info_of(&r, "total_count"), 2);
	http_free(&r);

	snprintf(url, sizeof url, "%s?status=pending", sb->domains);
	call(&r, "GET", url, NULL);
	assert_int_equal(info_of(&r, "total_count"), 5);
	http_free(&r);

	snprintf(url, sizeof url, "%s?integration_id=" INTEGRATION, sb->domains);
	call(&r, "GET", url, NULL);
	assert_int_equal(info_of(&r, "total_count"), 1);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(result_of(&r), 0), "id")),
		ID_OF(07));
	http_free(&r);

	/* validated, but a Domain has no active mode to filter on */
	snprintf(url, sizeof url, "%s?active_delivery_mode=DIRECT", sb->domains);
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(info_of(&r, "total_count"), NDOMAINS);
	http_free(&r);

	snprintf(url, sizeof url, "%s?active_delivery_mode=SMOKE", sb->domains);
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(first_error_pointer(&r), "/query/active_delivery_mode");
	http_free(&r);
}

static void test_list_order(void **ctx)
{
	struct sandbox *sb = *ctx;
	char url[512];
	struct http_resp r;

	start_standard(sb);
	snprintf(url, sizeof url, "%s?order=domain&per_page=100", sb->domains);
	call(&r, "GET", url, NULL);
	for (size_t i = 0; i < NDOMAINS; i++) {
		char want[64];

		snprintf(want, sizeof want, "d%02zu.example.com", i);
		assert_string_equal(json_string_value(json_object_get(
					    json_array_get(result_of(&r), i), "domain")),
				    want);
	}
	http_free(&r);

	snprintf(url, sizeof url, "%s?order=domain&direction=desc&per_page=3&page=2", sb->domains);
	call(&r, "GET", url, NULL);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(result_of(&r), 0), "domain")),
		"d21.example.com");
	http_free(&r);

	/* created_at falls along the state, so ascending order reverses it */
	snprintf(url, sizeof url, "%s?order=created_at&direction=asc&per_page=1", sb->domains);
	call(&r, "GET", url, NULL);
	/* the last domain of the state, i = 24, is named d18 */
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(result_of(&r), 0), "domain")),
		"d18.example.com");
	http_free(&r);

	snprintf(url, sizeof url, "%s?direction=sideways", sb->domains);
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 400);
	http_free(&r);
}

/*
 * A time bound for a plain build. Under AddressSanitizer the sandbox runs a
 * few times slower (about 4 times here), so allow 10 times, as the unit
 * tests do (tests/unit/testutil.c, tu_time_bound()).
 */
static double time_bound(double seconds)
{
#if defined(__SANITIZE_ADDRESS__)
	return seconds * 10;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return seconds * 10;
#endif
#endif
	return seconds;
}

static void test_list_large(void **ctx)
{
	struct sandbox *sb = *ctx;
	const char *args[] = { "--token", TEST_TOKEN, NULL };
	json_t *list = json_array(), *ids = json_object();
	char url[512];
	double worst = 0;

	for (int i = 0; i < 10000; i++) {
		char name[64];

		snprintf(name, sizeof name, "bulk-%05d.example.com", i);
		json_array_append_new(list, json_pack("{s:s, s:[s], s:i}", "domain", name,
						      "allowed_delivery_modes", "API",
						      "lookback_hops", 1 + i % 20));
	}
	start_with(sb, json_pack("{s:{s:o}}", "accounts", TEST_ACCOUNT, list), args);
	for (int page = 1; page <= 10; page++) {
		struct http_resp r;

		snprintf(url, sizeof url, "%s?per_page=1000&page=%d", sb->domains, page);
		api(&r, "GET", url, NULL);
		assert_int_equal(r.status, 200);
		assert_int_equal(info_of(&r, "count"), 1000);
		assert_int_equal(info_of(&r, "total_count"), 10000);
		for (size_t i = 0; i < 1000; i++)
			json_object_set_new(ids,
					    json_string_value(json_object_get(
						    json_array_get(result_of(&r), i), "id")),
					    json_true());
		if (r.seconds > worst)
			worst = r.seconds;
		if (page == 1)
			judge("GET", url, &r);
		http_free(&r);
	}
	assert_int_equal(json_object_size(ids), 10000);
	json_decref(ids);
	if (!harness_wrapped()) {
		fprintf(stderr, "slowest 1000-item page: %.1f ms\n", worst * 1000);
		assert_true(worst < time_bound(0.25));
	}
}

/* ---- get, patch, delete ------------------------------------------------------ */

static void test_get_patch_delete(void **ctx)
{
	struct sandbox *sb = *ctx;
	char url[512];
	struct http_resp r;
	char before[64];
	const json_t *d;

	start_standard(sb);
	url_of(url, sizeof url, sb, "/" ID_OF(01));
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 200);
	d = result_of(&r);
	assert_string_equal(json_string_value(json_object_get(d, "id")), ID_OF(01));
	/* read-only fields are filled in, writable ones left as they were */
	assert_string_equal(json_string_value(json_object_get(d, "status")), "active");
	assert_string_equal(json_string_value(json_object_get(d, "spf_status")), "good");
	assert_true(
		json_is_true(json_object_get(json_object_get(d, "authorization"), "authorized")));
	assert_non_null(json_object_get(d, "emails_processed"));
	assert_null(json_object_get(d, "folder"));
	assert_null(json_object_get(d, "transport"));
	snprintf(before, sizeof before, "%s", json_string_value(json_object_get(d, "modified_at")));
	http_free(&r);

	call(&r, "PATCH", url,
	     "{\"lookback_hops\": 7, \"folder\": \"Inbox\", \"regions\": [\"US\", \"DE\"], "
	     "\"ip_restrictions\": [\"192.0.2.0/24\", \"2001:db8::/32\", \"198.51.100.7\"], "
	     "\"integration_id\": null, \"require_tls_inbound\": true, \"transport\": "
	     "\"smtp.example\"}");
	assert_int_equal(r.status, 200);
	d = result_of(&r);
	assert_int_equal(json_integer_value(json_object_get(d, "lookback_hops")), 7);
	assert_string_equal(json_string_value(json_object_get(d, "folder")), "Inbox");
	assert_true(json_is_null(json_object_get(d, "integration_id")));
	assert_string_equal(json_string_value(json_object_get(d, "domain")), "d07.example.com");
	assert_string_not_equal(json_string_value(json_object_get(d, "modified_at")), before);
	http_free(&r);

	call(&r, "GET", url, NULL);
	d = result_of(&r);
	assert_int_equal(json_array_size(json_object_get(d, "regions")), 2);
	assert_string_equal(json_string_value(json_object_get(d, "transport")), "smtp.example");
	assert_true(json_is_true(json_object_get(d, "require_tls_inbound")));
	assert_true(json_is_false(json_object_get(d, "require_tls_outbound")));
	http_free(&r);

	/* media type parameters do not matter */
	{
		const char *headers[] = { "Authorization: Bearer " TEST_TOKEN,
					  "Content-Type: Application/JSON; charset=utf-8", NULL };

		http(&r, "PATCH", url, headers, "{\"drop_dispositions\": [\"SPAM\", \"BULK\"]}");
		assert_int_equal(r.status, 200);
		judge("PATCH", url, &r);
		http_free(&r);
	}

	/* an empty PATCH is valid and changes nothing but modified_at */
	call(&r, "PATCH", url, "{}");
	assert_int_equal(r.status, 200);
	http_free(&r);

	call(&r, "DELETE", url, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_string_value(json_object_get(result_of(&r), "id")), ID_OF(01));
	http_free(&r);

	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 404);
	assert_int_equal(first_error_code(&r), 1404);
	assert_true(json_is_null(result_of(&r)));
	http_free(&r);
	call(&r, "PATCH", url, "{\"lookback_hops\": 3}");
	assert_int_equal(r.status, 404);
	http_free(&r);
	call(&r, "DELETE", url, NULL);
	assert_int_equal(r.status, 404);
	http_free(&r);

	call(&r, "GET", sb->domains, NULL);
	assert_int_equal(info_of(&r, "total_count"), NDOMAINS - 1);
	http_free(&r);
}

static void test_generated_ids_are_stable(void **ctx)
{
	struct sandbox *sb = *ctx;
	char url[512], first[64];
	struct http_resp r;

	start_standard(sb);
	call(&r, "GET", sb->domains, NULL);
	/* domain 0 has no id in the state: it gets a UUID derived from its name */
	snprintf(first, sizeof first, "%s",
		 json_string_value(json_object_get(json_array_get(result_of(&r), 0), "id")));
	http_free(&r);
	assert_int_equal(strlen(first), 36);
	assert_int_equal(first[14], '4');
	url_of(url, sizeof url, sb, "/");
	strcat(url, first);
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 200);
	http_free(&r);

	assert_int_equal(sandbox_signal_wait(sb, SIGTERM), 0);
	start_standard(sb);
	call(&r, "GET", sb->domains, NULL);
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(result_of(&r), 0), "id")), first);
	http_free(&r);
}

static void test_odd_state_served_as_is(void **ctx)
{
	struct sandbox *sb = *ctx;
	const char *args[] = { NULL };
	json_t *state = json_pack("{s:{s:[{s:i, s:s, s:n, s:[s], s:s}, {s:s, s:s}]}}", "accounts",
				  TEST_ACCOUNT, "id", 4242, "domain", "legacy.example",
				  "require_tls_inbound", "regions", "MARS", "status", "migrating",
				  "id", "not-a-uuid-at-all", "domain", "odd.example");
	char url[512];
	struct http_resp r;
	const json_t *d;

	start_with(sb, state, args);
	url_of(url, sizeof url, sb, "/4242");
	api(&r, "GET", url, NULL);
	assert_int_equal(r.status, 200);
	d = result_of(&r);
	assert_int_equal(json_integer_value(json_object_get(d, "id")), 4242);
	assert_true(json_is_null(json_object_get(d, "require_tls_inbound")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "regions"), 0)),
			    "MARS");
	assert_string_equal(json_string_value(json_object_get(d, "status")), "migrating");
	http_free(&r);

	/* ids that exist are served whatever their form; others must be uuids */
	url_of(url, sizeof url, sb, "/not-a-uuid-at-all");
	api(&r, "PATCH", url, "{\"lookback_hops\": 4}");
	assert_int_equal(r.status, 200);
	http_free(&r);
	url_of(url, sizeof url, sb, "/4243");
	api(&r, "GET", url, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(first_error_pointer(&r), "/path/domain_id");
	http_free(&r);
	url_of(url, sizeof url, sb, "/4242");
	api(&r, "DELETE", url, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(json_integer_value(json_object_get(result_of(&r), "id")), 4242);
	http_free(&r);
}

/* ---- auth, routes, headers ------------------------------------------------------- */

static void test_auth(void **ctx)
{
	struct sandbox *sb = *ctx;
	struct http_resp r;
	const char *none[] = { NULL };
	const char *wrong[] = { "Authorization: Bearer nope", NULL };
	const char *empty[] = { "Authorization: Bearer ", NULL };
	const char *key_ok[] = { "X-Auth-Email: a@example.com", "X-Auth-Key: " TEST_TOKEN, NULL };
	const char *key_no_email[] = { "X-Auth-Key: " TEST_TOKEN, NULL };
	const char *key_wrong[] = { "X-Auth-Email: a@example.com", "X-Auth-Key: nope", NULL };
	const char *const *bad[] = { none, wrong, empty, key_no_email, key_wrong };

	start_standard(sb);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		http(&r, "GET", sb->domains, bad[i], NULL);
		assert_int_equal(r.status, 401);
		assert_int_equal(first_error_code(&r), 10000);
		assert_string_equal(first_error_message(&r), "Authentication error");
		judge("GET", sb->domains, &r);
		http_free(&r);
	}
	http(&r, "GET", sb->domains, key_ok, NULL);
	assert_int_equal(r.status, 200);
	http_free(&r);

	assert_int_equal(sandbox_signal_wait(sb, SIGTERM), 0);
	/* without --token any non-empty credential does */
	{
		const char *args[] = { NULL };

		start_with(sb, NULL, args);
	}
	http(&r, "GET", sb->domains, wrong, NULL);
	assert_int_equal(r.status, 200);
	http_free(&r);
	http(&r, "GET", sb->domains, none, NULL);
	assert_int_equal(r.status, 401);
	http_free(&r);
}

static void test_routes(void **ctx)
{
	struct sandbox *sb = *ctx;
	char url[512];
	struct http_resp r;

	start_standard(sb);
	snprintf(url, sizeof url, "%s/accounts/" TEST_ACCOUNT "/email-security/settings/nothing",
		 sb->base);
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 404);
	assert_int_equal(first_error_code(&r), 7003);
	http_free(&r);

	snprintf(url, sizeof url, "%s/", sb->domains);
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 404);
	http_free(&r);

	call(&r, "POST", sb->domains, "{}");
	assert_int_equal(r.status, 405);
	assert_int_equal(first_error_code(&r), 7001);
	http_free(&r);

	url_of(url, sizeof url, sb, "/" ID_OF(02));
	call(&r, "PUT", url, "{}");
	assert_int_equal(r.status, 405);
	http_free(&r);

	snprintf(url, sizeof url,
		 "%s/accounts/22222222222222222222222222222222/email-security/settings/domains",
		 sb->base);
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 403);
	assert_int_equal(first_error_code(&r), 9109);
	assert_string_equal(first_error_message(&r), "Unauthorized to access requested resource");
	http_free(&r);

	snprintf(url, sizeof url,
		 "%s/accounts/0123456789abcdef0123456789abcdef0/email-security/settings/domains",
		 sb->base);
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(first_error_pointer(&r), "/path/account_id");
	http_free(&r);

	/* a domain of another account is not found here */
	url_of(url, sizeof url, sb, "/99999999-0000-4000-8000-000000000000");
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 404);
	http_free(&r);

	url_of(url, sizeof url, sb, "/123");
	call(&r, "GET", url, NULL);
	assert_int_equal(r.status, 400);
	assert_int_equal(first_error_code(&r), 1001);
	assert_string_equal(first_error_pointer(&r), "/path/domain_id");
	http_free(&r);

	snprintf(url, sizeof url, "%s/__sandbox/nothing", sb->root);
	http(&r, "GET", url, NULL, NULL);
	assert_int_equal(r.status, 404);
	http_free(&r);
}

static void test_headers(void **ctx)
{
	struct sandbox *sb = *ctx;
	char url[512], v[128], first_ray[64];
	struct http_resp r;
	const char *none[] = { NULL };

	start_standard(sb);
	url_of(url, sizeof url, sb, "/" ID_OF(02));
	for (int i = 0; i < 3; i++) {
		if (i == 0)
			api(&r, "GET", url, NULL);
		else if (i == 1)
			http(&r, "GET", url, none, NULL);
		else
			api(&r, "GET", sb->base, NULL);
		assert_non_null(http_header(&r, "cf-ray", v, sizeof v));
		assert_int_equal(strlen(v), 20);
		for (int k = 0; k < 16; k++)
			assert_true(isxdigit((unsigned char)v[k]) && !isupper((unsigned char)v[k]));
		assert_string_equal(v + 16, "-SJC");
		if (i == 0)
			snprintf(first_ray, sizeof first_ray, "%s", v);
		else
			assert_string_not_equal(first_ray, v);
		assert_non_null(http_header(&r, "Content-Type", v, sizeof v));
		assert_string_equal(v, "application/json");
		assert_non_null(http_header(&r, "Ratelimit", v, sizeof v));
		assert_string_equal(v, "\"default\";r=1199;t=300");
		assert_non_null(http_header(&r, "Ratelimit-Policy", v, sizeof v));
		assert_string_equal(v, "\"default\";q=1200;w=300");
		http_free(&r);
	}
}

/* First cf-ray, and id and created_at of the first domain, with --seed seed. */
static void seeded_run(struct sandbox *sb, const char *seed, char *ray, char *id, char *created)
{
	const char *args[] = { "--seed", seed, NULL };
	const json_t *d;
	struct http_resp r;
	char v[64];

	start_with(sb, NULL, args);
	api(&r, "GET", sb->domains, NULL);
	assert_non_null(http_header(&r, "cf-ray", v, sizeof v));
	snprintf(ray, 64, "%s", v);
	d = json_array_get(result_of(&r), 0);
	snprintf(id, 64, "%s", json_string_value(json_object_get(d, "id")));
	/* domain 0 is the standard one without an id; take a generated timestamp */
	snprintf(created, 64, "%s", json_string_value(json_object_get(d, "modified_at")));
	http_free(&r);
	assert_int_equal(sandbox_signal_wait(sb, SIGTERM), 0);
}

static void test_seed(void **ctx)
{
	struct sandbox *sb = *ctx;
	char ray[3][64], id[3][64], stamp[3][64];

	seeded_run(sb, "7", ray[0], id[0], stamp[0]);
	seeded_run(sb, "7", ray[1], id[1], stamp[1]);
	seeded_run(sb, "8", ray[2], id[2], stamp[2]);
	assert_string_equal(ray[0], ray[1]);
	assert_string_equal(stamp[0], stamp[1]);
	assert_string_not_equal(ray[0], ray[2]);
	assert_string_not_equal(stamp[0], stamp[2]);
	/* ids depend on account and domain only */
	assert_string_equal(id[0], id[2]);
}

/* ---- validation ------------------------------------------------------------------ */

struct bad_case {
	const char *what;
	const char *content_type; /* NULL: no header */
	const char *body;
	const char *pointer;
	int code;
	const char *message_has;
};

static void test_validation(void **ctx)
{
	static const struct bad_case cases[] = {
		{ "wrong type", "application/json", "{\"lookback_hops\": \"3\"}", "/lookback_hops",
		  1001, "must be an integer" },
		{ "real for integer", "application/json", "{\"lookback_hops\": 3.5}",
		  "/lookback_hops", 1001, "must be an integer" },
		{ "above maximum", "application/json", "{\"lookback_hops\": 21}", "/lookback_hops",
		  1001, "at most 20" },
		{ "below minimum", "application/json", "{\"lookback_hops\": 0}", "/lookback_hops",
		  1001, "at least 1" },
		{ "unknown enum", "application/json", "{\"regions\": [\"US\", \"EU\"]}",
		  "/regions/1", 1001, "must be one of" },
		{ "array expected", "application/json", "{\"allowed_delivery_modes\": \"API\"}",
		  "/allowed_delivery_modes", 1001, "must be an array" },
		{ "disposition enum", "application/json", "{\"drop_dispositions\": [\"EVIL\"]}",
		  "/drop_dispositions/0", 1001, "must be one of" },
		{ "folder enum", "application/json", "{\"folder\": \"Junk\"}", "/folder", 1001,
		  "must be one of" },
		{ "null not allowed", "application/json", "{\"require_tls_inbound\": null}",
		  "/require_tls_inbound", 1001, "must be a boolean" },
		{ "null outbound", "application/json", "{\"require_tls_outbound\": null}",
		  "/require_tls_outbound", 1001, "must be a boolean" },
		{ "transport type", "application/json", "{\"transport\": 25}", "/transport", 1001,
		  "must be a string" },
		{ "bad uuid", "application/json", "{\"integration_id\": \"1234\"}",
		  "/integration_id", 1001, "uuid" },
		{ "bad cidr", "application/json",
		  "{\"ip_restrictions\": [\"10.0.0.0/8\", \"10.0.0.0/33\"]}", "/ip_restrictions/1",
		  1001, "CIDR" },
		{ "not an address", "application/json", "{\"ip_restrictions\": [\"example.com\"]}",
		  "/ip_restrictions/0", 1001, "CIDR" },
		{ "domain in body", "application/json", "{\"domain\": \"x.example\"}", "/domain",
		  1001, "cannot be changed" },
		{ "id in body", "application/json", "{\"id\": \"" ID_OF(03) "\"}", "/id", 1001,
		  "cannot be changed" },
		{ "read-only field", "application/json",
		  "{\"created_at\": \"2024-01-01T00:00:00Z\"}", "/created_at", 1001, "read-only" },
		{ "not writable", "application/json", "{\"status\": \"active\"}", "/status", 1001,
		  "cannot be changed" },
		{ "unknown field", "application/json", "{\"lookback\": 3}", "/lookback", 1001,
		  "not a known field" },
		{ "not an object", "application/json", "[1, 2]", "", 1001, "must be an object" },
		{ "not JSON", "application/json", "{\"lookback_hops\": ", "", 1002,
		  "not valid JSON" },
		{ "duplicate key", "application/json",
		  "{\"folder\": \"Inbox\", \"folder\": \"AllItems\"}", "", 1002, "not valid JSON" },
		{ "empty body", "application/json", "", "", 1002, "required" },
		{ "wrong content type", "text/plain", "{\"lookback_hops\": 3}",
		  "/headers/content-type", 1003, "application/json" },
		{ "form content type", "application/x-www-form-urlencoded", "lookback_hops=3",
		  "/headers/content-type", 1003, "application/json" },
		{ "no content type", NULL, "{\"lookback_hops\": 3}", "/headers/content-type", 1003,
		  "got none" },
	};
	struct sandbox *sb = *ctx;
	char url[512], ct[128];
	json_t *stats;

	start_standard(sb);
	url_of(url, sizeof url, sb, "/" ID_OF(04));
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct bad_case *c = &cases[i];
		const char *headers[] = { "Authorization: Bearer " TEST_TOKEN, ct, NULL };
		struct http_resp r;

		snprintf(ct, sizeof ct, "Content-Type: %s", c->content_type ? c->content_type : "");
		if (!c->content_type)
			headers[1] = NULL;
		http(&r, "PATCH", url, headers, c->body);
		if (r.status != 400 || first_error_code(&r) != c->code ||
		    !first_error_pointer(&r) || strcmp(first_error_pointer(&r), c->pointer) != 0 ||
		    !strstr(first_error_message(&r), c->message_has))
			fprintf(stderr, "case '%s' got %ld: %s\n", c->what, r.status, r.body);
		assert_int_equal(r.status, 400);
		assert_int_equal(first_error_code(&r), c->code);
		assert_string_equal(first_error_pointer(&r), c->pointer);
		assert_non_null(strstr(first_error_message(&r), c->message_has));
		assert_int_equal(json_array_size(json_object_get(r.json, "errors")), 1);
		judge("PATCH", url, &r);
		http_free(&r);
	}

	/* several problems: one error each */
	{
		struct http_resp r;

		call(&r, "PATCH", url,
		     "{\"lookback_hops\": 99, \"folder\": 1, \"domain\": \"x\", \"extra\": true}");
		assert_int_equal(r.status, 400);
		assert_int_equal(json_array_size(json_object_get(r.json, "errors")), 4);
		http_free(&r);

		/* a failed PATCH changes nothing */
		call(&r, "GET", url, NULL);
		assert_int_equal(
			json_integer_value(json_object_get(result_of(&r), "lookback_hops")), 2);
		http_free(&r);

		/* query parameters */
		snprintf(url, sizeof url,
			 "%s?page=0&per_page=1001&order=name&status=gone&"
			 "integration_id=x&allowed_delivery_mode=api",
			 sb->domains);
		call(&r, "GET", url, NULL);
		assert_int_equal(r.status, 400);
		assert_int_equal(json_array_size(json_object_get(r.json, "errors")), 6);
		http_free(&r);

		snprintf(url, sizeof url, "%s?page=two&page=2", sb->domains);
		call(&r, "GET", url, NULL);
		assert_int_equal(r.status, 400);
		assert_string_equal(first_error_pointer(&r), "/query/page");
		assert_non_null(strstr(first_error_message(&r), "at most once"));
		http_free(&r);

		snprintf(url, sizeof url, "%s?per_page=", sb->domains);
		call(&r, "GET", url, NULL);
		assert_int_equal(r.status, 400);
		http_free(&r);
	}
	stats = stats_now(sb);
	assert_int_equal(stat_int(stats, "invalid", NULL),
			 (long long)(sizeof cases / sizeof cases[0]) + 4);
	json_decref(stats);
}

/* ---- faults ------------------------------------------------------------------------ */

static void start_fault(struct sandbox *sb, const char *rule)
{
	const char *args[] = { "--token", TEST_TOKEN, "--fault", rule, NULL };

	start_with(sb, NULL, args);
}

static void test_fault_status(void **ctx)
{
	struct sandbox *sb = *ctx;
	char url[512];
	struct http_resp r;
	long want[] = { 200, 503, 503, 200 };

	start_fault(sb,
		    "op=get,after=1,count=2,action=status,status=503,code=10042,message=boom now");
	url_of(url, sizeof url, sb, "/" ID_OF(02));
	for (size_t i = 0; i < 4; i++) {
		api(&r, "GET", url, NULL);
		assert_int_equal(r.status, want[i]);
		if (want[i] == 503) {
			assert_int_equal(first_error_code(&r), 10042);
			assert_string_equal(first_error_message(&r), "boom now");
			assert_true(json_is_false(json_object_get(r.json, "success")));
		}
		http_free(&r);
	}
	/* other operations are not affected */
	api(&r, "GET", sb->domains, NULL);
	assert_int_equal(r.status, 200);
	http_free(&r);
}

static void test_fault_429(void **ctx)
{
	struct sandbox *sb = *ctx;
	char v[64];
	struct http_resp r;

	start_fault(sb, "op=list,action=429,retry-after=7");
	api(&r, "GET", sb->domains, NULL);
	assert_int_equal(r.status, 429);
	assert_non_null(http_header(&r, "Retry-After", v, sizeof v));
	assert_string_equal(v, "7");
	assert_int_equal(first_error_code(&r), 971);
	http_free(&r);
	api(&r, "GET", sb->domains, NULL);
	assert_int_equal(r.status, 200);
	http_free(&r);
}

static void test_fault_drop(void **ctx)
{
	struct sandbox *sb = *ctx;
	struct http_resp r;
	json_t *stats;

	start_fault(sb, "method=GET,path=" ID_OF(05) ",action=drop,count=0");
	{
		char url[512];

		url_of(url, sizeof url, sb, "/" ID_OF(05));
		api(&r, "GET", url, NULL);
		assert_int_equal(r.curl_code, CURLE_GOT_NOTHING);
		http_free(&r);
		api(&r, "GET", url, NULL);
		assert_int_equal(r.curl_code, CURLE_GOT_NOTHING);
		http_free(&r);
		/* PATCH does not match method=GET */
		api(&r, "PATCH", url, "{}");
		assert_int_equal(r.status, 200);
		http_free(&r);
	}
	api(&r, "GET", sb->domains, NULL);
	assert_int_equal(r.status, 200);
	http_free(&r);
	stats = stats_now(sb);
	assert_int_equal(stat_int(stats, "faults", NULL), 2);
	assert_int_equal(stat_int(stats, "dropped", NULL), 2);
	assert_int_equal(stat_int(stats, "requests", "total"), 4);
	json_decref(stats);
}

static void test_fault_malformed_and_envelope(void **ctx)
{
	struct sandbox *sb = *ctx;
	const char *args[] = { "--token", TEST_TOKEN,
			       "--fault", "op=list,action=malformed",
			       "--fault", "op=list,action=envelope-false,code=10500,message=nope",
			       NULL };
	struct http_resp r;

	start_with(sb, NULL, args);
	api(&r, "GET", sb->domains, NULL);
	assert_int_equal(r.status, 200);
	assert_null(r.json);
	assert_true(r.len > 0);
	http_free(&r);

	api(&r, "GET", sb->domains, NULL);
	assert_int_equal(r.status, 200);
	assert_true(json_is_false(json_object_get(r.json, "success")));
	assert_true(json_is_null(result_of(&r)));
	assert_int_equal(first_error_code(&r), 10500);
	assert_string_equal(first_error_message(&r), "nope");
	http_free(&r);

	api(&r, "GET", sb->domains, NULL);
	assert_true(json_is_true(json_object_get(r.json, "success")));
	http_free(&r);
}

static void test_fault_delay(void **ctx)
{
	struct sandbox *sb = *ctx;
	struct http_resp r;

	start_fault(sb, "op=list,action=delay,delay-ms=300");
	api(&r, "GET", sb->domains, NULL);
	assert_int_equal(r.status, 200);
	assert_true(r.seconds >= 0.3);
	http_free(&r);
	/* count=1: the next one is not delayed */
	api(&r, "GET", sb->domains, NULL);
	assert_int_equal(r.status, 200);
	if (!harness_wrapped())
		assert_true(r.seconds < 0.3);
	http_free(&r);
}

static void test_fault_list_lies(void **ctx)
{
	struct sandbox *sb = *ctx;
	const char *args[] = { "--token", TEST_TOKEN,
			       "--fault", "page=1,action=lie-total,total=999",
			       "--fault", "page=2,action=duplicate",
			       "--fault", "page=3,action=short",
			       NULL };
	char url[512];
	struct http_resp p1, r;

	start_with(sb, NULL, args);
	snprintf(url, sizeof url, "%s?per_page=10&page=1", sb->domains);
	api(&p1, "GET", url, NULL);
	assert_int_equal(info_of(&p1, "total_count"), 999);
	assert_int_equal(json_array_size(result_of(&p1)), 10);

	snprintf(url, sizeof url, "%s?per_page=10&page=2", sb->domains);
	api(&r, "GET", url, NULL);
	assert_int_equal(info_of(&r, "page"), 2);
	assert_int_equal(info_of(&r, "total_count"), NDOMAINS);
	assert_true(json_equal(result_of(&r), result_of(&p1)));
	http_free(&r);

	snprintf(url, sizeof url, "%s?per_page=10&page=3", sb->domains);
	api(&r, "GET", url, NULL);
	assert_int_equal(json_array_size(result_of(&r)), 4);
	assert_int_equal(info_of(&r, "count"), 5);
	http_free(&r);

	/* each rule had count=1: now everything is honest */
	api(&r, "GET", url, NULL);
	assert_int_equal(json_array_size(result_of(&r)), 5);
	http_free(&r);
	http_free(&p1);
}

static void test_fault_bad_rules(void **ctx)
{
	struct sandbox *sb = *ctx;
	static const char *const rules[] = {
		"op=list", /* no action */
		"action=explode",
		"action=status,status=99",
		"action=status,total=3", /* key of another action */
		"action=lie-total", /* needs total */
		"op=get,action=short", /* list only */
		"action=drop,colour=red",
		"method=POST,action=drop",
		"action=drop,count=-1",
		"action=drop,page",
	};

	{
		json_t *state = standard_state();

		assert_int_equal(sandbox_write_state(sb, state), 0);
		json_decref(state);
	}
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
		const char *args[] = { "--state", sb->state_path, "--listen", "127.0.0.1:0",
				       "--fault", rules[i],       NULL };
		char *out = NULL, *err = NULL;

		assert_int_equal(sandbox_run(sb, args, &out, &err), 1);
		assert_non_null(err);
		assert_non_null(strstr(err, "fault"));
		assert_string_equal(out, "");
		free(out);
		free(err);
	}
}

/* ---- rate limit, latency ------------------------------------------------------------ */

static void test_rate_limit(void **ctx)
{
	struct sandbox *sb = *ctx;
	const char *args[] = { "--token", TEST_TOKEN, "--rate-limit", "3/60", NULL };
	char v[64];
	struct http_resp r;
	json_t *stats;

	start_with(sb, NULL, args);
	for (int i = 0; i < 3; i++) {
		char want[64];

		api(&r, "GET", sb->domains, NULL);
		assert_int_equal(r.status, 200);
		snprintf(want, sizeof want, "\"default\";r=%d;", 2 - i);
		assert_non_null(http_header(&r, "Ratelimit", v, sizeof v));
		assert_memory_equal(v, want, strlen(want));
		assert_non_null(http_header(&r, "Ratelimit-Policy", v, sizeof v));
		assert_string_equal(v, "\"default\";q=3;w=60");
		http_free(&r);
	}
	api(&r, "GET", sb->domains, NULL);
	assert_int_equal(r.status, 429);
	assert_int_equal(first_error_code(&r), 971);
	assert_non_null(http_header(&r, "Retry-After", v, sizeof v));
	assert_in_range(atol(v), 59, 60);
	http_free(&r);
	stats = stats_now(sb);
	assert_int_equal(stat_int(stats, "rate_limited", NULL), 1);
	assert_int_equal(stat_int(stats, "status", "429"), 1);
	json_decref(stats);
}

static void test_rate_limit_window_slides(void **ctx)
{
	struct sandbox *sb = *ctx;
	const char *args[] = { "--token", TEST_TOKEN, "--rate-limit", "2/1", NULL };
	char v[64];
	struct http_resp r;
	double start, sent, waited;
	long status = 0;

	start_with(sb, NULL, args);
	start = harness_now();
	for (int i = 0; i < 2; i++) {
		api(&r, "GET", sb->domains, NULL);
		assert_int_equal(r.status, 200);
		http_free(&r);
	}
	sent = harness_now();
	api(&r, "GET", sb->domains, NULL);
	/* a slow machine may have let the window pass already */
	if (sent - start < 0.9 || r.status == 429) {
		assert_int_equal(r.status, 429);
		assert_non_null(http_header(&r, "Retry-After", v, sizeof v));
		assert_string_equal(v, "1");
	}
	http_free(&r);
	/* poll until the window lets one more through */
	do {
		usleep(50000);
		api(&r, "GET", sb->domains, NULL);
		status = r.status;
		http_free(&r);
		waited = harness_now() - start;
	} while (status == 429 && waited < 5);
	assert_int_equal(status, 200);
	assert_true(waited >= 0.9);
}

static void test_latency_concurrent(void **ctx)
{
	struct sandbox *sb = *ctx;
	const char *args[] = { "--token", TEST_TOKEN, "--latency-ms", "200", NULL };
	CURLM *multi = curl_multi_init();
	CURL *easy[8];
	struct curl_slist *hdr = curl_slist_append(NULL, "Authorization: Bearer " TEST_TOKEN);
	int running = 0;
	double start, elapsed;
	json_t *stats;
	FILE *sink = fopen("/dev/null", "w");

	start_with(sb, NULL, args);
	start = harness_now();
	for (int i = 0; i < 8; i++) {
		easy[i] = curl_easy_init();
		curl_easy_setopt(easy[i], CURLOPT_URL, sb->domains);
		curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, sink);
		curl_easy_setopt(easy[i], CURLOPT_NOPROXY, "*");
		curl_multi_add_handle(multi, easy[i]);
	}
	do {
		curl_multi_perform(multi, &running);
		if (running)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	} while (running);
	elapsed = harness_now() - start;
	for (int i = 0; i < 8; i++) {
		long status = 0;

		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
		assert_int_equal(status, 200);
		curl_multi_remove_handle(multi, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	curl_multi_cleanup(multi);
	curl_slist_free_all(hdr);
	fclose(sink);
	stats = stats_now(sb);
	fprintf(stderr,
		"8 concurrent requests at 200 ms latency took %.0f ms (max_concurrent %lld)\n",
		elapsed * 1000, stat_int(stats, "max_concurrent", NULL));
	assert_true(elapsed >= 0.2);
	/* one after the other they would take 1.6 s; the margin is for a busy machine */
	if (!harness_wrapped()) {
		assert_true(elapsed < 1.0);
		assert_true(stat_int(stats, "max_concurrent", NULL) >= 2);
	}
	assert_in_range(stat_int(stats, "max_concurrent", NULL), 1, 8);
	if (elapsed < 1.0)
		assert_int_equal(stat_int(stats, "max_in_any_1s", NULL), 8);
	else
		assert_in_range(stat_int(stats, "max_in_any_1s", NULL), 1, 8);
	json_decref(stats);
}

/* ---- save, stats, log ---------------------------------------------------------------- */

static void test_save_round_trip(void **ctx)
{
	struct sandbox *sb = *ctx;
	char save[400], url[512], args_save[400];
	struct http_resp r;
	json_t *saved, *list;
	size_t i;
	json_t *d;
	int found = 0;

	snprintf(save, sizeof save, "%s/saved.json", sb->dir);
	snprintf(args_save, sizeof args_save, "%s", save);
	{
		const char *args[] = { "--token", TEST_TOKEN, "--save", args_save, NULL };

		start_with(sb, NULL, args);
	}
	url_of(url, sizeof url, sb, "/" ID_OF(08));
	call(&r, "PATCH", url, "{\"folder\": \"AllItems\", \"lookback_hops\": 9}");
	assert_int_equal(r.status, 200);
	http_free(&r);
	url_of(url, sizeof url, sb, "/" ID_OF(10));
	call(&r, "DELETE", url, NULL);
	assert_int_equal(r.status, 200);
	http_free(&r);
	assert_int_equal(sandbox_signal_wait(sb, SIGINT), 0);

	saved = json_load_file(save, 0, NULL);
	assert_non_null(saved);
	list = json_object_get(json_object_get(saved, "accounts"), TEST_ACCOUNT);
	assert_int_equal(json_array_size(list), NDOMAINS - 1);
	json_array_foreach(list, i, d) {
		const char *id = json_string_value(json_object_get(d, "id"));

		assert_non_null(id);
		assert_string_not_equal(id, ID_OF(10));
		if (strcmp(id, ID_OF(08)) == 0) {
			found = 1;
			assert_string_equal(json_string_value(json_object_get(d, "folder")),
					    "AllItems");
			assert_int_equal(json_integer_value(json_object_get(d, "lookback_hops")),
					 9);
		}
	}
	assert_true(found);
	assert_non_null(json_object_get(json_object_get(saved, "accounts"), TEST_ACCOUNT2));

	/* the saved file starts a sandbox that serves the same thing */
	{
		const char *args[] = { "--token", TEST_TOKEN, NULL };
		struct http_resp again;

		start_with(sb, saved, args);
		call(&again, "GET", sb->domains, NULL);
		assert_int_equal(info_of(&again, "total_count"), NDOMAINS - 1);
		http_free(&again);
		url_of(url, sizeof url, sb, "/" ID_OF(08));
		call(&again, "GET", url, NULL);
		assert_int_equal(
			json_integer_value(json_object_get(result_of(&again), "lookback_hops")), 9);
		http_free(&again);
	}
}

static void test_stats_and_log(void **ctx)
{
	struct sandbox *sb = *ctx;
	char stats_path[400], log_path[400], url[512];
	struct http_resp r;
	json_t *st;
	const char *none[] = { NULL };

	snprintf(stats_path, sizeof stats_path, "%s/stats.json", sb->dir);
	snprintf(log_path, sizeof log_path, "%s/requests.log", sb->dir);
	{
		const char *args[] = { "--token", TEST_TOKEN, "--stats", stats_path,
				       "--log",   log_path,   NULL };

		start_with(sb, NULL, args);
	}
	st = stats_now(sb);
	assert_int_equal(stat_int(st, "requests", "total"), 0);
	assert_true(json_is_null(json_object_get(st, "first_at")));
	json_decref(st);

	call(&r, "GET", sb->domains, NULL);
	http_free(&r);
	url_of(url, sizeof url, sb, "/" ID_OF(02));
	call(&r, "GET", url, NULL);
	http_free(&r);
	call(&r, "PATCH", url, "{\"lookback_hops\": 50}");
	http_free(&r);
	call(&r, "PATCH", url, "{\"lookback_hops\": 5}");
	http_free(&r);
	call(&r, "DELETE", url, NULL);
	http_free(&r);
	http(&r, "GET", sb->domains, none, NULL);
	http_free(&r);
	call(&r, "GET", sb->base, NULL);
	http_free(&r);

	st = stats_now(sb);
	assert_int_equal(stat_int(st, "requests", "total"), 7);
	assert_int_equal(stat_int(st, "requests", "list"), 2);
	assert_int_equal(stat_int(st, "requests", "get"), 1);
	assert_int_equal(stat_int(st, "requests", "patch"), 2);
	assert_int_equal(stat_int(st, "requests", "delete"), 1);
	assert_int_equal(stat_int(st, "requests", "other"), 1);
	assert_int_equal(stat_int(st, "status", "200"), 4);
	assert_int_equal(stat_int(st, "status", "400"), 1);
	assert_int_equal(stat_int(st, "status", "401"), 1);
	assert_int_equal(stat_int(st, "status", "404"), 1);
	assert_int_equal(stat_int(st, "invalid", NULL), 1);
	assert_int_equal(stat_int(st, "unauthorized", NULL), 1);
	assert_int_equal(stat_int(st, "max_in_any_1s", NULL) > 0, 1);
	assert_true(json_real_value(json_object_get(st, "avg_rate")) > 0);
	assert_true(json_real_value(json_object_get(st, "last_at")) >=
		    json_real_value(json_object_get(st, "first_at")));
	assert_true(stat_int(st, "max_concurrent", NULL) >= 1);
	json_decref(st);

	snprintf(url, sizeof url, "%s/__sandbox/reset-stats", sb->root);
	http(&r, "POST", url, NULL, NULL);
	assert_int_equal(r.status, 200);
	http_free(&r);
	http(&r, "GET", url, NULL, NULL);
	assert_int_equal(r.status, 405);
	http_free(&r);
	st = stats_now(sb);
	assert_int_equal(stat_int(st, "requests", "total"), 0);
	assert_int_equal(json_object_size(json_object_get(st, "status")), 0);
	assert_true(json_real_value(json_object_get(st, "avg_rate")) == 0.0);
	json_decref(st);

	call(&r, "GET", sb->domains, NULL);
	http_free(&r);
	assert_int_equal(sandbox_signal_wait(sb, SIGTERM), 0);

	st = json_load_file(stats_path, 0, NULL);
	assert_non_null(st);
	assert_int_equal(stat_int(st, "requests", "total"), 1);
	assert_int_equal(stat_int(st, "requests", "list"), 1);
	json_decref(st);

	{
		char *log = harness_slurp(log_path), *line, *save = NULL;
		int lines = 0, invalid = 0;

		assert_non_null(log);
		assert_null(strstr(log, TEST_TOKEN));
		for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			json_t *e = json_loads(line, 0, NULL);

			assert_non_null(e);
			assert_non_null(json_object_get(e, "time"));
			assert_non_null(json_object_get(e, "method"));
			assert_non_null(json_object_get(e, "path"));
			assert_non_null(json_object_get(e, "query"));
			assert_non_null(json_object_get(e, "status"));
			assert_non_null(json_object_get(e, "errors"));
			assert_non_null(json_object_get(e, "body"));
			if (json_is_false(json_object_get(e, "valid")))
				invalid++;
			if (lines == 2) {
				assert_string_equal(json_string_value(json_object_get(e, "method")),
						    "PATCH");
				assert_int_equal(
					json_integer_value(json_object_get(
						json_object_get(e, "body"), "lookback_hops")),
					50);
				assert_string_equal(
					json_string_value(json_object_get(
						json_object_get(
							json_array_get(json_object_get(e, "errors"),
								       0),
							"source"),
						"pointer")),
					"/lookback_hops");
			}
			json_decref(e);
			lines++;
		}
		assert_int_equal(lines, 8);
		/* the PATCH out of range and the unknown route */
		assert_int_equal(invalid, 2);
		free(log);
	}
}

/* ---- command line and start-up ------------------------------------------------------- */

static void expect_start_failure(struct sandbox *sb, const char *const *args, const char *err_has)
{
	char *out = NULL, *err = NULL;
	int rc = sandbox_run(sb, args, &out, &err);

	if (rc != 1 || !err || !strstr(err, err_has))
		fprintf(stderr, "expected exit 1 mentioning '%s', got %d: %s\n", err_has, rc,
			err ? err : "");
	assert_int_equal(rc, 1);
	assert_non_null(err);
	assert_non_null(strstr(err, err_has));
	assert_non_null(out);
	assert_string_equal(out, "");
	free(out);
	free(err);
}

static void test_bad_state_files(void **ctx)
{
	struct sandbox *sb = *ctx;
	static const struct {
		const char *text;
		const char *err_has;
	} cases[] = {
		{ "{\"accounts\": ", "not valid JSON" },
		{ "[]", "must be an object" },
		{ "{\"accounts\": []}", "\"accounts\" must be an object" },
		{ "{\"accounts\": {\"a\": {}}}", "must be an array" },
		{ "{\"accounts\": {\"a\": [{\"id\": \"x\"}]}}", "has no \"domain\"" },
		{ "{\"accounts\": {\"a\": [3]}}", "must be an object" },
		{ "{\"accounts\": {\"a\": [{\"id\": \"x\", \"domain\": \"a.example\"}, "
		  "{\"id\": \"x\", \"domain\": \"b.example\"}]}}",
		  "more than once" },
		{ "{\"accounts\": {\"a\": [{\"id\": null, \"domain\": \"a.example\"}]}}",
		  "neither a string nor an integer" },
	};
	const char *args[] = { "--state", sb->state_path, "--listen", "127.0.0.1:0", NULL };

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		FILE *f = fopen(sb->state_path, "w");

		assert_non_null(f);
		fputs(cases[i].text, f);
		fclose(f);
		expect_start_failure(sb, args, cases[i].err_has);
		expect_start_failure(sb, args, sb->state_path);
	}
	{
		char missing[400];
		const char *margs[] = { "--state", missing, NULL };

		snprintf(missing, sizeof missing, "%s/none.json", sb->dir);
		expect_start_failure(sb, margs, missing);
	}
}

static void test_command_line(void **ctx)
{
	struct sandbox *sb = *ctx;
	char *out = NULL, *err = NULL;
	const char *help[] = { "--help", NULL };
	const char *unknown[] = { "--state", sb->state_path, "--frobnicate", NULL };
	const char *public_addr[] = { "--state", sb->state_path, "--listen", "0.0.0.0:0", NULL };
	const char *lan_addr[] = { "--state", sb->state_path, "--listen", "192.168.1.1:0", NULL };
	const char *no_state[] = { "--listen", "127.0.0.1:0", NULL };
	const char *bad_latency[] = { "--state", sb->state_path, "--latency-ms", "soon", NULL };
	const char *bad_rate[] = { "--state", sb->state_path, "--rate-limit", "100", NULL };
	const char *no_value[] = { "--state", sb->state_path, "--token", NULL };

	{
		json_t *state = standard_state();

		assert_int_equal(sandbox_write_state(sb, state), 0);
		json_decref(state);
	}
	assert_int_equal(sandbox_run(sb, help, &out, &err), 0);
	assert_non_null(strstr(out, "--fault RULE"));
	assert_non_null(strstr(out, "envelope-false"));
	assert_non_null(strstr(out, "--rate-limit"));
	assert_non_null(strstr(out, "/__sandbox/stats"));
	free(out);
	free(err);

	assert_int_equal(sandbox_run(sb, unknown, &out, &err), 1);
	assert_non_null(strstr(err, "--frobnicate"));
	/* one line */
	assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
	free(out);
	free(err);

	expect_start_failure(sb, public_addr, "loopback");
	expect_start_failure(sb, lan_addr, "loopback");
	expect_start_failure(sb, no_state, "--state");
	expect_start_failure(sb, bad_latency, "--latency-ms");
	expect_start_failure(sb, bad_rate, "N/SECONDS");
	expect_start_failure(sb, no_value, "--token");
}

static void test_listen_localhost(void **ctx)
{
	struct sandbox *sb = *ctx;
	const char *args[] = { "--listen", "localhost:0", NULL };
	struct http_resp r;

	start_with(sb, NULL, args);
	assert_memory_equal(sb->base, "http://127.0.0.1:", 17);
	api(&r, "GET", sb->domains, NULL);
	assert_int_equal(r.status, 200);
	http_free(&r);
	assert_int_equal(sandbox_signal_wait(sb, SIGINT), 0);
}

/* ---- the document itself -------------------------------------------------------------- */

static void test_validator_units(void **ctx)
{
	/* the one RFC 3339 parser (util/timeutil.h), as the format checks use it */
	static const struct {
		const char *text;
		double t;
	} good_times[] = {
		{ "2014-01-01T05:20:00.12345Z", 1388553600.12345 },
		{ "2024-02-29T00:00:00Z", 1709164800 },
		{ "2024-01-01T00:00:00+05:30", 1704047400 },
		{ "2024-01-01t00:00:00z", 1704067200 },
		{ "2016-12-31T23:59:60Z", 1483228800 },
	};
	static const char *const bad_times[] = {
		"2014-01-01",
		"2023-02-29T00:00:00Z",
		"2024-01-01T24:00:00Z",
		"2024-01-01T00:00:00",
		"2024-04-31T00:00:00Z",
		"2024-01-01T00:00:00.Z",
		"2024-01-01T00:00:00.5e3Z",
		"2024-1-01T00:00:00Z",
		" 2024-01-01T00:00:00Z",
		"2024-01-01T00:00:00+24:00",
		"2024-01-01T00:00:00Zjunk",
	};

	(void)ctx;
	for (size_t i = 0; i < sizeof good_times / sizeof good_times[0]; i++) {
		double t = 0;

		assert_int_equal(time_parse(&t, good_times[i].text), 0);
		assert_true(fabs(t - good_times[i].t) < 1e-6);
	}
	for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++) {
		double t = -1;

		assert_int_equal(time_parse(&t, bad_times[i]), MW_EINVALID);
		assert_non_null(strstr(err_msg(), "not an RFC 3339 date-time"));
		assert_true(t == -1);
	}
	assert_true(fields_is_uuid("F174E90A-fafe-4643-bbbc-4a0ed4fc8415"));
	assert_false(fields_is_uuid("f174e90afafe-4643-bbbc-4a0ed4fc8415-"));

	/* a document using a keyword the validator does not know is refused */
	{
		const char *doc =
			"{\"openapi\": \"3.0.3\", \"servers\": [{\"url\": \"https://x/v4\"}],"
			"\"paths\": {}, \"components\": {\"schemas\": {\"A\": "
			"{\"type\": \"string\", \"pattern\": \"^a\"}}}}";
		struct spec *s = NULL;

		assert_int_equal(spec_new(&s, doc, strlen(doc)), MW_EINVALID);
		assert_non_null(strstr(err_msg(), "pattern"));
		assert_null(s);
	}
}

static int group_setup(void **ctx)
{
	(void)ctx;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (spec_new(&g_spec, (const char *)sandbox_spec_json, sandbox_spec_json_len) != 0) {
		fprintf(stderr, "cannot load the document: %s\n", err_msg());
		return -1;
	}
	if (!getenv("MAILWARD_SANDBOX")) {
		fprintf(stderr, "MAILWARD_SANDBOX must name the mailward-sandbox binary\n");
		return -1;
	}
	return 0;
}

static int group_teardown(void **ctx)
{
	(void)ctx;
	spec_free(g_spec);
	curl_global_cleanup();
	return 0;
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_units),
		T(test_list_pagination),
		T(test_list_filters),
		T(test_list_order),
		T(test_list_large),
		T(test_get_patch_delete),
		T(test_generated_ids_are_stable),
		T(test_odd_state_served_as_is),
		T(test_auth),
		T(test_routes),
		T(test_headers),
		T(test_seed),
		T(test_validation),
		T(test_fault_status),
		T(test_fault_429),
		T(test_fault_drop),
		T(test_fault_malformed_and_envelope),
		T(test_fault_delay),
		T(test_fault_list_lies),
		T(test_fault_bad_rules),
		T(test_rate_limit),
		T(test_rate_limit_window_slides),
		T(test_latency_concurrent),
		T(test_save_round_trip),
		T(test_stats_and_log),
		T(test_bad_state_files),
		T(test_command_line),
		T(test_listen_localhost),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
