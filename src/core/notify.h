/*
 * notify: tell a webhook that drift was found, or what the agent saw change.
 *
 * The payload is the drift report (render_drift_json()) plus a `text`
 * field that Slack, Mattermost and similar incoming webhooks show as the
 * message. It is POSTed with its own HTTP client, which never carries the
 * Cloudflare credentials, and retried like API requests. Messages name the
 * webhook by scheme and host only: its path and query are its secret.
 */
#ifndef MW_CORE_NOTIFY_H
#define MW_CORE_NOTIFY_H

#include "core/http.h"
#include "core/plan.h"
#include "util/buf.h"

/* The one-message summary of a drift plan, for the `text` field. */
void notify_text(struct buf *out, const struct plan *p);

/*
 * POST the drift report of `p` to `url`. `http` gives retries, timeout, CA
 * and trace (its headers are ignored). Fails with MW_ECONFIG for a URL that
 * may not be used (the message starts with the URL's origin; the caller
 * adds where the URL came from), MW_ENET or MW_EAPI when the webhook did
 * not accept it.
 */
int notify_drift(const char *url, const struct plan *p, const struct http_opts *http);

/*
 * POST one event of the agent to `url`: `payload` (a JSON object, or NULL
 * for an empty one; the reference is taken) with "event" set to `event`
 * ("drift", "resolved", "failing", "recovered", "applied") and the
 * Slack-compatible "text" to `text`. Sent like notify_drift(), and fails
 * like it.
 */
int notify_event(const char *url, const char *event, const char *text, json_t *payload,
		 const struct http_opts *http);

#endif
