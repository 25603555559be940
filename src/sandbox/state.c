#include "state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/timeutil.h"

/* Generated created_at values fall in the year after this (2023-01-01). */
#define GENERATED_EPOCH 1672531200.0

struct state {
	json_t *root; /* the whole file; accounts arrays are edited in place */
	json_t *accounts; /* borrowed from root */
	json_t *index; /* account -> {id text -> domain} (domains borrowed) */
};

void state_free(struct state *st)
{
	if (!st)
		return;
	json_decref(st->index);
	json_decref(st->root);
	free(st);
}

const char *state_id_text(const json_t *domain, char *buf, size_t len)
{
	const json_t *id = json_object_get(domain, "id");

	if (json_is_string(id))
		snprintf(buf, len, "%s", json_string_value(id));
	else if (json_is_integer(id))
		snprintf(buf, len, "%lld", (long long)json_integer_value(id));
	else if (len)
		buf[0] = '\0';
	return buf;
}

void state_format_time(double t, char *buf, size_t len)
{
	time_t secs = (time_t)t;
	long micros = (long)((t - (double)secs) * 1e6 + 0.5);
	struct tm tm;
	char base[32];

	if (micros >= 1000000) {
		secs++;
		micros -= 1000000;
	}
	gmtime_r(&secs, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06ldZ", base, micros);
}

/*
 * SHA-256 (util/hash.h) over the parts, `a` and `b` each with its NUL so
 * that boundaries count.
 */
static void digest_of(unsigned char out[32], const char *a, const char *b,
		      const unsigned char *extra, size_t extra_len)
{
	struct buf parts = BUF_INIT;

	buf_add(&parts, a, strlen(a) + 1);
	buf_add(&parts, b, strlen(b) + 1);
	if (extra)
		buf_add(&parts, extra, extra_len);
	hash_sha256(out, parts.ptr, parts.len);
	buf_release(&parts);
}

static uint32_t u32_at(const unsigned char *d, size_t at)
{
	return (uint32_t)d[at] << 24 | (uint32_t)d[at + 1] << 16 | (uint32_t)d[at + 2] << 8 |
	       (uint32_t)d[at + 3];
}

/* The id a domain without one gets: stable across runs and seeds. */
static void generated_id(const char *account, const char *domain, char *buf, size_t len)
{
	unsigned char d[32];

	digest_of(d, account, domain, NULL, 0);
	/* version 4 and RFC 4122 variant bits: some clients check them strictly */
	d[6] = (unsigned char)((d[6] & 0x0F) | 0x40);
	d[8] = (unsigned char)((d[8] & 0x3F) | 0x80);
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12],
		 d[13], d[14], d[15]);
}

/* Set `key` to `value` (the reference is taken) unless set. 0 or MW_ENOMEM. */
static int set_if_missing(json_t *obj, const char *key, json_t *value)
{
	if (!value)
		return MW_ENOMEM;
	if (json_object_get(obj, key)) {
		json_decref(value);
		return 0;
	}
	return json_object_set_new(obj, key, value) == 0 ? 0 : MW_ENOMEM;
}

