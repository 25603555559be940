/*
 * buf: a growable byte buffer (git's strbuf).
 *
 * Invariants: `ptr` is never NULL and always NUL-terminated at `len`, so a
 * buf can be printed as a string at any time; `len < cap` once anything was
 * added. An initialised, empty buf points at a shared empty string and owns
 * nothing. buf_release() frees and re-initialises.
 */
#ifndef MW_UTIL_BUF_H
#define MW_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *ptr;
	size_t len;
	size_t cap;
};

#define BUF_INIT                                                                                   \
	{                                                                                          \
		buf_empty_, 0, 0                                                                   \
	}
extern char buf_empty_[1];

void buf_init(struct buf *b);
void buf_release(struct buf *b);
/* Make room for `extra` more bytes. */
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_truncate(struct buf *b, size_t len);
/*
 * Append `s` with every byte that is not part of valid UTF-8 replaced by
 * '?': paths from a repository are bytes, but a plan file is JSON text.
 */
void buf_put_utf8(struct buf *b, const char *s);

/* Hand the contents to the caller (free() them) and re-initialise `b`. */
char *buf_detach(struct buf *b, size_t *len);

#endif
