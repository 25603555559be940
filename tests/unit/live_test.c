/*
 * live_test: the listed Domain objects in the compact model, indexed by
 * name and by id; odd values kept as they are and compared as opaque,
 * sets compared sorted, broken listings refused.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/live.h"
#include "util/err.h"
#include "util/mem.h"

struct fx {
	struct live l;
	json_t *arr;
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	live_release(&fx->l);
	json_decref(fx->arr);
	free(fx);
	return 0;
}

static int load(struct fx *fx, const char *json)
{
	json_decref(fx->arr);
	fx->arr = tu_json(json);
	live_release(&fx->l);
	err_clear();
	return live_load(&fx->l, fx->arr);
}

static const char listing[] =
	"[{\"id\": \"7c9e6679-7425-40de-944b-e07fc1f90ae7\", \"domain\": \"mail.example.com\","
	"  \"lookback_hops\": 3},"
	" {\"id\": \"3FA85F64-5717-4562-B3FC-2C963F66AFA6\", \"domain\": \"Example.COM.\","
	"  \"regions\": [\"GLOBAL\"], \"status\": \"ACTIVE\"},"
	" {\"id\": \"16fd2706-8baf-433b-82eb-8c7fada847da\", \"domain\": \"dup.example.com\"},"
	" {\"id\": \"0a2f7c7e-0000-4000-8000-000000000001\", \"domain\": \"DUP.example.com\"},"
	" {\"id\": \"12345\", \"domain\": \"weird_name.example\", \"folder\": \"Archive\","
	"  \"require_tls_inbound\": null, \"regions\": \"GLOBAL\"}]";

static void indexes_by_normalised_name(void **state)
{
	static const char *const names[] = {
		"dup.example.com",  "dup.example.com",    "example.com",
		"mail.example.com", "weird_name.example",
	};
	struct fx *fx = *state;

	assert_int_equal(load(fx, listing), 0);
	assert_int_equal(fx->l.nr, 5);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_string_equal(fx->l.v[i].name, names[i]);
	/* Same name: ordered by id, without case. */
	assert_string_equal(fx->l.v[0].id, "0a2f7c7e-0000-4000-8000-000000000001");
	assert_string_equal(fx->l.v[1].id, "16fd2706-8baf-433b-82eb-8c7fada847da");
	/* The id is kept as the API gave it. */
	assert_string_equal(fx->l.v[2].id, "3FA85F64-5717-4562-B3FC-2C963F66AFA6");
	/* by_id holds the same entries, sorted by id without case. */
	for (size_t i = 1; i < fx->l.nr; i++)
		assert_true(strcasecmp(fx->l.by_id[i - 1]->id, fx->l.by_id[i]->id) < 0);
}

/* The value of writable field `name` of `d`, as compact JSON text ("" when missing). */
static char *value_text(const struct live_domain *d, const char *name)
{
	json_t *v = live_domain_value(d, fields_find(name));
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : xstrdup("");

	json_decref(v);
	return text;
}

static void assert_value(const struct live_domain *d, const char *name, const char *want)
{
	char *text = value_text(d, name);

	assert_string_equal(text, want);
	free(text);
}

static void tag_is(const struct live_domain *d, const char *name, enum live_tag tag)
{
	assert_int_equal(d->values[fields_writable_index(fields_find(name))].tag, tag);
}

