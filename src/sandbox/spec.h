/*
 * spec: the embedded OpenAPI document as a router and request judge.
 *
 * spec_new() parses the document and checks that validate can honour every
 * schema in it. Routes come from its "paths" under the path of its first
 * server URL (/client/v4); the four operations are recognised by their
 * operationIds. spec_validate_request() checks path and query parameters
 * and the request body of one request against the operation's declarations
 * and returns the typed query values, with the document's defaults applied.
 *
 * A spec is immutable after spec_new() and may be used from any thread.
 */
#ifndef MAILWARD_SANDBOX_SPEC_H
#define MAILWARD_SANDBOX_SPEC_H

#include <jansson.h>
#include <stddef.h>

enum spec_op_kind {
	SPEC_OP_LIST,
	SPEC_OP_GET,
	SPEC_OP_PATCH,
	SPEC_OP_DELETE,
};

struct spec;
struct spec_operation;

#define SPEC_MAX_PARAMS 8

/* A routed request: the operation and its path parameters. */
struct spec_match {
	const struct spec_operation *op;
	size_t nparams;
	struct {
		const char *name; /* borrowed from the spec */
		char *value; /* owned; freed by spec_match_clear() */
	} params[SPEC_MAX_PARAMS];
};

enum {
	SPEC_ROUTE_OK = 0,
	SPEC_ROUTE_NONE = -1, /* no path template matches */
	SPEC_ROUTE_METHOD = -2, /* a template matches but not with this method */
};

/* One query argument as received, both strings borrowed from the caller. */
struct spec_arg {
	const char *key;
	const char *value; /* may be NULL for "?key" without "=" */
};

/* Returns 1 when path parameter name=value needs no format check (a domain
 * id that exists in the state, whatever its form). */
typedef int (*spec_exempt_fn)(void *ud, const char *name, const char *value);

struct spec_request {
	const struct spec_arg *query;
	size_t nquery;
	const char *content_type; /* NULL when the header is absent */
	const char *body; /* may be NULL when body_len is 0 */
	size_t body_len;
	int body_too_large; /* the server stopped reading the body */
	spec_exempt_fn exempt; /* optional */
	void *exempt_ud;
};

/*
 * Parses doc (len bytes of JSON), checks every schema with
 * validate_check_schemas() and indexes the operations. Returns 0 and a new
 * spec in *out (the caller frees it with spec_free()), or MW_EINVALID with
 * the message in the error slot.
 */
int spec_new(struct spec **out, const char *doc, size_t len);

/* Frees s; NULL is fine. */
void spec_free(struct spec *s);

/* The parsed document (borrowed, read-only). */
const json_t *spec_document(const struct spec *s);

/* The path of the first server URL, e.g. "/client/v4" (borrowed). */
const char *spec_base_path(const struct spec *s);

/*
 * Matches method ("GET", ...) and an absolute URL path against the routes.
 * On SPEC_ROUTE_OK fills *m (free its values with spec_match_clear());
 * otherwise *m is left empty. Returns one of SPEC_ROUTE_*.
 */
int spec_route(const struct spec *s, const char *method, const char *path, struct spec_match *m);

/* Frees the parameter values of m and empties it. */
void spec_match_clear(struct spec_match *m);

/* Value of path parameter name in m (borrowed), or NULL. */
const char *spec_match_param(const struct spec_match *m, const char *name);

enum spec_op_kind spec_op_kind_of(const struct spec_operation *op);

/* "list", "get", "patch" or "delete". */
const char *spec_op_name(const struct spec_operation *op);

/*
 * Validates one routed request. Appends one error item per problem to
 * errors (pointers "/path/NAME", "/query/NAME", "/headers/content-type", and
 * plain JSON pointers into the body, "" being the whole body). On return
 * *query_out holds an object of the declared query parameters that were
 * given or have a default, typed per the document (arrays for array
 * parameters); *body_out holds the parsed body or NULL. The caller owns
 * both, also when errors were found. Returns the number of errors (0 =
 * valid), or MW_ENOMEM when memory runs out (MW_EINVALID when a schema of
 * the document is broken).
 */
int spec_validate_request(const struct spec *s, const struct spec_match *m,
			  const struct spec_request *req, json_t *errors, json_t **query_out,
			  json_t **body_out);

/*
 * The schema of op's JSON answer for an HTTP status: the exact code if the
 * document lists it, else its "4XX"/"5XX" class, else NULL (borrowed).
 */
const json_t *spec_response_schema(const struct spec *s, const struct spec_operation *op,
				   int status);

#endif
