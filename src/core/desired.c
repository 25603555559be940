#include "desired.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/fields.h"
#include "core/yamldoc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include "util/str.h"
#include "util/suggest.h"

static const char *const top_keys[] = { "account_id", "defaults", "domains", NULL };

struct loader {
	struct desired *d;
	struct diags *diags;
	const char *file; /* interned in d->paths */
	size_t seq; /* order of declaration, to keep the first of two */
	size_t *order; /* seq of each entry of d->domains */
	size_t order_alloc;
};

bool desired_is_account_id(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!isxdigit((unsigned char)s[n]))
			return false;
	return n == 32;
}

/* Candidates for "did you mean" on a domain's keys: the settings, id, absent. */
static const char *const *domain_key_names(void)
{
	static const char *names[32];

	if (!names[0]) {
		const char *const *w = fields_writable_names();
		size_t n = 0;

		while (w[n] && n < ARRAY_SIZE(names) - 3) {
			names[n] = w[n];
			n++;
		}
		names[n++] = "id";
		names[n++] = "absent";
		names[n] = NULL;
	}
	return names;
}

static void unknown_key(struct loader *l, const struct ynode *key, const char *where,
			const char *const *candidates)
{
	const char *close = suggest_closest(key->text, candidates);

	if (close)
		ydoc_error(l->diags, l->file, key, "unknown %s '%s' (did you mean '%s'?)", where,
			   key->text, close);
	else
		ydoc_error(l->diags, l->file, key, "unknown %s '%s'", where, key->text);
}

/* The text of a scalar that a field wants as a string; NULL (reported) else. */
static const char *string_of(struct loader *l, const struct field *f, const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR) {
		ydoc_error(l->diags, l->file, n, "%s takes a string, not %s", f->name,
			   ynode_describe(n));
		return NULL;
	}
	if (n->type != YS_STR) {
		ydoc_error(l->diags, l->file, n, "%s takes a string, not %s; quote it: \"%s\"",
			   f->name, ynode_describe(n), n->text);
		return NULL;
	}
	if (strlen(n->text) != n->len) {
		ydoc_error(l->diags, l->file, n, "%s cannot contain a NUL character", f->name);
		return NULL;
	}
	return n->text;
}

