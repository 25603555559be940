/*
 * What the fuzz targets share: contract checks, fixtures, plan checks.
 */
#include "fuzz.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/diff.h"
#include "core/fields.h"
#include "core/render.h"
#include "util/buf.h"
#include "util/diag.h"
#include "util/err.h"
#include "util/hash.h"
#include "util/mem.h"

const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

bool fuzz_check_on(const char *cls)
{
	const char *list = getenv("MW_FUZZ_IGNORE");
	size_t n = strlen(cls);

	if (!list)
		return true;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, cls, n))
			return false;
		p += len;
		if (*p == ',')
			p++;
	}
	return true;
}

void fuzz_fail(const char *cls, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz check '%s' failed: ", cls);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

void fuzz_init_env(void)
{
	/* plan_build() stamps created_at with time_now(): keep it fixed. */
	setenv("SOURCE_DATE_EPOCH", "1767225600", 1);
	/* jansson seeds its hash function at random: the same run every time. */
	json_object_seed(1);
}

bool fuzz_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n >= len - i)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* --- fixtures ------------------------------------------------------------ */

/*
 * The desired state that live_plan_fuzz plans every fuzzed listing against:
 * every writable field, defaults, a pin, absent domains, one with nothing.
 */
static const char fixture_yaml[] = "account_id: 023E105F4ECEF8AD9CA31A8372D0C353\n"
				   "defaults: &defaults\n"
				   "  drop_dispositions: [MALICIOUS, MALICIOUS-BEC, SPOOF]\n"
				   "  require_tls_inbound: true\n"
				   "domains:\n"
				   "  example.com:\n"
				   "    allowed_delivery_modes: [DIRECT, BCC]\n"
				   "    lookback_hops: 2\n"
				   "    regions: [GLOBAL]\n"
				   "    folder: null\n"
				   "    integration_id: 9e3c2a1b-6f4d-4c8e-a2b1-0d9f8e7c6b5a\n"
				   "    transport: smtp.example.net\n"
				   "    require_tls_outbound: false\n"
				   "  mail.example.com:\n"
				   "    id: 3fa85f64-5717-4562-b3fc-2c963f66afa6\n"
				   "    ip_restrictions: [\"192.0.2.0/24\", \"2001:db8::/32\"]\n"
				   "  old.example.com:\n"
				   "    absent: true\n"
				   "  gone.example.com:\n"
				   "    absent: true\n"
				   "  new.example.com:\n"
				   "  inbox.example.org:\n"
				   "    <<: *defaults\n"
				   "    folder: Inbox\n"
				   "    lookback_hops: 20\n"
				   "    regions: [US, DE, US]\n";

/* The listing that yaml_desired_fuzz plans every fuzzed desired state against. */
static const char fixture_live_json[] =
	"[{\"id\": \"3fa85f64-5717-4562-b3fc-2c963f66afa6\", \"domain\": \"mail.example.com\","
	"  \"ip_restrictions\": [\"2001:DB8::/32\", \"192.0.2.0/24\"],"
	"  \"drop_dispositions\": [\"SPOOF\", \"MALICIOUS\"], \"require_tls_inbound\": true,"
	"  \"status\": \"active\"},"
	" {\"id\": \"c0ffee00-0000-4000-8000-000000000001\", \"domain\": \"Example.COM.\","
	"  \"allowed_delivery_modes\": [\"BCC\", \"DIRECT\", \"DIRECT\"], \"lookback_hops\": 1,"
	"  \"regions\": [\"GLOBAL\"], \"folder\": \"AllItems\","
	"  \"integration_id\": \"9E3C2A1B-6F4D-4C8E-A2B1-0D9F8E7C6B5A\","
	"  \"transport\": \"smtp.example.net\", \"require_tls_outbound\": false,"
	"  \"drop_dispositions\": [\"MALICIOUS\"], \"require_tls_inbound\": false,"
	"  \"created_at\": \"2024-01-01T00:00:00Z\", \"authorization\": {\"authorized\": true}},"
	" {\"id\": \"c0ffee00-0000-4000-8000-000000000002\", \"domain\": \"old.example.com\"},"
	" {\"id\": \"c0ffee00-0000-4000-8000-000000000003\", \"domain\": \"twin.example.net\"},"
	" {\"id\": \"c0ffee00-0000-4000-8000-000000000004\", \"domain\": \"twin.example.net\"},"
	" {\"id\": \"c0ffee00-0000-4000-8000-000000000005\", \"domain\": \"other.example.org\","
	"  \"lookback_hops\": null}]";

