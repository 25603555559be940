#include "str.h"

#include "mem.h"

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

void str_lower(char *s)
{
	for (; *s; s++)
		*s = ascii_lower(*s);
}

char *str_lower_dup(const char *s)
{
	char *p = xstrdup(s);

	str_lower(p);
	return p;
}

bool str_eq_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (ascii_lower(*a) != ascii_lower(*b))
			return false;
	return *a == *b;
}
