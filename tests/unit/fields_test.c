/*
 * fields_test: the schema table and what reads it: validation of desired
 * values, canonical forms and comparison, fingerprints, domain names,
 * addresses, value formatting.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

/* What a test allocates, released by the teardown even when an assertion fails. */
struct fx {
	struct buf why, out;
	json_t *v[8];
	char *s[4];
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	buf_init(&fx->why);
	buf_init(&fx->out);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	buf_release(&fx->why);
	buf_release(&fx->out);
	for (size_t i = 0; i < ARRAY_SIZE(fx->v); i++)
		json_decref(fx->v[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fx->s); i++)
		free(fx->s[i]);
	free(fx);
	return 0;
}

static const struct field *field(const char *name)
{
	const struct field *f = fields_find(name);

	assert_non_null(f);
	return f;
}

/*
 * Check `json` against field `name`: returns 0 when valid, -1 when
 * fields_check() refused it with MW_EINVALID (any other code fails the
 * test), and leaves the reason from the error slot in fx->why (emptied
 * first) and the item in *bad.
 */
static int check(struct fx *fx, const char *name, const char *json, long *bad)
{
	json_t *v = tu_json(json);
	long dummy;
	int rc;

	buf_truncate(&fx->why, 0);
	err_clear();
	rc = fields_check(field(name), v, bad ? bad : &dummy);
	json_decref(v);
	if (rc == 0)
		return 0;
	assert_int_equal(rc, MW_EINVALID);
	buf_puts(&fx->why, err_msg());
	return -1;
}

/*
 * fields_normalize_domain() in strict mode: its code, with the reason from
 * the error slot in fx->why (emptied first) when it fails with MW_EINVALID.
 */
static int normalize(struct fx *fx, char **out, const char *name)
{
	int rc;

	buf_truncate(&fx->why, 0);
	err_clear();
	rc = fields_normalize_domain(out, name, true);
	if (rc == 0)
		return 0;
	assert_int_equal(rc, MW_EINVALID);
	buf_puts(&fx->why, err_msg());
	return -1;
}

static bool equal(const char *name, const char *a, const char *b)
{
	json_t *ja = a ? tu_json(a) : NULL;
	json_t *jb = b ? tu_json(b) : NULL;
	bool eq = fields_equal(field(name), ja, jb);

	json_decref(ja);
	json_decref(jb);
	return eq;
}

/* --- the table against the OpenAPI document ---------------------------- */

/*
 * The API's own description of a domain: spec/email-security-domains
 * .openapi.json of the repository (the copy the sandbox embeds), whose path
 * meson passes in MW_OPENAPI_SPEC. The table is checked against it, not
 * against a copy typed into this file.
 */
struct spec {
	json_t *doc;
	json_t *update; /* PATCH's request body schema (UpdateDomain), resolved */
	json_t *domain; /* GET's result schema (Domain), resolved */
};

/* The node a local "$ref" ("#/a/b~1c") names, or NULL. Borrowed. */
static json_t *spec_pointer(json_t *doc, const char *ref)
{
	json_t *node = doc;
	char *path, *part, *save = NULL;

	if (strncmp(ref, "#/", 2))
		return NULL;
	path = xstrdup(ref + 2);
	for (part = strtok_r(path, "/", &save); part && node; part = strtok_r(NULL, "/", &save)) {
		char *w = part;

		/* JSON Pointer escapes (RFC 6901): ~1 is '/', ~0 is '~'. */
		for (char *r = part; *r; r++, w++) {
			if (r[0] == '~' && (r[1] == '0' || r[1] == '1'))
				*w = *++r == '1' ? '/' : '~';
			else
				*w = *r;
		}
		*w = '\0';
		node = json_object_get(node, part);
	}
	free(path);
	return node;
}

/*
 * The schema `node` means, as one object: "$ref"s followed and the members
 * of "allOf" merged (their "properties" key by key), the node's own keys
 * last. A new reference; fails the test on a dangling or looping "$ref".
 */
static json_t *spec_resolve(json_t *doc, const json_t *node, int depth)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;

	if (depth > 32)
		fail_msg("the OpenAPI document's $refs loop");
	if (json_is_string(json_object_get(node, "$ref"))) {
		const char *ref = json_string_value(json_object_get(node, "$ref"));
		json_t *target = spec_pointer(doc, ref);

		if (!target)
			fail_msg("the OpenAPI document has a dangling $ref '%s'", ref);
		json_decref(out);
		return spec_resolve(doc, target, depth + 1);
	}
	if (json_is_array(json_object_get(node, "allOf"))) {
		size_t i;
		json_t *member;

		json_array_foreach(json_object_get(node, "allOf"), i, member) {
			json_t *m = spec_resolve(doc, member, depth + 1);
			json_t *props = json_object_get(m, "properties");

			if (json_is_object(props)) {
				json_t *have = json_object_get(out, "properties");

				if (have)
					json_object_update(have, props);
				else
					json_object_set_new(out, "properties", json_copy(props));
				json_object_del(m, "properties");
			}
			json_object_update(out, m);
			json_decref(m);
		}
	}
	json_object_foreach((json_t *)node, key, v) {
		if (!strcmp(key, "allOf"))
			continue;
		if (!strcmp(key, "properties") && json_object_get(out, "properties"))
			json_object_update(json_object_get(out, "properties"), v);
		else if (!strcmp(key, "properties"))
			json_object_set_new(out, key, json_copy(v));
		else
			json_object_set(out, key, v);
	}
	return out;
}

