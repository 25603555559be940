#include "timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

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

/* Whether s[0..n) are all decimal digits. */
static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * The layout is checked here; strptime(3) reads the fields and checks their
 * ranges, and timegm(3) the day of the month.
 */
int time_parse(double *out, const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	struct tm tm, norm;
	const char *p = s;
	double frac = 0, scale = 0.1;
	long offset = 0;
	time_t t;

	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		bool ok;

		if (shape[i] == 'd')
			ok = isdigit((unsigned char)s[i]);
		else if (shape[i] == 'T')
			ok = s[i] == 'T' || s[i] == 't' || s[i] == ' ';
		else
			ok = s[i] == shape[i];
		if (!ok)
			goto bad;
	}
	memset(&tm, 0, sizeof(tm));
	if (!strptime(s, "%Y-%m-%d", &tm) || !strptime(s + 11, "%H:%M:%S", &tm) || tm.tm_sec > 60)
		goto bad;
	p = s + 19;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			goto bad;
		for (; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if ((*p == 'Z' || *p == 'z') && !p[1]) {
		offset = 0;
	} else if ((*p == '+' || *p == '-') && all_digits(p + 1, 2) && p[3] == ':' &&
		   all_digits(p + 4, 2) && !p[6]) {
		long h = (p[1] - '0') * 10 + (p[2] - '0'), m = (p[4] - '0') * 10 + (p[5] - '0');

		if (h > 23 || m > 59)
			goto bad;
		offset = (h * 3600 + m * 60) * (*p == '-' ? -1 : 1);
	} else {
		goto bad;
	}
	/* timegm() carries 2023-02-29 over into March: not a date. (Seconds
	 * apart, so that a leap second, :60, stays on its day.) */
	norm = tm;
	norm.tm_sec = 0;
	t = timegm(&norm);
	if (norm.tm_mon != tm.tm_mon || norm.tm_mday != tm.tm_mday)
		goto bad;
	*out = (double)t + tm.tm_sec - (double)offset + frac;
	return 0;
bad:
	return err_set(MW_EINVALID,
		       "not an RFC 3339 date-time (YYYY-MM-DDTHH:MM:SS[.fraction], then Z or "
		       "+HH:MM)");
}

double time_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
