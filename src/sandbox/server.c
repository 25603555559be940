#include "server.h"

#include "codes.h"
#include "validate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "util/err.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/num.h"
#include "util/timeutil.h"

/* The biggest body read; a real PATCH is a few KiB. */
#define MAX_BODY (1024 * 1024)
/* Idle keep-alive connections each hold a thread: let them go eventually. */
#define IDLE_TIMEOUT_S 60
/* Advertised in the Ratelimit headers when --rate-limit is not given. */
#define DEFAULT_QUOTA 1200
#define DEFAULT_WINDOW 300
#define CONTROL_PREFIX "/__sandbox/"

struct server {
	struct server_config cfg;
	struct MHD_Daemon *daemon;
	/*
	 * Guards cfg.state: lists and gets read it together (jansson's
	 * reference counts are atomic), PATCH and DELETE write it alone.
	 */
	pthread_rwlock_t state_lock;
	pthread_mutex_t ray_lock;
	uint64_t ray_counter;
	char *url; /* the API base URL, with the port bound */
};

/* One request, created by the URI callback and freed when MHD is done. */
struct request {
	char *uri; /* as received, with the query string */
	int begun;
	int api; /* counted in stats (not /__sandbox/) */
	double arrived;
	char *body;
	size_t len, cap;
	int too_large;
};

/* What the handler decided to send. */
struct answer {
	int status;
	char *text; /* body, owned */
	long retry_after; /* > 0: add Retry-After */
	int drop; /* close without answering */
};

static double now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- listen address ------------------------------------------------------ */

struct listen_addr {
	struct sockaddr_storage ss;
	int v6;
	char host[64]; /* for the URL, "[::1]" for IPv6 */
};

static int parse_listen(struct listen_addr *out, const char *text)
{
	const char *colon = strrchr(text, ':');
	char host[64];
	size_t hlen;
	long port;

	memset(out, 0, sizeof *out);
	if (!colon)
		return err_set(MW_EUSAGE,
			       "listen address '%s' must be ADDRESS:PORT, e.g. 127.0.0.1:8787",
			       text);
	hlen = (size_t)(colon - text);
	if (!num_parse_long(&port, colon + 1, 0, 65535))
		return err_set(MW_EUSAGE, "listen address '%s' has a bad port (0 to 65535)", text);
	if (hlen >= sizeof host)
		return err_set(MW_EUSAGE, "listen address '%s' is not a loopback address", text);
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof host, "127.0.0.1");
	if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->ss;

		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1 ||
		    !IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
			return err_set(
				MW_EUSAGE,
				"listen address '%s' is not a loopback address (127.0.0.0/8 or "
				"[::1])",
				text);
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		out->v6 = 1;
		snprintf(out->host, sizeof out->host, "[::1]");
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&out->ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1 ||
		    (ntohl(a4->sin_addr.s_addr) >> 24) != 127)
			return err_set(
				MW_EUSAGE,
				"listen address '%s' is not a loopback address (127.0.0.0/8 or "
				"[::1])",
				text);
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		snprintf(out->host, sizeof out->host, "%s", host);
	}
	return 0;
}

int server_check_listen(const char *text)
{
	struct listen_addr a;

	return parse_listen(&a, text);
}

/* ---- envelopes ------------------------------------------------------------ */

static char *dump(json_t *j)
{
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;

	json_decref(j);
	return text;
}

/* A failure envelope around errors (stolen). */
static json_t *failure_with(json_t *errors)
{
	return json_pack("{s:b, s:o, s:[], s:n}", "success", 0, "errors", errors, "messages",
			 "result");
}

static json_t *failure(int code, const char *message)
{
	return failure_with(json_pack("[{s:i, s:s}]", "code", code, "message", message));
}

static void answer_error(struct answer *a, int status, int code, const char *message)
{
	a->status = status;
	a->text = dump(failure(code, message));
}

/* ---- credentials --------------------------------------------------------- */

