#include "fields.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/str.h"
#include "util/suggest.h"

static const char *const delivery_modes[] = {
	"DIRECT", "BCC", "JOURNAL", "API", "RETRO_SCAN", NULL,
};

static const char *const dispositions[] = {
	"MALICIOUS", "MALICIOUS-BEC", "SUSPICIOUS", "SPOOF", "SPAM", "BULK",
	"ENCRYPTED", "EXTERNAL",      "UNKNOWN",    "NONE",  NULL,
};

static const char *const folders[] = { "AllItems", "Inbox", NULL };

static const char *const regions[] = { "GLOBAL", "AU", "DE", "IN", "US", NULL };

static const char *const statuses[] = {
	"pending", "active", "failed", "timeout", NULL,
};

static const char *const spf_statuses[] = {
	"none", "good", "neutral", "open", "invalid", NULL,
};

static const char *const dmarc_statuses[] = { "none", "good", "invalid", NULL };

static const char *const inbox_providers[] = { "Microsoft", "Google", NULL };

#define W FIELD_WRITABLE
#define RO FIELD_READONLY

/*
 * Writable rows first, in the order import writes them; the order of
 * UpdateDomain's properties in the OpenAPI document.
 */
const struct field fields_table[] = {
	{ "allowed_delivery_modes", FIELD_ENUM_SET, W, delivery_modes, 0, 0,
	  "delivery modes the domain may use" },
	{ "drop_dispositions", FIELD_ENUM_SET, W, dispositions, 0, 0,
	  "dispositions whose messages are dropped" },
	{ "folder", FIELD_ENUM, W | FIELD_NULLABLE, folders, 0, 0,
	  "mailbox folder that is scanned (null: the default)" },
	{ "integration_id", FIELD_UUID, W | FIELD_NULLABLE, NULL, 0, 0,
	  "integration the domain belongs to" },
	{ "ip_restrictions", FIELD_CIDR_SET, W, NULL, 0, 0, "addresses (CIDR) allowed to deliver" },
	{ "lookback_hops", FIELD_INT, W, NULL, 1, 20,
	  "received headers to look back through (1..20)" },
	{ "regions", FIELD_ENUM_SET, W, regions, 0, 0, "regions where mail is processed" },
	{ "require_tls_inbound", FIELD_BOOL, W, NULL, 0, 0, "refuse inbound mail without TLS" },
	{ "require_tls_outbound", FIELD_BOOL, W, NULL, 0, 0, "refuse outbound mail without TLS" },
	{ "transport", FIELD_STRING, W, NULL, 0, 0, "transport (next hop) for delivered mail" },
	{ "id", FIELD_STRING, FIELD_IDENTITY, NULL, 0, 0, "domain identifier (a UUID; opaque)" },
	{ "domain", FIELD_STRING, FIELD_IDENTITY, NULL, 0, 0,
	  "domain name, immutable after creation" },
	{ "authorization", FIELD_OBJECT, RO, NULL, 0, 0, "authorization state" },
	{ "created_at", FIELD_TIMESTAMP, RO, NULL, 0, 0, "creation time" },
	{ "modified_at", FIELD_TIMESTAMP, RO, NULL, 0, 0, "last modification time" },
	{ "last_modified", FIELD_TIMESTAMP, RO | FIELD_DEPRECATED, NULL, 0, 0,
	  "deprecated: use modified_at" },
	{ "dmarc_status", FIELD_ENUM, RO, dmarc_statuses, 0, 0, "DMARC status" },
	{ "spf_status", FIELD_ENUM, RO, spf_statuses, 0, 0, "SPF status" },
	{ "status", FIELD_ENUM, RO, statuses, 0, 0, "onboarding status" },
	{ "emails_processed", FIELD_OBJECT, RO, NULL, 0, 0, "message counters" },
	{ "inbox_provider", FIELD_ENUM, RO, inbox_providers, 0, 0, "mailbox provider" },
	{ "o365_tenant_id", FIELD_STRING, RO, NULL, 0, 0, "Microsoft 365 tenant" },
};

#undef W
#undef RO

