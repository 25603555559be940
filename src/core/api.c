#include "api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

struct api {
	struct http_client *http;
	char *base_url;
	char *account_id;
	char *headers[3];
};

static bool header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

int api_new(struct api **out, const struct api_opts *opts)
{
	struct api *a = xcalloc(1, sizeof(*a));
	struct http_opts h = opts->http;
	struct buf url = BUF_INIT;
	size_t nh = 0;
	int rc;

	*out = NULL;
	rc = http_check_base_url(&url, opts->base_url);
	if (rc < 0)
		goto done;
	a->base_url = buf_detach(&url, NULL);
	a->account_id = xstrdup(opts->account_id);
	if (opts->token) {
		if (!header_safe(opts->token)) {
			rc = err_set(MW_ECONFIG,
				     "the API token contains control characters (a stray "
				     "line break?)");
			goto done;
		}
		a->headers[nh++] = xasprintf("Authorization: Bearer %s", opts->token);
	} else if (opts->email && opts->key) {
		if (!header_safe(opts->email) || !header_safe(opts->key)) {
			rc = err_set(MW_ECONFIG, "CLOUDFLARE_EMAIL or CLOUDFLARE_API_KEY contains "
						 "control characters");
			goto done;
		}
		a->headers[nh++] = xasprintf("X-Auth-Email: %s", opts->email);
		a->headers[nh++] = xasprintf("X-Auth-Key: %s", opts->key);
	} else {
		rc = err_set(MW_ECONFIG,
			     "no API credentials: set CLOUDFLARE_API_TOKEN, or use "
			     "--token-file, or set CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY");
		goto done;
	}
	a->headers[nh] = NULL;
	h.headers = (const char *const *)a->headers;
	rc = http_client_new(&a->http, &h);
done:
	buf_release(&url);
	if (rc < 0) {
		api_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void api_free(struct api *a)
{
	if (!a)
		return;
	http_client_free(a->http);
	free(a->base_url);
	free(a->account_id);
	for (size_t i = 0; i < ARRAY_SIZE(a->headers); i++) {
		/* Credentials do not outlive the client, even in freed memory. */
		if (a->headers[i])
			explicit_bzero(a->headers[i], strlen(a->headers[i]));
		free(a->headers[i]);
	}
	free(a);
}

const char *api_base_url(const struct api *a)
{
	return a->base_url;
}

void api_stats(const struct api *a, struct http_stats *out)
{
	http_client_stats(a->http, out);
}

static void domains_path(struct buf *out, const struct api *a, const char *domain_id)
{
	buf_puts(out, "/accounts/");
	http_escape(out, a->account_id);
	buf_puts(out, "/email-security/settings/domains");
	if (domain_id) {
		buf_putc(out, '/');
		http_escape(out, domain_id);
	}
}

/* A short, printable excerpt of a body that is not what was expected. */
static void excerpt(struct buf *why, const struct buf *body)
{
	size_t n = body->len < 80 ? body->len : 80;

	if (!body->len) {
		buf_puts(why, "an empty body");
		return;
	}
	buf_puts(why, "'");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)body->ptr[i];

		buf_putc(why, c >= 0x20 && c < 0x7f ? (char)c : '?');
	}
	buf_puts(why, n < body->len ? "...'" : "'");
}

/*
 * Text from the API goes into one-line messages and logs: control
 * characters (a line break that would forge a line of output) become spaces.
 */