static json_t *set_from_node(struct loader *l, const struct field *f, const struct ynode *n)
{
	json_t *arr = json_array();
	json_t *seen = json_object();
	bool ok = true;

	if (n->kind != YNODE_SEQ) {
		ydoc_error(l->diags, l->file, n, "%s takes a list, not %s", f->name,
			   ynode_describe(n));
		ok = false;
		goto done;
	}
	for (size_t i = 0; i < n->n_items; i++) {
		const struct ynode *item = n->items[i];
		const char *s = string_of(l, f, item);
		json_t *one, *canon;
		char *key;
		long bad;

		if (!s) {
			ok = false;
			continue;
		}
		one = json_pack("[s]", s);
		if (fields_check(f, one, &bad) < 0) {
			ydoc_error(l->diags, l->file, item, "%s", err_msg());
			ok = false;
		} else {
			/* Repeats do not count in a set: keep the first spelling. */
			canon = fields_canonical(f, one);
			key = json_dumps(canon, JSON_COMPACT);
			if (!json_object_get(seen, key)) {
				json_object_set_new(seen, key, json_true());
				json_array_append_new(arr, json_string(s));
			}
			free(key);
			json_decref(canon);
		}
		json_decref(one);
	}
done:
	json_decref(seen);
	if (!ok) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

/* Convert and check one setting's value; NULL (reported) when invalid. */
static json_t *value_from_node(struct loader *l, const struct field *f, const struct ynode *n)
{
	json_t *v = NULL;
	const char *s;
	long bad;

	if (n->kind == YNODE_SCALAR && n->type == YS_NULL) {
		v = json_null();
	} else {
		switch (f->kind) {
		case FIELD_BOOL:
			if (n->kind == YNODE_SCALAR && n->type == YS_BOOL)
				v = json_boolean(n->bool_value);
			else
				ydoc_error(l->diags, l->file, n, "%s takes true or false, not %s",
					   f->name,
					   n->kind == YNODE_SCALAR && n->type == YS_STR
						   ? "a string"
						   : ynode_describe(n));
			break;
		case FIELD_INT:
			if (n->kind == YNODE_SCALAR && n->type == YS_INT)
				v = json_integer(n->int_value);
			else
				ydoc_error(l->diags, l->file, n,
					   "%s takes an integer from %lld to %lld, not %s", f->name,
					   f->min, f->max, ynode_describe(n));
			break;
		case FIELD_ENUM_SET:
		case FIELD_CIDR_SET:
			return set_from_node(l, f, n);
		default:
			s = string_of(l, f, n);
			if (s)
				v = json_string(s);
			break;
		}
	}
	if (v && fields_check(f, v, &bad) < 0) {
		ydoc_error(l->diags, l->file, n, "%s", err_msg());
		json_decref(v);
		v = NULL;
	}
	return v;
}

/*
 * A key that is not a setting: say why in terms of what the user meant.
 * Returns true when it was reported here.
 */
static bool explain_non_setting(struct loader *l, const struct ynode *key)
{
	const struct field *f = fields_find(key->text);

	if (!f || (f->flags & FIELD_WRITABLE))
		return false;
	if (!strcmp(f->name, "domain"))
		ydoc_error(l->diags, l->file, key,
			   "'domain' cannot be set: the domain name is the key of this entry");
	else if (f->flags & FIELD_IDENTITY)
		return false;
	else
		ydoc_error(l->diags, l->file, key,
			   "'%s' is read-only: the API reports it and no document can set it",
			   f->name);
	return true;
}

static void load_defaults(struct loader *l, const struct ynode *map, json_t *out)
{
	if (map->kind == YNODE_SCALAR && map->type == YS_NULL)
		return;
	if (map->kind != YNODE_MAP) {
		ydoc_error(l->diags, l->file, map, "'defaults' takes a map of settings, not %s",
			   ynode_describe(map));
		return;
	}
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct ynode *key = map->pairs[i].key;
		const struct field *f = fields_find(key->text);
		json_t *v;

		if (!strcmp(key->text, "id") || !strcmp(key->text, "absent")) {
			ydoc_error(l->diags, l->file, key,
				   "'%s' belongs to one domain and cannot be a default", key->text);
			continue;
		}
		if (explain_non_setting(l, key))
			continue;
		if (!f || !(f->flags & FIELD_WRITABLE)) {
			unknown_key(l, key, "setting", fields_writable_names());
			continue;
		}
		v = value_from_node(l, f, map->pairs[i].value);
		if (v)
			json_object_set_new(out, f->name, v);
	}
}

static void add_domain(struct loader *l, struct desired_domain *dd)
{
	struct desired *d = l->d;

	ARRAY_GROW(d->domains, d->nr + 1, d->alloc);
	ARRAY_GROW(l->order, d->nr + 1, l->order_alloc);
	d->domains[d->nr] = *dd;
	l->order[d->nr] = l->seq++;
	d->nr++;
}

