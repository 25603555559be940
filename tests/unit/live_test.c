/*
 * live_test: the listed Domain objects, indexed by name and by id; odd
 * objects kept as they are, broken listings refused.
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

static void objects_are_kept_exactly(void **state)
{
	struct fx *fx = *state;
	const struct live_domain *d;

	assert_int_equal(load(fx, listing), 0);
	d = live_find_id(&fx->l, "12345");
	assert_non_null(d);
	/* The very object of the listing, odd values included. */
	assert_ptr_equal(d->obj, json_array_get(fx->arr, 4));
	assert_json(d->obj, "{\"id\": \"12345\", \"domain\": \"weird_name.example\", "
			    "\"folder\": \"Archive\", \"require_tls_inbound\": null, "
			    "\"regions\": \"GLOBAL\"}");
	/* References are taken: the listing may go. */
	json_decref(fx->arr);
	fx->arr = NULL;
	assert_string_equal(json_string_value(json_object_get(d->obj, "domain")),
			    "weird_name.example");
	d = live_find_id(&fx->l, "3fa85f64-5717-4562-b3fc-2c963f66afa6");
	assert_string_equal(json_string_value(json_object_get(d->obj, "domain")), "Example.COM.");
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