static void put_api_text(struct buf *out, const char *s)
{
	for (; *s; s++)
		buf_putc(out, (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s);
}

static void describe_errors(struct buf *why, const json_t *errors)
{
	size_t i;
	json_t *e;
	bool any = false;

	json_array_foreach(errors, i, e) {
		json_t *code = json_object_get(e, "code");
		json_t *msg = json_object_get(e, "message");
		const char *pointer =
			json_string_value(json_object_get(json_object_get(e, "source"), "pointer"));

		buf_puts(why, any ? "; " : "");
		any = true;
		if (json_is_integer(code))
			buf_printf(why, "code %lld: ", (long long)json_integer_value(code));
		put_api_text(why, json_is_string(msg) ? json_string_value(msg) : "(no message)");
		if (pointer) {
			buf_puts(why, " (at ");
			put_api_text(why, pointer);
			buf_putc(why, ')');
		}
	}
	if (!any)
		buf_puts(why, "no error details");
}

/*
 * The envelope of an answer: on success `*root` holds the parsed answer (a
 * new reference) for the caller to take `result` and `result_info` from;
 * otherwise -1 with the reason in `why`, and the errors array in `*errors`.
 */
static int read_envelope(const struct http_req *req, json_t **root, json_t **errors,
			 struct buf *why)
{
	json_t *doc = NULL, *success, *errs;
	json_error_t jerr;
	int rc = -1;

	*root = NULL;
	if (errors)
		*errors = NULL;
	if (req->status == 0) {
		buf_printf(why, "no answer from the API after %d attempt%s: %s", req->attempts,
			   req->attempts == 1 ? "" : "s", req->error[0] ? req->error : "not sent");
		return -1;
	}
	if (req->error[0]) {
		/* An answer the client would not wait out (a Retry-After past the budget). */
		buf_printf(why, "HTTP %ld after %d attempt%s: %s", req->status, req->attempts,
			   req->attempts == 1 ? "" : "s", req->error);
		return -1;
	}
	doc = json_loadb(req->response.ptr, req->response.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc || !json_is_object(doc)) {
		buf_printf(why,
			   "the API answered HTTP %ld with a body that is not a JSON envelope: ",
			   req->status);
		excerpt(why, &req->response);
		goto done;
	}
	success = json_object_get(doc, "success");
	errs = json_object_get(doc, "errors");
	if (!json_is_boolean(success)) {
		buf_printf(why,
			   "the API answered HTTP %ld without the 'success' field of its envelope",
			   req->status);
		goto done;
	}
	if (json_is_false(success) || req->status < 200 || req->status >= 300) {
		buf_printf(why, "HTTP %ld: ", req->status);
		if (json_is_array(errs) && json_array_size(errs))
			describe_errors(why, errs);
		else if (json_is_true(success))
			buf_puts(why, "the API said success with an error status");
		else
			buf_puts(why, "the API reported a failure without error details");
		if (req->status == 401 || req->status == 403)
			buf_puts(why, " (check the credentials and that the token has the Cloud "
				      "Email Security permission for this account)");
		if (errors && json_is_array(errs))
			*errors = json_incref(errs);
		goto done;
	}
	*root = doc;
	doc = NULL;
	rc = 0;
done:
	json_decref(doc);
	return rc;
}

int api_read_envelope(const struct http_req *req, json_t **result, json_t **errors, struct buf *why)
{
	json_t *root = NULL;

	*result = NULL;
	if (read_envelope(req, &root, errors, why) < 0)
		return -1;
	*result = json_incref(json_object_get(root, "result"));
	if (!*result)
		*result = json_null();
	json_decref(root);
	return 0;
}

/* --- operations -------------------------------------------------------- */

static const char *method_name(enum api_method m)
{
	switch (m) {
	case API_PATCH:
		return "PATCH";
	case API_DELETE:
		return "DELETE";
	case API_GET:
		break;
	}
	return "GET";
}

void api_op_release(struct api_op *op)
{
	http_req_reset(&op->req);
	free((char *)op->req.url);
	op->req.url = NULL;
	free(op->path);
	op->path = NULL;
	free(op->body_text);
	op->body_text = NULL;
	json_decref(op->result);
	op->result = NULL;
	json_decref(op->errors);
	op->errors = NULL;
	free(op->message);
	op->message = NULL;
	op->ok = false;
}

struct run_ctx {
	void (*done)(struct api_op *op, void *ctx);
	void *ctx;
	int (*before_send)(struct api_op *op, void *ctx);
};

static int op_before_send(struct http_req *req, void *ctx)
{
	struct run_ctx *rc = ctx;

	return rc->before_send ? rc->before_send(req->user, rc->ctx) : 0;
}

static void op_finished(struct http_req *req, void *ctx)
{
	struct run_ctx *rc = ctx;
	struct api_op *op = req->user;
	struct buf why = BUF_INIT;

	json_decref(op->result);
	json_decref(op->errors);
	op->result = op->errors = NULL;
	free(op->message);
	op->message = NULL;
	op->ok = api_read_envelope(req, &op->result, &op->errors, &why) == 0;
	if (!op->ok)
		op->message = buf_detach(&why, NULL);
	buf_release(&why);
	if (rc->done)
		rc->done(op, rc->ctx);
}

int api_run(struct api *a, struct api_op **ops, size_t n,
	    void (*done)(struct api_op *op, void *ctx), void *ctx)
{
	struct api_hooks hooks = { NULL, done, ctx };

	return api_run_hooks(a, ops, n, &hooks);
}

int api_run_hooks(struct api *a, struct api_op **ops, size_t n, const struct api_hooks *hooks)
{
	struct http_req **reqs = xcalloc(n ? n : 1, sizeof(*reqs));
	struct run_ctx rctx = { hooks->done, hooks->ctx, hooks->before_send };
	struct http_hooks hh = { op_before_send, op_finished, &rctx };
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct api_op *op = ops[i];
		struct buf path = BUF_INIT;

		api_op_release(op);
		domains_path(&path, a, op->domain_id);
		op->path = buf_detach(&path, NULL);
		op->req.method = method_name(op->method);
		op->req.url = xasprintf("%s%s", a->base_url, op->path);
		if (op->method == API_PATCH && op->body) {
			op->body_text = json_dumps(op->body, JSON_COMPACT);
			op->req.body = op->body_text;
			op->req.body_len = strlen(op->body_text);
		} else {
			op->req.body = NULL;
			op->req.body_len = 0;
		}
		op->req.user = op;
		reqs[i] = &op->req;
	}
	rc = http_run_hooks(a->http, reqs, n, &hh);
	free(reqs);
	return rc;
}

