/*
 * diag: the problems found in documents, each with where it was found.
 *
 * Loaders report every problem they see instead of stopping at the first, so
 * that `mailward validate` can print them all as `FILE:LINE:COL: message`.
 * Lines and columns count from 1; 0 means "the whole file".
 */
#ifndef MW_UTIL_DIAG_H
#define MW_UTIL_DIAG_H

#include <stddef.h>
#include <stdio.h>

enum diag_level { DIAG_ERROR, DIAG_WARNING };

struct diag {
	enum diag_level level;
	char *file;
	int line;
	int col;
	char *msg;
};

/* Invariant: `v` holds `nr` entries in the order they were reported. */
struct diags {
	struct diag *v;
	size_t nr, alloc;
	size_t errors;
};

#define DIAGS_INIT                                                                                 \
	{                                                                                          \
		NULL, 0, 0, 0                                                                      \
	}

void diags_release(struct diags *d);
void diags_add(struct diags *d, enum diag_level level, const char *file, int line, int col,
	       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Sort by file (byte order), line, column; stable for equal places. */
void diags_sort(struct diags *d);
/*
 * Print every entry as `FILE:LINE:COL: [warning: ]message`. Messages are
 * escaped for a terminal when added (util/esc.h), file names when printed.
 */
void diags_print(const struct diags *d, FILE *out);

#endif
