#include "http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/rate.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/mem.h"
#include "util/str.h"
#include "util/timeutil.h"
#include "util/url.h"

#define BACKOFF_BASE_S 0.25
#define BACKOFF_CAP_S 8.0
#define POLL_MAX_MS 200

volatile sig_atomic_t http_interrupted;

struct http_client {
	struct http_opts opts;
	struct curl_slist *headers;
	char *ca_blob;
	size_t ca_blob_len;
	CURLM *multi;
	struct rate_gate gate; /* owned: paces starts under opts.rate and 429 pauses */
	struct http_stats stats;
	uint64_t rng;
	bool cancelled; /* http_cancel() was called during this http_run() */
};

enum slot_state { SLOT_WAITING, SLOT_FLYING, SLOT_DONE };

struct slot {
	struct http_req *req;
	CURL *easy;
	struct curl_slist *headers;
	enum slot_state state;
	double ready_at;
	double started_at;
	double first_at; /* when the first attempt started: the budget counts from it */
	char errbuf[CURL_ERROR_SIZE];
};

static double next_random(struct http_client *c)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (double)((c->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/*
 * libcurl replaces the system's trust store when given a CA file; to add a
 * trust anchor instead, hand it the system bundle and the file together.
 */
static int load_ca_blob(struct http_client *c, const char *ca_file)
{
	struct buf blob = BUF_INIT;
	char *sys = NULL, *extra = NULL;
	size_t sys_len = 0, extra_len = 0;
	char *sys_path = NULL;
	CURL *probe = curl_easy_init();
	int rc;

	rc = fs_read_file(&extra, &extra_len, ca_file, 16u << 20);
	if (rc < 0) {
		rc = err_wrap(MW_ECONFIG, "--ca-file: ");
		goto done;
	}
	if (probe && curl_easy_getinfo(probe, CURLINFO_CAINFO, &sys_path) == CURLE_OK && sys_path &&
	    fs_read_file(&sys, &sys_len, sys_path, 64u << 20) == 0)
		buf_add(&blob, sys, sys_len);
	err_clear();
	buf_putc(&blob, '\n');
	buf_add(&blob, extra, extra_len);
	c->ca_blob = buf_detach(&blob, &c->ca_blob_len);
done:
	if (probe)
		curl_easy_cleanup(probe);
	free(sys);
	free(extra);
	return rc;
}

int http_client_new(struct http_client **out, const struct http_opts *opts)
{
	struct http_client *c = xcalloc(1, sizeof(*c));
	int rc = 0;

	*out = NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(c);
		return err_set(MW_ENET, "cannot initialise libcurl");
	}
	c->opts = *opts;
	c->opts.headers = NULL;
	c->opts.ca_file = NULL;
	if (c->opts.concurrency < 1)
		c->opts.concurrency = 1;
	if (c->opts.retries < 0)
		c->opts.retries = 0;
	if (c->opts.timeout_ms <= 0)
		c->opts.timeout_ms = 60000;
	for (size_t i = 0; opts->headers && opts->headers[i]; i++)
		c->headers = curl_slist_append(c->headers, opts->headers[i]);
	c->headers = curl_slist_append(c->headers, "Accept: application/json");
	if (opts->ca_file) {
		rc = load_ca_blob(c, opts->ca_file);
		if (rc < 0)
			goto done;
	}
	c->multi = curl_multi_init();
	if (!c->multi) {
		rc = err_set(MW_ENET, "cannot initialise libcurl's multi interface");
		goto done;
	}
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->opts.concurrency);
	rate_gate_init(&c->gate, c->opts.rate, time_mono());
	c->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
	if (!c->rng)
		c->rng = 88172645463325252ULL;
done:
	if (rc < 0) {
		http_client_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	if (c->multi)
		curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->headers);
	free(c->ca_blob);
	rate_gate_release(&c->gate);
	free(c);
	curl_global_cleanup();
}

void http_client_stats(const struct http_client *c, struct http_stats *out)
{
	*out = c->stats;
}