/* --- listing ----------------------------------------------------------- */

struct page {
	struct http_req req;
	char *url;
	long number;
	struct live *live; /* where its domains go (the listing's) */
	bool keep_raw;
	size_t first, count; /* its domains: live->v[first..first+count) */
	json_t *info; /* its result_info, or NULL */
	int rc; /* how reading it went; the message in `why` */
	struct buf why;
};

static void page_url(struct page *p, const struct api *a, long number, long per_page)
{
	struct buf url = BUF_INIT;

	buf_puts(&url, a->base_url);
	domains_path(&url, a, NULL);
	/* A total order (by name) keeps pages stable between requests. */
	buf_printf(&url, "?page=%ld&per_page=%ld&order=domain&direction=asc", number, per_page);
	free(p->url);
	p->url = buf_detach(&url, NULL);
	p->number = number;
	p->req.method = "GET";
	p->req.url = p->url;
	p->req.body = NULL;
	p->req.user = p;
}

static void page_release(struct page *p)
{
	http_req_reset(&p->req);
	free(p->url);
	json_decref(p->info);
	buf_release(&p->why);
	memset(p, 0, sizeof(*p));
}

/*
 * Read one page's answer: its domains go into the compact live model
 * (p->live, from p->first on; planning needs only identity and writable
 * fields, so the JSON goes as soon as each page is read) and its
 * result_info into p->info; then the raw answer is dropped. Sets p->rc
 * (and p->why); returns it.
 */
static int page_read(struct page *p)
{
	json_t *root = NULL, *result;
	size_t i;
	json_t *item;
	int read = read_envelope(&p->req, &root, NULL, &p->why);
	long status = p->req.status;

	/*
	 * The raw page is up to a megabyte: it goes as soon as it is parsed,
	 * before the parsed tree. (Freed last, it would make malloc coalesce
	 * the tree's small blocks that the next page's parse could reuse.)
	 */
	http_req_reset(&p->req);
	p->rc = 0;
	if (read < 0) {
		p->rc = status ? MW_EAPI : MW_ENET;
		goto done;
	}
	result = json_object_get(root, "result");
	if (!json_is_array(result)) {
		buf_puts(&p->why, "the API's result is not a list");
		p->rc = MW_EAPI;
		goto done;
	}
	p->first = p->live->nr;
	json_array_foreach(result, i, item) {
		/* live_add() fails only for an item without string 'id' and 'domain'. */
		if (live_add(p->live, item, p->keep_raw) < 0) {
			err_clear();
			buf_printf(&p->why,
				   "item %zu is not a domain with an 'id' and a 'domain' name",
				   i + 1);
			p->rc = MW_EAPI;
			goto done;
		}
		p->count++;
	}
	p->info = json_incref(json_object_get(root, "result_info"));
done:
	json_decref(root);
	return p->rc;
}

