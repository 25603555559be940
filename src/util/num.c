#include "num.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

bool num_parse_long(long *out, const char *text, long min, long max)
{
	const char *digits = text[0] == '-' ? text + 1 : text;
	char *end = NULL;
	long v;

	if (!isdigit((unsigned char)digits[0]))
		return false;
	errno = 0;
	v = strtol(text, &end, 10);
	if (*end || errno || v < min || v > max)
		return false;
	*out = v;
	return true;
}
