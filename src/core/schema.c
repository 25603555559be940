#include "schema.h"

#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "core/policy.h"
#include "util/buf.h"
#include "util/mem.h"

#define DRAFT "http://json-schema.org/draft-07/schema#"

/* A dotted quad as glibc's inet_pton(AF_INET) takes it: no leading zeros. */
#define OCTET "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
#define IPV4 "(" OCTET "\\." OCTET "\\." OCTET "\\." OCTET ")"
#define H16 "[0-9A-Fa-f]{1,4}"
#define LS32 "(" H16 ":" H16 "|" IPV4 ")"

/* Prefix lengths: digits only, no leading zero (fields_cidr_canonical). */
#define PREFIX4 "(3[0-2]|[12][0-9]|[0-9])"
#define PREFIX6 "(12[0-8]|1[01][0-9]|[1-9][0-9]|[0-9])"

/*
 * A label is letters, digits and inner hyphens, 1 to 63 characters; a name
 * has two labels or more, 253 characters at most, and may end with a dot
 * (fields_normalize_domain()).
 */
#define LABEL "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#define DOMAIN_PATTERN "^(?=.{1,253}\\.?$)(" LABEL "\\.)+" LABEL "\\.?$"

#define UUID_PATTERN "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$"
#define ACCOUNT_PATTERN "^[0-9A-Fa-f]{32}$"

/*
 * IPv6 as RFC 3986 writes its grammar (section 3.2.2), which is what
 * inet_pton(AF_INET6) accepts: row r of the grammar has at most r - 2
 * groups before "::" and 6 - r groups after it, then ls32.
 */
static void ipv6_pattern(struct buf *out)
{
	buf_puts(out, "((" H16 ":){6}" LS32);
	for (int r = 1; r <= 8; r++) {
		buf_puts(out, "|");
		if (r >= 2)
			buf_printf(out, "((" H16 ":){0,%d}" H16 ")?", r - 2);
		buf_puts(out, "::");
		if (r <= 6)
			buf_printf(out, "(" H16 ":){%d}" LS32, 6 - r);
		else if (r == 7)
			buf_puts(out, H16);
	}
	buf_puts(out, ")");
}

const char *schema_cidr_pattern(void)
{
	static char *pattern;

	if (!pattern) {
		struct buf b = BUF_INIT;

		buf_puts(&b, "^(" IPV4 "(/" PREFIX4 ")?|");
		ipv6_pattern(&b);
		buf_puts(&b, "(/" PREFIX6 ")?)$");
		pattern = buf_detach(&b, NULL);
	}
	return pattern;
}

static json_t *string_list(const char *const *values, bool with_null)
{
	json_t *arr = json_array();

	for (size_t i = 0; values[i]; i++)
		json_array_append_new(arr, json_string(values[i]));
	if (with_null)
		json_array_append_new(arr, json_null());
	return arr;
}

/* "type": the JSON type, or [type, "null"] when the field is nullable. */
static json_t *type_of(const char *type, bool nullable)
{
	if (nullable)
		return json_pack("[ss]", type, "null");
	return json_string(type);
}

/* The schema of a desired value of writable field `f` (fields_check()). */
static json_t *value_schema(const struct field *f)
{
	bool nullable = (f->flags & FIELD_NULLABLE) != 0;
	json_t *s = json_object();

	json_object_set_new(s, "description", json_string(f->summary));
	switch (f->kind) {
	case FIELD_BOOL:
		json_object_set_new(s, "type", type_of("boolean", nullable));
		break;
	case FIELD_INT:
		json_object_set_new(s, "type", type_of("integer", nullable));
		json_object_set_new(s, "minimum", json_integer(f->min));
		json_object_set_new(s, "maximum", json_integer(f->max));
		break;
	case FIELD_ENUM:
		json_object_set_new(s, "type", type_of("string", nullable));
		json_object_set_new(s, "enum", string_list(f->values, nullable));
		break;
	case FIELD_ENUM_SET:
		json_object_set_new(s, "type", type_of("array", nullable));
		json_object_set_new(s, "items",
				    json_pack("{s:s, s:o}", "type", "string", "enum",
					      string_list(f->values, false)));
		break;
	case FIELD_CIDR_SET:
		json_object_set_new(s, "type", type_of("array", nullable));
		json_object_set_new(s, "items",
				    json_pack("{s:s, s:s}", "type", "string", "pattern",
					      schema_cidr_pattern()));
		break;
	case FIELD_UUID:
		json_object_set_new(s, "type", type_of("string", nullable));
		json_object_set_new(s, "pattern", json_string(UUID_PATTERN));
		break;
	case FIELD_STRING:
	case FIELD_OBJECT:
	case FIELD_TIMESTAMP:
		json_object_set_new(s, "type", type_of("string", nullable));
		break;
	}
	return s;
}