static int page_error(const struct page *p)
{
	return err_set(p->rc, "listing domains (page %ld): %s", p->number, p->why.ptr);
}

/*
 * One listing: the raw bytes read so far, against API_MAX_LIST_BYTES, and
 * the first page that failed for good, which ends it.
 */
struct listing {
	struct api *a;
	size_t bytes;
	int rc;
	char *message; /* the first failure's, when rc < 0 */
	struct live live; /* every page's domains, in the order they were read */
	bool keep_raw; /* API_KEEP_ALL */
};

/* Count a page's raw answer before it is read; false when over the bound. */
static bool count_bytes(struct listing *l, struct page *p)
{
	l->bytes += p->req.response.len;
	if (l->bytes <= API_MAX_LIST_BYTES)
		return true;
	p->rc = MW_ECONSISTENCY;
	buf_printf(&p->why,
		   "the listing's answers exceed %u MiB in all; refusing to plan on a "
		   "listing that large",
		   API_MAX_LIST_BYTES >> 20);
	http_req_reset(&p->req);
	return false;
}

static void listing_fail(struct listing *l, const struct page *p)
{
	if (l->rc < 0)
		return;
	l->rc = page_error(p);
	l->message = xstrdup(err_msg());
}

/* A result_info number that can be trusted as a count, or -1. */
static long info_count(const json_t *info, const char *name)
{
	json_t *v = json_object_get(info, name);
	double d;

	if (json_is_integer(v))
		return json_integer_value(v) >= 0 ? (long)json_integer_value(v) : -1;
	if (!json_is_real(v))
		return -1;
	d = json_real_value(v);
	if (d < 0 || d > 1e12 || floor(d) != d)
		return -1;
	return (long)d;
}

/*
 * Take a page's domains, in page order, refusing an id that an earlier
 * page (or this one) already had.
 */
static int take_items(json_t *seen, const struct page *p)
{
	for (size_t i = p->first; i < p->first + p->count; i++) {
		const char *id = p->live->v[i].id;
		json_t *first = json_object_get(seen, id);

		if (first)
			return err_set(
				MW_ECONSISTENCY,
				"the domain listing is inconsistent: id '%s' "
				"appears on page %lld and again on page %ld (domains changed "
				"while listing?); nothing was planned, run again",
				id, (long long)json_integer_value(first), p->number);
		json_object_set_new(seen, id, json_integer(p->number));
	}
	return 0;
}

static int fetch_one(struct listing *l, struct page *p)
{
	struct http_req *r = &p->req;
	int rc = http_run(l->a->http, &r, 1, NULL, NULL);

	if (rc < 0)
		return rc;
	if (!count_bytes(l, p) || page_read(p) < 0)
		return page_error(p);
	return 0;
}

static void page_arrived(struct http_req *req, void *ctx)
{
	struct listing *l = ctx;
	struct page *p = req->user;

	/* Parse while the other pages are still on the wire. */
	if (!count_bytes(l, p) || page_read(p) < 0) {
		/* The listing is lost: start no other page, wait for none. */
		listing_fail(l, p);
		http_cancel(l->a->http);
	}
}

static void page_init(struct page *p, struct listing *l, long number, long per_page)
{
	p->live = &l->live;
	p->keep_raw = l->keep_raw;
	page_url(p, l->a, number, per_page);
}

