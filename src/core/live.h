/*
 * live: the live state, as the API listed it.
 *
 * Input: the JSON array of Domain objects from api_list_domains() (or from
 * a test's file). Output: the same objects indexed by normalised name and by
 * id. Values are kept exactly as the API gave them, odd ones included (an
 * enum member this version does not know, a null where the schema says
 * boolean): comparison treats them as opaque.
 */
#ifndef MW_CORE_LIVE_H
#define MW_CORE_LIVE_H

#include <jansson.h>
#include <stddef.h>

struct live_domain {
	char *id; /* as the API gave it */
	char *name; /* normalised: lower case, no trailing dot */
	json_t *obj; /* the whole Domain object; a reference owned here */
};

/*
 * Invariants: `v` is sorted by name, then id; `by_id` holds the same
 * entries sorted by id (case-insensitively); ids are unique.
 */
struct live {
	struct live_domain *v;
	size_t nr;
	struct live_domain **by_id;
};

#define LIVE_INIT                                                                                  \
	{                                                                                          \
		NULL, 0, NULL                                                                      \
	}

/*
 * Index the Domain objects of `array` (references are taken, the array is
 * not kept). Fails with MW_EAPI when an item is not an object with string
 * `id` and `domain`, or MW_ECONSISTENCY when an id repeats.
 */
int live_load(struct live *out, const json_t *array);

void live_release(struct live *l);

/* The domain with id `id` (case-insensitive), or NULL. Borrowed. */
const struct live_domain *live_find_id(const struct live *l, const char *id);

/*
 * The domains named `name` (normalised): the index of the first in `v` is
 * written to `*first`; returns how many there are (0 when none).
 */
size_t live_find_name(const struct live *l, const char *name, size_t *first);

#endif
