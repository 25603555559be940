/*
 * diff_test: one domain's managed settings against its live object: only
 * what is managed, compared by kind, in table order; the PATCH body holds
 * exactly the differing fields with their desired values.
 */
#include "testutil.h"

#include <stdlib.h>

#include "core/diff.h"
#include "util/mem.h"

struct fx {
	json_t *settings, *diff, *body;
	struct live live; /* the one live domain of run() */
};

static int setup(void **state)
{
	*state = xcalloc(1, sizeof(struct fx));
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	json_decref(fx->settings);
	live_release(&fx->live);
	json_decref(fx->diff);
	json_decref(fx->body);
	free(fx);
	return 0;
}

static void run(struct fx *fx, const char *settings, const char *live)
{
	json_t *obj = tu_json(live);

	json_decref(fx->settings);
	live_release(&fx->live);
	json_decref(fx->diff);
	json_decref(fx->body);
	fx->settings = tu_json(settings);
	fx->diff = NULL;
	fx->body = NULL;
	assert_int_equal(live_add(&fx->live, obj, false), 0);
	json_decref(obj);
	diff_domain(&fx->diff, &fx->body, fx->settings, &fx->live.v[0]);
	assert_non_null(fx->diff);
	assert_non_null(fx->body);
}

static const char live_example[] =
	"{\"id\": \"7c9e6679-7425-40de-944b-e07fc1f90ae7\", \"domain\": \"mail.example.com\","
	" \"allowed_delivery_modes\": [\"DIRECT\"],"
	" \"drop_dispositions\": [\"SPOOF\", \"MALICIOUS-BEC\", \"MALICIOUS\", \"SPOOF\"],"
	" \"folder\": null,"
	" \"integration_id\": \"6F1C6A2E-2D4B-4C8E-9A51-0B7D3C2F4E10\","
	" \"ip_restrictions\": [\"2001:DB8::/32\", \"192.0.2.0/24\"],"
	" \"lookback_hops\": 3,"
	" \"regions\": [\"GLOBAL\"],"
	" \"require_tls_inbound\": true,"
	" \"require_tls_outbound\": false,"
	" \"transport\": \"smtp\","
	" \"status\": \"active\", \"created_at\": \"2025-03-02T09:14:00Z\"}";

static void in_sync_despite_spelling(void **state)
{
	struct fx *fx = *state;

	run(fx,
	    "{\"allowed_delivery_modes\": [\"DIRECT\", \"DIRECT\"],"
	    " \"drop_dispositions\": [\"MALICIOUS\", \"MALICIOUS-BEC\", \"SPOOF\"],"
	    " \"folder\": null,"
	    " \"integration_id\": \"6f1c6a2e-2d4b-4c8e-9a51-0b7d3c2f4e10\","
	    " \"ip_restrictions\": [\"192.0.2.0/24\", \"2001:db8:0::/32\"],"
	    " \"lookback_hops\": 3, \"regions\": [\"GLOBAL\"],"
	    " \"require_tls_inbound\": true, \"require_tls_outbound\": false,"
	    " \"transport\": \"smtp\"}",
	    live_example);
	assert_json(fx->diff, "[]");
	assert_json(fx->body, "{}");
}

static void nothing_managed_nothing_compared(void **state)
{
	struct fx *fx = *state;

	run(fx, "{}", live_example);
	assert_json(fx->diff, "[]");
	assert_json(fx->body, "{}");
	/* Unmanaged fields may differ as they like. */
	run(fx, "{\"lookback_hops\": 3}", live_example);
	assert_json(fx->diff, "[]");
}

static void only_differing_fields_in_table_order(void **state)
{
	struct fx *fx = *state;

	/* Written in another order than the table: the diff follows the table. */
	run(fx,
	    "{\"transport\": \"smtp\", \"require_tls_outbound\": true, \"lookback_hops\": 2,"
	    " \"allowed_delivery_modes\": [\"BCC\", \"DIRECT\"], \"regions\": [\"GLOBAL\"]}",
	    live_example);
	assert_json(fx->diff,
		    "[{\"field\": \"allowed_delivery_modes\", \"before\": [\"DIRECT\"], "
		    "\"after\": [\"BCC\", \"DIRECT\"]},"
		    " {\"field\": \"lookback_hops\", \"before\": 3, \"after\": 2},"
		    " {\"field\": \"require_tls_outbound\", \"before\": false, \"after\": true}]");
	/* Arrays go in full, as desired. */
	assert_json(fx->body, "{\"allowed_delivery_modes\": [\"BCC\", \"DIRECT\"], "
			      "\"lookback_hops\": 2, \"require_tls_outbound\": true}");
}

static void body_holds_desired_values_as_written(void **state)
{
	struct fx *fx = *state;

	run(fx,
	    "{\"ip_restrictions\": [\"2001:DB8::/48\", \"192.0.2.0/24\"],"
	    " \"integration_id\": \"3FA85F64-5717-4562-B3FC-2C963F66AFA6\"}",
	    live_example);
	assert_json(fx->body, "{\"integration_id\": \"3FA85F64-5717-4562-B3FC-2C963F66AFA6\", "
			      "\"ip_restrictions\": [\"2001:DB8::/48\", \"192.0.2.0/24\"]}");
	assert_json(fx->diff, "[{\"field\": \"integration_id\", "
			      "\"before\": \"6F1C6A2E-2D4B-4C8E-9A51-0B7D3C2F4E10\", "
			      "\"after\": \"3FA85F64-5717-4562-B3FC-2C963F66AFA6\"},"
			      " {\"field\": \"ip_restrictions\", \"before\": [\"2001:DB8::/32\", "
			      "\"192.0.2.0/24\"], "
			      "\"after\": [\"2001:DB8::/48\", \"192.0.2.0/24\"]}]");
}

