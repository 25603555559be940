/*
 * num: whole numbers read from text (flags, fault specifications, query
 * parameters), strictly: decimal digits with an optional leading '-' and
 * nothing before or after them. strtol() alone takes " 24", "+24" and
 * "24 " with a check forgotten, and "0x18" in base 0.
 */
#ifndef MW_UTIL_NUM_H
#define MW_UTIL_NUM_H

#include <stdbool.h>

/*
 * Read `text` as a decimal integer from `min` to `max` into `*out`. Returns
 * false, leaving `*out` alone, when it is not one (empty, a sign other than
 * a leading '-', a space, any other character, out of range or past what a
 * long holds). A yes-or-no check: the caller words the message, naming the
 * flag or key that `text` came from.
 */
bool num_parse_long(long *out, const char *text, long min, long max);

#endif
