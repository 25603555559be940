/*
 * diff: what differs between one domain's managed settings and its live
 * object.
 *
 * Only the settings a document names are compared (the rest are unmanaged
 * and never looked at), each with the comparison its kind calls for
 * (fields.c): sets without order or repeats, addresses by value, UUIDs
 * without case. A missing live field compares as null.
 */
#ifndef MW_CORE_DIFF_H
#define MW_CORE_DIFF_H

#include <jansson.h>

#include "core/live.h"

/*
 * Compare `settings` (writable field -> desired value) with the live domain
 * `live` (live_domain_equal()). Writes two new references: `*out_diff`, an array of
 * {"field", "before", "after"} in schema-table order (before: the live
 * value, null when missing), and `*out_body`, the PATCH body: exactly the
 * differing fields with their desired values. Both are empty when in sync.
 */
void diff_domain(json_t **out_diff, json_t **out_body, const json_t *settings,
		 const struct live_domain *live);

#endif
