/*
 * str: small string helpers shared by every module.
 *
 * Case folding is ASCII only, whatever the locale: domain names, URL
 * schemes and hosts, account ids and UUIDs are compared by their ASCII
 * letters, and a byte >= 0x80 is never changed.
 */
#ifndef MW_UTIL_STR_H
#define MW_UTIL_STR_H

#include <stdbool.h>

/* Lower-case the ASCII letters of `s` in place. */
void str_lower(char *s);

/* A lower-cased copy of `s` (str_lower()); owned by the caller, free(). */
char *str_lower_dup(const char *s);

/* Whether `a` and `b` are equal once lower-cased (str_lower()). */
bool str_eq_nocase(const char *a, const char *b);

#endif