/* Fills the read-only fields a live domain always has. 0 or MW_ENOMEM. */
static int fill_domain(json_t *dom, const char *account, uint64_t seed)
{
	const char *name = json_string_value(json_object_get(dom, "domain"));
	unsigned char seedbuf[8], d[32];
	char created[40], modified[40], checked[40];
	double created_t, modified_t;
	const json_t *have;

	for (int i = 0; i < 8; i++)
		seedbuf[i] = (unsigned char)(seed >> (8 * i));
	digest_of(d, account, name, seedbuf, sizeof seedbuf);
	created_t = GENERATED_EPOCH + (double)(u32_at(d, 0) % (365u * 86400u)) +
		    (double)(u32_at(d, 4) % 1000000u) / 1e6;
	/* a generated modified_at follows the created_at it goes with, given or not */
	have = json_object_get(dom, "created_at");
	if (json_is_string(have))
		time_parse(&created_t, json_string_value(have));
	modified_t = created_t + (double)(u32_at(d, 8) % (90u * 86400u)) +
		     (double)(u32_at(d, 24) % 1000000u) / 1e6;
	state_format_time(created_t, created, sizeof created);
	state_format_time(modified_t, modified, sizeof modified);
	have = json_object_get(dom, "modified_at");
	snprintf(checked, sizeof checked, "%s",
		 json_is_string(have) ? json_string_value(have) : modified);

	if (set_if_missing(dom, "created_at", json_string(created)) != 0 ||
	    set_if_missing(dom, "modified_at", json_string(modified)) != 0 ||
	    set_if_missing(dom, "last_modified",
			   json_deep_copy(json_object_get(dom, "modified_at"))) != 0 ||
	    set_if_missing(dom, "status", json_string("active")) != 0 ||
	    set_if_missing(dom, "spf_status", json_string("good")) != 0 ||
	    set_if_missing(dom, "dmarc_status", json_string("good")) != 0 ||
	    set_if_missing(dom, "authorization",
			   json_pack("{s:b, s:s, s:n}", "authorized", 1, "timestamp", created,
				     "status_message")) != 0 ||
	    set_if_missing(dom, "emails_processed",
			   json_pack("{s:s, s:I, s:I}", "timestamp", checked,
				     "total_emails_processed",
				     (json_int_t)(u32_at(d, 12) % 500000u),
				     "total_emails_processed_previous",
				     (json_int_t)(u32_at(d, 16) % 500000u))) != 0 ||
	    set_if_missing(dom, "inbox_provider",
			   json_string((d[20] & 1) ? "Google" : "Microsoft")) != 0 ||
	    set_if_missing(dom, "o365_tenant_id", json_null()) != 0)
		return MW_ENOMEM;
	return 0;
}