static int same_secret(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

static int authorized(const struct server *srv, struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	const char *key = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Auth-Key");
	const char *email = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Auth-Email");
	const char *token = srv->cfg.token;

	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		const char *given = auth + 7;

		while (*given == ' ')
			given++;
		if (*given && (!token || same_secret(given, token)))
			return 1;
	}
	if (key && *key && email && *email && (!token || same_secret(key, token)))
		return 1;
	return 0;
}

/* ---- headers --------------------------------------------------------------- */

static void next_ray(struct server *srv, char *buf, size_t len)
{
	unsigned char in[16], d[32];
	uint64_t n;

	pthread_mutex_lock(&srv->ray_lock);
	n = srv->ray_counter++;
	pthread_mutex_unlock(&srv->ray_lock);
	for (int i = 0; i < 8; i++) {
		in[i] = (unsigned char)(srv->cfg.seed >> (8 * i));
		in[8 + i] = (unsigned char)(n >> (8 * i));
	}
	hash_sha256(d, in, sizeof in);
	snprintf(buf, len, "%02x%02x%02x%02x%02x%02x%02x%02x-SJC", d[0], d[1], d[2], d[3], d[4],
		 d[5], d[6], d[7]);
}

/* ---- the operations (called with the state lock held) --------------------- */

struct sort_item {
	json_t *dom;
	size_t idx;
	double t;
	const char *name;
};

struct sort_spec {
	int by_created;
	int desc;
};

