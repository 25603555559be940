#include "agent/agent_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/agent_log.h"
#include "agent/agent_metrics.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* Slow or idle clients are dropped after this many seconds; at most this many at once. */
#define CONNECTION_TIMEOUT_S 10
#define CONNECTION_LIMIT 64

struct agent_http {
	struct MHD_Daemon *daemon;
	struct agent_shared *sh; /* borrowed */
};

/* What one request has sent so far. */
struct conn {
	struct buf body;
	bool too_big;
};

int agent_http_parse_listen(void *addr, unsigned *len, const char *spec)
{
	struct sockaddr_in *in4 = addr;
	struct sockaddr_in6 *in6 = addr;
	const char *colon = strrchr(spec, ':');
	char host[64];
	char *end = NULL;
	size_t hlen;
	long port;

	memset(addr, 0, sizeof(struct sockaddr_storage));
	if (!colon || colon == spec)
		goto bad;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		goto bad;
	hlen = (size_t)(colon - spec);
	if (hlen >= sizeof(host))
		goto bad;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';
	if (host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			goto bad;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((unsigned short)port);
		*len = sizeof(*in6);
		return 0;
	}
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		goto bad;
	in4->sin_family = AF_INET;
	in4->sin_port = htons((unsigned short)port);
	*len = sizeof(*in4);
	return 0;
bad:
	return err_set(MW_EUSAGE,
		       "--listen takes ADDR:PORT (an IPv4 address or [IPv6], port 0 to 65535) or "
		       "'off', not '%s'",
		       spec);
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int agent_hook_verify(enum agent_hook_kind *kind, const char **why, const char *secret,
		      size_t secret_len, const void *body, size_t body_len, const char *github_sig,
		      const char *gitlab_token)
{
	unsigned char want[32], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (github_sig) {
		const char *hex = github_sig + 7;

		*kind = AGENT_HOOK_GITHUB;
		if (strncmp(github_sig, "sha256=", 7)) {
			*why = "X-Hub-Signature-256 is not sha256=<hex>";
			return -1;
		}
		if (strlen(hex) != 64) {
			*why = "X-Hub-Signature-256 does not hold 64 hexadecimal digits";
			return -1;
		}
		for (size_t i = 0; i < 32; i++) {
			int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);

			if (hi < 0 || lo < 0) {
				*why = "X-Hub-Signature-256 does not hold 64 hexadecimal digits";
				return -1;
			}
			want[i] = (unsigned char)(hi << 4 | lo);
		}
		if (!HMAC(EVP_sha256(), secret, (int)secret_len, body, body_len, mac, &mac_len) ||
		    mac_len != 32 || CRYPTO_memcmp(mac, want, 32)) {
			*why = "X-Hub-Signature-256 does not match the body";
			return -1;
		}
		return 0;
	}
	if (gitlab_token) {
		unsigned char a[32], b[32];

		*kind = AGENT_HOOK_GITLAB;
		/* Equal digests, compared in constant time: the lengths leak nothing either. */
		hash_sha256(a, gitlab_token, strlen(gitlab_token));
		hash_sha256(b, secret, secret_len);
		if (CRYPTO_memcmp(a, b, 32)) {
			*why = "X-Gitlab-Token does not match";
			return -1;
		}
		return 0;
	}
	*why = "no X-Hub-Signature-256 or X-Gitlab-Token header";
	return -1;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
			       const char *body, size_t len, const char *allow)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg)
{
	return respond(c, status, "text/plain; charset=utf-8", msg, strlen(msg), NULL);
}

static enum MHD_Result serve_metrics(struct agent_http *h, struct MHD_Connection *c)
{
	struct buf out = BUF_INIT;
	enum MHD_Result ret;

	pthread_mutex_lock(&h->sh->lock);
	agent_metrics_render(&out, &h->sh->st);
	pthread_mutex_unlock(&h->sh->lock);
	ret = respond(c, 200, AGENT_METRICS_CONTENT_TYPE, out.ptr, out.len, NULL);
	buf_release(&out);
	return ret;
}

static enum MHD_Result serve_status(struct agent_http *h, struct MHD_Connection *c)
{
	json_t *status;
	char *dump;
	enum MHD_Result ret;

	pthread_mutex_lock(&h->sh->lock);
	status = agent_state_status(&h->sh->st);
	pthread_mutex_unlock(&h->sh->lock);
	dump = json_dumps(status, JSON_COMPACT | JSON_PRESERVE_ORDER);
	ret = respond(c, 200, "application/json", dump ? dump : "{}", dump ? strlen(dump) : 2,
		      NULL);
	free(dump);
	json_decref(status);
	return ret;
}

static enum MHD_Result serve_readyz(struct agent_http *h, struct MHD_Connection *c)
{
	bool ready;