/* "definitions": one entry per writable field, named after it. */
static json_t *setting_definitions(void)
{
	json_t *defs = json_object();

	for (size_t i = 0; i < fields_count; i++)
		if (fields_table[i].flags & FIELD_WRITABLE)
			json_object_set_new(defs, fields_table[i].name,
					    value_schema(&fields_table[i]));
	return defs;
}

/* "properties": every writable field, each a reference to its definition. */
static json_t *setting_properties(void)
{
	json_t *props = json_object();

	for (size_t i = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];
		char *ref;

		if (!(f->flags & FIELD_WRITABLE))
			continue;
		ref = xasprintf("#/definitions/%s", f->name);
		json_object_set_new(props, f->name, json_pack("{s:s}", "$ref", ref));
		free(ref);
	}
	return props;
}

/*
 * A domain's entry (load_domain()): null, or a map of settings plus `id`
 * and `absent`; an absent domain has no settings.
 */
static json_t *domain_schema(void)
{
	json_t *props = setting_properties();

	json_object_set_new(props, "id",
			    json_pack("{s:s, s:s, s:i}", "description",
				      "the domain's identifier (a UUID): pins the entry to one "
				      "live domain when a name is ambiguous",
				      "type", "string", "minLength", 1));
	json_object_set_new(props, "absent",
			    json_pack("{s:s, s:s}", "description",
				      "true: unprotect this domain (planned as a delete)", "type",
				      "boolean"));
	return json_pack("{s:s, s:[ss], s:b, s:o, s:{s:{s:{s:b}}, s:[s]}, s:{s:{s:[ss]}}}",
			 "description",
			 "the settings of one domain; a setting it does not name is unmanaged",
			 "type", "object", "null", "additionalProperties", false, "properties",
			 props, "if", "properties", "absent", "const", true, "required", "absent",
			 "then", "propertyNames", "enum", "absent", "id");
}

static json_t *desired_schema(void)
{
	json_t *root = json_object();
	json_t *props = json_object();
	json_t *defs = setting_definitions();

	json_object_set_new(defs, "domain", domain_schema());
	json_object_set_new(
		props, "account_id",
		json_pack("{s:s, s:s, s:s}", "description",
			  "the Cloudflare account these domains belong to; every document that "
			  "names one must agree with the others and with --account-id",
			  "type", "string", "pattern", ACCOUNT_PATTERN));
	json_object_set_new(props, "defaults",
			    json_pack("{s:s, s:[ss], s:b, s:o}", "description",
				      "settings every domain of this file has unless it names "
				      "them itself (not absent domains)",
				      "type", "object", "null", "additionalProperties", false,
				      "properties", setting_properties()));
	json_object_set_new(props, "domains",
			    json_pack("{s:s, s:[ss], s:{s:s, s:s}, s:{s:s}}", "description",
				      "the protected domains, by name (compared without case "
				      "and without a trailing dot)",
				      "type", "object", "null", "propertyNames", "type", "string",
				      "pattern", DOMAIN_PATTERN, "additionalProperties", "$ref",
				      "#/definitions/domain"));
	json_object_set_new(root, "$schema", json_string(DRAFT));
	json_object_set_new(root, "title", json_string("mailward desired-state document"));
	json_object_set_new(root, "description",
			    json_string("The settings that Cloudflare Email Security protected "
					"domains should have; see mailward(5). Generated by "
					"`mailward schema`."));
	json_object_set_new(root, "type", json_pack("[ss]", "object", "null"));
	json_object_set_new(root, "additionalProperties", json_false());
	json_object_set_new(root, "properties", props);
	json_object_set_new(root, "definitions", defs);
	return root;
}

/*
 * What a rule of `f` in `require: settings:` may say (read_constraint()):
 * the value itself, or for a set {contains: [...]}, for an integer
 * {min, max}.
 */
static json_t *constraint_schema(const struct field *f)
{
	char *ref = xasprintf("#/definitions/%s", f->name);
	json_t *any = json_array();
	json_t *props = NULL;

	json_array_append_new(any, json_pack("{s:s}", "$ref", ref));
	if (f->kind == FIELD_ENUM_SET || f->kind == FIELD_CIDR_SET)
		props = json_pack("{s:{s:s}}", "contains", "$ref", ref);
	else if (f->kind == FIELD_INT)
		props = json_pack("{s:{s:s}, s:{s:s}}", "min", "type", "integer", "max", "type",
				  "integer");
	if (props)
		json_array_append_new(any, json_pack("{s:s, s:b, s:i, s:o}", "type", "object",
						     "additionalProperties", false, "minProperties",
						     1, "properties", props));
	free(ref);
	return json_pack("{s:o}", "anyOf", any);
}

