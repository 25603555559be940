/*
 * api_test: the parts of api.c and http.c that need no server: reading an
 * answer's envelope, checking the API base URL, escaping path segments,
 * and client construction (credentials, URL) without any request.
 *
 * Listing, PATCH and DELETE over HTTP are covered end to end against the
 * sandbox (tests/cli).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/api.h"
#include "core/http.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

#define ACCOUNT "023e105f4ecef8ad9ca31a8372d0c353"

struct fx {
	struct http_req req;
	struct buf why, out;
	json_t *result, *errors;
	struct api *api;
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	buf_init(&fx->req.response);
	buf_init(&fx->why);
	buf_init(&fx->out);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	http_req_reset(&fx->req);
	buf_release(&fx->why);
	buf_release(&fx->out);
	json_decref(fx->result);
	json_decref(fx->errors);
	api_free(fx->api);
	free(fx);
	return 0;
}

/* Read an answer of `status` with `body`; the result and errors stay in the fixture. */
static int envelope(struct fx *fx, long status, const char *body)
{
	http_req_reset(&fx->req);
	fx->req.status = status;
	fx->req.attempts = 1;
	if (body)
		buf_puts(&fx->req.response, body);
	buf_truncate(&fx->why, 0);
	json_decref(fx->result);
	json_decref(fx->errors);
	fx->result = fx->errors = NULL;
	return api_read_envelope(&fx->req, &fx->result, &fx->errors, &fx->why);
}

/* --- envelopes ---------------------------------------------------------- */

static void success_gives_the_result(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(envelope(fx, 200,
				  "{\"success\": true, \"errors\": [], \"messages\": [],"
				  " \"result\": {\"id\": \"x\", \"lookback_hops\": 2}}"),
			 0);
	assert_json(fx->result, "{\"id\": \"x\", \"lookback_hops\": 2}");
	assert_null(fx->errors);
	assert_string_equal(fx->why.ptr, "");
	/* No result at all reads as null. */
	assert_int_equal(envelope(fx, 200, "{\"success\": true}"), 0);
	assert_true(json_is_null(fx->result));
	assert_int_equal(envelope(fx, 204, "{\"success\": true, \"result\": null}"), 0);
	assert_true(json_is_null(fx->result));
}

static void errors_pointer_may_be_null(void **state)
{
	struct fx *fx = *state;

	fx->req.status = 400;
	buf_puts(&fx->req.response,
		 "{\"success\": false, \"errors\": [{\"code\": 1, \"message\": \"m\"}]}");
	assert_int_equal(api_read_envelope(&fx->req, &fx->result, NULL, &fx->why), -1);
	assert_null(fx->result);
	assert_string_equal(fx->why.ptr, "HTTP 400: code 1: m");
}

static void transport_failure(void **state)
{
	struct fx *fx = *state;

	http_req_reset(&fx->req);
	fx->req.attempts = 5;
	snprintf(fx->req.error, sizeof(fx->req.error),
		 "Failed to connect to 127.0.0.1 port 9: "
		 "Connection refused");
	assert_int_equal(api_read_envelope(&fx->req, &fx->result, &fx->errors, &fx->why), -1);
	assert_string_equal(fx->why.ptr,
			    "no answer from the API after 5 attempts: Failed to connect "
			    "to 127.0.0.1 port 9: Connection refused");
	assert_null(fx->result);
	assert_null(fx->errors);

	http_req_reset(&fx->req);
	buf_truncate(&fx->why, 0);
	fx->req.attempts = 1;
	assert_int_equal(api_read_envelope(&fx->req, &fx->result, &fx->errors, &fx->why), -1);
	assert_string_equal(fx->why.ptr, "no answer from the API after 1 attempt: not sent");
}

static void body_that_is_not_an_envelope(void **state)
{
	struct fx *fx = *state;
	struct buf big = BUF_INIT;

	assert_int_equal(envelope(fx, 502, "<html><body>502 Bad Gateway</body></html>"), -1);
	assert_string_equal(fx->why.ptr, "the API answered HTTP 502 with a body that is not a JSON "
					 "envelope: '<html><body>502 Bad Gateway</body></html>'");
	assert_null(fx->result);
	assert_int_equal(envelope(fx, 200, ""), -1);
	assert_string_equal(fx->why.ptr, "the API answered HTTP 200 with a body that is not a JSON "
					 "envelope: an empty body");
	assert_int_equal(envelope(fx, 200, "[{\"success\": true}]"), -1);
	assert_contains(fx->why.ptr, "not a JSON envelope: '[{\"success\": true}]'");
	assert_int_equal(envelope(fx, 200, "{\"success\": true, \"success\": false}"), -1);
	assert_contains(fx->why.ptr, "not a JSON envelope");
	/* Long bodies are cut; control characters are not printed. */
	for (int i = 0; i < 50; i++)
		buf_puts(&big, "line\n\033[2J");
	assert_int_equal(envelope(fx, 500, big.ptr), -1);
	buf_release(&big);
	assert_contains(fx->why.ptr, "envelope: 'line??[2Jline??[2J");
	assert_contains(fx->why.ptr, "...'");
	assert_null(strchr(fx->why.ptr, '\033'));
	assert_null(strchr(fx->why.ptr, '\n'));
	assert_true(fx->why.len < 200);
}