static void load_domain(struct loader *l, const struct ynode *key, const struct ynode *body,
			const json_t *defaults)
{
	struct desired_domain dd = { 0 };
	const struct ynode *first_setting = NULL;
	bool ok = true;

	if (key->type != YS_STR) {
		ydoc_error(l->diags, l->file, key, "'%s' is not a domain name", key->text);
		ok = false;
	} else if (fields_normalize_domain(&dd.name, key->text, true) < 0) {
		ydoc_error(l->diags, l->file, key, "%s", err_msg());
		ok = false;
	}
	dd.settings = json_object();
	dd.file = l->file;
	dd.line = key->line;
	dd.col = key->col;
	if (body->kind == YNODE_SCALAR && body->type == YS_NULL) {
		/* `example.com:` alone declares the domain and manages nothing. */
	} else if (body->kind != YNODE_MAP) {
		ydoc_error(l->diags, l->file, body, "domain '%s' takes a map of settings, not %s",
			   key->text, ynode_describe(body));
		ok = false;
	} else {
		for (size_t i = 0; i < body->n_pairs; i++) {
			const struct ynode *k = body->pairs[i].key;
			const struct ynode *v = body->pairs[i].value;
			const struct field *f = fields_find(k->text);
			json_t *val;

			if (!strcmp(k->text, "id")) {
				if (v->kind != YNODE_SCALAR || v->type == YS_NULL || !v->len ||
				    strlen(v->text) != v->len || v->type == YS_BOOL) {
					ydoc_error(l->diags, l->file, v,
						   "'id' takes the domain's identifier (a UUID)");
					ok = false;
				} else {
					dd.id = xstrdup(v->text);
				}
			} else if (!strcmp(k->text, "absent")) {
				if (v->kind != YNODE_SCALAR || v->type != YS_BOOL) {
					ydoc_error(l->diags, l->file, v,
						   "'absent' takes true or false, not %s",
						   ynode_describe(v));
					ok = false;
				} else {
					dd.absent = v->bool_value;
				}
			} else if (explain_non_setting(l, k)) {
				ok = false;
			} else if (!f || !(f->flags & FIELD_WRITABLE)) {
				unknown_key(l, k, "setting", domain_key_names());
				ok = false;
			} else {
				if (!first_setting)
					first_setting = k;
				val = value_from_node(l, f, v);
				if (val)
					json_object_set_new(dd.settings, f->name, val);
				else
					ok = false;
			}
		}
	}
	if (dd.absent && first_setting) {
		ydoc_error(l->diags, l->file, first_setting,
			   "domain '%s' is absent: it cannot also have settings", key->text);
		ok = false;
	}
	if (!dd.absent && defaults) {
		const char *name;
		json_t *v;

		json_object_foreach((json_t *)defaults, name, v)
			if (!json_object_get(dd.settings, name))
				json_object_set(dd.settings, name, v);
	}
	/*
	 * A domain with bad settings is still declared: keep it, so that a
	 * second declaration of it is reported too. desired_load() fails the
	 * whole load anyway.
	 */
	if (!dd.name) {
		free(dd.id);
		json_decref(dd.settings);
		return;
	}
	(void)ok;
	add_domain(l, &dd);
}

static void load_account(struct loader *l, const struct ynode *v)
{
	struct desired *d = l->d;
	char *low;

	if (v->kind != YNODE_SCALAR || v->type == YS_NULL || v->type == YS_BOOL ||
	    !desired_is_account_id(v->text)) {
		ydoc_error(l->diags, l->file, v,
			   "account_id takes a Cloudflare account id: 32 hexadecimal digits");
		return;
	}
	low = str_lower_dup(v->text);
	if (!d->account_id) {
		d->account_id = low;
		d->account_file = xstrdup(l->file);
		d->account_line = v->line;
		d->account_col = v->col;
		return;
	}
	if (strcmp(d->account_id, low))
		ydoc_error(l->diags, l->file, v,
			   "account_id '%s' disagrees with '%s' given at %s:%d:%d", low,
			   d->account_id, d->account_file, d->account_line, d->account_col);
	free(low);
}

static void load_document(struct loader *l, const struct ynode *root)
{
	const struct ynode *domains = NULL;
	json_t *defaults = json_object();

	if (!root || (root->kind == YNODE_SCALAR && root->type == YS_NULL))
		goto done;
	if (root->kind != YNODE_MAP) {
		ydoc_error(l->diags, l->file, root,
			   "a desired-state document is a map with 'domains', not %s",
			   ynode_describe(root));
		goto done;
	}
	for (size_t i = 0; i < root->n_pairs; i++) {
		const struct ynode *key = root->pairs[i].key;
		const struct ynode *v = root->pairs[i].value;

		if (!strcmp(key->text, "account_id"))
			load_account(l, v);
		else if (!strcmp(key->text, "defaults"))
			load_defaults(l, v, defaults);
		else if (!strcmp(key->text, "domains"))
			domains = v;
		else
			unknown_key(l, key, "top-level key", top_keys);
	}
	if (!domains || (domains->kind == YNODE_SCALAR && domains->type == YS_NULL))
		goto done;
	if (domains->kind != YNODE_MAP) {
		ydoc_error(l->diags, l->file, domains,
			   "'domains' takes a map of domain names, not %s",
			   ynode_describe(domains));
		goto done;
	}
	for (size_t i = 0; i < domains->n_pairs; i++)
		load_domain(l, domains->pairs[i].key, domains->pairs[i].value, defaults);
done:
	json_decref(defaults);
}