	pthread_mutex_lock(&h->sh->lock);
	ready = agent_state_ready(&h->sh->st, time_mono(), h->sh->ready_window);
	pthread_mutex_unlock(&h->sh->lock);
	return ready ? text(c, 200, "ready\n")
		     : text(c, 503, "not ready: no cycle succeeded within three intervals\n");
}

static enum MHD_Result serve_hook(struct agent_http *h, struct MHD_Connection *c,
				  const struct conn *cn)
{
	struct agent_shared *sh = h->sh;
	enum agent_hook_kind kind = AGENT_HOOK_GITHUB;
	const char *why = NULL;
	int rc;

	if (cn->too_big) {
		pthread_mutex_lock(&sh->lock);
		sh->st.webhooks_refused++;
		pthread_mutex_unlock(&sh->lock);
		agent_log("warn", "webhook_refused", "reason", "the body is larger than 1 MiB",
			  NULL);
		return text(c, 413, "payload too large\n");
	}
	rc = agent_hook_verify(
		&kind, &why, sh->secret, sh->secret_len, cn->body.ptr, cn->body.len,
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Hub-Signature-256"),
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Gitlab-Token"));
	pthread_mutex_lock(&sh->lock);
	if (rc == 0) {
		sh->st.webhooks_accepted++;
		sh->trigger = true;
		pthread_cond_signal(&sh->wake);
	} else {
		sh->st.webhooks_refused++;
	}
	pthread_mutex_unlock(&sh->lock);
	if (rc < 0) {
		agent_log("warn", "webhook_refused", "reason", why, NULL);
		return text(c, 401, "signature or token does not match\n");
	}
	agent_log("info", "webhook_accepted", "kind",
		  kind == AGENT_HOOK_GITHUB ? "github" : "gitlab", NULL);
	return text(c, 202, "a cycle starts now\n");
}

static enum MHD_Result route(struct agent_http *h, struct MHD_Connection *c, const char *url,
			     const char *method, const struct conn *cn)
{
	static const char *const gets[] = { "/metrics", "/healthz", "/readyz", "/status" };
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	if (!strcmp(url, "/hooks/git")) {
		if (!h->sh->secret)
			return text(c, 404, "not found\n");
		if (strcmp(method, "POST"))
			return respond(c, 405, "text/plain", "method not allowed\n", 19, "POST");
		return serve_hook(h, c, cn);
	}
	for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
		if (strcmp(url, gets[i]))
			continue;
		if (!get)
			return respond(c, 405, "text/plain", "method not allowed\n", 19,
				       "GET, HEAD");
		if (i == 0)
			return serve_metrics(h, c);
		if (i == 1)
			return text(c, 200, "ok\n");
		if (i == 2)
			return serve_readyz(h, c);
		return serve_status(h, c);
	}
	return text(c, 404, "not found\n");
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct conn *cn = *con_cls;

	(void)version;
	if (!cn) {
		*con_cls = xcalloc(1, sizeof(*cn));
		return MHD_YES;
	}
	if (*upload_size) {
		/* Past the bound, the rest is read and dropped: 413 at the end. */
		if (cn->too_big || cn->body.len + *upload_size > AGENT_HOOK_MAX_BODY)
			cn->too_big = true;
		else
			buf_add(&cn->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return route(cls, c, url, method, cn);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (!cn)
		return;
	buf_release(&cn->body);
	free(cn);
	*con_cls = NULL;
}

int agent_http_start(struct agent_http **out, unsigned short *port, const void *addr, unsigned len,
		     struct agent_shared *sh)
{
	const struct sockaddr *sa = addr;
	struct agent_http *h = xcalloc(1, sizeof(*h));
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ITC;
	const union MHD_DaemonInfo *info;
	unsigned short want =
		ntohs(sa->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)addr)->sin6_port
						: ((const struct sockaddr_in *)addr)->sin_port);

	(void)len;
	if (sa->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->sh = sh;
	h->daemon =
		MHD_start_daemon(flags, want, NULL, NULL, on_access, h, MHD_OPTION_SOCK_ADDR, addr,
				 MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				 MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
	if (!h->daemon) {
		free(h);
		return err_set(MW_ECONFIG,
			       "--listen: cannot serve on port %u (in use, or not an address of "
			       "this machine?)",
			       want);
	}
	info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	*port = info ? info->port : want;
	*out = h;
	return 0;
}

void agent_http_stop(struct agent_http *h)
{
	MHD_socket listening;

	if (!h)
		return;
	/* No new connection; then the ones open are answered or time out. */
	listening = MHD_quiesce_daemon(h->daemon);
	MHD_stop_daemon(h->daemon);
	/* Quiesced, the listening socket is ours to close. */
	if (listening != MHD_INVALID_SOCKET)
		close(listening);
	free(h);
}
