#include "validate.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* Deep enough for any sane document, small enough to stop a $ref loop. */
#define MAX_REF_HOPS 32
#define MAX_DEPTH 64
/* Quoted offending values are cut to this many bytes in messages. */
#define MAX_QUOTED 80

int validate_add_error(json_t *errors, int code, const char *pointer, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	json_t *item = NULL;
	va_list ap;
	int rc = MW_ENOMEM;

	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	item = json_pack("{s:i, s:s}", "code", code, "message", msg.ptr);
	if (!item)
		goto done;
	if (pointer &&
	    json_object_set_new(item, "source", json_pack("{s:s}", "pointer", pointer)) != 0)
		goto done;
	if (json_array_append(errors, item) != 0)
		goto done;
	rc = 0;
done:
	json_decref(item);
	buf_release(&msg);
	return rc;
}

const json_t *validate_pointer(const json_t *root, const char *pointer)
{
	const json_t *cur = root;
	const char *p = pointer;
	char *seg = NULL;

	if (p[0] == '#')
		p++;
	if (p[0] == '\0')
		return root;
	if (p[0] != '/')
		return NULL;
	while (cur && *p == '/') {
		const char *end;
		size_t n = 0;

		p++;
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		seg = xmalloc((size_t)(end - p) + 1);
		for (const char *q = p; q < end; q++) {
			if (*q == '~' && q + 1 < end && (q[1] == '0' || q[1] == '1')) {
				seg[n++] = q[1] == '0' ? '~' : '/';
				q++;
			} else {
				seg[n++] = *q;
			}
		}
		seg[n] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, seg);
		} else if (json_is_array(cur)) {
			char *stop = NULL;
			unsigned long idx = strtoul(seg, &stop, 10);

			cur = (seg[0] && *stop == '\0') ? json_array_get(cur, idx) : NULL;
		} else {
			cur = NULL;
		}
		free(seg);
		seg = NULL;
		p = end;
	}
	return cur;
}

const json_t *validate_resolve(const json_t *root, const json_t *schema)
{
	for (int hops = 0; schema && hops <= MAX_REF_HOPS; hops++) {
		const json_t *ref;

		if (!json_is_object(schema))
			return NULL;
		ref = json_object_get(schema, "$ref");
		if (!ref)
			return schema;
		if (!json_is_string(ref) || json_string_value(ref)[0] != '#')
			return NULL;
		schema = validate_pointer(root, json_string_value(ref));
	}
	return NULL;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
		return "integer";
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		return "null";
	}
	return "value";
}

static int type_matches(const char *type, const json_t *v)
{
	if (strcmp(type, "object") == 0)
		return json_is_object(v);
	if (strcmp(type, "array") == 0)
		return json_is_array(v);
	if (strcmp(type, "string") == 0)
		return json_is_string(v);
	if (strcmp(type, "integer") == 0)
		return json_is_integer(v);
	if (strcmp(type, "number") == 0)
		return json_is_number(v);
	if (strcmp(type, "boolean") == 0)
		return json_is_boolean(v);
	return 0;
}

static const char *article(const char *type)
{
	return (type[0] == 'a' || type[0] == 'i' || type[0] == 'o') ? "an" : "a";
}

/* A short rendering of a value for messages; the caller frees it. */
static char *quote(const json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	if (s && strlen(s) > MAX_QUOTED) {
		size_t cut = MAX_QUOTED;

		/* do not split a UTF-8 sequence */
		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		memcpy(s + cut, "...", 4);
	}
	return s;
}

static size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Human name of the value being checked, for messages; the caller frees it. */
static char *label_of(const struct validate_ctx *ctx, const char *path)
{
	if (!path[0])
		return xstrdup(ctx->root_label);
	return xasprintf("%s'%s'", ctx->label_prefix, path);
}