void http_req_reset(struct http_req *req)
{
	buf_release(&req->response);
	req->status = 0;
	req->cf_ray[0] = '\0';
	req->error[0] = '\0';
	req->attempts = 0;
	req->not_sent = false;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_req *req = userp;
	size_t n = size * nmemb;

	/* Decoded bytes: a gzip bomb stops here, however small it came. */
	if (req->response.len + n > HTTP_MAX_RESPONSE_BYTES)
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	buf_add(&req->response, data, n);
	return n;
}

/* Loopback never goes through a proxy; the user's NO_PROXY still counts. */
static char *no_proxy_list(void)
{
	const char *env = getenv("NO_PROXY");

	if (!env || !*env)
		env = getenv("no_proxy");
	if (env && *env)
		return xasprintf("localhost,127.0.0.1,::1,%s", env);
	return xstrdup("localhost,127.0.0.1,::1");
}

/* Put one attempt of `s` on the wire. 0, or MW_ENET when libcurl cannot. */
static int start(struct http_client *c, struct slot *s)
{
	struct http_req *req = s->req;
	CURL *e = curl_easy_init();
	char *noproxy;

	if (!e)
		return err_set(MW_ENET, "cannot start a request with libcurl");
	buf_release(&req->response);
	req->cf_ray[0] = '\0';
	req->error[0] = '\0';
	s->errbuf[0] = '\0';
	s->headers = NULL;
	for (struct curl_slist *h = c->headers; h; h = h->next)
		s->headers = curl_slist_append(s->headers, h->data);
	if (req->body)
		s->headers = curl_slist_append(s->headers, "Content-Type: application/json");
	noproxy = no_proxy_list();
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else if (!strcmp(req->method, "GET")) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "mailward/" MAILWARD_VERSION);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, s);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->opts.timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
			 c->opts.timeout_ms < 15000 ? c->opts.timeout_ms : 15000L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, noproxy);
	free(noproxy);
	if (c->ca_blob) {
		struct curl_blob blob = { c->ca_blob, c->ca_blob_len, CURL_BLOB_NOCOPY };

		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
	}
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		curl_slist_free_all(s->headers);
		s->headers = NULL;
		return err_set(MW_ENET, "cannot start a request with libcurl");
	}
	s->easy = e;
	s->state = SLOT_FLYING;
	s->started_at = time_mono();
	if (req->attempts == 0)
		s->first_at = s->started_at;
	req->attempts++;
	c->stats.attempts++;
	if (req->attempts > 1)
		c->stats.retries++;
	return 0;
}

static void header_value(CURL *e, const char *name, char *out, size_t size)
{
	struct curl_header *h = NULL;

	out[0] = '\0';
	if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK && h && h->value)
		snprintf(out, size, "%s", h->value);
}

/* Seconds to wait from a Retry-After value (seconds or an HTTP date); -1: none. */
static double retry_after_seconds(const char *v)
{
	char *end = NULL;
	double s;

	if (!*v)
		return -1;
	s = strtod(v, &end);
	if (end != v && *end == '\0' && s >= 0)
		return s;
	{
		time_t when = curl_getdate(v, NULL);

		if (when < 0)
			return -1;
		s = difftime(when, time(NULL));
		return s < 0 ? 0 : s;
	}
}

static bool transport_retryable(CURLcode code)
{
	switch (code) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_WRITE_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_LOGIN_DENIED:
	case CURLE_TOO_MANY_REDIRECTS:
	case CURLE_ABORTED_BY_CALLBACK:
		return false;
	default:
		return true;
	}
}

static double backoff(struct http_client *c, int attempts)
{
	double b = BACKOFF_BASE_S * pow(2.0, attempts - 1);

	if (b > BACKOFF_CAP_S)
		b = BACKOFF_CAP_S;
	/* Equal jitter: never less than half, so retries still back off. */
	return b / 2 + next_random(c) * b / 2;
}

