/*
 * api_envelope: the API's answer envelopes (core/api.h api_read_envelope).
 *
 * The input is the body of an answer. It is read as the answer to a request
 * that got HTTP 200 (the commonest case, and the one the listing reads),
 * then as answers with other statuses (success or not, credentials refused,
 * rate limited, server error), with and without asking for the errors
 * array. Each time the target checks the function's contract: on success a
 * result and no description; on failure no result, a one-line description
 * and, when asked for, the envelope's errors array when it has one.
 */
#include <string.h>

#include "core/api.h"
#include "fuzz.h"
#include "util/buf.h"
#include "util/err.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_env();
	return 0;
}

static void read_one(const uint8_t *data, size_t size, long status, bool want_errors)
{
	struct http_req req;
	struct buf why = BUF_INIT;
	json_t *result = (json_t *)1, *errors = (json_t *)1;
	int rc;

	memset(&req, 0, sizeof(req));
	buf_init(&req.response);
	req.method = "GET";
	req.url = "https://api.cloudflare.com/client/v4/accounts/x/email-security/settings/domains";
	req.status = status;
	req.attempts = 1;
	if (!status)
		strcpy(req.error, "Could not resolve host");
	buf_add(&req.response, data, size);

	rc = api_read_envelope(&req, &result, want_errors ? &errors : NULL, &why);
	if (rc == 0) {
		FUZZ_CHECK(result != NULL, "envelope-contract", "success without a result");
		FUZZ_CHECK(!want_errors || errors == NULL, "envelope-contract",
			   "success with an errors array");
		FUZZ_CHECK(status >= 200 && status < 300, "envelope-contract",
			   "HTTP %ld read as a success", status);
	} else {
		FUZZ_CHECK(rc == -1, "envelope-contract", "returned %d", rc);
		FUZZ_CHECK(result == NULL, "envelope-contract", "failure with a result");
		FUZZ_CHECK(!want_errors || errors == NULL || json_is_array(errors),
			   "envelope-contract", "errors is not an array");
		FUZZ_CHECK(why.len > 0 && strlen(why.ptr) == why.len, "envelope-contract",
			   "failure without a description");
		/* api.h: "a one-line description in `why`". */
		FUZZ_CHECK(!strpbrk(why.ptr, "\r\n"), "envelope-one-line",
			   "the description spans lines: '%s'", why.ptr);
	}
	json_decref(result);
	if (want_errors)
		json_decref(errors);
	buf_release(&why);
	buf_release(&req.response);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 201, 204, 400, 401, 403, 404, 429, 500, 0 };

	if (size > FUZZ_MAX_INPUT)
		return 0;
	read_one(data, size, 200, true);
	read_one(data, size, 200, false);
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++)
		read_one(data, size, statuses[i], i % 2 == 0);
	err_clear();
	return 0;
}
