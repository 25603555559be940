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
 * Check `json` against field `name`: returns fields_check()'s code and
 * leaves the reason in fx->why (emptied first) and the item in *bad.
 */
static int check(struct fx *fx, const char *name, const char *json, long *bad)
{
	json_t *v = tu_json(json);
	long dummy;
	int rc;

	buf_truncate(&fx->why, 0);
	rc = fields_check(field(name), v, bad ? bad : &dummy, &fx->why);
	json_decref(v);
	return rc;
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

/* --- the table ---------------------------------------------------------- */

static void table_writable_fields_are_exactly_update_domain(void **state)
{
	static const char *const want[] = {
		"allowed_delivery_modes", "drop_dispositions", "folder",  "integration_id",
		"ip_restrictions",        "lookback_hops",     "regions", "require_tls_inbound",
		"require_tls_outbound",   "transport",
	};
	const char *const *names = fields_writable_names();
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < fields_count; i++)
		if (fields_table[i].flags & FIELD_WRITABLE)
			assert_string_equal(fields_table[i].name, want[n++]);
	assert_int_equal(n, ARRAY_SIZE(want));
	for (n = 0; names[n]; n++)
		assert_string_equal(names[n], want[n]);
	assert_int_equal(n, ARRAY_SIZE(want));
	/* A second call gives the same static list. */
	assert_ptr_equal(fields_writable_names(), names);
}

static void table_kinds_ranges_and_flags(void **state)
{
	(void)state;
	assert_int_equal(field("allowed_delivery_modes")->kind, FIELD_ENUM_SET);
	assert_int_equal(field("drop_dispositions")->kind, FIELD_ENUM_SET);
	assert_int_equal(field("regions")->kind, FIELD_ENUM_SET);
	assert_int_equal(field("ip_restrictions")->kind, FIELD_CIDR_SET);
	assert_int_equal(field("folder")->kind, FIELD_ENUM);
	assert_true(field("folder")->flags & FIELD_NULLABLE);
	assert_int_equal(field("integration_id")->kind, FIELD_UUID);
	assert_true(field("integration_id")->flags & FIELD_NULLABLE);
	assert_int_equal(field("lookback_hops")->kind, FIELD_INT);
	assert_int_equal(field("lookback_hops")->min, 1);
	assert_int_equal(field("lookback_hops")->max, 20);
	assert_false(field("lookback_hops")->flags & FIELD_NULLABLE);
	assert_int_equal(field("require_tls_inbound")->kind, FIELD_BOOL);
	assert_int_equal(field("transport")->kind, FIELD_STRING);
	assert_true(field("id")->flags & FIELD_IDENTITY);
	assert_false(field("id")->flags & FIELD_WRITABLE);
	assert_true(field("domain")->flags & FIELD_IDENTITY);
	assert_false(field("domain")->flags & FIELD_WRITABLE);
	assert_true(field("status")->flags & FIELD_READONLY);
	assert_true(field("spf_status")->flags & FIELD_READONLY);
	assert_true(field("created_at")->flags & FIELD_READONLY);
	assert_true(field("last_modified")->flags & FIELD_DEPRECATED);
	assert_null(fields_find("lookback_hop"));
	assert_null(fields_find(""));
	assert_null(fields_find("LOOKBACK_HOPS"));
	for (size_t i = 0; i < fields_count; i++) {
		assert_non_null(fields_table[i].summary);
		if (fields_table[i].flags & FIELD_WRITABLE)
			assert_false(fields_table[i].flags & (FIELD_READONLY | FIELD_IDENTITY));
	}
}