static void objects_are_kept_exactly(void **state)
{
	struct fx *fx = *state;
	const struct live_domain *d;
	json_t *obj;

	assert_int_equal(load(fx, listing), 0);
	d = live_find_id(&fx->l, "12345");
	assert_non_null(d);
	/* The raw object is not kept: only the compact model is. */
	assert_null(d->raw);
	/* The listing may go: nothing of it is borrowed. */
	json_decref(fx->arr);
	fx->arr = NULL;
	obj = live_domain_json(d);
	assert_json(obj, "{\"id\": \"12345\", \"domain\": \"weird_name.example\", "
			 "\"folder\": \"Archive\", \"require_tls_inbound\": null, "
			 "\"regions\": \"GLOBAL\"}");
	json_decref(obj);
	/* Read-only fields are dropped. */
	d = live_find_id(&fx->l, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
	obj = live_domain_json(d);
	assert_json(obj, "{\"id\": \"3FA85F64-5717-4562-B3FC-2C963F66AFA6\", "
			 "\"domain\": \"example.com\", \"regions\": [\"GLOBAL\"]}");
	json_decref(obj);
}

static const char odd[] =
	"[{\"id\": \"a\", \"domain\": \"a.example\","
	"  \"allowed_delivery_modes\": [\"BCC\", \"DIRECT\", \"BCC\"],"
	"  \"drop_dispositions\": [],"
	"  \"folder\": \"Archive\","
	"  \"integration_id\": \"6F1C6A2E-2D4B-4C8E-9A51-0B7D3C2F4E10\","
	"  \"ip_restrictions\": [\"2001:DB8::/32\", \"192.0.2.1\"],"
	"  \"lookback_hops\": 3,"
	"  \"regions\": [\"GLOBAL\", 7],"
	"  \"require_tls_inbound\": null,"
	"  \"require_tls_outbound\": \"yes\","
	"  \"transport\": \"smtp:[mx.example]\"},"
	" {\"id\": \"b\", \"domain\": \"b.example\", \"lookback_hops\": 3.0, \"folder\": 2,"
	"  \"require_tls_inbound\": false, \"ip_restrictions\": \"10.0.0.0/8\","
	"  \"transport\": {\"host\": \"mx\"}}]";

/* What the kind expects is compact; the rest is opaque, and all of it comes back as given. */
static void values_are_compact_or_opaque(void **state)
{
	struct fx *fx = *state;
	const struct live_domain *a, *b;

	assert_int_equal(load(fx, odd), 0);
	a = live_find_id(&fx->l, "a");
	b = live_find_id(&fx->l, "b");
	tag_is(a, "allowed_delivery_modes", LIVE_SET);
	tag_is(a, "drop_dispositions", LIVE_SET);
	tag_is(a, "folder", LIVE_STRING); /* an enum member this version does not know */
	tag_is(a, "integration_id", LIVE_STRING);
	tag_is(a, "ip_restrictions", LIVE_SET);
	tag_is(a, "lookback_hops", LIVE_INT);
	tag_is(a, "regions", LIVE_OPAQUE); /* a number in a set */
	tag_is(a, "require_tls_inbound", LIVE_NULL); /* null where the schema says boolean */
	tag_is(a, "require_tls_outbound", LIVE_OPAQUE); /* a wrong type */
	tag_is(a, "transport", LIVE_STRING);
	tag_is(b, "allowed_delivery_modes", LIVE_MISSING);
	tag_is(b, "lookback_hops", LIVE_OPAQUE); /* a real where an integer belongs */
	tag_is(b, "folder", LIVE_OPAQUE);
	tag_is(b, "require_tls_inbound", LIVE_FALSE);
	tag_is(b, "ip_restrictions", LIVE_OPAQUE);
	tag_is(b, "transport", LIVE_OPAQUE);
	/* Sets come back in the API's order, repeats and spelling kept. */
	assert_value(a, "allowed_delivery_modes", "[\"BCC\",\"DIRECT\",\"BCC\"]");
	assert_value(a, "drop_dispositions", "[]");
	assert_value(a, "ip_restrictions", "[\"2001:DB8::/32\",\"192.0.2.1\"]");
	assert_value(a, "integration_id", "\"6F1C6A2E-2D4B-4C8E-9A51-0B7D3C2F4E10\"");
	assert_value(a, "regions", "[\"GLOBAL\",7]");
	assert_value(a, "require_tls_inbound", "null");
	assert_value(a, "require_tls_outbound", "\"yes\"");
	assert_value(b, "allowed_delivery_modes", "");
	assert_value(b, "lookback_hops", "3.0");
	assert_value(b, "transport", "{\"host\":\"mx\"}");
}

static bool equal_to(const struct live_domain *d, const char *name, const char *json)
{
	json_t *want = json_loads(json, JSON_DECODE_ANY, NULL);
	bool eq;

	assert_non_null(want);
	eq = live_domain_equal(d, fields_find(name), want);
	json_decref(want);
	return eq;
}

/* Sets compare sorted, without repeats, by value; odd values only as they are. */
static void comparison_follows_the_kind(void **state)
{
	struct fx *fx = *state;
	const struct live_domain *a, *b;

	assert_int_equal(load(fx, odd), 0);
	a = live_find_id(&fx->l, "a");
	b = live_find_id(&fx->l, "b");
	assert_true(equal_to(a, "allowed_delivery_modes", "[\"DIRECT\", \"BCC\"]"));
	assert_false(equal_to(a, "allowed_delivery_modes", "[\"DIRECT\"]"));
	assert_true(equal_to(a, "drop_dispositions", "[]"));
	assert_true(equal_to(a, "ip_restrictions", "[\"192.0.2.1/32\", \"2001:db8::/32\"]"));
	assert_false(equal_to(a, "ip_restrictions", "[\"192.0.2.0/24\", \"2001:db8::/32\"]"));
	assert_true(equal_to(a, "integration_id", "\"6f1c6a2e-2d4b-4c8e-9a51-0b7d3c2f4e10\""));
	assert_false(equal_to(a, "integration_id", "null"));
	assert_true(equal_to(a, "lookback_hops", "3"));
	assert_false(equal_to(a, "lookback_hops", "3.0"));
	assert_false(equal_to(a, "lookback_hops", "4"));
	/* The unknown member equals only itself, case and all. */
	assert_true(equal_to(a, "folder", "\"Archive\""));
	assert_false(equal_to(a, "folder", "\"archive\""));
	assert_false(equal_to(a, "folder", "\"Inbox\""));
	assert_false(equal_to(a, "folder", "null"));
	/* transport is no UUID: case counts. */
	assert_false(equal_to(a, "transport", "\"SMTP:[mx.example]\""));
	/* Null and missing are alike; null is not false. */
	assert_true(equal_to(a, "require_tls_inbound", "null"));
	assert_true(live_domain_equal(a, fields_find("require_tls_inbound"), NULL));
	assert_false(equal_to(a, "require_tls_inbound", "false"));
	assert_true(equal_to(b, "allowed_delivery_modes", "null"));
	assert_false(equal_to(b, "allowed_delivery_modes", "[]"));
	assert_true(equal_to(b, "require_tls_inbound", "false"));
	assert_false(equal_to(b, "require_tls_inbound", "true"));
	/* Opaque values equal only the same JSON. */
	assert_false(equal_to(a, "require_tls_outbound", "true"));
	assert_true(equal_to(a, "require_tls_outbound", "\"yes\""));
	assert_true(equal_to(a, "regions", "[7, \"GLOBAL\"]"));
	assert_false(equal_to(a, "regions", "[\"GLOBAL\"]"));
	assert_false(equal_to(b, "lookback_hops", "3"));
	assert_false(equal_to(b, "ip_restrictions", "[\"10.0.0.0/8\"]"));
	assert_true(equal_to(b, "transport", "{\"host\": \"mx\"}"));
}

/* The fingerprint is that of the Domain object the model came from. */
static void fingerprint_matches_the_object(void **state)
{
	struct fx *fx = *state;
	char want[HASH_HEX_SIZE], got[HASH_HEX_SIZE];

	assert_int_equal(load(fx, odd), 0);
	for (size_t i = 0; i < json_array_size(fx->arr); i++) {
		json_t *item = json_array_get(fx->arr, i);
		const struct live_domain *d =
			live_find_id(&fx->l, json_string_value(json_object_get(item, "id")));

		fields_fingerprint(want, item);
		live_fingerprint(got, d);
		assert_string_equal(got, want);
	}
}

/* live_add() with keep_raw holds the very object; without, nothing of it. */
static void raw_is_kept_on_request(void **state)
{
	struct fx *fx = *state;
	json_t *obj =
		tu_json("{\"id\": \"a\", \"domain\": \"A.example.\", \"status\": \"active\"}");

	assert_int_equal(live_add(&fx->l, obj, true), 0);
	assert_int_equal(live_add(&fx->l, obj, false), 0);
	assert_ptr_equal(fx->l.v[0].raw, obj);
	assert_null(fx->l.v[1].raw);
	assert_string_equal(fx->l.v[0].name, "a.example");
	json_decref(obj);
	/* The reference is the model's: it outlives the caller's. */
	assert_string_equal(json_string_value(json_object_get(fx->l.v[0].raw, "status")), "active");
	/* Two of the same id: the index refuses them. */
	assert_int_equal(live_index(&fx->l), MW_ECONSISTENCY);
}

static void find_by_id_ignores_case(void **state)
{
	struct fx *fx = *state;
	const struct live_domain *d;

	assert_int_equal(load(fx, listing), 0);
	d = live_find_id(&fx->l, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
	assert_non_null(d);
	assert_string_equal(d->name, "example.com");
	d = live_find_id(&fx->l, "7C9E6679-7425-40DE-944B-E07FC1F90AE7");
	assert_non_null(d);
	assert_string_equal(d->name, "mail.example.com");
	assert_null(live_find_id(&fx->l, "7c9e6679-7425-40de-944b-e07fc1f90ae8"));
	assert_null(live_find_id(&fx->l, ""));
	for (size_t i = 0; i < fx->l.nr; i++)
		assert_ptr_equal(live_find_id(&fx->l, fx->l.v[i].id), &fx->l.v[i]);
}

static void find_by_name_counts(void **state)
{
	struct fx *fx = *state;
	size_t first = 99;

	assert_int_equal(load(fx, listing), 0);
	assert_int_equal(live_find_name(&fx->l, "dup.example.com", &first), 2);
	assert_int_equal(first, 0);
	assert_int_equal(live_find_name(&fx->l, "example.com", &first), 1);
	assert_int_equal(first, 2);
	assert_int_equal(live_find_name(&fx->l, "weird_name.example", &first), 1);
	assert_int_equal(first, 4);
	assert_int_equal(live_find_name(&fx->l, "absent.example.com", &first), 0);
	assert_int_equal(live_find_name(&fx->l, "zzz.example", &first), 0);
	assert_int_equal(first, 5);
	/* Names are looked up normalised: the caller normalises. */
	assert_int_equal(live_find_name(&fx->l, "Example.COM.", &first), 0);
}

static void empty_listing(void **state)
{
	struct fx *fx = *state;
	size_t first = 99;

	assert_int_equal(load(fx, "[]"), 0);
	assert_int_equal(fx->l.nr, 0);
	assert_null(live_find_id(&fx->l, "x"));
	assert_int_equal(live_find_name(&fx->l, "example.com", &first), 0);
	assert_int_equal(first, 0);
}

static void item_without_id_or_domain_is_refused(void **state)
{
	static const char *const bad[] = {
		"[{\"id\": \"a\", \"domain\": \"a.example\"}, {\"domain\": \"b.example\"}]",
		"[{\"id\": \"a\", \"domain\": \"a.example\"}, {\"id\": \"b\"}]",
		("[{\"id\": \"a\", \"domain\": \"a.example\"}, {\"id\": 7, \"domain\": "
		 "\"b.example\"}]"),
		"[{\"id\": \"a\", \"domain\": \"a.example\"}, {\"id\": \"b\", \"domain\": null}]",
		"[{\"id\": \"a\", \"domain\": \"a.example\"}, \"b.example\"]",
		"[{\"id\": \"a\", \"domain\": \"a.example\"}, null]",
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(load(fx, bad[i]), MW_EAPI);
		assert_string_equal(err_msg(), "live domain #2 has no string 'id' and 'domain'");
		assert_int_equal(fx->l.nr, 0);
		assert_null(fx->l.v);
	}
}

static void not_a_list_is_refused(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load(fx, "{\"id\": \"a\", \"domain\": \"a.example\"}"), MW_EAPI);
	assert_string_equal(err_msg(), "the live state is not a list of domains");
	assert_int_equal(load(fx, "null"), MW_EAPI);
}

static void repeated_id_is_inconsistent(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(load(fx,
			      "[{\"id\": \"3fa85f64-5717-4562-b3fc-2c963f66afa6\", \"domain\": "
			      "\"a.example.com\"}, {\"id\": \"b\", \"domain\": \"b.example.com\"}, "
			      "{\"id\": \"3FA85F64-5717-4562-B3FC-2C963F66AFA6\", \"domain\": "
			      "\"c.example.com\"}]"),
			 MW_ECONSISTENCY);
	assert_contains(err_msg(), "the live state holds id '");
	assert_contains(err_msg(), "' twice (");
	assert_contains(err_msg(), "'a.example.com'");
	assert_contains(err_msg(), "'c.example.com'");
	assert_int_equal(fx->l.nr, 0);
	/* Even the same object twice. */
	assert_int_equal(load(fx, "[{\"id\": \"x\", \"domain\": \"a.example\"}, "
				  "{\"id\": \"x\", \"domain\": \"a.example\"}]"),
			 MW_ECONSISTENCY);
}

static void release_is_idempotent(void **state)
{
	struct fx *fx = *state;
	struct live l = LIVE_INIT;

	live_release(&l);
	assert_int_equal(load(fx, listing), 0);
	live_release(&fx->l);
	assert_int_equal(fx->l.nr, 0);
	assert_null(fx->l.v);
	live_release(&fx->l);
}

static void large_listing_indexes_fast(void **state)
{
	struct fx *fx = *state;
	double t0;
	size_t first;

	json_decref(fx->arr);
	fx->arr = json_array();
	for (int i = 0; i < 20000; i++) {
		char id[40], name[64];

		snprintf(id, sizeof(id), "00000000-0000-4000-8000-%012d", 19999 - i);
		snprintf(name, sizeof(name), "Host-%05d.Example.COM", i);
		json_array_append_new(fx->arr, json_pack("{s:s, s:s, s:i}", "id", id, "domain",
							 name, "lookback_hops", 1 + i % 20));
	}
	t0 = tu_now();
	assert_int_equal(live_load(&fx->l, fx->arr), 0);
	assert_true(tu_now() - t0 < tu_time_bound(0.5));
	assert_int_equal(fx->l.nr, 20000);
	assert_int_equal(live_find_name(&fx->l, "host-12345.example.com", &first), 1);
	assert_string_equal(fx->l.v[first].id, "00000000-0000-4000-8000-000000007654");
	assert_non_null(live_find_id(&fx->l, "00000000-0000-4000-8000-000000007654"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(indexes_by_normalised_name),
		T(objects_are_kept_exactly),
		T(values_are_compact_or_opaque),
		T(comparison_follows_the_kind),
		T(fingerprint_matches_the_object),
		T(raw_is_kept_on_request),
		T(find_by_id_ignores_case),
		T(find_by_name_counts),
		T(empty_listing),
		T(item_without_id_or_domain_is_refused),
		T(not_a_list_is_refused),
		T(repeated_id_is_inconsistent),
		T(release_is_idempotent),
		T(large_listing_indexes_fast),
	};

	return cmocka_run_group_tests_name("live", tests, NULL, NULL);
}