static char *escape_pointer_token(const char *key)
{
	size_t extra = 0;
	char *out, *o;

	for (const char *p = key; *p; p++)
		if (*p == '~' || *p == '/')
			extra++;
	out = xmalloc(strlen(key) + extra + 1);
	o = out;
	for (const char *p = key; *p; p++) {
		if (*p == '~') {
			*o++ = '~';
			*o++ = '0';
		} else if (*p == '/') {
			*o++ = '~';
			*o++ = '1';
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

struct node {
	const struct validate_ctx *ctx;
	const char *pointer;
	const char *path;
	int depth;
	int check_unknown; /* 0 inside allOf members: the union decides */
};

static int node_validate(const struct node *n, const json_t *schema, const json_t *value);

/* Appends one error about the current node: "<label> <problem>". */
static int node_error(const struct node *n, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int node_error(const struct node *n, const char *fmt, ...)
{
	char *label = label_of(n->ctx, n->path);
	struct buf problem = BUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	buf_vprintf(&problem, fmt, ap);
	va_end(ap);
	rc = validate_add_error(n->ctx->errors, n->ctx->code, n->pointer, "%s %s", label,
				problem.ptr);
	free(label);
	buf_release(&problem);
	return rc < 0 ? rc : 1;
}

static int broken_schema(const struct node *n, const char *why)
{
	validate_add_error(n->ctx->errors, n->ctx->code, n->pointer,
			   "the API document is broken at %s: %s",
			   n->pointer[0] ? n->pointer : "the root", why);
	return MW_EINVALID;
}

static int is_true(const json_t *schema, const char *key)
{
	return json_is_true(json_object_get(schema, key));
}

/* Is key declared by schema's properties or those of its allOf members? */
static int declares(const json_t *root, const json_t *schema, const char *key, int depth)
{
	const json_t *all;
	size_t i;
	const json_t *sub;

	schema = validate_resolve(root, schema);
	if (!schema || depth > MAX_DEPTH)
		return 0;
	if (json_object_get(json_object_get(schema, "properties"), key))
		return 1;
	all = json_object_get(schema, "allOf");
	json_array_foreach(all, i, sub)
		if (declares(root, sub, key, depth + 1))
			return 1;
	return 0;
}

/* Schema of property key in schema (following $ref and allOf), or NULL. */
static const json_t *property_schema(const json_t *root, const json_t *schema, const char *key,
				     int depth)
{
	const json_t *all, *sub, *found;
	size_t i;

	schema = validate_resolve(root, schema);
	if (!schema || depth > MAX_DEPTH)
		return NULL;
	found = json_object_get(json_object_get(schema, "properties"), key);
	if (found)
		return found;
	all = json_object_get(schema, "allOf");
	json_array_foreach(all, i, sub) {
		found = property_schema(root, sub, key, depth + 1);
		if (found)
			return found;
	}
	return NULL;
}

/* readOnly on the property schema itself or on what it references. */
static int read_only(const json_t *root, const json_t *prop)
{
	const json_t *resolved;

	if (is_true(prop, "readOnly"))
		return 1;
	resolved = validate_resolve(root, prop);
	return resolved && is_true(resolved, "readOnly");
}

static int child(const struct node *n, const json_t *schema, const json_t *value,
		 const char *ptr_token, const char *path_part, int is_index)
{
	char *ptr, *path;
	struct node c = *n;
	int rc;

	ptr = xasprintf("%s/%s", n->pointer, ptr_token);
	if (is_index)
		path = xasprintf("%s[%s]", n->path, path_part);
	else if (n->path[0])
		path = xasprintf("%s.%s", n->path, path_part);
	else
		path = xstrdup(path_part);
	c.pointer = ptr;
	c.path = path;
	c.depth = n->depth + 1;
	c.check_unknown = 1;
	rc = node_validate(&c, schema, value);
	free(ptr);
	free(path);
	return rc;
}

static int check_enum(const struct node *n, const json_t *schema, const json_t *value)
{
	const json_t *en = json_object_get(schema, "enum");
	const json_t *member;
	size_t i;
	struct buf allowed = BUF_INIT;
	char *got = NULL;
	int rc;

	if (!en)
		return 0;
	json_array_foreach(en, i, member)
		if (json_equal((json_t *)member, (json_t *)value))
			return 0;
	/* list the allowed values in the message, they are what the caller needs */
	json_array_foreach(en, i, member) {
		char *s = json_dumps(member, JSON_ENCODE_ANY);

		buf_printf(&allowed, "%s%s", i ? ", " : "", s ? s : "?");
		free(s);
	}
	got = quote(value);
	rc = node_error(n, "must be one of %s (got %s)", allowed.ptr, got ? got : "?");
	buf_release(&allowed);
	free(got);
	return rc;
}

static int check_string(const struct node *n, const json_t *schema, const json_t *value)
{
	const char *s = json_string_value(value);
	const json_t *kw;
	int errs = 0;
	size_t len = utf8_length(s);

	kw = json_object_get(schema, "maxLength");
	if (json_is_integer(kw) && (json_int_t)len > json_integer_value(kw)) {
		if (node_error(n, "must be at most %lld characters long (got %zu)",
			       (long long)json_integer_value(kw), len) < 0)
			return MW_ENOMEM;
		errs++;
	}
	kw = json_object_get(schema, "minLength");
	if (json_is_integer(kw) && (json_int_t)len < json_integer_value(kw)) {
		if (node_error(n, "must be at least %lld characters long (got %zu)",
			       (long long)json_integer_value(kw), len) < 0)
			return MW_ENOMEM;
		errs++;
	}
	kw = json_object_get(schema, "format");
	if (json_is_string(kw)) {
		const char *fmt = json_string_value(kw);
		int ok = 1;

		double when;

		if (strcmp(fmt, "uuid") == 0)
			ok = fields_is_uuid(s);
		else if (strcmp(fmt, "date-time") == 0)
			ok = time_parse(&when, s) == 0;
		if (!ok) {
			char *got = quote(value);
			int rc =
				node_error(n, "must be a %s (got %s)",
					   strcmp(fmt, "uuid") == 0 ? "uuid" : "RFC 3339 date-time",
					   got ? got : "?");

			free(got);
			if (rc < 0)
				return rc;
			errs++;
		}
	}
	return errs;
}

static int check_number(const struct node *n, const json_t *schema, const json_t *value)
{
	double v = json_number_value(value);
	static const struct {
		const char *kw, *excl_kw, *word, *excl_word;
		int upper;
	} bounds[] = {
		{ "minimum", "exclusiveMinimum", "at least", "greater than", 0 },
		{ "maximum", "exclusiveMaximum", "at most", "less than", 1 },
	};
	int errs = 0;

	for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
		const json_t *kw = json_object_get(schema, bounds[i].kw);
		double lim;
		int excl, bad;

		if (!json_is_number(kw))
			continue;
		lim = json_number_value(kw);
		excl = is_true(schema, bounds[i].excl_kw);
		if (bounds[i].upper)
			bad = excl ? v >= lim : v > lim;
		else
			bad = excl ? v <= lim : v < lim;
		if (bad) {
			char *want = quote(kw), *got = quote(value);
			int rc = node_error(n, "must be %s %s (got %s)",
					    excl ? bounds[i].excl_word : bounds[i].word,
					    want ? want : "?", got ? got : "?");

			free(want);
			free(got);
			if (rc < 0)
				return rc;
			errs++;
		}
	}
	return errs;
}

static int check_array(const struct node *n, const json_t *schema, const json_t *value)
{
	const json_t *kw, *item;
	size_t i, size = json_array_size(value);
	int errs = 0;

	kw = json_object_get(schema, "minItems");
	if (json_is_integer(kw) && (json_int_t)size < json_integer_value(kw)) {
		if (node_error(n, "must have at least %lld items (got %zu)",
			       (long long)json_integer_value(kw), size) < 0)
			return MW_ENOMEM;
		errs++;
	}
	kw = json_object_get(schema, "maxItems");
	if (json_is_integer(kw) && (json_int_t)size > json_integer_value(kw)) {
		if (node_error(n, "must have at most %lld items (got %zu)",
			       (long long)json_integer_value(kw), size) < 0)
			return MW_ENOMEM;
		errs++;
	}
	if (is_true(schema, "uniqueItems")) {
		for (i = 0; i < size; i++) {
			for (size_t j = i + 1; j < size; j++) {
				if (json_equal(json_array_get(value, i),
					       json_array_get(value, j))) {
					if (node_error(n,
						       "must not repeat items (items %zu and %zu "
						       "are equal)",
						       i, j) < 0)
						return MW_ENOMEM;
					errs++;
					i = size;
					break;
				}
			}
		}
	}
	kw = json_object_get(schema, "items");
	if (kw) {
		json_array_foreach(value, i, item) {
			char idx[32];
			int rc;

			snprintf(idx, sizeof idx, "%zu", i);
			rc = child(n, kw, item, idx, idx, 1);
			if (rc < 0)
				return rc;
			errs += rc;
		}
	}
	return errs;
}

/* Path of member key below n, with overlong keys shortened; caller frees. */
static char *member_path(const struct node *n, const char *key)
{
	int keylen = (int)strlen(key);
	const char *ellipsis = "";

	if (keylen > MAX_QUOTED) {
		keylen = MAX_QUOTED;
		while (keylen > 0 && ((unsigned char)key[keylen] & 0xC0) == 0x80)
			keylen--;
		ellipsis = "...";
	}
	if (n->path[0])
		return xasprintf("%s.%.*s%s", n->path, keylen, key, ellipsis);
	return xasprintf("%.*s%s", keylen, key, ellipsis);
}

/* Reports a problem with member key of the object at n. */
static int member_error(const struct node *n, const char *key, const char *problem)
{
	char *tok = escape_pointer_token(key);
	char *ptr = NULL, *path = member_path(n, key);
	struct node c = *n;
	int rc;

	ptr = xasprintf("%s/%s", n->pointer, tok);
	c.pointer = ptr;
	c.path = path;
	rc = node_error(&c, "%s", problem);
	free(tok);
	free(ptr);
	free(path);
	return rc;
}

static int check_object(const struct node *n, const json_t *schema, const json_t *value)
{
	const struct validate_ctx *ctx = n->ctx;
	const json_t *props = json_object_get(schema, "properties");
	const json_t *req = json_object_get(schema, "required");
	const json_t *kw, *member;
	const char *key;
	size_t i;
	int errs = 0, rc;

	json_array_foreach(req, i, kw) {
		const char *name = json_string_value(kw);

		if (name && !json_object_get(value, name)) {
			if (member_error(n, name, "is required") < 0)
				return MW_ENOMEM;
			errs++;
		}
	}
	json_object_foreach((json_t *)value, key, member) {
		const json_t *prop = json_object_get(props, key);

		rc = 0;
		if (prop && (ctx->flags & VALIDATE_REQUEST) && read_only(ctx->root, prop)) {
			rc = member_error(n, key, "is read-only");
		} else if (prop) {
			char *tok = escape_pointer_token(key);

			rc = tok ? child(n, prop, member, tok, key, 0) : -1;
			free(tok);
		} else if ((ctx->flags & VALIDATE_REQUEST) && n->check_unknown &&
			   !declares(ctx->root, schema, key, 0)) {
			/* the resource schema tells a misplaced known field from a typo */
			const json_t *hinted =
				(ctx->hint && !n->path[0])
					? property_schema(ctx->root, ctx->hint, key, 0)
					: NULL;

			if (hinted && read_only(ctx->root, hinted))
				rc = member_error(n, key, "is read-only");
			else if (hinted)
				rc = member_error(n, key, "cannot be changed by this request");
			else
				rc = member_error(n, key, "is not a known field");
		}
		if (rc < 0)
			return rc;
		errs += rc;
	}
	return errs;
}

static int node_validate(const struct node *n, const json_t *schema, const json_t *value)
{
	const json_t *s, *type, *all, *sub;
	size_t i;
	int errs = 0, rc;

	if (n->depth > MAX_DEPTH)
		return node_error(n, "is nested too deeply");
	s = validate_resolve(n->ctx->root, schema);
	if (!s)
		return broken_schema(n, "a $ref does not resolve");
	type = json_object_get(s, "type");

	if (json_is_null(value)) {
		const json_t *shown = type;

		if (is_true(s, "nullable") || (!type && !json_object_get(s, "allOf")))
			return check_enum(n, s, value);
		/* name the type even when it comes from an allOf part */
		if (!shown)
			shown = json_object_get(
				validate_resolve(n->ctx->root,
						 json_array_get(json_object_get(s, "allOf"), 0)),
				"type");
		if (!json_is_string(shown))
			return node_error(n, "must not be null");
		return node_error(n, "must be %s %s (got null)", article(json_string_value(shown)),
				  json_string_value(shown));
	}
	if (json_is_string(type) && !type_matches(json_string_value(type), value)) {
		const char *t = json_string_value(type);

		return node_error(n, "must be %s %s (got %s)", article(t), t,
				  json_type_name(value));
	}
	rc = check_enum(n, s, value);
	if (rc < 0)
		return rc;
	errs += rc;
	if (json_is_string(value))
		rc = check_string(n, s, value);
	else if (json_is_number(value))
		rc = check_number(n, s, value);
	else if (json_is_array(value))
		rc = check_array(n, s, value);
	else if (json_is_object(value))
		rc = check_object(n, s, value);
	else
		rc = 0;
	if (rc < 0)
		return rc;
	errs += rc;

	all = json_object_get(s, "allOf");
	json_array_foreach(all, i, sub) {
		struct node c = *n;

		c.check_unknown = 0;
		c.depth = n->depth + 1;
		rc = node_validate(&c, sub, value);
		if (rc < 0)
			return rc;
		errs += rc;
	}
	return errs;
}

int validate_value(const struct validate_ctx *ctx, const json_t *schema, const json_t *value,
		   const char *pointer, const char *path)
{
	struct node n = { ctx, pointer, path, 0, 1 };

	return node_validate(&n, schema, value);
}

/* ---- document check ---------------------------------------------------- */

static const char *const known_keywords[] = {
	"$ref",
	"allOf",
	"type",
	"nullable",
	"enum",
	"minimum",
	"maximum",
	"exclusiveMinimum",
	"exclusiveMaximum",
	"minLength",
	"maxLength",
	"minItems",
	"maxItems",
	"uniqueItems",
	"format",
	"items",
	"properties",
	"required",
	"readOnly",
	/* annotations */
	"description",
	"example",
	"default",
	"deprecated",
	"title",
	NULL,
};

static const char *const known_types[] = {
	"array", "object", "string", "integer", "number", "boolean", NULL,
};

static int in_list(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static int check_schema_at(const json_t *root, const json_t *schema, const char *where, int depth)
{
	const char *key;
	const json_t *v;
	char sub[512];

	if (depth > MAX_DEPTH)
		return err_set(MW_EINVALID, "schema at '%s' is nested too deeply", where);
	if (!json_is_object(schema))
		return err_set(MW_EINVALID, "schema at '%s' is not an object", where);
	json_object_foreach((json_t *)schema, key, v) {
		if (strncmp(key, "x-", 2) == 0)
			continue;
		if (!in_list(known_keywords, key))
			return err_set(MW_EINVALID, "schema at '%s' uses unsupported keyword '%s'",
				       where, key);
	}
	v = json_object_get(schema, "$ref");
	if (v) {
		if (!json_is_string(v) || !validate_resolve(root, schema))
			return err_set(MW_EINVALID,
				       "schema at '%s' has a $ref that does not resolve", where);
		/* the target is checked where it is defined (components) */
		return 0;
	}
	v = json_object_get(schema, "type");
	if (v && (!json_is_string(v) || !in_list(known_types, json_string_value(v))))
		return err_set(MW_EINVALID, "schema at '%s' has an unsupported type", where);
	v = json_object_get(schema, "format");
	if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "uuid") != 0 &&
					 strcmp(json_string_value(v), "date-time") != 0)))
		return err_set(MW_EINVALID, "schema at '%s' has an unsupported format", where);
	v = json_object_get(schema, "enum");
	if (v && !json_is_array(v))
		return err_set(MW_EINVALID, "schema at '%s' has an enum that is not an array",
			       where);
	v = json_object_get(schema, "items");
	if (v) {
		snprintf(sub, sizeof sub, "%s/items", where);
		if (check_schema_at(root, v, sub, depth + 1) != 0)
			return MW_EINVALID;
	}
	v = json_object_get(schema, "properties");
	if (v) {
		const json_t *p;

		if (!json_is_object(v))
			return err_set(MW_EINVALID,
				       "schema at '%s' has properties that are not an object",
				       where);
		json_object_foreach((json_t *)v, key, p) {
			snprintf(sub, sizeof sub, "%s/properties/%s", where, key);
			if (check_schema_at(root, p, sub, depth + 1) != 0)
				return MW_EINVALID;
		}
	}
	v = json_object_get(schema, "allOf");
	if (v) {
		size_t i;
		const json_t *p;

		if (!json_is_array(v))
			return err_set(MW_EINVALID,
				       "schema at '%s' has an allOf that is not an array", where);
		json_array_foreach(v, i, p) {
			snprintf(sub, sizeof sub, "%s/allOf/%zu", where, i);
			if (check_schema_at(root, p, sub, depth + 1) != 0)
				return MW_EINVALID;
		}
	}
	return 0;
}