static void missing_success_field(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(envelope(fx, 200, "{\"result\": []}"), -1);
	assert_string_equal(fx->why.ptr, "the API answered HTTP 200 without the 'success' field of "
					 "its envelope");
	assert_int_equal(envelope(fx, 200, "{\"success\": \"true\", \"result\": []}"), -1);
	assert_string_equal(fx->why.ptr, "the API answered HTTP 200 without the 'success' field of "
					 "its envelope");
	assert_null(fx->result);
}

static void failure_with_the_apis_codes(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		envelope(fx, 400,
			 "{\"success\": false, \"result\": null, \"messages\": [],"
			 " \"errors\": [{\"code\": 1004, \"message\": \"lookback_hops must be at "
			 "most 20\", \"source\": {\"pointer\": \"/lookback_hops\"}},"
			 " {\"code\": 1001, \"message\": \"second\"}, {\"message\": \"no code\"},"
			 " {\"code\": 7}]}"),
		-1);
	assert_string_equal(fx->why.ptr,
			    "HTTP 400: code 1004: lookback_hops must be at most 20 (at "
			    "/lookback_hops); code 1001: second; no code; code 7: (no message)");
	assert_null(fx->result);
	assert_non_null(fx->errors);
	assert_int_equal(json_array_size(fx->errors), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(fx->errors, 0), "code")),
			 1004);
}

static void ok_status_with_success_false_is_a_failure(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		envelope(fx, 200,
			 "{\"success\": false, \"errors\": [{\"code\": 10000, "
			 "\"message\": \"Authentication error\"}], \"result\": {\"id\": \"x\"}}"),
		-1);
	assert_string_equal(fx->why.ptr, "HTTP 200: code 10000: Authentication error");
	assert_null(fx->result);
	assert_int_equal(envelope(fx, 200, "{\"success\": false, \"errors\": []}"), -1);
	assert_string_equal(fx->why.ptr,
			    "HTTP 200: the API reported a failure without error details");
	assert_json(fx->errors, "[]");
	assert_int_equal(envelope(fx, 200, "{\"success\": false}"), -1);
	assert_string_equal(fx->why.ptr,
			    "HTTP 200: the API reported a failure without error details");
	assert_null(fx->errors);
}

static void error_status_with_success_true_is_a_failure(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(envelope(fx, 500, "{\"success\": true, \"errors\": [], \"result\": []}"),
			 -1);
	assert_string_equal(fx->why.ptr, "HTTP 500: the API said success with an error status");
	assert_null(fx->result);
	assert_int_equal(envelope(fx, 404,
				  "{\"success\": true, \"errors\": [{\"code\": 1, "
				  "\"message\": \"gone\"}]}"),
			 -1);
	assert_string_equal(fx->why.ptr, "HTTP 404: code 1: gone");
}

static void credentials_hint_on_401_and_403(void **state)
{
	struct fx *fx = *state;
	static const char hint[] = " (check the credentials and that the token has the Cloud Email "
				   "Security permission for this account)";
	char want[512];

	assert_int_equal(envelope(fx, 401,
				  "{\"success\": false, \"errors\": [{\"code\": 10000, "
				  "\"message\": \"Authentication error\"}]}"),
			 -1);
	snprintf(want, sizeof(want), "HTTP 401: code 10000: Authentication error%s", hint);
	assert_string_equal(fx->why.ptr, want);
	assert_int_equal(envelope(fx, 403,
				  "{\"success\": false, \"errors\": [{\"code\": 9109, "
				  "\"message\": \"Unauthorized to access requested resource\"}]}"),
			 -1);
	snprintf(want, sizeof(want),
		 "HTTP 403: code 9109: Unauthorized to access requested "
		 "resource%s",
		 hint);
	assert_string_equal(fx->why.ptr, want);
	/* Not on other statuses. */
	assert_int_equal(envelope(fx, 404,
				  "{\"success\": false, \"errors\": [{\"code\": 1, "
				  "\"message\": \"x\"}]}"),
			 -1);
	assert_not_contains(fx->why.ptr, "credentials");
}