static int compare_items(const void *pa, const void *pb, void *arg)
{
	const struct sort_item *a = pa, *b = pb;
	const struct sort_spec *s = arg;
	int c;

	if (s->by_created)
		c = (a->t > b->t) - (a->t < b->t);
	else
		c = strcasecmp(a->name, b->name);
	if (s->desc)
		c = -c;
	/* state order breaks ties, so equal keys keep a stable order */
	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

static int has_string(const json_t *array, const char *want)
{
	size_t i;
	const json_t *v;

	json_array_foreach(array, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
			return 1;
	return 0;
}

/* The list filters of one request, looked up once rather than per domain. */
struct list_filter {
	const char *search;
	const char *mode;
	const json_t *names; /* non-empty array or NULL */
	const char *integration;
	const char *status;
};

static void list_filter_init(struct list_filter *f, const json_t *query)
{
	const json_t *names = json_object_get(query, "domain");

	f->search = json_string_value(json_object_get(query, "search"));
	f->mode = json_string_value(json_object_get(query, "allowed_delivery_mode"));
	f->names = json_array_size(names) > 0 ? names : NULL;
	f->integration = json_string_value(json_object_get(query, "integration_id"));
	f->status = json_string_value(json_object_get(query, "status"));
	/* active_delivery_mode is validated against the document, but a Domain has
	 * no field holding its active mode, so there is nothing to filter on. */
}

static int list_filter_empty(const struct list_filter *f)
{
	return !f->search && !f->mode && !f->names && !f->integration && !f->status;
}

static int list_matches(const json_t *dom, const struct list_filter *f)
{
	const char *name = json_string_value(json_object_get(dom, "domain"));

	if (!name)
		name = "";
	if (f->search && !strcasestr(name, f->search))
		return 0;
	if (f->mode && !has_string(json_object_get(dom, "allowed_delivery_modes"), f->mode))
		return 0;
	if (f->names) {
		size_t i;
		const json_t *each;
		int hit = 0;

		json_array_foreach(f->names, i, each)
			if (strcasecmp(json_string_value(each), name) == 0)
				hit = 1;
		if (!hit)
			return 0;
	}
	if (f->integration) {
		const char *have = json_string_value(json_object_get(dom, "integration_id"));

		if (!have || strcasecmp(have, f->integration) != 0)
			return 0;
	}
	if (f->status) {
		const char *have = json_string_value(json_object_get(dom, "status"));

		if (!have || strcmp(have, f->status) != 0)
			return 0;
	}
	return 1;
}

static long long query_int(const json_t *query, const char *key, long long fallback)
{
	const json_t *v = json_object_get(query, key);

	return json_is_integer(v) ? json_integer_value(v) : fallback;
}

/*
 * FAULT_ENDLESS: page `page` of a listing that never ends, of made-up
 * domains whose ids differ on every page, without a total_count.
 */
static void op_list_endless(const json_t *query, const struct fault *f, struct answer *a)
{
	long long page = query_int(query, "page", 1), per_page = query_int(query, "per_page", 20);
	long items = f->items ? f->items : (long)(per_page < 1 ? 1 : per_page);
	char *pad = xcalloc((size_t)f->pad + 1, 1);
	json_t *result = json_array(), *env;

	if (!result)
		goto fail;
	memset(pad, 'x', (size_t)f->pad);
	for (long i = 0; i < items; i++) {
		char id[64], name[64];

		snprintf(id, sizeof id, "%08llx-0000-4000-8000-%012lx", page, i + 1);
		snprintf(name, sizeof name, "p%lld-%ld.endless.example.com", page, i + 1);
		if (json_array_append_new(result, json_pack("{s:s, s:s, s:s}", "id", id, "domain",
							    name, "padding", pad)) != 0)
			goto fail;
	}
	env = json_pack("{s:b, s:[], s:[], s:O, s:{s:I, s:I, s:I}}", "success", 1, "errors",
			"messages", "result", result, "result_info", "count", (json_int_t)items,
			"page", (json_int_t)page, "per_page", (json_int_t)items);
	a->status = 200;
	a->text = dump(env);
	if (!a->text)
		goto fail;
	json_decref(result);
	free(pad);
	return;
fail:
	json_decref(result);
	free(pad);
	answer_error(a, 500, CODE_FAULT_DEFAULT, "Internal Server Error");
}

static void op_list(const json_t *domains, const json_t *query, const struct fault *f,
		    struct answer *a)
{
	long long page = query_int(query, "page", 1), per_page = query_int(query, "per_page", 20);
	const char *order = json_string_value(json_object_get(query, "order"));
	const char *dir = json_string_value(json_object_get(query, "direction"));
	size_t n = 0, i, total, start, stop, count;
	struct sort_item *items = NULL;
	struct list_filter filter;
	int all;
	json_t *result = NULL, *env = NULL;
	json_t *dom;

	if (f && f->action == FAULT_ENDLESS) {
		op_list_endless(query, f, a);
		return;
	}
	items = xmalloc((json_array_size(domains) + 1) * sizeof(*items));
	result = json_array();
	if (!result)
		goto fail;
	list_filter_init(&filter, query);
	all = list_filter_empty(&filter);
	json_array_foreach(domains, i, dom) {
		if (!all && !list_matches(dom, &filter))
			continue;
		items[n].dom = dom;
		items[n].idx = i;
		n++;
	}
	/* sort keys only when sorting, and only the one sorted on: 10,000 per page add up */
	for (i = 0; order && i < n; i++) {
		const json_t *created;

		if (strcmp(order, "created_at")) {
			items[i].name = json_string_value(json_object_get(items[i].dom, "domain"));
			if (!items[i].name)
				items[i].name = "";
			continue;
		}
		created = json_object_get(items[i].dom, "created_at");
		items[i].t = -1e300;
		if (json_is_string(created))
			time_parse(&items[i].t, json_string_value(created));
	}
	if (order) {
		struct sort_spec s = { strcmp(order, "created_at") == 0,
				       dir && strcmp(dir, "desc") == 0 };

		qsort_r(items, n, sizeof *items, compare_items, &s);
	}
	total = n;
	if (page < 1)
		page = 1;
	if (per_page < 1)
		per_page = 1;
	/* a page past the end is empty; divide first so huge pages cannot overflow */
	if ((unsigned long long)(page - 1) >= (total + (size_t)per_page - 1) / (size_t)per_page) {
		start = stop = 0;
	} else {
		start = (size_t)(page - 1) * (size_t)per_page;
		stop = start + (size_t)per_page < total ? start + (size_t)per_page : total;
	}
	count = stop - start;
	if (f && f->action == FAULT_DUPLICATE && count > 0) {
		start = 0;
		stop = (size_t)per_page < total ? (size_t)per_page : total;
	}
	if (f && f->action == FAULT_SHORT && stop > start)
		stop--;
	for (i = start; i < stop; i++)
		if (json_array_append(result, items[i].dom) != 0)
			goto fail;
	env = json_pack(
		"{s:b, s:[], s:[], s:O, s:{s:I, s:I, s:I, s:I}}", "success", 1, "errors",
		"messages", "result", result, "result_info", "count", (json_int_t)count, "page",
		(json_int_t)page, "per_page", (json_int_t)per_page, "total_count",
		(json_int_t)((f && f->action == FAULT_LIE_TOTAL) ? f->total : (long long)total));
	a->status = 200;
	a->text = dump(env);
	env = NULL;
	if (!a->text)
		goto fail;
	json_decref(result);
	free(items);
	return;
fail:
	json_decref(result);
	free(items);
	free(a->text);
	answer_error(a, 500, CODE_FAULT_DEFAULT, "Internal Server Error");
}

static char *success_text(json_t *result)
{
	return dump(json_pack("{s:b, s:[], s:[], s:O}", "success", 1, "errors", "messages",
			      "result", result));
}

static void perform(struct server *srv, const struct spec_match *m, const json_t *query,
		    const json_t *body, const struct fault *f, struct answer *a)
{
	const char *account = spec_match_param(m, "account_id");
	const char *id = spec_match_param(m, "domain_id");
	enum spec_op_kind kind = spec_op_kind_of(m->op);
	json_t *domains, *dom;

	if (kind == SPEC_OP_PATCH || kind == SPEC_OP_DELETE)
		pthread_rwlock_wrlock(&srv->state_lock);
	else
		pthread_rwlock_rdlock(&srv->state_lock);
	domains = account ? state_domains(srv->cfg.state, account) : NULL;
	if (!domains) {
		answer_error(a, 403, CODE_ACCOUNT_FORBIDDEN,
			     "Unauthorized to access requested resource");
		goto done;
	}
	if (kind == SPEC_OP_LIST) {
		op_list(domains, query, f, a);
		goto done;
	}
	dom = id ? state_find(srv->cfg.state, account, id) : NULL;
	if (!dom) {
		answer_error(a, 404, CODE_DOMAIN_NOT_FOUND, "Domain not found");
		goto done;
	}
	a->status = 200;
	if (kind == SPEC_OP_GET) {
		a->text = success_text(dom);
	} else if (kind == SPEC_OP_PATCH) {
		char now[40];

		state_format_time(now_wall(), now, sizeof now);
		dom = state_update(srv->cfg.state, account, id, body, now);
		a->text = dom ? success_text(dom) : NULL;
	} else {
		json_t *deleted = json_pack("{s:O}", "id", json_object_get(dom, "id"));

		if (deleted && state_remove(srv->cfg.state, account, id) == 0)
			a->text = success_text(deleted);
		json_decref(deleted);
	}
	if (!a->text)
		answer_error(a, 500, CODE_FAULT_DEFAULT, "Internal Server Error");
done:
	pthread_rwlock_unlock(&srv->state_lock);
}

/* ---- request handling ------------------------------------------------------ */

/* An address or CIDR block as the real API accepts in ip_restrictions. */
static int is_ip_or_cidr(const char *text)
{
	char addr[INET6_ADDRSTRLEN + 8];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	int max;

	if (alen == 0 || alen >= sizeof addr)
		return 0;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bin) == 1) {
		max = 32;
	} else if (inet_pton(AF_INET6, addr, bin) == 1) {
		max = 128;
	} else {
		return 0;
	}
	if (slash) {
		const char *p = slash + 1;
		int bits = 0;

		if (!*p || strlen(p) > 3)
			return 0;
		for (; *p; p++) {
			if (*p < '0' || *p > '9')
				return 0;
			bits = bits * 10 + (*p - '0');
		}
		if (bits > max)
			return 0;
	}
	return 1;
}