static struct desired fixture_desired = DESIRED_INIT;
static struct live fixture_live = LIVE_INIT;
static bool have_desired, have_live;

const struct desired *fuzz_fixture_desired(void)
{
	if (!have_desired) {
		struct source_file f = { "fixture.yaml", NULL, sizeof(fixture_yaml) - 1, false };
		struct diags diags = DIAGS_INIT;

		f.data = xstrdup(fixture_yaml);
		if (desired_load(&fixture_desired, &f, 1, &diags) < 0) {
			diags_print(&diags, stderr);
			fuzz_fail("fixture", "the fixture desired state does not load: %s",
				  err_msg());
		}
		free(f.data);
		diags_release(&diags);
		have_desired = true;
	}
	return &fixture_desired;
}

const struct live *fuzz_fixture_live(void)
{
	if (!have_live) {
		json_error_t jerr;
		json_t *arr = json_loads(fixture_live_json, JSON_REJECT_DUPLICATES, &jerr);

		if (!arr)
			fuzz_fail("fixture", "the fixture listing is not JSON: %s", jerr.text);
		if (live_load(&fixture_live, arr) < 0)
			fuzz_fail("fixture", "the fixture listing does not load: %s", err_msg());
		json_decref(arr);
		have_live = true;
	}
	return &fixture_live;
}

static const struct plan_source fixture_source = {
	"https://git.example.com/mail/settings.git",
	"refs/heads/main",
	"0123456789abcdef0123456789abcdef01234567",
	"mail",
	false,
};

const struct plan_meta *fuzz_fixture_meta(bool prune)
{
	static const struct plan_meta keep = {
		"023e105f4ecef8ad9ca31a8372d0c353",
		"https://api.cloudflare.com/client/v4",
		&fixture_source,
		false,
	};
	static const struct plan_meta del = {
		"023e105f4ecef8ad9ca31a8372d0c353",
		"https://api.cloudflare.com/client/v4",
		&fixture_source,
		true,
	};

	return prune ? &del : &keep;
}

/* --- plans --------------------------------------------------------------- */