static void trace(struct http_client *c, const struct slot *s, const char *outcome)
{
	struct buf line = BUF_INIT;

	if (!c->opts.trace)
		return;
	buf_printf(&line, "%s ", s->req->method);
	/* The base URL holds no credentials or query (check_url): the query is ours. */
	url_redact(&line, s->req->url, URL_KEEP_QUERY);
	buf_printf(&line, " -> %s in %.3f s", outcome, time_mono() - s->started_at);
	if (s->req->cf_ray[0])
		buf_printf(&line, " (cf-ray %s)", s->req->cf_ray);
	if (s->req->attempts > 1)
		buf_printf(&line, " [attempt %d]", s->req->attempts);
	c->opts.trace(c->opts.trace_ctx, line.ptr);
	buf_release(&line);
}

/* Seconds left of the time budget of the request in `s` (see http.h). */
static double budget_left(const struct http_client *c, const struct slot *s, double now)
{
	double budget = (double)c->opts.timeout_ms / 1000.0 * (c->opts.retries + 1);

	return s->first_at + budget - now;
}

/* Say in the request why a Retry-After of `wait` seconds is not waited out. */
static void refuse_wait(const struct http_client *c, struct slot *s, double wait, double now)
{
	snprintf(s->req->error, sizeof(s->req->error),
		 "the API asked to wait %.0f s (Retry-After), more than the %.0f s left of this "
		 "request's budget (--timeout %ld s x %d attempts); giving up",
		 wait, budget_left(c, s, now), c->opts.timeout_ms / 1000, c->opts.retries + 1);
}

/* Take a finished transfer; true when the request is final. */
static bool finish(struct http_client *c, struct slot *s, CURLcode code)
{
	struct http_req *req = s->req;
	char retry_after[64];
	char outcome[64];
	double now = time_mono();
	double wait = -1;
	bool retry = false;

	req->status = 0;
	curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &req->status);
	header_value(s->easy, "cf-ray", req->cf_ray, sizeof(req->cf_ray));
	header_value(s->easy, "retry-after", retry_after, sizeof(retry_after));
	if (code != CURLE_OK) {
		if (code == CURLE_WRITE_ERROR)
			snprintf(req->error, sizeof(req->error),
				 "the answer is larger than %u MiB (decoded); refusing it",
				 HTTP_MAX_RESPONSE_BYTES >> 20);
		else
			snprintf(req->error, sizeof(req->error), "%s",
				 s->errbuf[0] ? s->errbuf : curl_easy_strerror(code));
		req->status = 0;
		retry = transport_retryable(code);
		snprintf(outcome, sizeof(outcome), "error");
	} else {
		snprintf(outcome, sizeof(outcome), "%ld", req->status);
		if (req->status == 429) {
			c->stats.rate_limited++;
			retry = true;
			wait = retry_after_seconds(retry_after);
			if (wait >= 0 && wait > budget_left(c, s, now)) {
				/* Waiting would outlive the budget: fail now, not after it. */
				refuse_wait(c, s, wait, now);
				retry = false;
				wait = -1;
			} else if (wait >= 0) {
				/* The server said when: everyone waits, and restarts slowly. */
				rate_gate_pause(&c->gate, now + wait);
			}
		} else if (req->status >= 500) {
			retry = true;
		}
	}
	trace(c, s, outcome);
	curl_multi_remove_handle(c->multi, s->easy);
	curl_easy_cleanup(s->easy);
	s->easy = NULL;
	curl_slist_free_all(s->headers);
	s->headers = NULL;
	if (retry && req->attempts <= c->opts.retries && !http_interrupted) {
		s->state = SLOT_WAITING;
		s->ready_at = now + (wait >= 0 ? wait : backoff(c, req->attempts));
		return false;
	}
	s->state = SLOT_DONE;
	return true;
}

int http_run(struct http_client *c, struct http_req **reqs, size_t n,
	     void (*done)(struct http_req *req, void *ctx), void *ctx)
{
	struct http_hooks hooks = { NULL, done, ctx };

	return http_run_hooks(c, reqs, n, &hooks);
}