/* A property's schema in `schema` (resolved), or NULL when it has none. */
static json_t *spec_property(struct spec *s, const json_t *schema, const char *name)
{
	json_t *p = json_object_get(json_object_get(schema, "properties"), name);

	return p ? spec_resolve(s->doc, p, 0) : NULL;
}

/* json_object_get() along a NULL-terminated list of keys. Borrowed. */
static json_t *dig(json_t *node, ...) __attribute__((sentinel));

static json_t *dig(json_t *node, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, node);
	while (node && (key = va_arg(ap, const char *)))
		node = json_object_get(node, key);
	va_end(ap);
	return node;
}

static void spec_load(struct spec *s)
{
	static const char item[] = "/accounts/{account_id}/email-security/settings/domains/"
				   "{domain_id}";
	const char *path = getenv("MW_OPENAPI_SPEC");
	json_error_t err;
	json_t *op, *resp;

	if (!path || !*path)
		fail_msg("MW_OPENAPI_SPEC is not set: run this test through meson, or set it to "
			 "spec/email-security-domains.openapi.json");
	s->doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (!s->doc)
		fail_msg("%s:%d:%d: %s", path, err.line, err.column, err.text);
	op = dig(s->doc, "paths", item, NULL);
	assert_non_null(op);
	s->update = spec_resolve(
		s->doc,
		dig(op, "patch", "requestBody", "content", "application/json", "schema", NULL), 0);
	resp = spec_resolve(
		s->doc,
		dig(op, "get", "responses", "200", "content", "application/json", "schema", NULL),
		0);
	s->domain = spec_property(s, resp, "result");
	json_decref(resp);
	assert_true(json_object_size(json_object_get(s->update, "properties")) > 0);
	assert_non_null(s->domain);
	assert_true(json_object_size(json_object_get(s->domain, "properties")) > 0);
}

static void spec_release(struct spec *s)
{
	json_decref(s->doc);
	json_decref(s->update);
	json_decref(s->domain);
}

/* Whether the schema allows null: "nullable", or null among its "enum". */
static bool spec_nullable(const json_t *schema)
{
	size_t i;
	json_t *v;

	if (json_is_true(json_object_get(schema, "nullable")))
		return true;
	json_array_foreach(json_object_get(schema, "enum"), i, v)
		if (json_is_null(v))
			return true;
	return false;
}

/* Fail unless the row's `values` are exactly the schema's non-null enum members. */
static void assert_enum_members(const struct field *f, const json_t *schema)
{
	const json_t *members = json_object_get(schema, "enum");
	size_t i, n_spec = 0, n_row = 0;
	json_t *v;

	if (!f->values)
		fail_msg("%s: the table lists no enum members", f->name);
	json_array_foreach(members, i, v) {
		bool found = false;

		if (json_is_null(v))
			continue;
		n_spec++;
		for (const char *const *m = f->values; *m; m++)
			if (json_is_string(v) && !strcmp(*m, json_string_value(v)))
				found = true;
		if (!found)
			fail_msg("%s: the API's member '%s' is not in the table", f->name,
				 json_string_value(v));
	}
	for (const char *const *m = f->values; *m; m++)
		n_row++;
	if (n_row != n_spec)
		fail_msg("%s: the table lists %zu members, the API %zu", f->name, n_row, n_spec);
}

static const char *kind_name(enum field_kind k)
{
	static const char *const names[] = {
		[FIELD_BOOL] = "bool",           [FIELD_INT] = "int",
		[FIELD_ENUM] = "enum",           [FIELD_ENUM_SET] = "enum set",
		[FIELD_CIDR_SET] = "CIDR set",   [FIELD_UUID] = "uuid",
		[FIELD_STRING] = "string",       [FIELD_OBJECT] = "object",
		[FIELD_TIMESTAMP] = "timestamp",
	};

	return names[k];
}

static void assert_kind(const struct field *f, enum field_kind want)
{
	if (f->kind != want)
		fail_msg("%s: the table says %s, the API means %s", f->name, kind_name(f->kind),
			 kind_name(want));
}

