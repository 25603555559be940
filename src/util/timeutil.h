/*
 * timeutil: wall-clock stamps for plans and audit lines, and a monotonic
 * clock for scheduling.
 */
#ifndef MW_UTIL_TIMEUTIL_H
#define MW_UTIL_TIMEUTIL_H

#include <stddef.h>
#include <time.h>

/*
 * Now, as seconds since the epoch. When SOURCE_DATE_EPOCH is set (the
 * reproducible-builds convention), that value instead, so that tests and
 * golden files can pin the time that plans record.
 */
time_t time_now(void);

/* Format `t` as RFC 3339 UTC, "2026-11-27T10:00:00Z", into `out` (21 bytes). */
void time_format(char out[32], time_t t);

/* Wall clock with milliseconds, "2026-11-27T10:00:00.123Z" (audit lines). */
void time_format_now_ms(char out[32]);

/*
 * Parse an RFC 3339 date-time, "2026-11-27T10:00:00Z" or
 * "2026-11-27T12:00:00.25+02:00" (a 't' or a space for the 'T', a 'z' for
 * the 'Z', a leap second :60), into seconds since the epoch with the
 * fraction, in `out`. Returns 0, or MW_EINVALID with the message in the
 * error slot (the caller adds what was being read).
 */
int time_parse(double *out, const char *s);

/* Monotonic seconds, for timers and rates. */
double time_mono(void);

#endif