int http_run_hooks(struct http_client *c, struct http_req **reqs, size_t n,
		   const struct http_hooks *hooks)
{
	void (*done)(struct http_req * req, void *ctx) = hooks->done;
	void *ctx = hooks->ctx;
	bool stopped = false; /* a before_send hook refused: start nothing more */
	struct slot *slots = xcalloc(n ? n : 1, sizeof(*slots));
	size_t finished = 0, flying = 0;
	size_t first_waiting = 0; /* no slot before it is waiting */
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		slots[i].req = reqs[i];
		slots[i].state = SLOT_WAITING;
		slots[i].ready_at = 0;
		http_req_reset(reqs[i]);
	}
	c->cancelled = false;
	while (finished < n && !c->cancelled) {
		double now = time_mono();
		double next_wake = now + POLL_MAX_MS / 1000.0;
		int running = 0, numfds = 0;
		bool progressed;
		CURLMsg *msg;
		int left;

		while (first_waiting < n && slots[first_waiting].state != SLOT_WAITING)
			first_waiting++;
		for (size_t i = first_waiting; i < n && flying < (size_t)c->opts.concurrency; i++) {
			struct slot *s = &slots[i];
			double wait;

			if (s->state != SLOT_WAITING)
				continue;
			if (http_interrupted || stopped) {
				s->state = SLOT_DONE;
				s->req->not_sent = s->req->attempts == 0;
				snprintf(s->req->error, sizeof(s->req->error), "%s",
					 s->req->attempts
						 ? (stopped ? "stopped before the retry"
							    : "interrupted before the retry")
					 : stopped ? "not sent: stopped"
						   : "not sent: interrupted");
				finished++;
				if (done)
					done(s->req, ctx);
				continue;
			}
			if (s->ready_at > now) {
				if (s->ready_at < next_wake)
					next_wake = s->ready_at;
				continue;
			}
			wait = rate_gate_wait(&c->gate, now);
			if (wait > 0) {
				if (now + wait < next_wake)
					next_wake = now + wait;
				break;
			}
			if (s->req->attempts == 0 && hooks->before_send &&
			    hooks->before_send(s->req, ctx) != 0) {
				stopped = true;
				continue;
			}
			rc = start(c, s);
			if (rc < 0)
				goto done;
			rate_gate_start(&c->gate, time_mono());
			flying++;
		}
		if (finished >= n)
			break;
		if (flying == 0) {
			double sleep_s = next_wake - time_mono();

			if (sleep_s > 0)
				usleep((useconds_t)(sleep_s * 1e6));
			continue;
		}
		curl_multi_perform(c->multi, &running);
		progressed = false;
		while ((msg = curl_multi_info_read(c->multi, &left))) {
			struct slot *s = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			flying--;
			progressed = true;
			if (finish(c, s, msg->data.result)) {
				finished++;
				if (done)
					done(s->req, ctx);
				if (c->cancelled)
					break;
			} else if ((size_t)(s - slots) < first_waiting) {
				first_waiting = (size_t)(s - slots);
			}
		}
		if (finished >= n || c->cancelled)
			break;
		/* A slot just freed: start the next request now, not after a poll. */
		if (progressed)
			continue;
		{
			double wait_s = next_wake - time_mono();
			int timeout_ms = wait_s > 0 ? (int)(wait_s * 1000) + 1 : 0;

			if (timeout_ms > POLL_MAX_MS)
				timeout_ms = POLL_MAX_MS;
			curl_multi_poll(c->multi, NULL, 0, timeout_ms, &numfds);
		}
	}
done:
	for (size_t i = 0; i < n; i++) {
		if (slots[i].easy) {
			curl_multi_remove_handle(c->multi, slots[i].easy);
			curl_easy_cleanup(slots[i].easy);
		}
		curl_slist_free_all(slots[i].headers);
		if (slots[i].state != SLOT_DONE && c->cancelled) {
			slots[i].req->status = 0;
			slots[i].req->not_sent = slots[i].req->attempts == 0;
			snprintf(slots[i].req->error, sizeof(slots[i].req->error), "cancelled");
		}
	}
	c->cancelled = false;
	free(slots);
	return rc;
}