/* The kind a writable property's schema asks for; checks enum members and range too. */
static void assert_writable_row(struct spec *s, const struct field *f, const json_t *schema)
{
	const char *type = json_string_value(json_object_get(schema, "type"));
	const char *format = json_string_value(json_object_get(schema, "format"));

	if (!type)
		fail_msg("%s: the API's schema has no type", f->name);
	if (!strcmp(type, "array")) {
		json_t *items = spec_resolve(s->doc, json_object_get(schema, "items"), 0);
		bool is_enum = json_is_array(json_object_get(items, "enum"));
		const char *item_type = json_string_value(json_object_get(items, "type"));

		if (is_enum) {
			assert_kind(f, FIELD_ENUM_SET);
			assert_enum_members(f, items);
		} else if (item_type && !strcmp(item_type, "string") &&
			   !strcmp(f->name, "ip_restrictions")) {
			/* The API types the addresses as strings; the table compares them by value.
			 */
			assert_kind(f, FIELD_CIDR_SET);
		} else {
			fail_msg("%s: an array of %s: decide in the table how to compare it",
				 f->name, item_type ? item_type : "(untyped items)");
		}
		json_decref(items);
	} else if (!strcmp(type, "integer")) {
		assert_kind(f, FIELD_INT);
		if (!json_is_integer(json_object_get(schema, "minimum")) ||
		    !json_is_integer(json_object_get(schema, "maximum")))
			fail_msg("%s: the API gives no integer range", f->name);
		assert_int_equal(f->min, json_integer_value(json_object_get(schema, "minimum")));
		assert_int_equal(f->max, json_integer_value(json_object_get(schema, "maximum")));
	} else if (!strcmp(type, "boolean")) {
		assert_kind(f, FIELD_BOOL);
	} else if (!strcmp(type, "string") && json_is_array(json_object_get(schema, "enum"))) {
		assert_kind(f, FIELD_ENUM);
		assert_enum_members(f, schema);
	} else if (!strcmp(type, "string") && format && !strcmp(format, "uuid")) {
		assert_kind(f, FIELD_UUID);
	} else if (!strcmp(type, "string") && !format) {
		assert_kind(f, FIELD_STRING);
	} else {
		fail_msg("%s: no table kind for the API's type %s%s%s", f->name, type,
			 format ? ", format " : "", format ? format : "");
	}
	if (spec_nullable(schema) != !!(f->flags & FIELD_NULLABLE))
		fail_msg("%s: the API says %snullable, the table %s", f->name,
			 spec_nullable(schema) ? "" : "not ",
			 f->flags & FIELD_NULLABLE ? "nullable" : "not nullable");
}

static void table_writable_rows_are_update_domain(void **state)
{
	struct spec s = { 0 };
	const char *name;
	json_t *prop;
	size_t k = 0;

	(void)state;
	spec_load(&s);
	/* UpdateDomain's properties, in order, are the writable rows, in order. */
	json_object_foreach(json_object_get(s.update, "properties"), name, prop) {
		const struct field *f = fields_find(name);
		json_t *schema;

		if (!f)
			fail_msg("UpdateDomain's property '%s' has no row in fields_table", name);
		if (!(f->flags & FIELD_WRITABLE))
			fail_msg("UpdateDomain's property '%s' is not writable in the table", name);
		while (k < fields_count && !(fields_table[k].flags & FIELD_WRITABLE))
			k++;
		assert_true(k < fields_count);
		assert_string_equal(fields_table[k].name, name);
		k++;
		schema = spec_resolve(s.doc, prop, 0);
		assert_writable_row(&s, f, schema);
		json_decref(schema);
	}
	for (; k < fields_count; k++)
		if (fields_table[k].flags & FIELD_WRITABLE)
			fail_msg("writable row '%s' is not a property of UpdateDomain",
				 fields_table[k].name);
	spec_release(&s);
}

static void table_read_only_rows_are_the_rest_of_domain(void **state)
{
	struct spec s = { 0 };
	const char *name;
	json_t *prop;

	(void)state;
	spec_load(&s);
	json_object_foreach(json_object_get(s.domain, "properties"), name, prop) {
		const struct field *f = fields_find(name);
		json_t *schema = spec_resolve(s.doc, prop, 0);
		const char *type = json_string_value(json_object_get(schema, "type"));
		const char *format = json_string_value(json_object_get(schema, "format"));

		if (!f)
			fail_msg("Domain's property '%s' has no row in fields_table", name);
		if (json_object_get(json_object_get(s.update, "properties"), name)) {
			/* Writable: checked against UpdateDomain above; the API also reports it. */
			json_decref(schema);
			continue;
		}
		if (f->flags & FIELD_WRITABLE)
			fail_msg("'%s' is not in UpdateDomain but writable in the table", name);
		if (!strcmp(name, "id") || !strcmp(name, "domain")) {
			assert_true(f->flags & FIELD_IDENTITY);
			assert_kind(f, FIELD_STRING);
		} else {
			if (!(f->flags & FIELD_READONLY))
				fail_msg("'%s' is reported, never sent: the table must say "
					 "read-only",
					 name);
			if (type && !strcmp(type, "object"))
				assert_kind(f, FIELD_OBJECT);
			else if (format && !strcmp(format, "date-time"))
				assert_kind(f, FIELD_TIMESTAMP);
			else if (json_is_array(json_object_get(schema, "enum"))) {
				assert_kind(f, FIELD_ENUM);
				assert_enum_members(f, schema);
			} else if (type && !strcmp(type, "string"))
				assert_kind(f, FIELD_STRING);
			else
				fail_msg("'%s': no table kind for the API's type", name);
		}
		if (json_is_true(json_object_get(schema, "deprecated")) !=
		    !!(f->flags & FIELD_DEPRECATED))
			fail_msg("'%s': the API and the table disagree on deprecated", name);
		json_decref(schema);
	}
	/* No row for a field the API does not have. */
	for (size_t i = 0; i < fields_count; i++)
		if (!json_object_get(json_object_get(s.domain, "properties"), fields_table[i].name))
			fail_msg("row '%s' is not a property of the API's Domain",
				 fields_table[i].name);
	spec_release(&s);
}

/* What the document cannot say: the lookup, the names list and the flags' consistency. */
static void table_lookup_and_names(void **state)
{
	const char *const *names = fields_writable_names();
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < fields_count; i++) {
		assert_ptr_equal(fields_find(fields_table[i].name), &fields_table[i]);
		assert_non_null(fields_table[i].summary);
		if (!(fields_table[i].flags & FIELD_WRITABLE))
			continue;
		assert_false(fields_table[i].flags & (FIELD_READONLY | FIELD_IDENTITY));
		assert_non_null(names[n]);
		assert_string_equal(names[n++], fields_table[i].name);
	}
	assert_null(names[n]);
	/* A second call gives the same static list. */
	assert_ptr_equal(fields_writable_names(), names);
	assert_null(fields_find("lookback_hop"));
	assert_null(fields_find(""));
	assert_null(fields_find("LOOKBACK_HOPS"));
}