void fuzz_plan_digest(char out[72], const json_t *obj)
{
	json_t *body = json_copy((json_t *)obj);
	char *text;

	json_object_del(body, "digest");
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (!text)
		fuzz_fail("fuzz-digest", "json_dumps failed on a plan object");
	hash_sha256_hex(out, text, strlen(text));
	free(text);
	json_decref(body);
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static bool same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static bool valid_fingerprint(const char *s)
{
	if (!s || strncmp(s, "sha256:", 7) || strlen(s) != 71)
		return false;
	return strspn(s + 7, "0123456789abcdef") == 64;
}

static void check_update(const struct plan_change *c, const struct desired *d, const struct live *l)
{
	const struct live_domain *ld = l ? live_find_id(l, c->id) : NULL;
	const struct desired_domain *dd = d ? desired_find(d, c->domain) : NULL;
	const char *name;
	json_t *v, *patched, *diff2 = NULL, *body2 = NULL;
	struct live after = LIVE_INIT;
	size_t i;

	FUZZ_CHECK(json_is_array(c->diff) && json_array_size(c->diff) > 0, "plan-invariant",
		   "update of '%s' has no diff", c->domain);
	FUZZ_CHECK(json_is_object(c->body) && json_object_size(c->body) == json_array_size(c->diff),
		   "plan-invariant", "update of '%s': body and diff disagree in size", c->domain);
	json_object_foreach(c->body, name, v) {
		const struct field *f = fields_find(name);
		long bad;

		FUZZ_CHECK(f && (f->flags & FIELD_WRITABLE), "plan-invariant",
			   "update of '%s' sends '%s', not a writable field", c->domain, name);
		FUZZ_CHECK(fields_check(f, v, &bad) == 0, "plan-invariant",
			   "update of '%s' sends an invalid %s: %s", c->domain, name, err_msg());
	}
	json_array_foreach(c->diff, i, v) {
		const char *field = json_string_value(json_object_get(v, "field"));

		FUZZ_CHECK(field && json_object_get(v, "before") && json_object_get(v, "after") &&
				   json_equal(json_object_get(v, "after"),
					      json_object_get(c->body, field)),
			   "plan-invariant",
			   "update of '%s': diff item %zu does not match the body", c->domain, i);
	}
	if (!ld || !dd)
		return;
	/* The PATCH must bring the live domain to the desired state. */
	patched = live_domain_json(ld);
	json_object_update(patched, c->body);
	FUZZ_CHECK(live_add(&after, patched, false) == 0, "plan-semantics",
		   "update of '%s': the patched domain does not load", c->domain);
	diff_domain(&diff2, &body2, dd->settings, &after.v[0]);
	live_release(&after);
	FUZZ_CHECK(json_array_size(diff2) == 0, "plan-semantics",
		   "update of '%s' would not bring it in sync: %zu fields still differ", c->domain,
		   json_array_size(diff2));
	json_decref(diff2);
	json_decref(body2);
	json_decref(patched);
}

void fuzz_check_built_plan(const struct plan *p, const struct desired *d, const struct live *l)
{
	struct plan_summary want = { 0 };
	size_t del_absent = 0;
	char digest[HASH_HEX_SIZE];
	json_t *j;

	FUZZ_CHECK(p->format_version == PLAN_FORMAT_VERSION && p->tool_version && p->created_at &&
			   p->account_id && p->api_url,
		   "plan-invariant", "plan header incomplete");
	FUZZ_CHECK(json_is_object(p->policy) &&
			   json_is_array(json_object_get(p->policy, "violations")) &&
			   json_is_array(json_object_get(p->policy, "warnings")),
		   "plan-invariant", "plan policy is not {violations, warnings}");
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_change *c = &p->changes[i];

		FUZZ_CHECK(c->domain, "plan-invariant", "change %zu has no domain", i);
		if (i > 0) {
			const struct plan_change *prev = &p->changes[i - 1];
			int cmp = strcmp(prev->domain, c->domain);

			if (!cmp)
				cmp = cmp_str(prev->id, c->id);
			FUZZ_CHECK(cmp < 0, "plan-invariant",
				   "changes %zu and %zu are out of order "
				   "('%s' '%s', '%s' '%s')",
				   i - 1, i, prev->domain, prev->id ? prev->id : "(null)",
				   c->domain, c->id ? c->id : "(null)");
		}
		switch (c->action) {
		case PLAN_UPDATE:
			want.update++;
			FUZZ_CHECK(c->id && c->declared_at && !c->reason, "plan-invariant",
				   "update of '%s' is missing its id or place", c->domain);
			check_update(c, d, l);
			break;
		case PLAN_DELETE:
			want.del++;
			FUZZ_CHECK(c->id && c->reason && !c->diff && !c->body, "plan-invariant",
				   "delete of '%s' is malformed", c->domain);
			FUZZ_CHECK(c->reason && (!strcmp(c->reason, "absent")
							 ? c->declared_at != NULL
							 : !strcmp(c->reason, "prune") &&
								   !c->declared_at),
				   "plan-invariant",
				   "delete of '%s' has reason '%s' and place '%s'", c->domain,
				   c->reason ? c->reason : "(null)",
				   c->declared_at ? c->declared_at : "(null)");
			if (c->reason && !strcmp(c->reason, "absent"))
				del_absent++;
			break;
		case PLAN_MISSING:
			want.missing++;
			FUZZ_CHECK(!c->fingerprint && !c->diff && !c->body && !c->reason &&
					   c->declared_at,
				   "plan-invariant", "missing '%s' is malformed", c->domain);
			FUZZ_CHECK(!l || !c->id || !live_find_id(l, c->id), "plan-invariant",
				   "missing '%s' pins id '%s', which is live", c->domain, c->id);
			break;
		}
		if (c->action != PLAN_MISSING) {
			const struct live_domain *ld = l ? live_find_id(l, c->id) : NULL;

			FUZZ_CHECK(valid_fingerprint(c->fingerprint), "plan-invariant",
				   "change of '%s' has fingerprint '%s'", c->domain,
				   c->fingerprint ? c->fingerprint : "(null)");
			if (l) {
				char fp[HASH_HEX_SIZE];

				FUZZ_CHECK(ld, "plan-invariant",
					   "change of '%s' names id '%s', not live", c->domain,
					   c->id);
				if (ld) {
					live_fingerprint(fp, ld);
					FUZZ_CHECK(!strcmp(fp, c->fingerprint), "plan-invariant",
						   "change of '%s' has a stale fingerprint",
						   c->domain);
				}
			}
		}
	}
	for (size_t i = 0; i < p->n_unmanaged; i++) {
		const struct plan_unmanaged *u = &p->unmanaged[i];

		FUZZ_CHECK(u->domain && u->id, "plan-invariant", "unmanaged %zu is incomplete", i);
		FUZZ_CHECK(!l || live_find_id(l, u->id), "plan-invariant",
			   "unmanaged '%s' is not live", u->domain);
		if (i > 0) {
			const struct plan_unmanaged *prev = &p->unmanaged[i - 1];
			int cmp = strcmp(prev->domain, u->domain);

			FUZZ_CHECK(cmp < 0 || (cmp == 0 && strcmp(prev->id, u->id) < 0),
				   "plan-invariant", "unmanaged %zu and %zu are out of order",
				   i - 1, i);
		}
	}
	/* With prune, only a live domain whose name git declares (under another
	 * id) is left unmanaged: plan_build() never prunes a declared name. */
	for (size_t i = 0; d && p->prune && i < p->n_unmanaged; i++)
		FUZZ_CHECK(desired_find(d, p->unmanaged[i].domain), "plan-invariant",
			   "a plan with prune leaves undeclared '%s' unmanaged",
			   p->unmanaged[i].domain);
	FUZZ_CHECK(want.update == p->summary.update && want.del == p->summary.del &&
			   want.missing == p->summary.missing &&
			   p->n_unmanaged == p->summary.unmanaged,
		   "plan-invariant", "the summary does not count the changes");
	if (d)
		FUZZ_CHECK(p->summary.update + p->summary.missing + p->summary.noop + del_absent ==
				   d->nr,
			   "plan-invariant",
			   "%zu declared domains, but %zu+%zu+%zu+%zu accounted for", d->nr,
			   p->summary.update, p->summary.missing, p->summary.noop, del_absent);
	if (d && l)
		FUZZ_CHECK(p->summary.del - del_absent + p->n_unmanaged <= l->nr, "plan-invariant",
			   "more undeclared domains than live ones");
	FUZZ_CHECK(plan_has_changes(p) == (p->nr > 0), "plan-invariant",
		   "plan_has_changes() disagrees with the changes");
	j = plan_to_json(p);
	fuzz_plan_digest(digest, j);
	FUZZ_CHECK(!strcmp(digest, p->digest), "plan-invariant", "the plan's digest is stale");
	json_decref(j);
}