void http_cancel(struct http_client *c)
{
	c->cancelled = true;
}

bool http_loopback_host(const char *host)
{
	unsigned char a[16];
	char inner[64];
	size_t len = strlen(host);

	if (!strcasecmp(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (len > 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof(inner)) {
		memcpy(inner, host + 1, len - 2);
		inner[len - 2] = '\0';
		return inet_pton(AF_INET6, inner, a) == 1 &&
		       !memcmp(a, in6addr_loopback.s6_addr, 16);
	}
	return false;
}

static int check_url(struct buf *out, const char *url, bool webhook)
{
	const char *what = webhook ? "notification URL" : "API URL";
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
	char *query = NULL, *fragment = NULL;
	size_t len;
	int rc = 0;

	if (!u)
		return err_set(MW_ECONFIG, "cannot initialise libcurl's URL parser");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		rc = err_set(MW_ECONFIG, "the %s is not a valid absolute URL", what);
		goto done;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0);
	if (!scheme || (strcasecmp(scheme, "https") && strcasecmp(scheme, "http"))) {
		rc = err_set(MW_ECONFIG, "the %s must use https", what);
		goto done;
	}
	if (!webhook && (user || password)) {
		rc = err_set(MW_ECONFIG, "the API URL must not carry credentials; use "
					 "CLOUDFLARE_API_TOKEN or --token-file");
		goto done;
	}
	if ((!webhook && query) || fragment) {
		rc = err_set(MW_ECONFIG, "the %s must not have a %s", what,
			     fragment ? "fragment" : "query");
		goto done;
	}
	if (!strcasecmp(scheme, "http") && !http_loopback_host(host ? host : "")) {
		rc = err_set(MW_ECONFIG,
			     "the %s uses plain http: only a loopback host (localhost, "
			     "127.0.0.0/8, [::1]) may; use https",
			     what);
		goto done;
	}
	buf_puts(out, url);
	len = out->len;
	while (!webhook && len && out->ptr[len - 1] == '/')
		len--;
	buf_truncate(out, len);
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(password);
	curl_free(query);
	curl_free(fragment);
	curl_url_cleanup(u);
	return rc;
}

int http_check_base_url(struct buf *out, const char *url)
{
	int rc = check_url(out, url, false);
	struct buf shown = BUF_INIT;

	/* Name the URL, without what may be a credential in it. */
	if (rc < 0) {
		url_redact(&shown, url, 0);
		err_wrap(rc, "'%s': ", shown.ptr);
	}
	buf_release(&shown);
	return rc;
}

int http_check_webhook_url(struct buf *out, const char *url)
{
	return check_url(out, url, true);
}

int http_url_origin(struct buf *out, const char *url, bool *loopback)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = 0;

	if (!u)
		return err_set(MW_ECONFIG, "cannot initialise libcurl's URL parser");
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		rc = err_set(MW_ECONFIG, "not a valid URL");
		goto done;
	}
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	str_lower(scheme);
	str_lower(host);
	buf_printf(out, "%s://%s:%s", scheme, host, port ? port : "");
	if (loopback)
		*loopback = http_loopback_host(host);
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

char *http_unescape(const char *s)
{
	int len = 0;
	char *d = curl_easy_unescape(NULL, s, 0, &len);
	char *out;

	if (!d)
		return xstrdup(s);
	out = xstrndup(d, (size_t)len);
	explicit_bzero(d, (size_t)len);
	curl_free(d);
	return out;
}

void http_escape(struct buf *out, const char *s)
{
	char *e = curl_easy_escape(NULL, s, (int)strlen(s));

	if (!e) {
		buf_puts(out, s);
		return;
	}
	buf_puts(out, e);
	curl_free(e);
}

const char *http_library_version(void)
{
	return curl_version();
}