/* --- fields_check ------------------------------------------------------- */

static void check_bool(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(check(fx, "require_tls_inbound", "true", NULL), 0);
	assert_int_equal(check(fx, "require_tls_outbound", "false", NULL), 0);
	assert_int_equal(check(fx, "require_tls_inbound", "\"true\"", NULL), -1);
	assert_string_equal(fx->why.ptr, "require_tls_inbound must be true or false");
	assert_int_equal(check(fx, "require_tls_inbound", "1", NULL), -1);
	assert_int_equal(check(fx, "require_tls_inbound", "null", NULL), -1);
	assert_string_equal(fx->why.ptr, "require_tls_inbound cannot be null");
}

static void check_int_range(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(check(fx, "lookback_hops", "1", NULL), 0);
	assert_int_equal(check(fx, "lookback_hops", "20", NULL), 0);
	assert_int_equal(check(fx, "lookback_hops", "0", NULL), -1);
	assert_string_equal(fx->why.ptr, "lookback_hops must be from 1 to 20, not 0");
	assert_int_equal(check(fx, "lookback_hops", "21", NULL), -1);
	assert_string_equal(fx->why.ptr, "lookback_hops must be from 1 to 20, not 21");
	assert_int_equal(check(fx, "lookback_hops", "-9223372036854775808", NULL), -1);
	assert_int_equal(check(fx, "lookback_hops", "2.0", NULL), -1);
	assert_string_equal(fx->why.ptr, "lookback_hops must be an integer from 1 to 20");
	assert_int_equal(check(fx, "lookback_hops", "\"2\"", NULL), -1);
	assert_int_equal(check(fx, "lookback_hops", "null", NULL), -1);
	assert_string_equal(fx->why.ptr, "lookback_hops cannot be null");
}

static void check_enum_with_suggestion(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(check(fx, "folder", "\"Inbox\"", NULL), 0);
	assert_int_equal(check(fx, "folder", "\"AllItems\"", NULL), 0);
	assert_int_equal(check(fx, "folder", "null", NULL), 0);
	assert_int_equal(check(fx, "folder", "\"inbox\"", NULL), -1);
	assert_string_equal(fx->why.ptr, "'inbox' is not a valid value for folder (did you mean "
					 "'Inbox'?); expected one of AllItems, Inbox");
	assert_int_equal(check(fx, "folder", "\"Archive\"", NULL), -1);
	assert_string_equal(fx->why.ptr, "'Archive' is not a valid value for folder; expected one "
					 "of AllItems, Inbox");
	assert_int_equal(check(fx, "folder", "3", NULL), -1);
	assert_string_equal(fx->why.ptr, "folder must be one of AllItems, Inbox");
}

static void check_enum_set_names_the_bad_item(void **state)
{
	struct fx *fx = *state;
	long bad = 99;

	assert_int_equal(check(fx, "drop_dispositions", "[]", &bad), 0);
	assert_int_equal(bad, -1);
	assert_int_equal(check(fx, "drop_dispositions",
			       "[\"MALICIOUS\", \"MALICIOUS-BEC\", "
			       "\"SPOOF\", \"SPOOF\"]",
			       &bad),
			 0);
	assert_int_equal(check(fx, "drop_dispositions", "[\"MALICIOUS\", \"SPOOFF\"]", &bad), -1);
	assert_int_equal(bad, 1);
	assert_string_equal(
		fx->why.ptr,
		"'SPOOFF' is not a valid value for drop_dispositions (did you mean "
		"'SPOOF'?); expected one of MALICIOUS, MALICIOUS-BEC, SUSPICIOUS, SPOOF, "
		"SPAM, BULK, ENCRYPTED, EXTERNAL, UNKNOWN, NONE");
	/* Enum members are case-sensitive, as the API's are. */
	assert_int_equal(check(fx, "regions", "[\"global\"]", &bad), -1);
	assert_int_equal(bad, 0);
	assert_contains(fx->why.ptr, "(did you mean 'GLOBAL'?)");
	assert_int_equal(check(fx, "allowed_delivery_modes", "[\"DIRECT\", 7]", &bad), -1);
	assert_int_equal(bad, 1);
	assert_string_equal(fx->why.ptr, "allowed_delivery_modes takes a list of strings");
	assert_int_equal(check(fx, "regions", "\"GLOBAL\"", &bad), -1);
	assert_int_equal(bad, -1);
	assert_string_equal(fx->why.ptr, "regions must be a list");
	assert_int_equal(check(fx, "regions", "null", &bad), -1);
	assert_string_equal(fx->why.ptr, "regions cannot be null");
}