static void check_same_plan(const struct plan *a, const struct plan *b, bool resealed)
{
	FUZZ_CHECK(a->format_version == b->format_version &&
			   same_str(a->tool_version, b->tool_version) &&
			   same_str(a->created_at, b->created_at) &&
			   same_str(a->account_id, b->account_id) &&
			   same_str(a->api_url, b->api_url),
		   "plan-roundtrip", "the header changed");
	FUZZ_CHECK(same_str(a->source.repo, b->source.repo) &&
			   same_str(a->source.ref, b->source.ref) &&
			   same_str(a->source.commit, b->source.commit) &&
			   same_str(a->source.path, b->source.path) &&
			   a->source.worktree == b->source.worktree,
		   "plan-roundtrip", "the source changed");
	FUZZ_CHECK(a->prune == b->prune && a->live_count == b->live_count &&
			   !memcmp(&a->summary, &b->summary, sizeof(a->summary)),
		   "plan-roundtrip", "prune, live_count or the summary changed");
	FUZZ_CHECK(a->nr == b->nr && a->n_unmanaged == b->n_unmanaged, "plan-roundtrip",
		   "%zu/%zu changes and %zu/%zu unmanaged before and after", a->nr, b->nr,
		   a->n_unmanaged, b->n_unmanaged);
	for (size_t i = 0; i < a->nr && i < b->nr; i++) {
		const struct plan_change *x = &a->changes[i], *y = &b->changes[i];

		FUZZ_CHECK(x->action == y->action && same_str(x->domain, y->domain) &&
				   same_str(x->id, y->id) && same_str(x->reason, y->reason) &&
				   same_str(x->fingerprint, y->fingerprint) &&
				   same_str(x->declared_at, y->declared_at) &&
				   (x->diff ? y->diff && json_equal(x->diff, y->diff) : !y->diff) &&
				   (x->body ? y->body && json_equal(x->body, y->body) : !y->body),
			   "plan-roundtrip", "change %zu ('%s') changed", i, x->domain);
	}
	for (size_t i = 0; i < a->n_unmanaged && i < b->n_unmanaged; i++)
		FUZZ_CHECK(same_str(a->unmanaged[i].domain, b->unmanaged[i].domain) &&
				   same_str(a->unmanaged[i].id, b->unmanaged[i].id),
			   "plan-roundtrip", "unmanaged %zu changed", i);
	FUZZ_CHECK(json_equal(a->policy, b->policy), "plan-roundtrip", "the policy changed");
	FUZZ_CHECK(resealed || !strcmp(a->digest, b->digest), "plan-roundtrip",
		   "the digest changed");
}

