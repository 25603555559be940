/*
 * schema: JSON Schemas (draft-07) of the two kinds of documents mailward
 * reads, generated from the tables that the loaders use: fields_table
 * (core/fields.h) for the settings of a domain, policy_rule_specs
 * (core/policy.h) for the rules of a policy. Editors (the YAML language
 * server) and CI validators read them; `mailward schema` prints them and the
 * repository ships them under schema/.
 *
 * A schema can say less than the loaders check: what needs more than one
 * value or one file (a domain declared twice, account ids that disagree,
 * min larger than max) is only found by `mailward validate`.
 */
#ifndef MW_CORE_SCHEMA_H
#define MW_CORE_SCHEMA_H

#include <jansson.h>

enum schema_doc {
	SCHEMA_DESIRED, /* a desired-state document (core/desired.c) */
	SCHEMA_POLICY, /* a policy document (core/policy.c) */
};

/* The schema of `which` as a JSON object. A new reference; never NULL. */
json_t *schema_of(enum schema_doc which);

/*
 * The schema of `which` as text: keys sorted, two-space indent, one final
 * newline; the same bytes on every run. A new string the caller frees.
 */
char *schema_text(enum schema_doc which);

/*
 * The regular expression (ECMA 262, anchored) that a value of a CIDR set
 * must match: an IPv4 or IPv6 address as inet_pton(3) reads it, with an
 * optional prefix length. A static string.
 */
const char *schema_cidr_pattern(void);

#endif
