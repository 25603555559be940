#include "notify.h"

#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "core/render.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/url.h"

/* Lines of domains in the text before "and N more". */
#define TEXT_DOMAINS_MAX 20

void notify_text(struct buf *out, const struct plan *p)
{
	const struct plan_summary *s = &p->summary;
	size_t shown = 0;

	buf_printf(out, "mailward: drift in Cloudflare account %s", p->account_id);
	if (p->source.commit)
		buf_printf(out, " (git %.12s)", p->source.commit);
	buf_printf(out, ": %zu drifted, %zu missing, %zu absent in git but live", s->update,
		   s->missing, s->del);
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_change *c = &p->changes[i];
		size_t k;
		json_t *d;

		if (shown++ >= TEXT_DOMAINS_MAX)
			continue;
		buf_printf(out, "\n• %s: ", c->domain);
		if (c->action == PLAN_MISSING) {
			buf_puts(out, "in git, not protected in Cloudflare");
		} else if (c->action == PLAN_DELETE) {
			buf_puts(out, strcmp(c->reason, "prune")
					      ? "absent in git, still protected live"
					      : "live, declared nowhere in git");
		} else {
			json_array_foreach(c->diff, k, d) {
				buf_printf(out, "%s%s git ", k ? "; " : "",
					   json_string_value(json_object_get(d, "field")));
				fields_format_value(out, json_object_get(d, "after"));
				buf_puts(out, ", live ");
				fields_format_value(out, json_object_get(d, "before"));
			}
		}
	}
	if (shown > TEXT_DOMAINS_MAX)
		buf_printf(out, "\n…and %zu more", shown - TEXT_DOMAINS_MAX);
}

/* Whether libcurl can tell the origin of `url` (and so redact the rest). */
static bool parsable(const char *url)
{
	struct buf origin = BUF_INIT;
	int rc = http_url_origin(&origin, url, NULL);

	buf_release(&origin);
	return rc == 0;
}

/* POST `payload` (a reference is kept by the caller) to `url`. */
static int post(const char *url, json_t *payload, const struct http_opts *http)
{
	struct http_opts o = *http;
	struct http_client *client = NULL;
	struct http_req req = { 0 };
	struct http_req *reqs[1] = { &req };
	struct buf checked = BUF_INIT, shown = BUF_INIT;
	char *body = NULL;
	bool origin_known;
	int rc;

	url_redact(&shown, url, URL_ORIGIN_ONLY);
	origin_known = parsable(url);
	rc = http_check_webhook_url(&checked, url);
	if (rc < 0)
		goto done;
	body = json_dumps(payload, JSON_COMPACT);
	/* A webhook gets no Cloudflare credential, and no trace of its path. */
	o.headers = NULL;
	o.trace = NULL;
	o.concurrency = 1;
	o.rate = 0;
	rc = http_client_new(&client, &o);
	if (rc < 0)
		goto done;
	req.method = "POST";
	req.url = checked.ptr;
	req.body = body;
	req.body_len = strlen(body);
	rc = http_run(client, reqs, 1, NULL, NULL);
	if (rc < 0)
		goto done;
	if (req.status == 0)
		rc = err_set(MW_ENET, "notification to %s failed after %d attempt%s: %s", shown.ptr,
			     req.attempts, req.attempts == 1 ? "" : "s", req.error);
	else if (req.status < 200 || req.status >= 300)
		rc = err_set(MW_EAPI, "notification to %s refused: HTTP %ld", shown.ptr,
			     req.status);
done:
	/*
	 * The caller names where the URL came from (an option, a setting). A
	 * string libcurl cannot parse has no origin to show: any part of it
	 * may be the secret.
	 */
	if (rc == MW_ECONFIG && origin_known)
		err_wrap(rc, "%s: ", shown.ptr);
	http_req_reset(&req);
	http_client_free(client);
	free(body);
	buf_release(&checked);
	buf_release(&shown);
	return rc;
}

int notify_drift(const char *url, const struct plan *p, const struct http_opts *http)
{
	struct buf text = BUF_INIT;
	json_t *payload = render_drift_json(p);
	int rc;

	notify_text(&text, p);
	json_object_set_new(payload, "text", json_string(text.ptr));
	rc = post(url, payload, http);
	json_decref(payload);
	buf_release(&text);
	return rc;
}

int notify_event(const char *url, const char *event, const char *text, json_t *payload,
		 const struct http_opts *http)
{
	int rc;

	if (!payload)
		payload = json_object();
	json_object_set_new(payload, "event", json_string(event));
	json_object_set_new(payload, "text", json_string(text));
	rc = post(url, payload, http);
	json_decref(payload);
	return rc;
}