static void why_is_appended_to(void **state)
{
	struct fx *fx = *state;

	http_req_reset(&fx->req);
	fx->req.status = 400;
	buf_puts(&fx->req.response,
		 "{\"success\": false, \"errors\": [{\"code\": 1, \"message\": \"m\"}]}");
	buf_puts(&fx->why, "PATCH x: ");
	assert_int_equal(api_read_envelope(&fx->req, &fx->result, &fx->errors, &fx->why), -1);
	assert_string_equal(fx->why.ptr, "PATCH x: HTTP 400: code 1: m");
}

/* --- base URL ----------------------------------------------------------- */

static int base_url(struct fx *fx, const char *url)
{
	buf_truncate(&fx->out, 0);
	err_clear();
	return http_check_base_url(&fx->out, url);
}

static void base_url_accepted(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "https://api.cloudflare.com/client/v4", "https://api.cloudflare.com/client/v4" },
		{ "https://api.cloudflare.com/client/v4/", "https://api.cloudflare.com/client/v4" },
		{ "https://api.cloudflare.com/client/v4///",
		  "https://api.cloudflare.com/client/v4" },
		{ "https://api.cloudflare.com", "https://api.cloudflare.com" },
		{ "https://api.cloudflare.com:8443/v4", "https://api.cloudflare.com:8443/v4" },
		{ "HTTPS://API.CLOUDFLARE.COM/client/v4", "HTTPS://API.CLOUDFLARE.COM/client/v4" },
		{ "http://localhost:8787/client/v4", "http://localhost:8787/client/v4" },
		{ "http://LOCALHOST/client/v4/", "http://LOCALHOST/client/v4" },
		{ "http://127.0.0.1:8787/client/v4", "http://127.0.0.1:8787/client/v4" },
		{ "http://127.255.10.1/x", "http://127.255.10.1/x" },
		{ "http://[::1]:8787/client/v4", "http://[::1]:8787/client/v4" },
		{ "https://[2001:db8::1]/v4", "https://[2001:db8::1]/v4" },
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (base_url(fx, cases[i].in) != 0)
			fail_msg("'%s' refused: %s", cases[i].in, err_msg());
		assert_string_equal(fx->out.ptr, cases[i].out);
	}
}

static void base_url_plain_http_only_to_loopback(void **state)
{
	static const char *const refused[] = {
		"http://api.cloudflare.com/client/v4",
		"http://example.com",
		"http://127.0.0.1.nip.io/client/v4",
		"http://localhost.example.com/client/v4",
		"http://128.0.0.1/",
		"http://10.0.0.1:8787/",
		"http://[::2]:8787/",
		"http://[::ffff:10.0.0.1]/",
		"http://0.0.0.0:8787/",
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		if (base_url(fx, refused[i]) != MW_ECONFIG)
			fail_msg("'%s' accepted", refused[i]);
		assert_contains(err_msg(), "plain http");
		assert_contains(err_msg(), "loopback");
		assert_int_equal(err_code(), MW_ECONFIG);
	}
}

static void base_url_refusals(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(base_url(fx, "https://api.cloudflare.com/client/v4?debug=1"), MW_ECONFIG);
	assert_contains(err_msg(), "query");
	assert_int_equal(base_url(fx, "https://api.cloudflare.com/client/v4#top"), MW_ECONFIG);
	assert_contains(err_msg(), "fragment");
	assert_int_equal(base_url(fx, "ftp://api.cloudflare.com/client/v4"), MW_ECONFIG);
	assert_contains(err_msg(), "https");
	assert_int_equal(base_url(fx, "file:///etc/passwd"), MW_ECONFIG);
	assert_int_equal(base_url(fx, "api.cloudflare.com/client/v4"), MW_ECONFIG);
	assert_contains(err_msg(), "not a valid absolute URL");
	assert_int_equal(base_url(fx, ""), MW_ECONFIG);
	assert_int_equal(base_url(fx, "https://"), MW_ECONFIG);
	/* Nothing is written on refusal. */
	assert_string_equal(fx->out.ptr, "");
}

/*
 * Credentials never appear in any output: a URL that carries them is
 * refused without repeating them, whatever else is wrong with it.
 */
static void base_url_with_credentials_is_refused_without_echoing_them(void **state)
{
	static const char *const urls[] = {
		"https://user:s3cr3t-t0ken@api.cloudflare.com/client/v4",
		"https://:s3cr3t-t0ken@api.cloudflare.com/client/v4",
		"http://user:s3cr3t-t0ken@example.com/client/v4",
		"ftp://user:s3cr3t-t0ken@api.cloudflare.com/client/v4",
		"https://user:s3cr3t-t0ken@api.cloudflare.com/client/v4?x=1",
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(urls); i++) {
		assert_int_equal(base_url(fx, urls[i]), MW_ECONFIG);
		if (strstr(err_msg(), "s3cr3t"))
			fail_msg("the message repeats the credential: %s", err_msg());
	}
	assert_int_equal(base_url(fx, "https://s3cr3t-t0ken@api.cloudflare.com/client/v4"),
			 MW_ECONFIG);
	assert_contains(err_msg(), "credentials");
	if (strstr(err_msg(), "s3cr3t"))
		fail_msg("the message repeats the credential: %s", err_msg());
}

