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

/* Monotonic seconds, for timers and rates. */
double time_mono(void);

#endif