/* The one rule on top of the document: the real API parses ip_restrictions
 * entries, which the document only types as strings. */
static int check_ip_restrictions(const json_t *body, json_t *errors)
{
	const json_t *list = json_object_get(body, "ip_restrictions");
	const json_t *item;
	size_t i;
	int errs = 0;

	json_array_foreach(list, i, item) {
		char ptr[64];

		if (!json_is_string(item) || is_ip_or_cidr(json_string_value(item)))
			continue;
		snprintf(ptr, sizeof ptr, "/ip_restrictions/%zu", i);
		validate_add_error(errors, CODE_INVALID_VALUE, ptr,
				   "'ip_restrictions[%zu]' must be an IPv4 or IPv6 address or CIDR "
				   "block (got \"%.80s\")",
				   i, json_string_value(item));
		errs++;
	}
	return errs;
}

struct exempt_ctx {
	struct server *srv;
	const char *account;
};

/* A domain id that exists is served whatever its form (older integer ids). */
static int exempt_existing_id(void *ud, const char *name, const char *value)
{
	struct exempt_ctx *e = ud;
	int found;

	if (strcmp(name, "domain_id") != 0 || !e->account)
		return 0;
	pthread_rwlock_rdlock(&e->srv->state_lock);
	found = state_find(e->srv->cfg.state, e->account, value) != NULL;
	pthread_rwlock_unlock(&e->srv->state_lock);
	return found;
}

