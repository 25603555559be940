/*
 * desired: the validated desired state, built from the YAML documents.
 *
 * Input: the source's files (desired-state documents only; policy documents
 * are policy.c's). Output: one entry per declared domain with the settings
 * it manages, defaults applied, every value checked against the schema
 * table (fields.c). Every problem in every file is reported with its place;
 * nothing half-valid is returned.
 */
#ifndef MW_CORE_DESIRED_H
#define MW_CORE_DESIRED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/source.h"
#include "util/diag.h"

struct desired_domain {
	char *name; /* normalised: lower case, no trailing dot */
	char *id; /* the pinned id, or NULL */
	bool absent; /* `absent: true`: to be unprotected */
	json_t *settings; /* writable field name -> desired value, defaults applied */
	const char *file; /* borrowed from struct desired */
	int line, col; /* of the domain's key */
};

/*
 * Invariants: `domains` is sorted by name and no name appears twice;
 * `account_id`, when not NULL, is lower case and agreed on by every document
 * that gives one.
 */
struct desired {
	struct desired_domain *domains;
	size_t nr, alloc;
	char *account_id;
	char *account_file; /* where account_id was first given */
	int account_line, account_col;
	/* private: the file names that domains borrow */
	char **paths;
	size_t n_paths, paths_alloc;
};

#define DESIRED_INIT                                                                               \
	{                                                                                          \
		0                                                                                  \
	}

/*
 * Load every non-policy file of `files` into `d` (initialised with
 * DESIRED_INIT). All problems go to `diags`; returns 0 when there was no
 * error, MW_EINVALID otherwise (warnings do not fail).
 */
int desired_load(struct desired *d, const struct source_file *files, size_t n, struct diags *diags);

void desired_release(struct desired *d);

/* The declared domain called `name` (normalised), or NULL. Borrowed. */
const struct desired_domain *desired_find(const struct desired *d, const char *name);

struct field;
struct ynode;

/*
 * Convert the YAML value `n` of setting `f` to JSON and check it against
 * the schema (fields_check), as for a desired-state document; policies use
 * it for the values they require. Returns a new reference, or NULL after
 * reporting the problem to `diags` at `file` and the node's place.
 */
json_t *desired_value(const struct field *f, const struct ynode *n, const char *file,
		      struct diags *diags);

/* Whether `s` is a Cloudflare account id: 32 hexadecimal digits. */
bool desired_is_account_id(const char *s);

#endif
