#include "diff.h"

#include "core/fields.h"

void diff_domain(json_t **out_diff, json_t **out_body, const json_t *settings, const json_t *live)
{
	json_t *diff = json_array();
	json_t *body = json_object();

	/* Table order, not document order: plans read the same whatever the YAML. */
	for (size_t i = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];
		json_t *want = json_object_get(settings, f->name);
		json_t *have;

		if (!want || !(f->flags & FIELD_WRITABLE))
			continue;
		have = json_object_get(live, f->name);
		if (fields_equal(f, want, have))
			continue;
		json_array_append_new(diff, json_pack("{s:s, s:O, s:O}", "field", f->name, "before",
						      have ? have : json_null(), "after", want));
		json_object_set(body, f->name, want);
	}
	*out_diff = diff;
	*out_body = body;
}
