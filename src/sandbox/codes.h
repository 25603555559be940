/*
 * Error codes the sandbox puts in the "errors" items of its answers. The
 * ones Cloudflare documents or is known to use keep their real values; the
 * others are the sandbox's own picks in the 1000-1999 range.
 */
#ifndef MAILWARD_SANDBOX_CODES_H
#define MAILWARD_SANDBOX_CODES_H

enum {
	CODE_INVALID_VALUE = 1001, /* 400: a parameter or body field breaks the schema */
	CODE_BAD_BODY = 1002, /* 400: body missing, not JSON, or too large */
	CODE_BAD_CONTENT_TYPE = 1003, /* 400: request body is not application/json */
	CODE_DOMAIN_NOT_FOUND = 1404, /* 404: no domain with that id in the account */
	CODE_RATE_LIMITED = 971, /* 429: "Please wait and consider throttling ..." */
	CODE_METHOD_NOT_ALLOWED = 7001, /* 405: known route, wrong method */
	CODE_NO_ROUTE = 7003, /* 404: "No route for the URI" */
	CODE_ACCOUNT_FORBIDDEN = 9109, /* 403: account not in the state */
	CODE_AUTH = 10000, /* 401: "Authentication error" */
	CODE_FAULT_DEFAULT = 10001, /* injected status/envelope-false faults */
};

#endif