const size_t fields_count = ARRAY_SIZE(fields_table);

const struct field *fields_find(const char *name)
{
	for (size_t i = 0; i < fields_count; i++)
		if (!strcmp(fields_table[i].name, name))
			return &fields_table[i];
	return NULL;
}

const char *const *fields_writable_names(void)
{
	static const char *names[ARRAY_SIZE(fields_table) + 1];

	if (!names[0]) {
		size_t n = 0;

		for (size_t i = 0; i < fields_count; i++)
			if (fields_table[i].flags & FIELD_WRITABLE)
				names[n++] = fields_table[i].name;
		names[n] = NULL;
	}
	return names;
}

bool fields_is_uuid(const char *s)
{
	static const int dash_at[] = { 8, 13, 18, 23 };
	size_t d = 0;

	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (d < ARRAY_SIZE(dash_at) && i == dash_at[d]) {
			if (s[i] != '-')
				return false;
			d++;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* fields_cidr_canonical(), with the reason appended to `why`: false when invalid. */
static bool cidr_canonical(struct buf *out, const char *text, struct buf *why)
{
	unsigned char addr[16];
	char host[INET6_ADDRSTRLEN + 1];
	char printed[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
	int family, maxlen;
	long prefix;

	if (hlen == 0 || hlen >= sizeof(host)) {
		buf_printf(why, "'%s' is not an IP address or CIDR prefix", text);
		return false;
	}
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	if (inet_pton(AF_INET, host, addr) == 1) {
		family = AF_INET;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, host, addr) == 1) {
		family = AF_INET6;
		maxlen = 128;
	} else {
		buf_printf(why, "'%s' is not an IP address or CIDR prefix", text);
		return false;
	}
	prefix = maxlen;
	if (slash) {
		const char *p = slash + 1;
		char *end = NULL;

		/* Digits only: strtol would take " 24", "+24" and "0x18". */
		if (!isdigit((unsigned char)*p) || (p[0] == '0' && p[1])) {
			buf_printf(why, "'%s' has an invalid prefix length", text);
			return false;
		}
		prefix = strtol(p, &end, 10);
		if (*end || prefix > maxlen) {
			buf_printf(why, "'%s' has an invalid prefix length (0..%d)", text, maxlen);
			return false;
		}
	}
	inet_ntop(family, addr, printed, sizeof(printed));
	buf_printf(out, "%s/%ld", printed, prefix);
	return true;
}

int fields_cidr_canonical(struct buf *out, const char *text)
{
	struct buf why = BUF_INIT;
	int rc = 0;

	if (!cidr_canonical(out, text, &why))
		rc = err_set(MW_EINVALID, "%s", why.ptr);
	buf_release(&why);
	return rc;
}

static bool in_values(const char *const *values, const char *s)
{
	for (size_t i = 0; values[i]; i++)
		if (!strcmp(values[i], s))
			return true;
	return false;
}

static void list_values(struct buf *why, const char *const *values)
{
	for (size_t i = 0; values[i]; i++)
		buf_printf(why, "%s%s", i ? ", " : "", values[i]);
}

static bool check_member(const struct field *f, const char *s, struct buf *why)
{
	const char *close;

	if (in_values(f->values, s))
		return true;
	buf_printf(why, "'%s' is not a valid value for %s", s, f->name);
	close = suggest_closest(s, f->values);
	if (close)
		buf_printf(why, " (did you mean '%s'?)", close);
	buf_puts(why, "; expected one of ");
	list_values(why, f->values);
	return false;
}

static bool check_set_item(const struct field *f, const json_t *item, struct buf *why)
{
	struct buf scratch = BUF_INIT;
	bool ok;

	if (!json_is_string(item)) {
		buf_printf(why, "%s takes a list of strings", f->name);
		return false;
	}
	if (f->kind == FIELD_ENUM_SET)
		return check_member(f, json_string_value(item), why);
	ok = cidr_canonical(&scratch, json_string_value(item), why);
	buf_release(&scratch);
	return ok;
}

/* fields_check(), with the reason appended to `why`: false when invalid. */
static bool check_value(const struct field *f, const json_t *value, long *bad_item, struct buf *why)
{
	*bad_item = -1;
	if (!(f->flags & FIELD_WRITABLE)) {
		buf_printf(why, "%s is not a writable setting", f->name);
		return false;
	}
	if (json_is_null(value)) {
		if (f->flags & FIELD_NULLABLE)
			return true;
		buf_printf(why, "%s cannot be null", f->name);
		return false;
	}
	switch (f->kind) {
	case FIELD_BOOL:
		if (json_is_boolean(value))
			return true;
		buf_printf(why, "%s must be true or false", f->name);
		return false;
	case FIELD_INT:
		if (!json_is_integer(value)) {
			buf_printf(why, "%s must be an integer from %lld to %lld", f->name, f->min,
				   f->max);
			return false;
		}
		if (json_integer_value(value) < f->min || json_integer_value(value) > f->max) {
			buf_printf(why, "%s must be from %lld to %lld, not %lld", f->name, f->min,
				   f->max, (long long)json_integer_value(value));
			return false;
		}
		return true;
	case FIELD_ENUM:
		if (!json_is_string(value)) {
			buf_printf(why, "%s must be one of ", f->name);
			list_values(why, f->values);
			return false;
		}
		return check_member(f, json_string_value(value), why);
	case FIELD_ENUM_SET:
	case FIELD_CIDR_SET: {
		size_t i;
		json_t *item;

		if (!json_is_array(value)) {
			buf_printf(why, "%s must be a list", f->name);
			return false;
		}
		json_array_foreach(value, i, item) {
			if (!check_set_item(f, item, why)) {
				*bad_item = (long)i;
				return false;
			}
		}
		return true;
	}
	case FIELD_UUID:
		if (json_is_string(value) && fields_is_uuid(json_string_value(value)))
			return true;
		buf_printf(why, "%s must be a UUID (8-4-4-4-12 hexadecimal digits)", f->name);
		return false;
	case FIELD_STRING:
		if (json_is_string(value))
			return true;
		buf_printf(why, "%s must be a string", f->name);
		return false;
	case FIELD_OBJECT:
	case FIELD_TIMESTAMP:
		break;
	}
	buf_printf(why, "%s is not a writable setting", f->name);
	return false;
}

int fields_check(const struct field *f, const json_t *value, long *bad_item)
{
	struct buf why = BUF_INIT;
	int rc = 0;

	if (!check_value(f, value, bad_item, &why))
		rc = err_set(MW_EINVALID, "%s", why.ptr);
	buf_release(&why);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Sets compare as sorted, repeat-free lists of canonical items. Items are
 * ordered by their text: a string's own, anything else's compact JSON (a
 * live API may send numbers or objects), marked so the two never mix.
 */
static json_t *canonical_set(const struct field *f, const json_t *value)
{
	size_t n = json_array_size(value);
	char **keys = xcalloc(n ? n : 1, sizeof(*keys));
	json_t *out = json_array();
	struct buf text = BUF_INIT, why = BUF_INIT;
	json_t *item;
	size_t i;

	json_array_foreach(value, i, item) {
		const char *s = json_string_value(item);

		if (!s) {
			char *dumped =
				json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);

			keys[i] = xasprintf("\x01%s", dumped ? dumped : "");
			free(dumped);
			continue;
		}
		buf_truncate(&text, 0);
		buf_truncate(&why, 0);
		if (f->kind == FIELD_CIDR_SET && cidr_canonical(&text, s, &why))
			s = text.ptr;
		keys[i] = xasprintf("\x02%s", s);
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		if (i > 0 && !strcmp(keys[i], keys[i - 1]))
			continue;
		if (keys[i][0] == '\x02')
			json_array_append_new(out, json_string(keys[i] + 1));
		else
			json_array_append_new(out, json_loads(keys[i] + 1, JSON_DECODE_ANY, NULL));
	}
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	buf_release(&text);
	buf_release(&why);
	return out;
}

json_t *fields_canonical(const struct field *f, const json_t *value)
{
	if (!value || json_is_null(value))
		return json_null();
	switch (f->kind) {
	case FIELD_ENUM_SET:
	case FIELD_CIDR_SET:
		if (json_is_array(value))
			return canonical_set(f, value);
		break;
	case FIELD_UUID:
		if (json_is_string(value)) {
			char *low = str_lower_dup(json_string_value(value));
			json_t *out = json_string(low);

			free(low);
			if (out)
				return out;
		}
		break;
	default:
		break;
	}
	return json_deep_copy(value);
}

bool fields_equal(const struct field *f, const json_t *a, const json_t *b)
{
	json_t *ca = fields_canonical(f, a);
	json_t *cb = fields_canonical(f, b);
	bool eq = json_equal(ca, cb);

	json_decref(ca);
	json_decref(cb);
	return eq;
}

json_t *fields_project(const json_t *domain, unsigned flags, enum fields_projection how)
{
	json_t *out = json_object();

	for (size_t i = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];
		json_t *v;

		if (!(f->flags & flags))
			continue;
		v = json_object_get(domain, f->name);
		if (how == FIELDS_CANONICAL)
			json_object_set_new(out, f->name, fields_canonical(f, v));
		else if (v)
			json_object_set(out, f->name, v);
	}
	return out;
}

int fields_writable_index(const struct field *f)
{
	int n = 0;

	if (!(f->flags & FIELD_WRITABLE))
		return -1;
	for (const struct field *g = fields_table; g < f; g++)
		if (g->flags & FIELD_WRITABLE)
			n++;
	return n;
}

size_t fields_writable_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < fields_count; i++)
		if (fields_table[i].flags & FIELD_WRITABLE)
			n++;
	return n;
}