static json_t *rule_value_schema(const struct policy_rule_spec *spec)
{
	json_t *settings;

	switch (spec->kind) {
	case RULE_MAX_DELETES:
		return json_pack("{s:s, s:i}", "type", "integer", "minimum", 0);
	case RULE_MAX_CHANGED_PERCENT:
		return json_pack("{s:s, s:i, s:i}", "type", "number", "minimum", 0, "maximum", 100);
	case RULE_PROTECT:
		return json_pack("{s:s}", "$ref", "#/definitions/patterns");
	case RULE_REQUIRE:
		settings = json_object();
		for (size_t i = 0; i < fields_count; i++)
			if (fields_table[i].flags & FIELD_WRITABLE)
				json_object_set_new(settings, fields_table[i].name,
						    constraint_schema(&fields_table[i]));
		return json_pack("{s:s, s:b, s:[s], s:{s:{s:s}, s:{s:s}, s:{s:s, s:i, s:b, s:o}}}",
				 "type", "object", "additionalProperties", false, "required",
				 "settings", "properties", "domains", "$ref",
				 "#/definitions/patterns", "level", "$ref", "#/definitions/level",
				 "settings", "type", "object", "minProperties", 1,
				 "additionalProperties", false, "properties", settings);
	}
	return json_object();
}

/* One rule: a map of exactly one rule kind, and `level`. */
static json_t *rule_schema(const struct policy_rule_spec *spec)
{
	json_t *value = rule_value_schema(spec);

	json_object_set_new(value, "description", json_string(spec->summary));
	return json_pack("{s:s, s:b, s:[s], s:{s:o, s:{s:s}}}", "type", "object",
			 "additionalProperties", false, "required", spec->name, "properties",
			 spec->name, value, "level", "$ref", "#/definitions/level");
}

static json_t *policy_schema(void)
{
	json_t *root = json_object();
	json_t *defs = setting_definitions();
	json_t *one_of = json_array();

	for (size_t i = 0; policy_rule_specs[i].name; i++) {
		char *ref = xasprintf("#/definitions/rule_%s", policy_rule_specs[i].name);

		json_object_set_new(defs, ref + strlen("#/definitions/"),
				    rule_schema(&policy_rule_specs[i]));
		json_array_append_new(one_of, json_pack("{s:s}", "$ref", ref));
		free(ref);
	}
	json_object_set_new(defs, "rule",
			    json_pack("{s:s, s:o}", "description",
				      "one rule per list item, with an optional level", "oneOf",
				      one_of));
	json_object_set_new(defs, "level",
			    json_pack("{s:s, s:[ss]}", "description",
				      "deny (the default) refuses the plan; warn only reports",
				      "enum", "deny", "warn"));
	json_object_set_new(defs, "patterns",
			    json_pack("{s:s, s:s, s:i, s:{s:s, s:i}}", "description",
				      "domain names or shell patterns such as '*.example.com', "
				      "compared without case",
				      "type", "array", "minItems", 1, "items", "type", "string",
				      "minLength", 1));
	json_object_set_new(root, "$schema", json_string(DRAFT));
	json_object_set_new(root, "title", json_string("mailward policy document"));
	json_object_set_new(root, "description",
			    json_string("Rules every plan is checked against before it is "
					"printed or applied; see mailward(5). Generated by "
					"`mailward schema --policy`."));
	json_object_set_new(root, "type", json_string("object"));
	json_object_set_new(root, "additionalProperties", json_false());
	json_object_set_new(root, "required", json_pack("[s]", "rules"));
	json_object_set_new(
		root, "properties",
		json_pack("{s:{s:s, s:s, s:i}, s:{s:s, s:s, s:{s:s}}}", "name", "description",
			  "the policy's name in findings (default: the file's base name)", "type",
			  "string", "minLength", 1, "rules", "description", "the rules", "type",
			  "array", "items", "$ref", "#/definitions/rule"));
	json_object_set_new(root, "definitions", defs);
	return root;
}

json_t *schema_of(enum schema_doc which)
{
	return which == SCHEMA_POLICY ? policy_schema() : desired_schema();
}

char *schema_text(enum schema_doc which)
{
	json_t *s = schema_of(which);
	char *text = json_dumps(s, JSON_INDENT(2) | JSON_SORT_KEYS);
	char *out = xasprintf("%s\n", text);

	free(text);
	json_decref(s);
	return out;
}