struct arg_list {
	struct spec_arg *args;
	size_t n, cap;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct arg_list *l = cls;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		l->args = xrealloc(l->args, cap * sizeof(*l->args));
		l->cap = cap;
	}
	l->args[l->n].key = key;
	l->args[l->n].value = value;
	l->n++;
	return MHD_YES;
}

/* The page a list request asks for, for fault matching: 1 by default, -1 if odd. */
static long requested_page(const struct arg_list *args)
{
	long page = 1;

	for (size_t i = 0; i < args->n; i++) {
		if (strcmp(args->args[i].key, "page") == 0 &&
		    !num_parse_long(&page, args->args[i].value ? args->args[i].value : "", LONG_MIN,
				    LONG_MAX))
			return -1;
	}
	return page;
}

/* A JSON string of text; bytes of a text that is not UTF-8 show as '?'. */
static json_t *lossy_string(const char *text, size_t len)
{
	json_t *s = json_stringn(text, len);
	char *copy;

	if (s)
		return s;
	copy = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		copy[i] = ((unsigned char)text[i] >= 0x80 || text[i] == '\0') ? '?' : text[i];
	s = json_stringn(copy, len);
	free(copy);
	return s;
}

static json_t *body_for_log(const struct request *r, const json_t *parsed)
{
	if (parsed)
		return json_incref((json_t *)parsed);
	if (r->len == 0)
		return json_null();
	return lossy_string(r->body, r->len);
}

