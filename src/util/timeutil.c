#include "timeutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

time_t time_now(void)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");

	if (sde && *sde) {
		char *end = NULL;
		long long v;

		errno = 0;
		v = strtoll(sde, &end, 10);
		if (!errno && end && !*end && v >= 0)
			return (time_t)v;
	}
	return time(NULL);
}

void time_format(char out[32], time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void time_format_now_ms(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char base[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (getenv("SOURCE_DATE_EPOCH")) {
		ts.tv_sec = time_now();
		ts.tv_nsec = 0;
	}
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", base, (int)(ts.tv_nsec / 1000000L) % 1000);
}

double time_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
