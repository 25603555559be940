/*
 * yamldoc: one YAML document as a tree of located nodes (libyaml).
 *
 * The only module that includes yaml.h. It turns libyaml's event stream
 * into a tree that the desired-state and policy loaders walk, and does the
 * YAML work they should not repeat: scalar type resolution (the YAML 1.2
 * core schema, plus the YAML 1.1 yes/no/on/off booleans), merge keys (`<<`),
 * duplicate-key errors, and bounded alias expansion.
 *
 * Aliases are not copied: an alias node is the very node its anchor names,
 * so the tree is a DAG and its memory is linear in the text. The size it
 * would have expanded is computed as well, and a document that would expand
 * past the bound (a "billion laughs") is rejected before anyone walks it.
 * An alias that refers to an enclosing node (a cycle) is an error.
 */
#ifndef MW_CORE_YAMLDOC_H
#define MW_CORE_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/diag.h"

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

/* What a scalar resolves to; quoted scalars are always YS_STR. */
enum yscalar_type { YS_NULL, YS_BOOL, YS_INT, YS_FLOAT, YS_STR };

struct ynode;

struct ypair {
	struct ynode *key; /* always a scalar */
	struct ynode *value;
};

/*
 * Invariants: `line` and `col` count from 1 and point at the node's first
 * character (for an alias: at the anchored node). A scalar's `text` is
 * NUL-terminated (it may also hold NULs: use `len`). A map's `pairs` holds
 * each key once, explicit keys first in document order, then the keys that
 * merge keys brought in; `<<` itself is never a pair.
 */
struct ynode {
	enum ynode_kind kind;
	int line, col;

	char *text;
	size_t len;
	enum yscalar_type type;
	bool bool_value;
	long long int_value;

	struct ynode **items;
	size_t n_items, items_alloc;

	struct ypair *pairs;
	size_t n_pairs, pairs_alloc;

	/* private to yamldoc */
	size_t expanded;
	bool complete;
	bool merge; /* a plain, untagged "<<" */
};

struct ydoc {
	struct ynode *root; /* NULL for an empty file */
	char *file;
	/* private: every node, to free the DAG once */
	struct ynode **all;
	size_t n_all, all_alloc;
};

/*
 * Parse `len` bytes of `data` (named `file` in messages) into `*out`, a new
 * ydoc owned by the caller (ydoc_free()). Every problem is added to `diags`
 * with its line and column. Returns 0 when the tree is usable, even if
 * problems were reported that leave it whole (a duplicate key keeps its
 * first value, an unknown anchor reads as null): the caller goes on to find
 * more problems, and fails on the reported ones. Returns MW_EINVALID when
 * the text cannot be read as a tree (a syntax error, the expansion bound);
 * `*out` is then NULL. A file may hold one document; an empty one gives a NULL root.
 */
int ydoc_parse(struct ydoc **out, const char *file, const char *data, size_t len,
	       struct diags *diags);

void ydoc_free(struct ydoc *doc);

/*
 * Report a problem at node `n` (its line and column; the whole file when
 * NULL) of document `file` to `diags`: what loaders of trees call.
 */
void ydoc_error(struct diags *diags, const char *file, const struct ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The value under `key` in map `map`, or NULL. Borrowed. */
struct ynode *ynode_get(const struct ynode *map, const char *key);

/* A short name for what a node is, for messages: "a list", "a map", "true". */
const char *ynode_describe(const struct ynode *n);

struct json_t;

/*
 * Append `value` (a JSON scalar, or an array of scalars) to `out` as one
 * line of YAML flow text ("[DIRECT, BCC]", "\"true\"", "\"a\\nb\"") that
 * ydoc_parse() reads back to the same value, also where it is a mapping
 * key: a string is plain only when it is made of letters, digits and
 * "._-/" and reads as a string; any other is double-quoted by libyaml's
 * emitter, with every control and non-ASCII character escaped, so the text
 * is printable ASCII. Returns 0, or MW_EINVALID with "cannot be written as
 * YAML" in the error slot for a value it cannot write (objects).
 */
int ydoc_format_flow(struct buf *out, const struct json_t *value);

/* libyaml's version, for `mailward version`. Static. */
const char *ydoc_library_version(void);

#endif