/* Checks the schema of every media type in a content map. */
static int check_content(const json_t *root, const json_t *content, const char *where)
{
	const char *mt;
	const json_t *media;
	char sub[512];

	json_object_foreach((json_t *)content, mt, media) {
		const json_t *schema = json_object_get(media, "schema");

		if (schema) {
			snprintf(sub, sizeof sub, "%s/content/%s/schema", where, mt);
			if (check_schema_at(root, schema, sub, 0) != 0)
				return MW_EINVALID;
		}
	}
	return 0;
}

static int check_parameters(const json_t *root, const json_t *params, const char *where)
{
	size_t i;
	const json_t *p;
	char sub[512];

	json_array_foreach(params, i, p) {
		const json_t *param = validate_resolve(root, p);

		if (!param)
			return err_set(MW_EINVALID, "parameter %zu at '%s' does not resolve", i,
				       where);
		snprintf(sub, sizeof sub, "%s/parameters/%zu/schema", where, i);
		if (!json_object_get(param, "schema"))
			return err_set(MW_EINVALID, "parameter at '%s' has no schema", sub);
		if (check_schema_at(root, json_object_get(param, "schema"), sub, 0) != 0)
			return MW_EINVALID;
	}
	return 0;
}

int validate_check_schemas(const json_t *root)
{
	const json_t *schemas = json_object_get(json_object_get(root, "components"), "schemas");
	const json_t *paths = json_object_get(root, "paths");
	const char *name, *pname, *method;
	const json_t *schema, *item, *op;
	char where[512];

	json_object_foreach((json_t *)schemas, name, schema) {
		snprintf(where, sizeof where, "#/components/schemas/%s", name);
		if (check_schema_at(root, schema, where, 0) != 0)
			return MW_EINVALID;
	}
	json_object_foreach((json_t *)paths, pname, item) {
		snprintf(where, sizeof where, "#/paths/%s", pname);
		if (check_parameters(root, json_object_get(item, "parameters"), where) != 0)
			return MW_EINVALID;
		json_object_foreach((json_t *)item, method, op) {
			const json_t *body, *responses, *resp;
			const char *code;

			if (strcmp(method, "parameters") == 0 || !json_is_object(op))
				continue;
			snprintf(where, sizeof where, "#/paths/%s/%s", pname, method);
			if (check_parameters(root, json_object_get(op, "parameters"), where) != 0)
				return MW_EINVALID;
			body = json_object_get(op, "requestBody");
			if (body) {
				const json_t *b = validate_resolve(root, body);

				if (!b)
					return err_set(MW_EINVALID,
						       "request body at '%s' does not resolve",
						       where);
				if (check_content(root, json_object_get(b, "content"), where) != 0)
					return MW_EINVALID;
			}
			responses = json_object_get(op, "responses");
			json_object_foreach((json_t *)responses, code, resp) {
				const json_t *r = validate_resolve(root, resp);
				char rw[600];

				if (!r)
					return err_set(MW_EINVALID,
						       "response %s at '%s' does not resolve", code,
						       where);
				snprintf(rw, sizeof rw, "%s/responses/%s", where, code);
				if (check_content(root, json_object_get(r, "content"), rw) != 0)
					return MW_EINVALID;
			}
		}
	}
	return 0;
}