static enum MHD_Result send_answer(struct server *srv, struct MHD_Connection *conn,
				   struct answer *a, const struct ratelimit_info *rl)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;
	char ray[32], buf[96];
	const char *text = a->text ? a->text : "";

	resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
					       a->text ? MHD_RESPMEM_MUST_FREE
						       : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(a->text);
		a->text = NULL;
		return MHD_NO;
	}
	a->text = NULL; /* owned by the response now */
	next_ray(srv, ray, sizeof ray);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "cf-ray", ray);
	if (rl) {
		snprintf(buf, sizeof buf, "\"default\";r=%ld;t=%ld", rl->remaining, rl->reset);
		MHD_add_response_header(resp, "Ratelimit", buf);
		snprintf(buf, sizeof buf, "\"default\";q=%ld;w=%ld", rl->limit, rl->window);
		MHD_add_response_header(resp, "Ratelimit-Policy", buf);
	}
	if (a->retry_after > 0) {
		snprintf(buf, sizeof buf, "%ld", a->retry_after);
		MHD_add_response_header(resp, "Retry-After", buf);
	}
	ok = MHD_queue_response(conn, (unsigned int)a->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result handle_api(struct server *srv, struct MHD_Connection *conn,
				  struct request *r, const char *url, const char *method)
{
	const struct server_config *cfg = &srv->cfg;
	struct arg_list args = { 0 };
	struct spec_match m;
	json_t *errors = json_array(), *query = NULL, *body = NULL;
	int route, nerr = 0, limited = 0, faulted = 0;
	struct ratelimit_info rli = { DEFAULT_QUOTA, DEFAULT_WINDOW, DEFAULT_QUOTA - 1,
				      DEFAULT_WINDOW, 0 };
	struct answer a = { 0 };
	struct fault f;
	struct stats_outcome o = { 0 };
	enum MHD_Result result;
	const char *q;

	memset(&f, 0, sizeof f);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
	route = spec_route(cfg->spec, method, url, &m);
	o.op = route == SPEC_ROUTE_OK ? spec_op_name(m.op) : "other";
	if (!errors) {
		answer_error(&a, 500, CODE_FAULT_DEFAULT, "Internal Server Error");
		goto respond;
	}
	if (route == SPEC_ROUTE_OK) {
		struct exempt_ctx ex = { srv, spec_match_param(&m, "account_id") };
		struct spec_request req = {
			.query = args.args,
			.nquery = args.n,
			.content_type =
				MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
			.body = r->body,
			.body_len = r->len,
			.body_too_large = r->too_large,
			.exempt = exempt_existing_id,
			.exempt_ud = &ex,
		};

		nerr = spec_validate_request(cfg->spec, &m, &req, errors, &query, &body);
		if (nerr >= 0 && json_is_object(body))
			nerr += check_ip_restrictions(body, errors);
		if (nerr < 0) {
			answer_error(&a, 500, CODE_FAULT_DEFAULT, "Internal Server Error");
			goto respond;
		}
	} else if (route == SPEC_ROUTE_NONE) {
		validate_add_error(errors, CODE_NO_ROUTE, NULL, "no route for %s %s", method, url);
	} else {
		validate_add_error(errors, CODE_METHOD_NOT_ALLOWED, NULL,
				   "method %s not allowed for %s", method, url);
	}

	if (cfg->ratelimit)
		limited = !ratelimit_take(cfg->ratelimit, r->arrived, &rli);
	if (cfg->latency_ms > 0)
		sleep_ms(cfg->latency_ms);

	if (limited) {
		answer_error(&a, 429, CODE_RATE_LIMITED,
			     "Please wait and consider throttling your request speed");
		a.retry_after = rli.retry_after;
		o.rate_limited = 1;
	} else if (route == SPEC_ROUTE_NONE) {
		answer_error(&a, 404, CODE_NO_ROUTE, "No route for the URI");
	} else if (route == SPEC_ROUTE_METHOD) {
		answer_error(&a, 405, CODE_METHOD_NOT_ALLOWED, "Method not allowed for this route");
	} else if (!authorized(srv, conn)) {
		answer_error(&a, 401, CODE_AUTH, "Authentication error");
		o.unauthorized = 1;
	} else {
		if (cfg->faults)
			faulted = faults_match(
				cfg->faults, method, o.op, url,
				strcmp(o.op, "list") == 0 ? requested_page(&args) : -1, &f);
		o.fault = faulted;
		if (faulted && f.action == FAULT_DELAY)
			sleep_ms(f.delay_ms);
		if (faulted && f.action == FAULT_STATUS) {
			answer_error(&a, f.status, f.code, f.message);
		} else if (faulted && f.action == FAULT_429) {
			answer_error(&a, 429, CODE_RATE_LIMITED,
				     "Please wait and consider throttling your request speed");
			a.retry_after = f.retry_after;
		} else if (faulted && f.action == FAULT_DROP) {
			a.drop = 1;
		} else if (faulted && f.action == FAULT_MALFORMED) {
			a.status = 200;
			a.text = xstrdup("{\"success\": true, \"errors\": [], \"messages\": [], "
					 "\"result\": [{\"id\": ");
		} else if (faulted && f.action == FAULT_ENVELOPE_FALSE) {
			answer_error(&a, 200, f.code, f.message);
		} else if (nerr > 0) {
			a.status = 400;
			a.text = dump(failure_with(json_incref(errors)));
			o.invalid = 1;
		} else {
			perform(srv, &m, query, body, faulted ? &f : NULL, &a);
		}
	}

respond:
	o.status = a.drop ? 0 : a.status;
	stats_finish(cfg->stats, &o);
	if (cfg->log) {
		q = strchr(r->uri, '?');
		json_t *entry = json_pack(
			"{s:f, s:o, s:o, s:o, s:s, s:i, s:b, s:O, s:o, s:o}", "time", r->arrived,
			"method", lossy_string(method, strlen(method)), "path",
			lossy_string(url, strlen(url)), "query",
			q ? lossy_string(q + 1, strlen(q + 1)) : json_string(""), "op", o.op,
			"status", o.status, "valid", route == SPEC_ROUTE_OK && nerr == 0, "errors",
			errors ? errors : json_null(), "body", body_for_log(r, body), "fault",
			faulted ? json_string(fault_action_name(f.action)) : json_null());

		if (entry)
			reqlog_write(cfg->log, entry);
		json_decref(entry);
	}
	if (a.drop)
		result = MHD_NO;
	else
		result = send_answer(srv, conn, &a, &rli);
	free(a.text);
	json_decref(errors);
	json_decref(query);
	json_decref(body);
	spec_match_clear(&m);
	free(args.args);
	return result;
}

static enum MHD_Result handle_control(struct server *srv, struct MHD_Connection *conn,
				      const char *url, const char *method)
{
	struct answer a = { 0 };
	const char *name = url + strlen(CONTROL_PREFIX);

	if (strcmp(name, "stats") == 0 || strcmp(name, "reset-stats") == 0) {
		const char *want = name[0] == 's' ? "GET" : "POST";

		if (strcmp(method, want) != 0) {
			answer_error(&a, 405, CODE_METHOD_NOT_ALLOWED,
				     "Method not allowed for this route");
		} else if (name[0] == 's') {
			a.status = 200;
			a.text = dump(stats_json(srv->cfg.stats));
		} else {
			stats_reset(srv->cfg.stats);
			a.status = 200;
			a.text = success_text(json_null());
		}
	} else {
		answer_error(&a, 404, CODE_NO_ROUTE, "No route for the URI");
	}
	if (!a.text)
		answer_error(&a, 500, CODE_FAULT_DEFAULT, "Internal Server Error");
	/* control answers are not rate limited; their headers show the quota left */
	{
		struct ratelimit_info rest = { DEFAULT_QUOTA, DEFAULT_WINDOW, DEFAULT_QUOTA - 1,
					       DEFAULT_WINDOW, 0 };

		if (srv->cfg.ratelimit)
			ratelimit_peek(srv->cfg.ratelimit, now_wall(), &rest);
		return send_answer(srv, conn, &a, &rest);
	}
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **req_cls)
{
	struct server *srv = cls;
	struct request *r = *req_cls;

	if (!r)
		return MHD_NO; /* the URI callback ran out of memory */
	if (!r->begun) {
		r->begun = 1;
		r->arrived = now_wall();
		r->api = strncmp(url, CONTROL_PREFIX, strlen(CONTROL_PREFIX)) != 0;
		if (r->api)
			stats_begin(srv->cfg.stats, r->arrived);
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (r->too_large || r->len + n > MAX_BODY) {
			r->too_large = 1;
			return MHD_YES;
		}
		if (r->len + n + 1 > r->cap) {
			size_t cap = r->cap ? r->cap : 4096;

			while (cap < r->len + n + 1)
				cap *= 2;
			r->body = xrealloc(r->body, cap);
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload, n);
		r->len += n;
		r->body[r->len] = '\0';
		return MHD_YES;
	}
	if (!r->api)
		return handle_control(srv, conn, url, method);
	return handle_api(srv, conn, r, url, method);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* libmicrohttpd's own complaints (a dropped connection shows up here as an
 * "internal error"): keep them on stderr, marked as theirs. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	fputs("mailward-sandbox: libmicrohttpd: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct request *r = xcalloc(1, sizeof(*r));

	r->uri = xstrdup(uri);
	return r;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode why)
{
	struct server *srv = cls;
	struct request *r = *req_cls;

	if (!r)
		return;
	if (r->begun && r->api)
		stats_end(srv->cfg.stats);
	free(r->uri);
	free(r->body);
	free(r);
	*req_cls = NULL;
}

int server_start(struct server **out, const struct server_config *cfg)
{
	struct server *srv = NULL;
	struct listen_addr addr;
	const union MHD_DaemonInfo *info;
	unsigned int flags =
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	int rc, locks = 0;

	*out = NULL;
	rc = parse_listen(&addr, cfg->listen);
	if (rc)
		return rc;
	srv = xcalloc(1, sizeof(*srv));
	srv->cfg = *cfg;
	if (pthread_rwlock_init(&srv->state_lock, NULL) != 0) {
		rc = err_set(MW_EIO, "cannot start the server: %s", strerror(errno));
		goto fail;
	}
	locks = 1;
	if (pthread_mutex_init(&srv->ray_lock, NULL) != 0) {
		rc = err_set(MW_EIO, "cannot start the server: %s", strerror(errno));
		goto fail;
	}
	locks = 2;
	if (addr.v6)
		flags |= MHD_USE_IPv6;
	{
		struct MHD_OptionItem tls[] = {
			{ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cfg->tls_cert },
			{ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)cfg->tls_key },
			{ MHD_OPTION_END, 0, NULL },
		};

		if (cfg->tls_cert)
			flags |= MHD_USE_TLS;
		else
			tls[0].option = MHD_OPTION_END;
		/* The logger first: libmicrohttpd logs by itself until it sees it. */
		srv->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, on_access, srv, MHD_OPTION_EXTERNAL_LOGGER,
			on_mhd_log, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr.ss,
			MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED,
			on_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT,
			(unsigned int)IDLE_TIMEOUT_S, MHD_OPTION_LISTENING_ADDRESS_REUSE,
			(unsigned int)1, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	}
	if (!srv->daemon) {
		rc = err_set(MW_EIO, "cannot listen on '%s' (address in use?)", cfg->listen);
		goto fail;
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || info->port == 0) {
		rc = err_set(MW_EIO, "cannot learn the port bound for '%s'", cfg->listen);
		goto fail;
	}
	srv->url = xasprintf("%s://%s:%u%s", cfg->tls_cert ? "https" : "http", addr.host,
			     (unsigned)info->port, spec_base_path(cfg->spec));
	*out = srv;
	return 0;
fail:
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	if (locks > 1)
		pthread_mutex_destroy(&srv->ray_lock);
	if (locks > 0)
		pthread_rwlock_destroy(&srv->state_lock);
	free(srv);
	return rc;
}

const char *server_url(const struct server *srv)
{
	return srv->url;
}

void server_stop(struct server *srv)
{
	if (!srv)
		return;
	MHD_stop_daemon(srv->daemon);
	pthread_mutex_destroy(&srv->ray_lock);
	pthread_rwlock_destroy(&srv->state_lock);
	free(srv->url);
	free(srv);
}
