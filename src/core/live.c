#include "live.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/mem.h"
#include "util/str.h"

/* --- the pool ------------------------------------------------------------ */

/*
 * Strings and value arrays of a live state come from chunks that are only
 * ever released together: a 10,000-domain account is a few dozen
 * allocations instead of a hundred thousand.
 */
struct live_pool_chunk {
	struct live_pool_chunk *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

#define POOL_CHUNK (64u << 10)

static void *pool_alloc(struct live *l, size_t size)
{
	struct live_pool_chunk *c = l->pool;
	size_t at;
	void *p;

	size = (size + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	if (!c || c->cap - c->used < size) {
		size_t cap = size > POOL_CHUNK ? size : POOL_CHUNK;

		c = xmalloc(sizeof(*c) + cap);
		c->used = 0;
		c->cap = cap;
		/* A chunk made for one large request goes behind the current one. */
		if (l->pool && cap > POOL_CHUNK) {
			c->next = l->pool->next;
			l->pool->next = c;
		} else {
			c->next = l->pool;
			l->pool = c;
		}
	}
	at = c->used;
	c->used += size;
	p = c->data + at;
	return p;
}

static const char *pool_strdup(struct live *l, const char *s, size_t len)
{
	char *p = pool_alloc(l, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* --- converting ---------------------------------------------------------- */

/* A jansson string without NUL bytes inside, which C strings can hold. */
static const char *plain_string(const json_t *v, size_t *len)
{
	const char *s = json_string_value(v);

	if (!s)
		return NULL;
	*len = json_string_length(v);
	return strlen(s) == *len ? s : NULL;
}

static bool to_set(struct live *l, struct live_value *out, const json_t *v)
{
	size_t n = json_array_size(v), len;
	const char **items;

	for (size_t i = 0; i < n; i++)
		if (!plain_string(json_array_get(v, i), &len))
			return false;
	items = pool_alloc(l, (n ? n : 1) * sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		const char *s = plain_string(json_array_get(v, i), &len);

		items[i] = pool_strdup(l, s, len);
	}
	out->tag = LIVE_SET;
	out->n = n;
	out->u.items = items;
	return true;
}

/* The compact form of `v` for row `f`: what the kind expects, else opaque. */
static void to_value(struct live *l, struct live_value *out, const struct field *f, json_t *v)
{
	const char *s;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (!v) {
		out->tag = LIVE_MISSING;
		return;
	}
	if (json_is_null(v)) {
		out->tag = LIVE_NULL;
		return;
	}
	switch (f->kind) {
	case FIELD_BOOL:
		if (json_is_boolean(v)) {
			out->tag = json_is_true(v) ? LIVE_TRUE : LIVE_FALSE;
			return;
		}
		break;
	case FIELD_INT:
		if (json_is_integer(v)) {
			out->tag = LIVE_INT;
			out->u.i = json_integer_value(v);
			return;
		}
		break;
	case FIELD_ENUM:
	case FIELD_UUID:
	case FIELD_STRING:
		s = plain_string(v, &len);
		if (s) {
			out->tag = LIVE_STRING;
			out->u.s = pool_strdup(l, s, len);
			return;
		}
		break;
	case FIELD_ENUM_SET:
	case FIELD_CIDR_SET:
		if (json_is_array(v) && to_set(l, out, v))
			return;
		break;
	case FIELD_OBJECT:
	case FIELD_TIMESTAMP:
		break;
	}
	out->tag = LIVE_OPAQUE;
	out->u.opaque = json_incref(v);
}

int live_add(struct live *l, const json_t *obj, bool keep_raw)
{
	const char *id = json_string_value(json_object_get(obj, "id"));
	const char *name = json_string_value(json_object_get(obj, "domain"));
	size_t nw = fields_writable_count();
	struct live_domain *d;
	char *norm = NULL;

	if (!json_is_object(obj) || !id || !name)
		return err_set(MW_EAPI, "live domain #%zu has no string 'id' and 'domain'",
			       l->nr + 1);
	ARRAY_GROW(l->v, l->nr + 1, l->alloc);
	d = &l->v[l->nr++];
	d->id = pool_strdup(l, id, strlen(id));
	fields_normalize_domain(&norm, name, false);
	d->name = pool_strdup(l, norm, strlen(norm));
	free(norm);
	d->values = pool_alloc(l, nw * sizeof(*d->values));
	/* Writable rows in table order are fields_writable_index() 0, 1, ... */
	for (size_t i = 0, w = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];

		if (f->flags & FIELD_WRITABLE)
			to_value(l, &d->values[w++], f, json_object_get(obj, f->name));
	}
	d->raw = keep_raw ? json_incref((json_t *)obj) : NULL;
	return 0;
}

/* --- indexing ------------------------------------------------------------ */

static int cmp_domain(const void *pa, const void *pb)
{
	const struct live_domain *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);

	return c ? c : strcasecmp(a->id, b->id);
}

static int cmp_by_id(const void *pa, const void *pb)
{
	const struct live_domain *a = *(struct live_domain *const *)pa;
	const struct live_domain *b = *(struct live_domain *const *)pb;

	return strcasecmp(a->id, b->id);
}

int live_index(struct live *l)
{
	free(l->by_id);
	/* An empty listing has no array at all: qsort() may not be given NULL. */
	if (l->nr)
		qsort(l->v, l->nr, sizeof(*l->v), cmp_domain);
	l->by_id = xcalloc(l->nr + 1, sizeof(*l->by_id));
	for (size_t i = 0; i < l->nr; i++)
		l->by_id[i] = &l->v[i];
	qsort(l->by_id, l->nr, sizeof(*l->by_id), cmp_by_id);
	for (size_t i = 1; i < l->nr; i++) {
		if (!strcasecmp(l->by_id[i - 1]->id, l->by_id[i]->id))
			return err_set(MW_ECONSISTENCY,
				       "the live state holds id '%s' twice ('%s' and '%s')",
				       l->by_id[i]->id, l->by_id[i - 1]->name, l->by_id[i]->name);
	}
	return 0;
}

int live_load(struct live *out, const json_t *array)
{
	struct live l = LIVE_INIT;
	size_t i;
	json_t *item;
	int rc = 0;

	if (!json_is_array(array))
		return err_set(MW_EAPI, "the live state is not a list of domains");
	json_array_foreach(array, i, item) {
		rc = live_add(&l, item, false);
		if (rc < 0)
			goto done;
	}
	rc = live_index(&l);
done:
	if (rc < 0) {
		live_release(&l);
		return rc;
	}
	*out = l;
	return 0;
}

void live_release(struct live *l)
{
	size_t nw = fields_writable_count();

	if (!l)
		return;
	for (size_t i = 0; i < l->nr; i++) {
		for (size_t w = 0; w < nw; w++)
			if (l->v[i].values[w].tag == LIVE_OPAQUE)
				json_decref(l->v[i].values[w].u.opaque);
		json_decref(l->v[i].raw);
	}
	while (l->pool) {
		struct live_pool_chunk *next = l->pool->next;

		free(l->pool);
		l->pool = next;
	}
	free(l->v);
	free(l->by_id);
	*l = (struct live)LIVE_INIT;
}

static int cmp_id_key(const void *key, const void *elem)
{
	return strcasecmp(key, (*(struct live_domain *const *)elem)->id);
}

const struct live_domain *live_find_id(const struct live *l, const char *id)
{
	struct live_domain **p;

	if (!l->nr)
		return NULL;
	p = bsearch(id, l->by_id, l->nr, sizeof(*l->by_id), cmp_id_key);
	return p ? *p : NULL;
}

size_t live_find_name(const struct live *l, const char *name, size_t *first)
{
	size_t lo = 0, hi = l->nr, n = 0;

	/* Lower bound: the first entry whose name is not below `name`. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(l->v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo + n < l->nr && !strcmp(l->v[lo + n].name, name))
		n++;
	return n;
}

/* --- reading ------------------------------------------------------------- */

static const struct live_value *value_of(const struct live_domain *d, const struct field *f)
{
	int w = fields_writable_index(f);

	return w < 0 ? NULL : &d->values[w];
}

static json_t *value_json(const struct live_value *v)
{
	json_t *arr;

	switch (v->tag) {
	case LIVE_MISSING:
		return NULL;
	case LIVE_NULL:
		return json_null();
	case LIVE_FALSE:
		return json_false();
	case LIVE_TRUE:
		return json_true();
	case LIVE_INT:
		return json_integer(v->u.i);
	case LIVE_STRING:
		return json_string(v->u.s);
	case LIVE_SET:
		arr = json_array();
		for (size_t i = 0; i < v->n; i++)
			json_array_append_new(arr, json_string(v->u.items[i]));
		return arr;
	case LIVE_OPAQUE:
		return json_incref(v->u.opaque);
	}
	return NULL;
}

json_t *live_domain_value(const struct live_domain *d, const struct field *f)
{
	const struct live_value *v = value_of(d, f);

	return v ? value_json(v) : NULL;
}

bool live_domain_equal(const struct live_domain *d, const struct field *f, const json_t *want)
{
	const struct live_value *v = value_of(d, f);
	json_t *have;
	bool eq;

	if (!v)
		return fields_equal(f, want, NULL);
	/* What fields_canonical() leaves as it is compares directly. */
	switch (v->tag) {
	case LIVE_MISSING:
	case LIVE_NULL:
		return !want || json_is_null(want);
	case LIVE_FALSE:
		return json_is_false(want);
	case LIVE_TRUE:
		return json_is_true(want);
	case LIVE_INT:
		return json_is_integer(want) && json_integer_value(want) == v->u.i;
	case LIVE_STRING:
		if (!json_is_string(want))
			return false;
		if (f->kind == FIELD_UUID)
			return str_eq_nocase(json_string_value(want), v->u.s);
		return !strcmp(json_string_value(want), v->u.s);
	case LIVE_SET:
	case LIVE_OPAQUE:
		break;
	}
	have = value_json(v);
	eq = fields_equal(f, want, have);
	json_decref(have);
	return eq;
}

json_t *live_domain_json(const struct live_domain *d)
{
	json_t *out = json_object();

	json_object_set_new(out, "id", json_string(d->id));
	json_object_set_new(out, "domain", json_string(d->name));
	for (size_t i = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];
		json_t *v = live_domain_value(d, f);

		if (v)
			json_object_set_new(out, f->name, v);
	}
	return out;
}

void live_fingerprint(char out[HASH_HEX_SIZE], const struct live_domain *d)
{
	json_t *obj = live_domain_json(d);

	fields_fingerprint(out, obj);
	json_decref(obj);
}
