/*
 * validate: a validator for the subset of JSON Schema (OpenAPI 3.0 dialect)
 * that the embedded API document uses. It knows nothing about the API: the
 * rules come from the schemas it is handed.
 *
 * Supported keywords: $ref (to "#/..." inside the document; siblings of
 * $ref are ignored, as OpenAPI 3.0 says), allOf, type (array, object,
 * string, integer, number, boolean), nullable, enum (members may be null),
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum (3.0 boolean form),
 * minLength, maxLength, minItems, maxItems, uniqueItems, format (uuid:
 * fields_is_uuid(), date-time: time_parse()), items, properties, required, readOnly. Annotations
 * (description, example, default, deprecated, title, x-*) are ignored.
 * validate_check_schemas() refuses a document that uses anything else, so a
 * future constraint in the document is never silently skipped.
 *
 * Errors are appended to a jansson array as Cloudflare API error items:
 * {"code": N, "message": "...", "source": {"pointer": "/..."}}.
 */
#ifndef MAILWARD_SANDBOX_VALIDATE_H
#define MAILWARD_SANDBOX_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

enum {
	/* Reject object members that the schema does not declare, and members
	 * whose schema is readOnly (request bodies). */
	VALIDATE_REQUEST = 1u << 0,
};

struct validate_ctx {
	const json_t *root; /* whole document, target of "$ref"s (borrowed) */
	json_t *errors; /* array that receives error items (borrowed) */
	int code; /* "code" of each error item */
	unsigned flags; /* VALIDATE_* */
	/* Optional schema of the resource a request body updates. Used only to
	 * word the error for an undeclared member of the top-level object: a
	 * member the resource has and marks readOnly is "read-only", one it has
	 * but the body schema lacks "cannot be changed", others are unknown. */
	const json_t *hint;
	const char *root_label; /* how messages name the value itself, e.g. "request body" */
	const char *label_prefix; /* prefix for named parts, e.g. "query parameter " or "" */
};

/*
 * Follows a chain of "$ref"s from schema inside root. Returns the first
 * schema without "$ref" (borrowed), schema itself when it has none, or NULL
 * when a reference is not a "#/..." pointer, does not resolve or loops.
 */
const json_t *validate_resolve(const json_t *root, const json_t *schema);

/*
 * Looks up a JSON pointer ("#/a/b" or "/a/b", with ~0 and ~1 escapes) in
 * root. Returns the borrowed value or NULL.
 */
const json_t *validate_pointer(const json_t *root, const char *pointer);

/*
 * Validates value against schema. pointer is the JSON pointer of value used
 * in error items ("" for a body root, e.g. "/query/page" for a parameter);
 * path is the human name of value below ctx->root_label ("" for the root).
 * Returns the number of errors appended (0 = valid), or MW_EINVALID when
 * the schema itself is broken (an unresolvable $ref), MW_ENOMEM when memory
 * runs out; then one error item saying so is appended when possible.
 */
int validate_value(const struct validate_ctx *ctx, const json_t *schema, const json_t *value,
		   const char *pointer, const char *path);

/*
 * Appends {"code", "message", "source": {"pointer"}} to errors; pointer NULL
 * leaves out "source". message is printf-style. Returns 0, or MW_ENOMEM
 * when memory runs out.
 */
int validate_add_error(json_t *errors, int code, const char *pointer, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Walks every schema reachable from root (components, parameters, request
 * bodies, responses) and checks that it only uses supported keywords and
 * formats and that every "$ref" resolves. Returns 0, or MW_EINVALID with a
 * message naming the offending place in the error slot.
 */
int validate_check_schemas(const json_t *root);

#endif