static bool utf8_or_null(const char *s)
{
	return !s || fuzz_utf8_valid(s, strlen(s));
}

/* Whether every text of the plan can be written as a JSON string. */
static bool plan_texts_valid(const struct plan *p, const char **bad)
{
	const char *texts[] = { p->tool_version, p->created_at, p->account_id,    p->api_url,
				p->source.repo,  p->source.ref, p->source.commit, p->source.path };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (!utf8_or_null(texts[i]))
			return *bad = texts[i], false;
	for (size_t i = 0; i < p->nr; i++) {
		const struct plan_change *c = &p->changes[i];
		const char *ct[] = { c->domain, c->id, c->reason, c->fingerprint, c->declared_at };

		for (size_t k = 0; k < sizeof(ct) / sizeof(ct[0]); k++)
			if (!utf8_or_null(ct[k]))
				return *bad = ct[k], false;
	}
	for (size_t i = 0; i < p->n_unmanaged; i++)
		if (!utf8_or_null(p->unmanaged[i].domain) || !utf8_or_null(p->unmanaged[i].id))
			return *bad = p->unmanaged[i].domain, false;
	return true;
}

void fuzz_check_plan_roundtrip(const struct plan *p)
{
	struct plan q;
	json_error_t jerr;
	char *text = plan_to_text(p);
	json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	bool resealed = false;
	const char *bad = NULL;
	json_t *j1, *j2;

	/*
	 * JSON holds UTF-8 only: jansson refuses other text, and the plan file
	 * then lacks the member (a source path from git is any bytes).
	 */
	if (!plan_texts_valid(p, &bad)) {
		FUZZ_CHECK(false, "plan-utf8",
			   "the plan holds text that is not UTF-8 ('%s'), which "
			   "its file cannot hold",
			   bad);
		free(text);
		return;
	}

	FUZZ_CHECK(obj, "plan-roundtrip", "plan_to_text() wrote what is not JSON: %s", jerr.text);
	if (!obj) {
		free(text);
		return;
	}
	if (plan_from_json(&q, obj) < 0) {
		char digest[HASH_HEX_SIZE];

		/*
		 * Only the digest wrong (the text is not what the digest was made
		 * of) is a bug of its own; go on with the text sealed, to find
		 * others behind it.
		 */
		FUZZ_CHECK(false, "plan-roundtrip-digest",
			   "a plan did not load again after "
			   "plan_to_text(): %s",
			   err_msg());
		fuzz_plan_digest(digest, obj);
		json_object_set_new(obj, "digest", json_string(digest));
		resealed = true;
		if (plan_from_json(&q, obj) < 0) {
			FUZZ_CHECK(false, "plan-roundtrip",
				   "the text of a plan does not load (sealed "
				   "again): %s",
				   err_msg());
			json_decref(obj);
			free(text);
			return;
		}
	}
	check_same_plan(p, &q, resealed);
	j1 = plan_to_json(p);
	j2 = plan_to_json(&q);
	if (resealed) {
		json_object_del(j1, "digest");
		json_object_del(j2, "digest");
	}
	FUZZ_CHECK(json_equal(j1, j2), "plan-roundtrip",
		   "plan_to_json() differs after a round trip");
	json_decref(j1);
	json_decref(j2);
	plan_release(&q);
	json_decref(obj);
	free(text);
}

