/*
 * mem: allocation that cannot fail.
 *
 * mailward is a short-lived command; running out of memory is not an error
 * any caller could recover from, so, like git's xmalloc(), these print one
 * line and exit(1) instead of returning NULL. Everything they return is
 * owned by the caller and released with free().
 */
#ifndef MW_UTIL_MEM_H
#define MW_UTIL_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Grow `ptr` (an array of `nr` used and `alloc` allocated elements) so that
 * it holds at least `want` elements. Arrays in mailward are a pointer plus
 * `nr` and `alloc` counters, grown by this (git's ALLOC_GROW habit).
 */
#define ARRAY_GROW(ptr, want, alloc)                                                               \
	do {                                                                                       \
		if ((size_t)(want) > (alloc)) {                                                    \
			size_t new_alloc_ = (alloc) ? (alloc)*2 : 8;                               \
			if (new_alloc_ < (size_t)(want))                                           \
				new_alloc_ = (size_t)(want);                                       \
			(ptr) = xrealloc((ptr), new_alloc_ * sizeof(*(ptr)));                      \
			(alloc) = new_alloc_;                                                      \
		}                                                                                  \
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
