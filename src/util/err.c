#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERR_MSG_MAX 4096

static _Thread_local char slot[ERR_MSG_MAX];
static _Thread_local int slot_code;

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(slot, sizeof(slot), fmt, ap);
	va_end(ap);
	slot_code = code;
	return code;
}

int err_wrap(int code, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX];
	char old[ERR_MSG_MAX];
	va_list ap;
	size_t plen;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, slot, sizeof(old));
	plen = strnlen(prefix, sizeof(slot) - 1);
	memcpy(slot, prefix, plen);
	/* Truncation of a 4 KiB message is acceptable; losing the NUL is not. */
	strncpy(slot + plen, old, sizeof(slot) - plen - 1);
	slot[sizeof(slot) - 1] = '\0';
	slot_code = code;
	return code;
}

const char *err_msg(void)
{
	return slot;
}

int err_code(void)
{
	return slot_code;
}

void err_clear(void)
{
	slot[0] = '\0';
	slot_code = MW_OK;
}