void fields_fingerprint(char out[HASH_HEX_SIZE], const json_t *domain)
{
	json_t *w = fields_project(domain, FIELD_WRITABLE, FIELDS_CANONICAL);
	char *text = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);

	hash_sha256_hex(out, text, strlen(text));
	free(text);
	json_decref(w);
}

static bool valid_label(const char *s, size_t len)
{
	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (!isalnum(c) && c != '-')
			return false;
	}
	return true;
}

int fields_normalize_domain(char **out, const char *name, bool strict)
{
	char *low = str_lower_dup(name);
	size_t len = strlen(low);
	const char *p, *dot;
	int labels = 0, rc;

	*out = NULL;
	if (len && low[len - 1] == '.')
		low[--len] = '\0';
	if (!strict) {
		*out = low;
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)low[i] >= 0x80) {
			rc = err_set(
				MW_EINVALID,
				"'%s' is not an ASCII host name: write internationalised names "
				"in their xn-- (punycode) form",
				name);
			goto bad;
		}
	}
	if (len == 0 || len > 253) {
		rc = err_set(MW_EINVALID, "'%s' is not a valid domain name (1 to 253 characters)",
			     name);
		goto bad;
	}
	for (p = low;; p = dot + 1) {
		dot = strchr(p, '.');
		if (!valid_label(p, dot ? (size_t)(dot - p) : strlen(p))) {
			rc = err_set(MW_EINVALID,
				     "'%s' is not a valid domain name: labels are letters, digits "
				     "and inner hyphens, 1 to 63 characters",
				     name);
			goto bad;
		}
		labels++;
		if (!dot)
			break;
	}
	if (labels < 2) {
		rc = err_set(MW_EINVALID, "'%s' is not a fully qualified domain name", name);
		goto bad;
	}
	*out = low;
	return 0;
bad:
	free(low);
	return rc;
}

void fields_format_value(struct buf *out, const json_t *value)
{
	size_t i;
	json_t *item;

	if (!value) {
		buf_puts(out, "(unset)");
		return;
	}
	if (json_is_array(value)) {
		buf_putc(out, '[');
		json_array_foreach(value, i, item) {
			if (i)
				buf_puts(out, ", ");
			if (json_is_string(item))
				buf_puts(out, json_string_value(item));
			else
				fields_format_value(out, item);
		}
		buf_putc(out, ']');
		return;
	}
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);

	buf_puts(out, text ? text : "?");
	free(text);
}
