#include "esc.h"

#include <stdint.h>

/*
 * Decode the UTF-8 sequence at `s` into `*cp` and return its length, or 0
 * when it is not valid UTF-8 (overlong forms, surrogates and code points
 * beyond U+10FFFF are not).
 */
static size_t utf8_decode(uint32_t *cp, const unsigned char *s)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* Code points at or above U+0080 that a terminal acts on or that reorder text. */
static bool is_hostile(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9F) || cp == 0x061C || cp == 0x200E || cp == 0x200F ||
	       (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

static void put_c0(struct buf *out, unsigned char c)
{
	if (c == '\n')
		buf_puts(out, "\\n");
	else if (c == '\r')
		buf_puts(out, "\\r");
	else if (c == '\t')
		buf_puts(out, "\\t");
	else
		buf_printf(out, "\\x%02x", c);
}

void esc_append(struct buf *out, const char *s, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	while (*p) {
		uint32_t cp = 0;
		size_t n;

		if ((flags & ESC_KEEP_CONTINUATION) && p[0] == '\n' && p[1] == ' ' && p[2] == ' ') {
			buf_putc(out, '\n');
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7F) {
			put_c0(out, *p++);
			continue;
		}
		n = utf8_decode(&cp, p);
		if (n == 0) {
			buf_printf(out, "\\x%02x", *p++);
			continue;
		}
		if (is_hostile(cp))
			buf_printf(out, "\\u%04x", (unsigned)cp);
		else
			buf_add(out, p, n);
		p += n;
	}
}

char *esc_str(const char *s)
{
	struct buf b = BUF_INIT;

	esc_append(&b, s, 0);
	return buf_detach(&b, NULL);
}
