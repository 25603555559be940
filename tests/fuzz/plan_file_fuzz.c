/*
 * plan_file: plan files (core/plan.h plan_from_json, plan_to_json).
 *
 * The input is a plan file's text, read as plan_load_file() reads it
 * (duplicate keys refused). The target
 *   1. loads it as it is: a plan whose digest does not match must be
 *      refused;
 *   2. seals it (writes the digest its content calls for) and loads it
 *      again, so that the checks behind the digest are reached by inputs a
 *      fuzzer makes;
 *   3. for every plan that loads: serialises it with plan_to_text(), loads
 *      that, and checks that the two plans are equal; renders it every way
 *      `mailward show` can.
 */
#include <string.h>

#include "fuzz.h"
#include "util/err.h"
#include "util/hash.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_env();
	return 0;
}

static void check_loaded(const json_t *obj, bool sealed)
{
	struct plan p;
	int rc = plan_from_json(&p, obj);

	if (rc < 0) {
		FUZZ_CHECK(rc == MW_EPLAN, "plan-contract", "plan_from_json() returned %d", rc);
		FUZZ_CHECK(err_msg()[0], "plan-contract", "refused without a message");
		FUZZ_CHECK(p.nr == 0 && !p.changes && !p.policy && !p.tool_version, "plan-contract",
			   "a refused plan was left half-loaded");
		return;
	}
	if (!sealed) {
		char want[HASH_HEX_SIZE];

		fuzz_plan_digest(want, obj);
		FUZZ_CHECK(!strcmp(want, p.digest), "plan-contract",
			   "a plan whose digest does not match was accepted");
	}
	FUZZ_CHECK(p.format_version == PLAN_FORMAT_VERSION && p.tool_version && p.created_at &&
			   p.account_id && p.api_url && json_is_object(p.policy),
		   "plan-contract", "a loaded plan is incomplete");
	fuzz_check_plan_roundtrip(&p);
	fuzz_render_plan(&p);
	plan_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *obj;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	obj = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!obj)
		return 0;
	check_loaded(obj, false);
	if (json_is_object(obj)) {
		char digest[HASH_HEX_SIZE];
		json_t *digest_was = json_object_get(obj, "digest");

		fuzz_plan_digest(digest, obj);
		if (!json_is_string(digest_was) || strcmp(json_string_value(digest_was), digest)) {
			json_object_set_new(obj, "digest", json_string(digest));
			check_loaded(obj, true);
		}
	}
	json_decref(obj);
	err_clear();
	return 0;
}