static void check_cidr_set(void **state)
{
	static const char *const good[] = {
		"[\"192.0.2.0/24\"]",
		"[\"2001:db8::/32\"]",
		"[\"2001:DB8::/32\"]",
		"[\"192.0.2.1\"]",
		"[\"::1\"]",
		"[\"0.0.0.0/0\"]",
		"[\"::/0\"]",
		"[\"::ffff:192.0.2.1/128\"]",
		"[\"10.0.0.0/8\", \"10.0.0.0/8\"]",
	};
	static const char *const bad[] = {
		"[\"300.0.0.0/8\"]",
		"[\"10.0.0.0/33\"]",
		"[\"2001:db8::/129\"]",
		"[\"10.0.0.0/\"]",
		"[\"10.0.0.0/ 8\"]",
		"[\"10.0.0.0/+8\"]",
		"[\"10.0.0.0/08\"]",
		"[\"10.0.0.0/0x8\"]",
		"[\"/8\"]",
		"[\"\"]",
		"[\"example.com\"]",
		"[\"fe80::1%eth0\"]",
		"[\"10.0.0\"]",
		"[\"192.0.2.0/24/1\"]",
		"[\"2001:db8:::1\"]",
		"[\" 10.0.0.1\"]",
	};
	struct fx *fx = *state;
	long bad_item;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		if (check(fx, "ip_restrictions", good[i], &bad_item) != 0)
			fail_msg("%s rejected: %s", good[i], fx->why.ptr);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (check(fx, "ip_restrictions", bad[i], &bad_item) != -1)
			fail_msg("%s accepted", bad[i]);
		assert_int_equal(bad_item, 0);
	}
	assert_int_equal(
		check(fx, "ip_restrictions", "[\"192.0.2.0/24\", \"300.1.1.1\"]", &bad_item), -1);
	assert_int_equal(bad_item, 1);
	assert_string_equal(fx->why.ptr, "'300.1.1.1' is not an IP address or CIDR prefix");
	assert_int_equal(check(fx, "ip_restrictions", "[\"10.0.0.0/33\"]", &bad_item), -1);
	assert_string_equal(fx->why.ptr, "'10.0.0.0/33' has an invalid prefix length (0..32)");
	assert_int_equal(check(fx, "ip_restrictions", "[\"10.0.0.0/08\"]", &bad_item), -1);
	assert_string_equal(fx->why.ptr, "'10.0.0.0/08' has an invalid prefix length");
}

static void check_uuid_any_case(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(
		check(fx, "integration_id", "\"3fa85f64-5717-4562-b3fc-2c963f66afa6\"", NULL), 0);
	assert_int_equal(
		check(fx, "integration_id", "\"3FA85F64-5717-4562-B3FC-2C963F66AFA6\"", NULL), 0);
	assert_int_equal(check(fx, "integration_id", "null", NULL), 0);
	assert_int_equal(check(fx, "integration_id", "\"3fa85f64571745 62b3fc2c963f66afa6\"", NULL),
			 -1);
	assert_string_equal(fx->why.ptr,
			    "integration_id must be a UUID (8-4-4-4-12 hexadecimal digits)");
	assert_int_equal(
		check(fx, "integration_id", "\"3fa85f64-5717-4562-b3fc-2c963f66afa\"", NULL), -1);
	assert_int_equal(
		check(fx, "integration_id", "\"3fa85f64-5717-4562-b3fc-2c963f66afag\"", NULL), -1);
	assert_int_equal(
		check(fx, "integration_id", "\"{3fa85f64-5717-4562-b3fc-2c963f66afa6}\"", NULL),
		-1);
	assert_int_equal(check(fx, "integration_id", "42", NULL), -1);
}

static void check_string_and_non_writable(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(check(fx, "transport", "\"smtp://mx.example.com:25\"", NULL), 0);
	assert_int_equal(check(fx, "transport", "\"\"", NULL), 0);
	assert_int_equal(check(fx, "transport", "25", NULL), -1);
	assert_string_equal(fx->why.ptr, "transport must be a string");
	assert_int_equal(check(fx, "transport", "null", NULL), -1);
	assert_int_equal(check(fx, "status", "\"active\"", NULL), -1);
	assert_string_equal(fx->why.ptr, "status is not a writable setting");
	assert_int_equal(check(fx, "id", "\"x\"", NULL), -1);
	assert_string_equal(fx->why.ptr, "id is not a writable setting");
	assert_int_equal(check(fx, "authorization", "{}", NULL), -1);
	assert_int_equal(check(fx, "created_at", "\"2026-01-01T00:00:00Z\"", NULL), -1);
}

static void is_uuid(void **state)
{
	(void)state;
	assert_true(fields_is_uuid("00000000-0000-0000-0000-000000000000"));
	assert_true(fields_is_uuid("aBcDeF01-2345-6789-abcd-ef0123456789"));
	assert_false(fields_is_uuid(""));
	assert_false(fields_is_uuid("00000000000000000000000000000000"));
	assert_false(fields_is_uuid("00000000-0000-0000-0000-0000000000000"));
	assert_false(fields_is_uuid("0000000-00000-0000-0000-000000000000"));
	assert_false(fields_is_uuid("00000000-0000-0000-0000-00000000000-"));
}

/* --- addresses ---------------------------------------------------------- */