/* Returns a copy of dom with "id" first, for a domain whose id was generated. */
static json_t *with_id_first(const json_t *dom, const char *id)
{
	json_t *out = json_pack("{s:s}", "id", id);
	const char *key;
	json_t *value;

	if (!out)
		return NULL;
	json_object_foreach((json_t *)dom, key, value) {
		if (json_object_set(out, key, value) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static int load_account(struct state *st, const char *path, const char *account, json_t *list,
			uint64_t seed)
{
	json_t *ids = json_object();
	json_t *dom;
	size_t i;

	if (!ids || json_object_set_new(st->index, account, ids) != 0)
		return err_set(MW_ENOMEM, "state file '%s': out of memory", path);
	if (!json_is_array(list))
		return err_set(MW_EINVALID,
			       "state file '%s': accounts.\"%s\" must be an array of domains", path,
			       account);
	json_array_foreach(list, i, dom) {
		const json_t *id, *name;
		char idbuf[128];

		if (!json_is_object(dom))
			return err_set(MW_EINVALID,
				       "state file '%s': accounts.\"%s\"[%zu] must be an object",
				       path, account, i);
		name = json_object_get(dom, "domain");
		if (!json_is_string(name))
			return err_set(
				MW_EINVALID,
				"state file '%s': accounts.\"%s\"[%zu] has no \"domain\" string",
				path, account, i);
		id = json_object_get(dom, "id");
		if (!id) {
			json_t *copy;

			generated_id(account, json_string_value(name), idbuf, sizeof idbuf);
			copy = with_id_first(dom, idbuf);
			if (!copy || json_array_set_new(list, i, copy) != 0)
				return err_set(MW_ENOMEM, "state file '%s': out of memory", path);
			dom = copy;
		} else if (!json_is_string(id) && !json_is_integer(id))
			return err_set(
				MW_EINVALID,
				"state file '%s': accounts.\"%s\"[%zu] (\"%s\") has an \"id\" "
				"that is "
				"neither a string nor an integer",
				path, account, i, json_string_value(name));
		state_id_text(dom, idbuf, sizeof idbuf);
		if (json_object_get(ids, idbuf))
			return err_set(
				MW_EINVALID,
				"state file '%s': accounts.\"%s\" has id \"%s\" more than once "
				"(again at "
				"[%zu], \"%s\")",
				path, account, idbuf, i, json_string_value(name));
		if (fill_domain(dom, account, seed) != 0 || json_object_set(ids, idbuf, dom) != 0)
			return err_set(MW_ENOMEM, "state file '%s': out of memory", path);
	}
	return 0;
}

int state_load(struct state **out, const char *path, uint64_t seed)
{
	struct state *st = NULL;
	json_error_t jerr;
	const char *account;
	json_t *list;
	int rc = -1;

	*out = NULL;
	st = xcalloc(1, sizeof(*st));
	st->root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!st->root) {
		if (jerr.line < 1)
			rc = err_set(MW_EIO, "state file '%s': %s", path, jerr.text);
		else
			rc = err_set(MW_EINVALID,
				     "state file '%s': not valid JSON: %s (line %d, column %d)",
				     path, jerr.text, jerr.line, jerr.column);
		goto done;
	}
	if (!json_is_object(st->root)) {
		rc = err_set(MW_EINVALID, "state file '%s': must be an object with \"accounts\"",
			     path);
		goto done;
	}
	st->accounts = json_object_get(st->root, "accounts");
	if (!json_is_object(st->accounts)) {
		rc = err_set(
			MW_EINVALID,
			"state file '%s': \"accounts\" must be an object of account id -> domain "
			"list",
			path);
		goto done;
	}
	st->index = json_object();
	if (!st->index) {
		rc = err_set(MW_ENOMEM, "state file '%s': out of memory", path);
		goto done;
	}
	json_object_foreach(st->accounts, account, list) {
		rc = load_account(st, path, account, list, seed);
		if (rc)
			goto done;
	}
	*out = st;
	st = NULL;
	rc = 0;
done:
	state_free(st);
	return rc;
}

int state_save(const struct state *st, const char *path)
{
	char *text = json_dumps(st->root, JSON_INDENT(2));
	size_t len;
	int rc;

	if (!text)
		return err_set(MW_ENOMEM, "cannot save state to '%s': out of memory", path);
	/* json_dumps() leaves room for nothing more: a copy with the newline */
	len = strlen(text);
	text = xrealloc(text, len + 2);
	memcpy(text + len, "\n", 2);
	rc = fs_write_atomic(path, text, len + 1, 0644);
	if (rc)
		err_wrap(rc, "cannot save state: ");
	free(text);
	return rc;
}

json_t *state_domains(const struct state *st, const char *account)
{
	return json_object_get(st->accounts, account);
}

json_t *state_find(const struct state *st, const char *account, const char *id)
{
	return json_object_get(json_object_get(st->index, account), id);
}

int state_remove(struct state *st, const char *account, const char *id)
{
	json_t *ids = json_object_get(st->index, account);
	json_t *list = json_object_get(st->accounts, account);
	json_t *dom = json_object_get(ids, id);
	size_t i;
	json_t *each;

	if (!dom)
		return -1;
	json_array_foreach(list, i, each) {
		if (each == dom) {
			json_array_remove(list, i);
			break;
		}
	}
	json_object_del(ids, id);
	return 0;
}

json_t *state_update(struct state *st, const char *account, const char *id, const json_t *changes,
		     const char *now)
{
	json_t *dom = state_find(st, account, id);
	const char *key;
	json_t *value;

	if (!dom)
		return NULL;
	json_object_foreach((json_t *)changes, key, value)
		if (json_object_set_new(dom, key, json_deep_copy(value)) != 0)
			return NULL;
	if (json_object_set_new(dom, "modified_at", json_string(now)) != 0 ||
	    json_object_set_new(dom, "last_modified", json_string(now)) != 0)
		return NULL;
	return dom;
}