/* --- rendering ----------------------------------------------------------- */

static void check_text(const struct buf *out, const char *what, const struct render_opts *ro)
{
	FUZZ_CHECK(strlen(out->ptr) == out->len, "render", "%s output holds a NUL", what);
	FUZZ_CHECK(fuzz_utf8_valid(out->ptr, out->len), "render-utf8",
		   "%s output (%s mode, limit %zu) is not valid UTF-8", what,
		   ro->mode == RENDER_MODE_DRIFT ? "drift" : "plan", ro->markdown_limit);
}

void fuzz_render_plan(const struct plan *p)
{
	static const size_t limits[] = { 0, 1500 };

	for (int mode = RENDER_MODE_PLAN; mode <= RENDER_MODE_DRIFT; mode++) {
		for (int color = 0; color <= 1; color++) {
			struct render_opts ro = { (enum render_mode)mode, color, 0 };
			struct buf out = BUF_INIT;

			render_plan(&out, p, RENDER_TEXT, &ro);
			check_text(&out, "text", &ro);
			buf_release(&out);
		}
		for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
			struct render_opts ro = { (enum render_mode)mode, false, limits[i] };
			size_t limit = limits[i] ? limits[i] : RENDER_MARKDOWN_LIMIT;
			struct buf out = BUF_INIT;

			render_plan(&out, p, RENDER_MARKDOWN, &ro);
			FUZZ_CHECK(out.len <= limit, "render", "markdown of %zu bytes, limit %zu",
				   out.len, limit);
			check_text(&out, "markdown", &ro);
			buf_release(&out);
		}
		{
			struct render_opts ro = { (enum render_mode)mode, false, 0 };
			struct buf out = BUF_INIT;
			json_t *back;

			render_plan(&out, p, RENDER_JSON, &ro);
			back = json_loads(out.ptr, 0, NULL);
			FUZZ_CHECK(back, "render", "JSON output does not parse");
			json_decref(back);
			buf_release(&out);
		}
	}
}
