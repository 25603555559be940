/*
 * live_plan: the live listing and the comparison path (core/live.h,
 * core/fields.h, core/plan.h plan_build).
 *
 * The input is JSON text, read as api.c reads answers (duplicate keys
 * refused): normally an array of Domain objects, but anything goes, as a
 * live API may send anything. The target
 *   1. canonicalises every field of every object in the array (or of the
 *      value itself) and checks that canonical forms are fixed points,
 *      that equality is reflexive and that the fingerprint depends on the
 *      writable fields only;
 *   2. indexes the array with live_load() and checks the index's
 *      invariants and look-ups;
 *   3. plans a fixed desired state (fuzz_util.c: every writable field,
 *      defaults, a pin, absent domains) against it, with and without prune,
 *      and checks the plan, that each PATCH would bring its domain in sync,
 *      the plan file round trip, and rendering.
 */
#include <string.h>
#include <strings.h>

#include "core/fields.h"
#include "fuzz.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_init_env();
	fuzz_fixture_desired();
	return 0;
}

static void check_fields_of(const json_t *obj)
{
	char fp1[HASH_HEX_SIZE], fp2[HASH_HEX_SIZE];
	json_t *w, *noisy;

	for (size_t i = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];
		const json_t *v = json_object_get(obj, f->name);
		json_t *c1 = fields_canonical(f, v);
		json_t *c2 = fields_canonical(f, c1);
		struct buf out = BUF_INIT;

		FUZZ_CHECK(c1 && c2, "fields-canonical", "no canonical form for %s", f->name);
		FUZZ_CHECK(json_equal(c1, c2), "fields-canonical",
			   "the canonical form of %s is not canonical", f->name);
		FUZZ_CHECK(fields_equal(f, v, v), "fields-canonical", "%s is not equal to itself",
			   f->name);
		FUZZ_CHECK(fields_equal(f, v, c1), "fields-canonical",
			   "%s is not equal to its canonical form", f->name);
		fields_format_value(&out, v);
		buf_release(&out);
		json_decref(c1);
		json_decref(c2);
	}
	/* The fingerprint is that of the writable fields, canonical. */
	fields_fingerprint(fp1, obj);
	w = fields_project(obj, FIELD_WRITABLE, FIELDS_CANONICAL);
	fields_fingerprint(fp2, w);
	FUZZ_CHECK(!strcmp(fp1, fp2), "fields-fingerprint",
		   "the fingerprint changes when only writable fields are kept");
	/* ...and read-only fields do not count. */
	noisy = json_deep_copy(w);
	json_object_set_new(noisy, "status", json_string("active"));
	json_object_set_new(noisy, "created_at", json_string("2020-01-01T00:00:00Z"));
	json_object_set_new(noisy, "id", json_string("x"));
	fields_fingerprint(fp2, noisy);
	FUZZ_CHECK(!strcmp(fp1, fp2), "fields-fingerprint",
		   "read-only fields change the fingerprint");
	json_decref(noisy);
	json_decref(w);
}

static void check_live(const struct live *l, const json_t *arr)
{
	FUZZ_CHECK(l->nr == json_array_size(arr), "live-invariant", "%zu of %zu domains indexed",
		   l->nr, json_array_size(arr));
	for (size_t i = 0; i < l->nr; i++) {
		const struct live_domain *d = &l->v[i];
		size_t first, n;

		FUZZ_CHECK(d->id && d->name && d->values && !d->raw, "live-invariant",
			   "entry %zu incomplete", i);
		if (i > 0) {
			const struct live_domain *p = &l->v[i - 1];
			int c = strcmp(p->name, d->name);

			FUZZ_CHECK(c < 0 || (c == 0 && strcasecmp(p->id, d->id) < 0),
				   "live-invariant", "entries %zu and %zu are out of order", i - 1,
				   i);
			FUZZ_CHECK(strcasecmp(l->by_id[i - 1]->id, l->by_id[i]->id) < 0,
				   "live-invariant", "ids %zu and %zu are out of order or repeat",
				   i - 1, i);
		}
		FUZZ_CHECK(live_find_id(l, d->id) == d, "live-invariant",
			   "live_find_id('%s') finds another entry", d->id);
		n = live_find_name(l, d->name, &first);
		FUZZ_CHECK(n >= 1 && first <= i && i < first + n, "live-invariant",
			   "live_find_name('%s') gives %zu at %zu, not entry %zu", d->name, n,
			   first, i);
	}
}

/*
 * The compact model keeps every writable value exactly (the same JSON comes
 * back) and compares it as fields_equal() compares the JSON: against each
 * value the first domain has.
 */
static void check_values(const struct live *l, const json_t *arr)
{
	const json_t *probe = json_array_get(arr, 0);
	size_t i;
	json_t *item;

	json_array_foreach(arr, i, item) {
		const struct live_domain *d =
			live_find_id(l, json_string_value(json_object_get(item, "id")));

		FUZZ_CHECK(d, "live-invariant", "domain %zu is not indexed", i);
		for (size_t r = 0; d && r < fields_count; r++) {
			const struct field *f = &fields_table[r];
			json_t *given = json_object_get(item, f->name);
			json_t *kept, *other = json_object_get(probe, f->name);

			if (!(f->flags & FIELD_WRITABLE))
				continue;
			kept = live_domain_value(d, f);
			FUZZ_CHECK(given ? kept && json_equal(given, kept) : !kept, "live-model",
				   "%s of domain %zu is not kept exactly", f->name, i);
			FUZZ_CHECK(live_domain_equal(d, f, given) == fields_equal(f, given, given),
				   "live-model", "%s of domain %zu differs from itself", f->name,
				   i);
			FUZZ_CHECK(live_domain_equal(d, f, other) == fields_equal(f, other, given),
				   "live-model", "%s of domain %zu compares unlike fields_equal()",
				   f->name, i);
			json_decref(kept);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct desired *d = fuzz_fixture_desired();
	struct live l = LIVE_INIT;
	json_error_t jerr;
	json_t *root, *item;
	size_t i;
	int rc;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return 0;
	if (json_is_array(root)) {
		json_array_foreach(root, i, item)
			check_fields_of(item);
	} else {
		check_fields_of(root);
	}

	rc = live_load(&l, root);
	if (rc < 0) {
		FUZZ_CHECK(rc == MW_EAPI || rc == MW_ECONSISTENCY, "live-contract",
			   "live_load() returned %d", rc);
		FUZZ_CHECK(l.nr == 0 && !l.v, "live-contract", "a failed load left entries");
		goto done;
	}
	check_live(&l, root);
	check_values(&l, root);
	for (int prune = 0; prune <= 1; prune++) {
		struct plan p;

		rc = plan_build(&p, d, &l, fuzz_fixture_meta(prune));
		FUZZ_CHECK(rc == 0 || rc == MW_EAMBIGUOUS, "plan-contract",
			   "plan_build() returned %d", rc);
		if (rc < 0)
			continue;
		fuzz_check_built_plan(&p, d, &l);
		fuzz_check_plan_roundtrip(&p);
		fuzz_render_plan(&p);
		plan_release(&p);
	}
	live_release(&l);
done:
	json_decref(root);
	err_clear();
	return 0;
}
