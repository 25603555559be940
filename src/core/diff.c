#include "diff.h"

#include "core/fields.h"

void diff_domain(json_t **out_diff, json_t **out_body, const json_t *settings,
		 const struct live_domain *live)
{
	json_t *diff = json_array();
	json_t *body = json_object();

	/* Table order, not document order: plans read the same whatever the YAML. */
	for (size_t i = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];
		json_t *want, *have;

		if (!(f->flags & FIELD_WRITABLE))
			continue;
		want = json_object_get(settings, f->name);
		if (!want)
			continue;
		if (live_domain_equal(live, f, want))
			continue;
		have = live_domain_value(live, f);
		json_array_append_new(diff, json_pack("{s:s, s:o, s:O}", "field", f->name, "before",
						      have ? have : json_null(), "after", want));
		json_object_set(body, f->name, want);
	}
	*out_diff = diff;
	*out_body = body;
}