static const char *intern_path(struct desired *d, const char *path)
{
	ARRAY_GROW(d->paths, d->n_paths + 1, d->paths_alloc);
	d->paths[d->n_paths] = xstrdup(path);
	return d->paths[d->n_paths++];
}

struct ranked {
	struct desired_domain dom;
	size_t seq;
};

static int cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	int c = strcmp(a->dom.name, b->dom.name);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void free_domain(struct desired_domain *dd)
{
	free(dd->name);
	free(dd->id);
	json_decref(dd->settings);
}

/* Sort by name; of two declarations of one name, report the later one. */
static void sort_and_dedupe(struct loader *l)
{
	struct desired *d = l->d;
	struct ranked *r;
	size_t kept = 0;

	if (d->nr == 0)
		return;
	r = xmalloc(d->nr * sizeof(*r));
	for (size_t i = 0; i < d->nr; i++) {
		r[i].dom = d->domains[i];
		r[i].seq = l->order[i];
	}
	if (d->nr > 1)
		qsort(r, d->nr, sizeof(*r), cmp_ranked);
	for (size_t i = 0; i < d->nr; i++) {
		if (kept && !strcmp(d->domains[kept - 1].name, r[i].dom.name)) {
			const struct desired_domain *first = &d->domains[kept - 1];

			diags_add(l->diags, DIAG_ERROR, r[i].dom.file, r[i].dom.line, r[i].dom.col,
				  "domain '%s' is declared twice: here and at %s:%d:%d",
				  r[i].dom.name, first->file, first->line, first->col);
			free_domain(&r[i].dom);
			continue;
		}
		d->domains[kept++] = r[i].dom;
	}
	d->nr = kept;
	free(r);
}

int desired_load(struct desired *d, const struct source_file *files, size_t n, struct diags *diags)
{
	struct loader l = { 0 };
	size_t errors_before = diags->errors;

	l.d = d;
	l.diags = diags;
	for (size_t i = 0; i < n; i++) {
		struct ydoc *doc = NULL;

		if (files[i].policy)
			continue;
		l.file = intern_path(d, files[i].path);
		if (ydoc_parse(&doc, l.file, files[i].data, files[i].len, diags) < 0)
			continue;
		load_document(&l, doc->root);
		ydoc_free(doc);
	}
	sort_and_dedupe(&l);
	free(l.order);
	if (diags->errors > errors_before)
		return err_set(MW_EINVALID, "the desired state has %zu problem%s",
			       diags->errors - errors_before,
			       diags->errors - errors_before == 1 ? "" : "s");
	return 0;
}

void desired_release(struct desired *d)
{
	for (size_t i = 0; i < d->nr; i++)
		free_domain(&d->domains[i]);
	free(d->domains);
	free(d->account_id);
	free(d->account_file);
	for (size_t i = 0; i < d->n_paths; i++)
		free(d->paths[i]);
	free(d->paths);
	memset(d, 0, sizeof(*d));
}

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, ((const struct desired_domain *)elem)->name);
}

const struct desired_domain *desired_find(const struct desired *d, const char *name)
{
	if (!d->nr)
		return NULL;
	return bsearch(name, d->domains, d->nr, sizeof(*d->domains), cmp_name);
}

json_t *desired_value(const struct field *f, const struct ynode *n, const char *file,
		      struct diags *diags)
{
	struct loader l = { 0 };

	l.diags = diags;
	l.file = file;
	return value_from_node(&l, f, n);
}