static void table_enum_members_match_the_api(void **state)
{
	static const char *const modes = "DIRECT BCC JOURNAL API RETRO_SCAN ";
	static const char *const disp = "MALICIOUS MALICIOUS-BEC SUSPICIOUS SPOOF SPAM BULK "
					"ENCRYPTED EXTERNAL UNKNOWN NONE ";
	static const char *const regions = "GLOBAL AU DE IN US ";
	struct fx *fx = *state;
	const char *const *v;

	buf_truncate(&fx->out, 0);
	for (v = field("allowed_delivery_modes")->values; *v; v++)
		buf_printf(&fx->out, "%s ", *v);
	assert_string_equal(fx->out.ptr, modes);
	buf_truncate(&fx->out, 0);
	for (v = field("drop_dispositions")->values; *v; v++)
		buf_printf(&fx->out, "%s ", *v);
	assert_string_equal(fx->out.ptr, disp);
	buf_truncate(&fx->out, 0);
	for (v = field("regions")->values; *v; v++)
		buf_printf(&fx->out, "%s ", *v);
	assert_string_equal(fx->out.ptr, regions);
	buf_truncate(&fx->out, 0);
	for (v = field("folder")->values; *v; v++)
		buf_printf(&fx->out, "%s ", *v);
	assert_string_equal(fx->out.ptr, "AllItems Inbox ");
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
		buf_truncate(&fx->why, 0);
		if (fields_cidr_canonical(&fx->out, cases[i].in, &fx->why) != 0)
			fail_msg("%s: %s", cases[i].in, fx->why.ptr);
		assert_string_equal(fx->out.ptr, cases[i].out);
	}
	buf_truncate(&fx->out, 0);
	buf_truncate(&fx->why, 0);
	assert_int_equal(fields_cidr_canonical(&fx->out, "not-an-ip", &fx->why), -1);
	assert_string_equal(fx->why.ptr, "'not-an-ip' is not an IP address or CIDR prefix");
	assert_string_equal(fx->out.ptr, "");
	/* Longer than any address: refused, not overflowed. */
	buf_truncate(&fx->why, 0);
	assert_int_equal(fields_cidr_canonical(&fx->out,
					       "1111:2222:3333:4444:5555:6666:7777:8888:"
					       "9999:aaaa:bbbb:cccc/64",
					       &fx->why),
			 -1);
	buf_truncate(&fx->why, 0);
	assert_int_equal(
		fields_cidr_canonical(&fx->out, "10.0.0.0/99999999999999999999999", &fx->why), -1);
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
	fx->v[1] = fields_writable_of(fx->v[0]);
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

	assert_int_equal(fields_normalize_domain(&fx->s[0], "Example.COM.", true, &fx->why), 0);
	assert_string_equal(fx->s[0], "example.com");
	assert_int_equal(
		fields_normalize_domain(&fx->s[1], "xn--bcher-kva.example", true, &fx->why), 0);
	assert_string_equal(fx->s[1], "xn--bcher-kva.example");
	assert_int_equal(fields_normalize_domain(&fx->s[2], "a-1.b2.C3", true, &fx->why), 0);
	assert_string_equal(fx->s[2], "a-1.b2.c3");
	/* Live names are never refused: odd ones are kept as opaque strings. */
	assert_int_equal(fields_normalize_domain(&fx->s[3], "Weird_Name.COM.", false, NULL), 0);
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
		buf_truncate(&fx->why, 0);
		if (fields_normalize_domain(&out, cases[i].name, true, &fx->why) != -1)
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
	assert_int_equal(fields_normalize_domain(&fx->s[0], name, true, &fx->why), 0);
	snprintf(name, sizeof(name), "%s.example", label64);
	assert_int_equal(fields_normalize_domain(&out, name, true, &fx->why), -1);
	/* 253 characters in all (4 labels of 63 + 3 dots = 255: too long). */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label63, label63, label63, label63);
	assert_int_equal(strlen(name), 253);
	assert_int_equal(fields_normalize_domain(&fx->s[1], name, true, &fx->why), 0);
	/* ... also with the trailing dot of a fully qualified name. */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s.", label63, label63, label63, label63);
	assert_int_equal(fields_normalize_domain(&fx->s[2], name, true, &fx->why), 0);
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", label63, label63, label63, label63);
	buf_truncate(&fx->why, 0);
	assert_int_equal(fields_normalize_domain(&out, name, true, &fx->why), -1);
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
		T(table_writable_fields_are_exactly_update_domain),
		T(table_kinds_ranges_and_flags),
		T(table_enum_members_match_the_api),
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