static void missing_live_field_is_null(void **state)
{
	struct fx *fx = *state;

	run(fx,
	    "{\"lookback_hops\": 2, \"folder\": null, \"integration_id\": null,"
	    " \"transport\": \"smtp\"}",
	    "{\"id\": \"x\", \"domain\": \"a.example\"}");
	assert_json(fx->diff,
		    "[{\"field\": \"lookback_hops\", \"before\": null, \"after\": 2},"
		    " {\"field\": \"transport\", \"before\": null, \"after\": \"smtp\"}]");
	assert_json(fx->body, "{\"lookback_hops\": 2, \"transport\": \"smtp\"}");
}

static void live_null_where_schema_says_otherwise(void **state)
{
	struct fx *fx = *state;

	run(fx, "{\"require_tls_inbound\": true, \"regions\": [\"GLOBAL\"]}",
	    "{\"id\": \"x\", \"domain\": \"a.example\", \"require_tls_inbound\": null, "
	    "\"regions\": null}");
	assert_json(fx->diff,
		    "[{\"field\": \"regions\", \"before\": null, \"after\": [\"GLOBAL\"]},"
		    " {\"field\": \"require_tls_inbound\", \"before\": null, \"after\": true}]");
}

static void empty_set_is_not_missing(void **state)
{
	struct fx *fx = *state;

	run(fx, "{\"ip_restrictions\": []}", "{\"id\": \"x\", \"domain\": \"a.example\"}");
	assert_json(fx->diff,
		    "[{\"field\": \"ip_restrictions\", \"before\": null, \"after\": []}]");
	assert_json(fx->body, "{\"ip_restrictions\": []}");
	run(fx, "{\"ip_restrictions\": []}",
	    "{\"id\": \"x\", \"domain\": \"a.example\", \"ip_restrictions\": []}");
	assert_json(fx->diff, "[]");
	run(fx, "{\"ip_restrictions\": []}",
	    "{\"id\": \"x\", \"domain\": \"a.example\", \"ip_restrictions\": [\"10.0.0.1\"]}");
	assert_json(fx->body, "{\"ip_restrictions\": []}");
}

static void unknown_live_enum_values_are_opaque(void **state)
{
	struct fx *fx = *state;

	run(fx,
	    "{\"regions\": [\"GLOBAL\"], \"folder\": \"Inbox\", "
	    "\"drop_dispositions\": [\"MALICIOUS\"]}",
	    "{\"id\": \"x\", \"domain\": \"a.example\", \"regions\": [\"EU\", \"GLOBAL\"], "
	    "\"folder\": \"Archive\", \"drop_dispositions\": [\"MALICIOUS\", \"QUARANTINE\"]}");
	assert_json(
		fx->diff,
		"[{\"field\": \"drop_dispositions\", \"before\": [\"MALICIOUS\", \"QUARANTINE\"], "
		"\"after\": [\"MALICIOUS\"]},"
		" {\"field\": \"folder\", \"before\": \"Archive\", \"after\": \"Inbox\"},"
		" {\"field\": \"regions\", \"before\": [\"EU\", \"GLOBAL\"], \"after\": "
		"[\"GLOBAL\"]}]");
}

static void live_values_of_the_wrong_type(void **state)
{
	struct fx *fx = *state;

	run(fx, "{\"regions\": [\"GLOBAL\"], \"lookback_hops\": 2, \"require_tls_inbound\": true}",
	    "{\"id\": \"x\", \"domain\": \"a.example\", \"regions\": \"GLOBAL\", "
	    "\"lookback_hops\": \"2\", \"require_tls_inbound\": 1}");
	assert_json(fx->body, "{\"regions\": [\"GLOBAL\"], \"lookback_hops\": 2, "
			      "\"require_tls_inbound\": true}");
	assert_int_equal(json_array_size(fx->diff), 3);
	assert_json(json_object_get(json_array_get(fx->diff, 0), "before"), "\"2\"");
}

static void non_writable_keys_in_settings_are_ignored(void **state)
{
	struct fx *fx = *state;

	run(fx,
	    "{\"status\": \"pending\", \"domain\": \"b.example\", \"id\": \"y\", \"nonsense\": 1}",
	    live_example);
	assert_json(fx->diff, "[]");
	assert_json(fx->body, "{}");
}

static void set_fields_ignore_order_and_repeats(void **state)
{
	struct fx *fx = *state;

	run(fx,
	    "{\"drop_dispositions\": [\"SPOOF\", \"MALICIOUS\", \"MALICIOUS-BEC\"],"
	    " \"ip_restrictions\": [\"192.0.2.0/24\", \"2001:0DB8:0000:0000::/32\"]}",
	    live_example);
	assert_json(fx->diff, "[]");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(in_sync_despite_spelling),
		T(nothing_managed_nothing_compared),
		T(only_differing_fields_in_table_order),
		T(body_holds_desired_values_as_written),
		T(missing_live_field_is_null),
		T(live_null_where_schema_says_otherwise),
		T(empty_set_is_not_missing),
		T(unknown_live_enum_values_are_opaque),
		T(live_values_of_the_wrong_type),
		T(non_writable_keys_in_settings_are_ignored),
		T(set_fields_ignore_order_and_repeats),
	};

	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