/* --- escaping ----------------------------------------------------------- */

static void escape_path_segments(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "3fa85f64-5717-4562-b3fc-2c963f66afa6", "3fa85f64-5717-4562-b3fc-2c963f66afa6" },
		{ "AZaz09-._~", "AZaz09-._~" },
		{ "a b/c?d#e&f=g", "a%20b%2Fc%3Fd%23e%26f%3Dg" },
		{ "../..", "..%2F.." },
		{ "ü", "%C3%BC" },
		{ "%", "%25" },
		{ "", "" },
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_truncate(&fx->out, 0);
		http_escape(&fx->out, cases[i].in);
		assert_string_equal(fx->out.ptr, cases[i].out);
	}
	/* Appends. */
	buf_truncate(&fx->out, 0);
	buf_puts(&fx->out, "/domains/");
	http_escape(&fx->out, "a/b");
	assert_string_equal(fx->out.ptr, "/domains/a%2Fb");
}

/* --- client construction ------------------------------------------------ */

static struct api_opts opts_for(const char *url, const char *token)
{
	struct api_opts o;

	memset(&o, 0, sizeof(o));
	o.base_url = url;
	o.account_id = ACCOUNT;
	o.token = token;
	o.http.concurrency = 4;
	o.http.retries = 0;
	o.http.timeout_ms = 1000;
	return o;
}

static void client_needs_credentials(void **state)
{
	struct fx *fx = *state;
	struct api_opts o = opts_for("https://api.cloudflare.com/client/v4/", NULL);

	assert_int_equal(api_new(&fx->api, &o), MW_ECONFIG);
	assert_null(fx->api);
	assert_contains(err_msg(), "no API credentials");
	o.email = "me@example.com";
	assert_int_equal(api_new(&fx->api, &o), MW_ECONFIG);
	o.email = NULL;
	o.key = "k";
	assert_int_equal(api_new(&fx->api, &o), MW_ECONFIG);
	o.email = "me@example.com";
	assert_int_equal(api_new(&fx->api, &o), 0);
	assert_string_equal(api_base_url(fx->api), "https://api.cloudflare.com/client/v4");
}

static void client_with_token(void **state)
{
	struct fx *fx = *state;
	struct api_opts o = opts_for("http://127.0.0.1:8787/client/v4/", "tok");

	assert_int_equal(api_new(&fx->api, &o), 0);
	assert_non_null(fx->api);
	assert_string_equal(api_base_url(fx->api), "http://127.0.0.1:8787/client/v4");
	api_free(fx->api);
	fx->api = NULL;
	api_free(NULL);
}

static void client_refuses_control_characters_in_credentials(void **state)
{
	struct fx *fx = *state;
	struct api_opts o = opts_for("https://api.cloudflare.com/client/v4", "s3cr3t\r\nX-Evil: 1");

	assert_int_equal(api_new(&fx->api, &o), MW_ECONFIG);
	assert_null(fx->api);
	assert_contains(err_msg(), "control characters");
	assert_not_contains(err_msg(), "s3cr3t");
	o.token = NULL;
	o.email = "me@example.com\n";
	o.key = "key";
	assert_int_equal(api_new(&fx->api, &o), MW_ECONFIG);
	assert_contains(err_msg(), "control characters");
}

static void client_refuses_bad_urls(void **state)
{
	struct fx *fx = *state;
	struct api_opts o = opts_for("http://api.cloudflare.com/client/v4", "tok");

	assert_int_equal(api_new(&fx->api, &o), MW_ECONFIG);
	assert_null(fx->api);
	assert_contains(err_msg(), "plain http");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(success_gives_the_result),
		T(errors_pointer_may_be_null),
		T(transport_failure),
		T(body_that_is_not_an_envelope),
		T(missing_success_field),
		T(failure_with_the_apis_codes),
		T(ok_status_with_success_false_is_a_failure),
		T(error_status_with_success_true_is_a_failure),
		T(credentials_hint_on_401_and_403),
		T(why_is_appended_to),
		T(base_url_accepted),
		T(base_url_plain_http_only_to_loopback),
		T(base_url_refusals),
		T(base_url_with_credentials_is_refused_without_echoing_them),
		T(escape_path_segments),
		T(client_needs_credentials),
		T(client_with_token),
		T(client_refuses_control_characters_in_credentials),
		T(client_refuses_bad_urls),
	};

	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