static void cidr_canonical_spellings(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "192.0.2.0/24", "192.0.2.0/24" },
		{ "192.0.2.1", "192.0.2.1/32" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "2001:DB8::/32", "2001:db8::/32" },
		{ "2001:0db8:0000:0000:0000:0000:0000:0000/32", "2001:db8::/32" },
		{ "2001:db8:0:0:0:0:0:1", "2001:db8::1/128" },
		{ "2001:DB8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128" },
		{ "::", "::/128" },
		{ "::/0", "::/0" },
		{ "::1", "::1/128" },
		{ "0:0:0:0:0:0:0:1", "::1/128" },
		{ "::FFFF:192.0.2.1", "::ffff:192.0.2.1/128" },
		{ "FE80::0001/64", "fe80::1/64" },
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_truncate(&fx->out, 0);
		if (fields_cidr_canonical(&fx->out, cases[i].in) != 0)
			fail_msg("%s: %s", cases[i].in, err_msg());
		assert_string_equal(fx->out.ptr, cases[i].out);
	}
	buf_truncate(&fx->out, 0);
	assert_int_equal(fields_cidr_canonical(&fx->out, "not-an-ip"), MW_EINVALID);
	assert_string_equal(err_msg(), "'not-an-ip' is not an IP address or CIDR prefix");
	assert_string_equal(fx->out.ptr, "");
	/* Longer than any address: refused, not overflowed. */
	assert_int_equal(fields_cidr_canonical(&fx->out, "1111:2222:3333:4444:5555:6666:7777:8888:"
							 "9999:aaaa:bbbb:cccc/64"),
			 MW_EINVALID);
	assert_int_equal(fields_cidr_canonical(&fx->out, "10.0.0.0/99999999999999999999999"),
			 MW_EINVALID);
	assert_string_equal(err_msg(), "'10.0.0.0/99999999999999999999999' has an invalid prefix "
				       "length (0..32)");
}

/* --- canonical forms and equality -------------------------------------- */

static void canonical_sets_sorted_without_repeats(void **state)
{
	struct fx *fx = *state;

	fx->v[0] = tu_json("[\"SPOOF\", \"MALICIOUS\", \"SPOOF\", \"BULK\"]");
	fx->v[1] = fields_canonical(field("drop_dispositions"), fx->v[0]);
	assert_json(fx->v[1], "[\"BULK\", \"MALICIOUS\", \"SPOOF\"]");
	/* The input is not touched. */
	assert_json(fx->v[0], "[\"SPOOF\", \"MALICIOUS\", \"SPOOF\", \"BULK\"]");

	fx->v[2] =
		tu_json("[\"2001:DB8::/32\", \"192.0.2.0/24\", \"2001:db8:0::/32\", \"10.1.1.1\"]");
	fx->v[3] = fields_canonical(field("ip_restrictions"), fx->v[2]);
	assert_json(fx->v[3], "[\"10.1.1.1/32\", \"192.0.2.0/24\", \"2001:db8::/32\"]");

	fx->v[4] = tu_json("\"3FA85F64-5717-4562-B3FC-2C963F66AFA6\"");
	fx->v[5] = fields_canonical(field("integration_id"), fx->v[4]);
	assert_json(fx->v[5], "\"3fa85f64-5717-4562-b3fc-2c963f66afa6\"");

	fx->v[6] = fields_canonical(field("regions"), NULL);
	assert_true(json_is_null(fx->v[6]));
}

static void canonical_keeps_odd_live_values(void **state)
{
	struct fx *fx = *state;

	/* A live API may send anything: unexpected types are kept as they are. */
	fx->v[0] = tu_json("\"DIRECT\"");
	fx->v[1] = fields_canonical(field("allowed_delivery_modes"), fx->v[0]);
	assert_json(fx->v[1], "\"DIRECT\"");
	fx->v[2] = tu_json("[\"not-an-ip\", \"10.0.0.1\", 5, null, {\"a\": 1}, \"not-an-ip\"]");
	fx->v[3] = fields_canonical(field("ip_restrictions"), fx->v[2]);
	assert_int_equal(json_array_size(fx->v[3]), 5);
	fx->v[4] = tu_json("[{\"a\": 1}, null, \"10.0.0.1/32\", 5, \"not-an-ip\"]");
	fx->v[5] = fields_canonical(field("ip_restrictions"), fx->v[4]);
	assert_true(json_equal(fx->v[3], fx->v[5]));
	fx->v[6] = tu_json("[\"EU\", \"GLOBAL\"]");
	fx->v[7] = fields_canonical(field("regions"), fx->v[6]);
	assert_json(fx->v[7], "[\"EU\", \"GLOBAL\"]");
}

static void equal_sets_ignore_order_and_repeats(void **state)
{
	(void)state;
	assert_true(
		equal("allowed_delivery_modes", "[\"DIRECT\", \"BCC\"]", "[\"BCC\", \"DIRECT\"]"));
	assert_true(equal("allowed_delivery_modes", "[\"DIRECT\", \"DIRECT\"]", "[\"DIRECT\"]"));
	assert_false(equal("allowed_delivery_modes", "[\"DIRECT\"]", "[\"DIRECT\", \"BCC\"]"));
	assert_false(equal("allowed_delivery_modes", "\"DIRECT\"", "[\"DIRECT\"]"));
	assert_true(equal("regions", "[]", "[]"));
}

static void equal_addresses_by_value(void **state)
{
	(void)state;
	assert_true(equal("ip_restrictions", "[\"2001:DB8::/32\"]", "[\"2001:db8::/32\"]"));
	assert_true(equal("ip_restrictions", "[\"2001:0db8:0000::/32\", \"192.0.2.0/24\"]",
			  "[\"192.0.2.0/24\", \"2001:db8::/32\"]"));
	assert_true(equal("ip_restrictions", "[\"192.0.2.7\"]", "[\"192.0.2.7/32\"]"));
	assert_true(equal("ip_restrictions", "[\"::1\"]", "[\"0:0:0:0:0:0:0:1/128\"]"));
	assert_false(equal("ip_restrictions", "[\"192.0.2.0/24\"]", "[\"192.0.2.0/25\"]"));
	assert_false(equal("ip_restrictions", "[\"2001:db8::/32\"]", "[\"2001:db8::/48\"]"));
	/* Unparseable live items still compare, as opaque strings. */
	assert_true(equal("ip_restrictions", "[\"junk\"]", "[\"junk\"]"));
	assert_false(equal("ip_restrictions", "[\"junk\"]", "[\"JUNK\"]"));
}

