/*
 * fields: the schema of a protected email domain, as one table.
 *
 * Every field of the API's Domain object is one row of fields_table: its
 * name, kind, enum members, range and whether a PATCH may carry it (the
 * writable fields are exactly the UpdateDomain schema of the OpenAPI
 * document). Validation of desired state, comparison with live state, PATCH
 * bodies, fingerprints, import and the documentation all read this table;
 * a new API field is one new row.
 *
 * Values are jansson json_t, the value type shared by the whole core; the
 * live state keeps its own compact form of them, driven by this table
 * (live.h), and gives them back as json_t.
 */
#ifndef MW_CORE_FIELDS_H
#define MW_CORE_FIELDS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/hash.h"

enum field_kind {
	FIELD_BOOL, /* true or false */
	FIELD_INT, /* an integer in [min, max] */
	FIELD_ENUM, /* one of `values` */
	FIELD_ENUM_SET, /* a set of `values`: order and repeats do not count */
	FIELD_CIDR_SET, /* a set of IPv4/IPv6 prefixes, compared by value */
	FIELD_UUID, /* a UUID, compared case-insensitively */
	FIELD_STRING, /* any string */
	FIELD_OBJECT, /* read-only structure, never compared */
	FIELD_TIMESTAMP, /* read-only RFC 3339 time, never compared */
};

enum field_flags {
	FIELD_WRITABLE = 1u << 0, /* in UpdateDomain: managed, diffed, sent */
	FIELD_NULLABLE = 1u << 1, /* UpdateDomain accepts null */
	FIELD_READONLY = 1u << 2, /* reported by the API, never sent */
	FIELD_IDENTITY = 1u << 3, /* id and domain: identify, never sent */
	FIELD_DEPRECATED = 1u << 4, /* do not depend on it */
};

struct field {
	const char *name;
	enum field_kind kind;
	unsigned flags;
	const char *const *values; /* NULL-terminated members of an enum kind */
	long long min, max; /* range of FIELD_INT */
	const char *summary; /* one line for --help, docs and import comments */
};

/* The table, in the stable order that plans, import and docs use. */
extern const struct field fields_table[];
extern const size_t fields_count;

/* The row called `name`, or NULL. */
const struct field *fields_find(const char *name);

/*
 * The names of the writable fields, NULL-terminated, in table order, for
 * "did you mean" suggestions. Borrowed, static.
 */
const char *const *fields_writable_names(void);

/*
 * Check a desired value for `f` against the UpdateDomain schema: type,
 * nullability, enum members, range, UUID and CIDR syntax. Returns 0 when
 * valid. Otherwise returns MW_EINVALID with the reason in the error slot
 * (lower case, no location: the caller adds it) and, when one element of a
 * set is at fault, its index in `*bad_item` (else -1).
 */
int fields_check(const struct field *f, const json_t *value, long *bad_item);

/*
 * The canonical form of `value` for comparison: sets sorted and without
 * repeats, prefixes written by value ("2001:DB8::/32" -> "2001:db8::/32"),
 * UUIDs in lower case. Values of an unexpected type (a live API may send
 * anything) are returned unchanged and compared as they are. NULL `value`
 * (the field is missing) canonicalises to JSON null. Returns a new reference.
 */
json_t *fields_canonical(const struct field *f, const json_t *value);

/* Whether two values of `f` mean the same (either may be NULL: missing). */
bool fields_equal(const struct field *f, const json_t *a, const json_t *b);

/* How fields_project() writes the values it keeps. */
enum fields_projection {
	FIELDS_AS_GIVEN, /* shared references, exactly as in the object; missing stays missing */
	FIELDS_CANONICAL, /* fields_canonical() copies; a missing field is written as null */
};

/*
 * The members of the Domain object `domain` whose rows carry one of the
 * `flags` (FIELD_WRITABLE, FIELD_IDENTITY...), in table order, as `how`
 * says. The one projection of a domain onto the schema: PATCH-able
 * settings for audit records, policy subjects and fingerprints all come
 * from it. Returns a new object (the caller's); `domain` is not changed.
 */
json_t *fields_project(const json_t *domain, unsigned flags, enum fields_projection how);

/*
 * The position of writable row `f` among the writable rows (0-based, table
 * order), or -1 when `f` is not writable; fields_writable_count() of them.
 * Compact per-domain models (live.h) index their values by it.
 */
int fields_writable_index(const struct field *f);
size_t fields_writable_count(void);

/*
 * The fingerprint of a Domain object: "sha256:<hex>" of the canonical JSON
 * of fields_project(domain, FIELD_WRITABLE, FIELDS_CANONICAL). Two objects that differ only in
 * read-only fields, array order or address spelling share a fingerprint.
 */
void fields_fingerprint(char out[HASH_HEX_SIZE], const json_t *domain);

/*
 * Normalise a domain name for comparison: lower case, one trailing dot
 * removed. Returns a new string in `*out`. When `strict`, also checks that
 * it is a host name (letters, digits, hyphens; labels of 1..63 characters,
 * 253 in all; at least two labels) and fails otherwise with MW_EINVALID and
 * the reason in the error slot; live names are normalised with strict off
 * (never fails) and kept as opaque strings when odd.
 */
int fields_normalize_domain(char **out, const char *name, bool strict);

/* Whether `s` is a UUID in 8-4-4-4-12 hexadecimal form. */
bool fields_is_uuid(const char *s);

/*
 * Parse an address or prefix ("192.0.2.0/24", "2001:db8::1") and write its
 * canonical text ("2001:db8::1/128") to `out`. Returns 0, or MW_EINVALID
 * with the reason in the error slot.
 */
int fields_cidr_canonical(struct buf *out, const char *text);

/* Render a value compactly for people: [A, B], "text", 3, true, null. */
void fields_format_value(struct buf *out, const json_t *value);

#endif
