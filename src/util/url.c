#include "url.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mem.h"

/* Where the parts of a URL are, as offsets into it. */
struct url_loc {
	const char *start; /* after "scheme://", or the whole string */
	const char *at; /* the '@' that ends the userinfo, or NULL */
	bool scheme; /* "scheme://" form: has a query and a fragment */
	bool ssh; /* ssh://, git+ssh://, ssh+git:// or scp-like */
	bool ambiguous; /* a '?' or '#' comes before the last '@' */
};

static bool scheme_is(const char *url, size_t len, const char *name)
{
	return strlen(name) == len && !strncasecmp(url, name, len);
}

static void locate(struct url_loc *l, const char *url)
{
	const char *sep = strstr(url, "://");
	size_t head;

	memset(l, 0, sizeof(*l));
	l->scheme = sep != NULL;
	l->start = sep ? sep + 3 : url;
	l->ssh = !sep || scheme_is(url, (size_t)(sep - url), "ssh") ||
		 scheme_is(url, (size_t)(sep - url), "git+ssh") ||
		 scheme_is(url, (size_t)(sep - url), "ssh+git");
	l->at = strrchr(l->start, '@');
	if (!l->scheme || !l->at)
		return;
	head = strcspn(l->start, "?#");
	if (head >= (size_t)(l->at - l->start))
		return;
	/*
	 * The last '@' is in the query or fragment: the userinfo, if any,
	 * ends at the last '@' before them, but a password holding a raw '?'
	 * would then be shown. Only redaction must assume the worst.
	 */
	l->ambiguous = true;
	l->at = NULL;
	for (const char *p = l->start; p < l->start + head; p++)
		if (*p == '@')
			l->at = p;
}

void url_redact(struct buf *out, const char *url, unsigned flags)
{
	struct url_loc l;
	const char *rest;
	size_t n;

	locate(&l, url);
	buf_add(out, url, (size_t)(l.start - url));
	if (l.ambiguous) {
		buf_puts(out, "***");
		return;
	}
	rest = l.start;
	if (l.at) {
		size_t ulen = (size_t)(l.at - rest);

		if (l.ssh && !memchr(rest, ':', ulen) && !(flags & URL_ORIGIN_ONLY))
			buf_add(out, rest, ulen + 1);
		else
			buf_puts(out, "***@");
		rest = l.at + 1;
	}
	if (flags & URL_ORIGIN_ONLY) {
		buf_add(out, rest, strcspn(rest, "/?#"));
		buf_puts(out, "/...");
		return;
	}
	if (!l.scheme) {
		buf_puts(out, rest);
		return;
	}
	n = strcspn(rest, "?#");
	buf_add(out, rest, n);
	rest += n;
	if (*rest == '?') {
		n = strcspn(rest, "#");
		if (flags & URL_KEEP_QUERY)
			buf_add(out, rest, n);
		else
			buf_puts(out, "?***");
		rest += n;
	}
	if (*rest == '#')
		buf_puts(out, "#***");
}

void url_split_userinfo(char **out, char **user, char **password, const char *url)
{
	struct url_loc l;
	struct buf b = BUF_INIT;
	const char *colon = NULL;

	locate(&l, url);
	if (user)
		*user = NULL;
	if (password)
		*password = NULL;
	if (!l.at) {
		*out = xstrdup(url);
		return;
	}
	colon = memchr(l.start, ':', (size_t)(l.at - l.start));
	if (user)
		*user = xstrndup(l.start, (size_t)((colon ? colon : l.at) - l.start));
	if (password && colon)
		*password = xstrndup(colon + 1, (size_t)(l.at - colon - 1));
	buf_add(&b, url, (size_t)(l.start - url));
	/* ssh needs the user name; it is no secret. */
	if (l.ssh && (colon ? colon : l.at) > l.start) {
		buf_add(&b, l.start, (size_t)((colon ? colon : l.at) - l.start));
		buf_putc(&b, '@');
	}
	buf_puts(&b, l.at + 1);
	*out = buf_detach(&b, NULL);
}