static void equal_uuid_case_and_missing_is_null(void **state)
{
	(void)state;
	assert_true(equal("integration_id", "\"3FA85F64-5717-4562-B3FC-2C963F66AFA6\"",
			  "\"3fa85f64-5717-4562-b3fc-2c963f66afa6\""));
	assert_false(equal("integration_id", "\"3fa85f64-5717-4562-b3fc-2c963f66afa6\"",
			   "\"3fa85f64-5717-4562-b3fc-2c963f66afa7\""));
	assert_true(equal("integration_id", "null", NULL));
	assert_true(equal("folder", NULL, "null"));
	assert_true(equal("folder", NULL, NULL));
	assert_false(equal("folder", "\"Inbox\"", NULL));
	/* Other strings keep their case. */
	assert_false(equal("folder", "\"Inbox\"", "\"inbox\""));
	assert_false(equal("transport", "\"SMTP\"", "\"smtp\""));
	/* An empty set is a value, not the absence of one. */
	assert_false(equal("regions", "[]", NULL));
	assert_false(equal("regions", "[]", "null"));
	assert_true(equal("lookback_hops", "2", "2"));
	assert_false(equal("lookback_hops", "2", "3"));
	assert_false(equal("require_tls_inbound", "true", "null"));
	assert_false(equal("require_tls_inbound", "true", "\"true\""));
}

static void writable_of_has_every_writable_field(void **state)
{
	struct fx *fx = *state;

	fx->v[0] = tu_json("{\"id\": \"x\", \"domain\": \"example.com\", \"status\": \"active\", "
			   "\"lookback_hops\": 3, \"regions\": [\"US\", \"GLOBAL\"], "
			   "\"integration_id\": \"3FA85F64-5717-4562-B3FC-2C963F66AFA6\", "
			   "\"folder\": null, \"whatever\": 1}");
	fx->v[1] = fields_project(fx->v[0], FIELD_WRITABLE, FIELDS_CANONICAL);
	assert_json(fx->v[1],
		    "{\"allowed_delivery_modes\": null, \"drop_dispositions\": null, "
		    "\"folder\": null, \"integration_id\": "
		    "\"3fa85f64-5717-4562-b3fc-2c963f66afa6\", \"ip_restrictions\": null, "
		    "\"lookback_hops\": 3, \"regions\": [\"GLOBAL\", \"US\"], "
		    "\"require_tls_inbound\": null, \"require_tls_outbound\": null, "
		    "\"transport\": null}");
}

static void fingerprint_ignores_what_does_not_count(void **state)
{
	struct fx *fx = *state;
	char a[HASH_HEX_SIZE], b[HASH_HEX_SIZE], c[HASH_HEX_SIZE], d[HASH_HEX_SIZE];

	fx->v[0] = tu_json(
		"{\"id\": \"1\", \"domain\": \"example.com\", \"status\": \"active\", "
		"\"ip_restrictions\": [\"2001:DB8::/32\", \"192.0.2.0/24\"], "
		"\"regions\": [\"US\", \"GLOBAL\"], \"lookback_hops\": 2, \"folder\": null}");
	fx->v[1] = tu_json(
		"{\"id\": \"2\", \"domain\": \"other.example\", \"status\": \"pending\", "
		"\"modified_at\": \"2026-11-01T00:00:00Z\", "
		"\"ip_restrictions\": [\"192.0.2.0/24\", \"2001:db8::/32\", \"192.0.2.0/24\"], "
		"\"regions\": [\"GLOBAL\", \"US\"], \"lookback_hops\": 2}");
	fx->v[2] = tu_json("{\"id\": \"1\", \"domain\": \"example.com\", "
			   "\"ip_restrictions\": [\"192.0.2.0/24\", \"2001:db8::/32\"], "
			   "\"regions\": [\"GLOBAL\", \"US\"], \"lookback_hops\": 3}");
	fx->v[3] = tu_json("{}");
	fields_fingerprint(a, fx->v[0]);
	fields_fingerprint(b, fx->v[1]);
	fields_fingerprint(c, fx->v[2]);
	fields_fingerprint(d, fx->v[3]);
	assert_int_equal(strlen(a), 71);
	assert_true(!strncmp(a, "sha256:", 7));
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_string_not_equal(a, d);
	/*
	 * Pinned: the hash of the canonical writable fields, sorted keys,
	 * compact. A saved plan's fingerprints must keep meaning the same.
	 */
	{
		char want[HASH_HEX_SIZE];
		const char *text =
			"{\"allowed_delivery_modes\":null,\"drop_dispositions\":null,"
			"\"folder\":null,\"integration_id\":null,\"ip_restrictions\":null,"
			"\"lookback_hops\":null,\"regions\":null,\"require_tls_inbound\":null,"
			"\"require_tls_outbound\":null,\"transport\":null}";

		hash_sha256_hex(want, text, strlen(text));
		assert_string_equal(d, want);
	}
}

