/*
 * url: what may be printed or recorded of a URL, and its userinfo.
 *
 * A repository URL, an API URL and a webhook URL may carry secrets: the
 * userinfo (`https://user:token@host/...`, scp-like `user:pass@host:path`),
 * the query (`?access_token=...`) and, for a webhook, the path. Every URL
 * mailward prints, traces or records goes through url_redact().
 *
 * The userinfo ends at the last '@' before the query: a password holding a
 * raw '@' or '/' (it should be percent-encoded) is still all userinfo, never
 * part of the host or the path. Plain string work: no library parses a URL
 * that is not valid, and these must not fail.
 */
#ifndef MW_UTIL_URL_H
#define MW_UTIL_URL_H

#include "buf.h"

enum url_redact_flags {
	/*
	 * Show the query: only for URLs whose query mailward wrote itself (API
	 * paging, after http_check_base_url() refused a query in the base).
	 */
	URL_KEEP_QUERY = 1u << 0,
	/* Show only scheme://host[:port]/...: a webhook's path is its secret. */
	URL_ORIGIN_ONLY = 1u << 1,
};

/*
 * Append to `out` a form of `url` fit for messages, traces and records: the
 * userinfo becomes "***@" (an ssh user name without a password is kept: it is
 * no secret), the query "?***" and the fragment "#***" (unless flags say
 * otherwise). When a '?' or '#' comes before the last '@', what is
 * userinfo cannot be told from what is query, and everything after the
 * scheme becomes "***". A string without "://" is treated as scp-like
 * ([user@]host:path) or a local path. Never fails.
 */
void url_redact(struct buf *out, const char *url, unsigned flags);

/*
 * Split `url` (scheme://... or scp-like) into the URL without credentials
 * (`*out`, owned by the caller) and the raw, still percent-encoded, user name
 * and password (`*user`, `*password`, owned by the caller, NULL when absent;
 * either out-pointer may be NULL when not wanted). An ssh URL (ssh://, or
 * scp-like) keeps its user name in `*out`, since ssh needs it; other
 * schemes lose the whole userinfo.
 */
void url_split_userinfo(char **out, char **user, char **password, const char *url);

#endif