static int list_rest_concurrently(struct listing *l, json_t *seen, long pages, long per_page,
				  long total)
{
	size_t n = (size_t)(pages - 1);
	struct page *p = xcalloc(n, sizeof(*p));
	struct http_req **reqs = xcalloc(n, sizeof(*reqs));
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		page_init(&p[i], l, (long)i + 2, per_page);
		reqs[i] = &p[i].req;
	}
	rc = http_run(l->a->http, reqs, n, page_arrived, l);
	if (rc == 0 && l->rc < 0)
		rc = err_set(l->rc, "%s", l->message);
	for (size_t i = 0; i < n && rc == 0; i++) {
		long expect = p[i].number < pages ? per_page : total - (pages - 1) * per_page;

		if (p[i].rc < 0) {
			rc = page_error(&p[i]);
			break;
		}
		if ((long)p[i].count != expect) {
			rc = err_set(
				MW_ECONSISTENCY,
				"the domain listing is inconsistent: page %ld "
				"holds %zu domains where %ld were announced (%ld in all); nothing "
				"was planned, run again",
				p[i].number, p[i].count, expect, total);
			break;
		}
		rc = take_items(seen, &p[i]);
	}
	for (size_t i = 0; i < n; i++)
		page_release(&p[i]);
	free(p);
	free(reqs);
	return rc;
}

/* Without a total: page after page until a short one, within the bound. */
static int list_rest_sequentially(struct listing *l, json_t *seen, long per_page)
{
	int rc = 0;

	for (long number = 2;; number++) {
		struct page p = { 0 };
		size_t got;

		if (number > API_MAX_PAGES) {
			return err_set(MW_ECONSISTENCY,
				       "the domain listing goes on past %d pages; "
				       "refusing to plan on it",
				       API_MAX_PAGES);
		}
		page_init(&p, l, number, per_page);
		rc = fetch_one(l, &p);
		if (rc == 0)
			rc = take_items(seen, &p);
		got = p.count;
		page_release(&p);
		if (rc < 0 || got < (size_t)per_page)
			return rc;
	}
}

int api_list_domains(struct api *a, struct live *out, enum api_list_keep keep)
{
	struct page first = { 0 };
	struct listing l = { a, 0, 0, NULL, LIVE_INIT, keep == API_KEEP_ALL };
	json_t *seen = json_object();
	long per_page = API_PER_PAGE_MAX, total, got, pages, announced_pp;
	int rc;

	page_init(&first, &l, 1, API_PER_PAGE_MAX);
	rc = fetch_one(&l, &first);
	if (rc < 0)
		goto done;
	rc = take_items(seen, &first);
	if (rc < 0)
		goto done;
	got = (long)first.count;
	total = info_count(first.info, "total_count");
	/* A server may cap pages below what was asked: follow its page size. */
	announced_pp = info_count(first.info, "per_page");
	if (announced_pp > 0 && announced_pp < per_page && got == announced_pp)
		per_page = announced_pp;
	if (got > per_page) {
		rc = err_set(MW_ECONSISTENCY,
			     "the domain listing is inconsistent: page 1 holds %ld "
			     "domains, more than the %ld asked for",
			     got, per_page);
		goto done;
	}
	if (total >= 0 && (total < got || (got < per_page && total != got))) {
		rc = err_set(MW_ECONSISTENCY,
			     "the domain listing is inconsistent: page 1 holds %ld "
			     "domains but the API announced %ld in all; nothing was planned",
			     got, total);
		goto done;
	}
	if (got < per_page)
		goto finished;
	if (total < 0) {
		rc = list_rest_sequentially(&l, seen, per_page);
		goto done_check;
	}
	pages = (total + per_page - 1) / per_page;
	if (pages > API_MAX_PAGES) {
		rc = err_set(MW_ECONSISTENCY,
			     "the API announced %ld domains (%ld pages); more than "
			     "%d pages is beyond what mailward will plan on",
			     total, pages, API_MAX_PAGES);
		goto done;
	}
	if (pages > 1)
		rc = list_rest_concurrently(&l, seen, pages, per_page, total);
done_check:
	if (rc < 0)
		goto done;
	if (total >= 0 && (long)l.live.nr != total) {
		rc = err_set(MW_ECONSISTENCY,
			     "the domain listing is inconsistent: %zu domains "
			     "listed, %ld announced",
			     l.live.nr, total);
		goto done;
	}
finished:
	rc = live_index(&l.live);
	if (rc < 0)
		goto done;
	*out = l.live;
	l.live = (struct live)LIVE_INIT;
done:
	page_release(&first);
	free(l.message);
	live_release(&l.live);
	json_decref(seen);
	return rc;
}