/* --- domain names ------------------------------------------------------- */

static void normalize_lower_case_without_trailing_dot(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(normalize(fx, &fx->s[0], "Example.COM."), 0);
	assert_string_equal(fx->s[0], "example.com");
	assert_int_equal(normalize(fx, &fx->s[1], "xn--bcher-kva.example"), 0);
	assert_string_equal(fx->s[1], "xn--bcher-kva.example");
	assert_int_equal(normalize(fx, &fx->s[2], "a-1.b2.C3"), 0);
	assert_string_equal(fx->s[2], "a-1.b2.c3");
	/* Live names are never refused: odd ones are kept as opaque strings. */
	assert_int_equal(fields_normalize_domain(&fx->s[3], "Weird_Name.COM.", false), 0);
	assert_string_equal(fx->s[3], "weird_name.com");
	assert_string_equal(fx->why.ptr, "");
}

static void normalize_strict_rejects_non_host_names(void **state)
{
	static const struct {
		const char *name, *why;
	} cases[] = {
		{ "localhost", "'localhost' is not a fully qualified domain name" },
		{ "", "'' is not a valid domain name (1 to 253 characters)" },
		{ ".", "'.' is not a valid domain name (1 to 253 characters)" },
		{ "example..com", "'example..com' is not a valid domain name: labels are letters, "
				  "digits and inner hyphens, 1 to 63 characters" },
		{ "-bad.example.com", NULL },
		{ "bad-.example.com", NULL },
		{ "under_score.example.com", NULL },
		{ "space .example.com", NULL },
		{ "*.example.com", NULL },
		{ ".example.com", NULL },
		{ "example.com..", NULL },
		{ "bücher.example", "'bücher.example' is not an ASCII host name: write "
				    "internationalised names in their xn-- (punycode) form" },
	};
	struct fx *fx = *state;
	char *out = (char *)"sentinel";

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (normalize(fx, &out, cases[i].name) != -1)
			fail_msg("'%s' accepted as '%s'", cases[i].name, out);
		assert_null(out);
		if (cases[i].why)
			assert_string_equal(fx->why.ptr, cases[i].why);
		else
			assert_true(fx->why.len > 0);
	}
}

static void normalize_length_limits(void **state)
{
	struct fx *fx = *state;
	char label63[64], label64[65], name[300];
	char *out = NULL;

	memset(label63, 'a', 63);
	label63[63] = '\0';
	memset(label64, 'a', 64);
	label64[64] = '\0';
	snprintf(name, sizeof(name), "%s.example", label63);
	assert_int_equal(normalize(fx, &fx->s[0], name), 0);
	snprintf(name, sizeof(name), "%s.example", label64);
	assert_int_equal(normalize(fx, &out, name), -1);
	/* 253 characters in all (4 labels of 63 + 3 dots = 255: too long). */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63, label63, label63);
	assert_int_equal(strlen(name), 253);
	assert_int_equal(normalize(fx, &fx->s[1], name), 0);
	/* ... also with the trailing dot of a fully qualified name. */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s.", label63, label63, label63, label63);
	assert_int_equal(normalize(fx, &fx->s[2], name), 0);
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label63, label63, label63, label63);
	buf_truncate(&fx->why, 0);
	assert_int_equal(normalize(fx, &out, name), -1);
	assert_contains(fx->why.ptr, "(1 to 253 characters)");
}

/* --- formatting --------------------------------------------------------- */

static void format_value_compactly(void **state)
{
	static const struct {
		const char *json, *text;
	} cases[] = {
		{ "[\"DIRECT\", \"BCC\"]", "[DIRECT, BCC]" },
		{ "[]", "[]" },
		{ "\"Inbox\"", "\"Inbox\"" },
		{ "3", "3" },
		{ "true", "true" },
		{ "null", "null" },
		{ "[1, [\"a\"], null]", "[1, [a], null]" },
		{ "{\"a\": 1}", "{\"a\":1}" },
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *v = tu_json(cases[i].json);

		buf_truncate(&fx->out, 0);
		fields_format_value(&fx->out, v);
		json_decref(v);
		assert_string_equal(fx->out.ptr, cases[i].text);
	}
	buf_truncate(&fx->out, 0);
	fields_format_value(&fx->out, NULL);
	assert_string_equal(fx->out.ptr, "(unset)");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(table_writable_rows_are_update_domain),
		T(table_read_only_rows_are_the_rest_of_domain),
		T(table_lookup_and_names),
		T(check_bool),
		T(check_int_range),
		T(check_enum_with_suggestion),
		T(check_enum_set_names_the_bad_item),
		T(check_cidr_set),
		T(check_uuid_any_case),
		T(check_string_and_non_writable),
		T(is_uuid),
		T(cidr_canonical_spellings),
		T(canonical_sets_sorted_without_repeats),
		T(canonical_keeps_odd_live_values),
		T(equal_sets_ignore_order_and_repeats),
		T(equal_addresses_by_value),
		T(equal_uuid_case_and_missing_is_null),
		T(writable_of_has_every_writable_field),
		T(fingerprint_ignores_what_does_not_count),
		T(normalize_lower_case_without_trailing_dot),
		T(normalize_strict_rejects_non_host_names),
		T(normalize_length_limits),
		T(format_value_compactly),
	};

	return cmocka_run_group_tests_name("fields", tests, NULL, NULL);
}
