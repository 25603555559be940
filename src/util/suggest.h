/*
 * suggest: "did you mean" for misspelt names.
 */
#ifndef MW_UTIL_SUGGEST_H
#define MW_UTIL_SUGGEST_H

#include <stddef.h>

/*
 * The candidate closest to `word` by edit distance (case-insensitive), or
 * NULL when none is close enough to be a likely typo: at most a third of the
 * word's length, and at least 1. `candidates` is NULL-terminated. Returns a
 * borrowed pointer into `candidates`.
 */
const char *suggest_closest(const char *word, const char *const *candidates);

/* Edit distance (with swaps of neighbours), case-insensitive, for ASCII strings. */
size_t suggest_distance(const char *a, const char *b);

#endif
