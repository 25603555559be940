/*
 * live: the live state, as the API listed it, in a compact model.
 *
 * Input: Domain objects, one at a time as each list page is parsed
 * (live_add() then live_index()), or a JSON array of them (live_load(), for
 * tests and files). Output: the domains indexed by normalised name and by
 * id, each holding its id, its normalised name and the values of the
 * writable fields of the schema table (fields.h), nothing else: the JSON
 * objects are released as soon as they are read.
 *
 * Values are kept exactly as the API gave them, odd ones included (an
 * enum member this version does not know, a null where the schema says
 * boolean, a wrong type, a set in any order with repeats): comparison
 * treats them as opaque, and live_domain_value() gives back the same JSON.
 * What the table's kind expects is stored compactly (a tag and a number or
 * a string from the live state's pool); anything else stays a jansson
 * value ("opaque").
 */
#ifndef MW_CORE_LIVE_H
#define MW_CORE_LIVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/fields.h"
#include "util/hash.h"

enum live_tag {
	LIVE_MISSING, /* the object had no such member */
	LIVE_NULL,
	LIVE_FALSE,
	LIVE_TRUE,
	LIVE_INT, /* `i`; only for FIELD_INT */
	LIVE_STRING, /* `s`; only for FIELD_ENUM, FIELD_UUID and FIELD_STRING */
	LIVE_SET, /* `items[0..n)`, strings in the API's order, repeats kept; set kinds only */
	LIVE_OPAQUE, /* `opaque`: any other value, a reference owned here */
};

/* One field's value. Strings and item arrays belong to the live state's pool. */
struct live_value {
	enum live_tag tag;
	size_t n; /* LIVE_SET: how many items */
	union {
		long long i;
		const char *s;
		const char **items;
		json_t *opaque;
	} u;
};

struct live_domain {
	const char *id; /* as the API gave it; in the pool */
	const char *name; /* normalised: lower case, no trailing dot; in the pool */
	/* fields_writable_count() values, by fields_writable_index(); in the pool */
	struct live_value *values;
	/*
	 * The whole Domain object (a reference owned here) when the listing
	 * was asked to keep it (import --format state); otherwise NULL.
	 */
	json_t *raw;
};

struct live_pool_chunk;

/*
 * Invariants (once indexed): `v` is sorted by name, then id; `by_id` holds
 * the same entries sorted by id (case-insensitively); ids are unique.
 * Strings and value arrays live in `pool`, released with the whole state.
 */
struct live {
	struct live_domain *v;
	size_t nr, alloc;
	struct live_domain **by_id;
	struct live_pool_chunk *pool;
};

#define LIVE_INIT                                                                                  \
	{                                                                                          \
		NULL, 0, 0, NULL, NULL                                                             \
	}

/*
 * Convert one Domain object into the compact model and append it to `v`
 * (not yet indexed: call live_index() once every domain is added). With
 * `keep_raw`, a reference to the object is kept in `raw` too. Fails with
 * MW_EAPI when `obj` is not an object with string `id` and `domain`;
 * nothing is added then.
 */
int live_add(struct live *l, const json_t *obj, bool keep_raw);

/*
 * Sort and index what live_add() added. Fails with MW_ECONSISTENCY when an
 * id repeats (case-insensitively).
 */
int live_index(struct live *l);

/*
 * Convert and index the Domain objects of `array` (live_add() for each,
 * without raw objects, then live_index()). Fails with MW_EAPI when it is
 * not an array or an item is not a domain, MW_ECONSISTENCY when an id
 * repeats; `*out` is untouched then.
 */
int live_load(struct live *out, const json_t *array);

/* Release everything; `l` is empty (LIVE_INIT) afterwards. NULL allowed. */
void live_release(struct live *l);

/* The domain with id `id` (case-insensitive), or NULL. Borrowed. */
const struct live_domain *live_find_id(const struct live *l, const char *id);

/*
 * The domains named `name` (normalised): the index of the first in `v` is
 * written to `*first`; returns how many there are (0 when none).
 */
size_t live_find_name(const struct live *l, const char *name, size_t *first);

/*
 * The value of writable field `f` exactly as the API gave it: a new
 * reference, or NULL when the object had no such member.
 */
json_t *live_domain_value(const struct live_domain *d, const struct field *f);

/*
 * Whether the live value of writable field `f` means the same as `want`
 * (NULL: missing), by the rules of fields_equal(): without building JSON
 * for the common kinds.
 */
bool live_domain_equal(const struct live_domain *d, const struct field *f, const json_t *want);

/*
 * The domain as a Domain object: "id", "domain" (the normalised name) and
 * every writable member it had, as given. A new reference.
 */
json_t *live_domain_json(const struct live_domain *d);

/* fields_fingerprint() of the domain's writable values. */
void live_fingerprint(char out[HASH_HEX_SIZE], const struct live_domain *d);

#endif
