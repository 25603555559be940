#include "suggest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

static int fold(char c)
{
	return tolower((unsigned char)c);
}

/*
 * Optimal string alignment distance: Levenshtein plus the swap of two
 * neighbours, the commonest typo ("plna" for "plan").
 */
size_t suggest_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t w = lb + 1;
	size_t *d = xmalloc((la + 1) * w * sizeof(*d));
	size_t result;

	for (size_t i = 0; i <= la; i++)
		d[i * w] = i;
	for (size_t j = 0; j <= lb; j++)
		d[j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = fold(a[i - 1]) != fold(b[j - 1]);
			size_t best = d[(i - 1) * w + j - 1] + cost;

			if (d[(i - 1) * w + j] + 1 < best)
				best = d[(i - 1) * w + j] + 1;
			if (d[i * w + j - 1] + 1 < best)
				best = d[i * w + j - 1] + 1;
			if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) &&
			    fold(a[i - 2]) == fold(b[j - 1]) && d[(i - 2) * w + j - 2] + 1 < best)
				best = d[(i - 2) * w + j - 2] + 1;
			d[i * w + j] = best;
		}
	}
	result = d[la * w + lb];
	free(d);
	return result;
}

const char *suggest_closest(const char *word, const char *const *candidates)
{
	size_t limit = strlen(word) / 3;
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	if (limit < 1)
		limit = 1;
	/* A word 64 times longer than any name is not a typo of it. */
	if (strlen(word) > 256)
		return NULL;
	for (size_t i = 0; candidates[i]; i++) {
		size_t d = suggest_distance(word, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
