/*
 * esc: text from outside (the API, a repository, a plan file, a file name)
 * made safe to show on a terminal or write into a log line.
 *
 * Every string that did not come from mailward itself passes through here
 * before it is printed: a domain name holding ESC could repaint the screen,
 * one holding a line break or U+2028 could forge a line of output, and a
 * bidi override could make a name read as another. Such characters become
 * visible escapes instead:
 *
 *   C0 controls and DEL    \n \r \t, otherwise \xNN     ("\x1b", "\x7f")
 *   C1 controls            \uNNNN                       ("\u009b")
 *   U+2028, U+2029         \uNNNN                       ("\u2028")
 *   bidi controls          \uNNNN  (U+061C, U+200E, U+200F, U+202A..U+202E,
 *                                   U+2066..U+2069)
 *   invalid UTF-8 bytes    \xNN, one per byte           ("\xff")
 *
 * Everything else, including the backslash, is copied as is: the output is
 * for people, not a format to parse back, and it holds no byte a terminal
 * acts on. Escaping escaped text changes nothing.
 */
#ifndef MW_UTIL_ESC_H
#define MW_UTIL_ESC_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum esc_flags {
	/*
	 * Keep a line break that starts an indented continuation line ("\n"
	 * followed by two spaces), as in the list of stale domains of a
	 * message. Any other line break is escaped, so the text can add at
	 * most indented lines, never a line of its own.
	 */
	ESC_KEEP_CONTINUATION = 1,
};

/* Append `s` (NUL-terminated) to `out`, escaped as above. */
void esc_append(struct buf *out, const char *s, unsigned flags);

/* `s` escaped as above, in a new string owned by the caller. NULL gives "". */
char *esc_str(const char *s);

#endif
