#include "live.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fields.h"
#include "util/err.h"
#include "util/mem.h"

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

int live_load(struct live *out, const json_t *array)
{
	struct live l = LIVE_INIT;
	size_t i;
	json_t *item;
	int rc = 0;

	if (!json_is_array(array))
		return err_set(MW_EAPI, "the live state is not a list of domains");
	l.v = xcalloc(json_array_size(array) + 1, sizeof(*l.v));
	json_array_foreach(array, i, item) {
		const char *id = json_string_value(json_object_get(item, "id"));
		const char *name = json_string_value(json_object_get(item, "domain"));
		struct live_domain *d = &l.v[l.nr];

		if (!json_is_object(item) || !id || !name) {
			rc = err_set(MW_EAPI, "live domain #%zu has no string 'id' and 'domain'",
				     i + 1);
			goto done;
		}
		d->id = xstrdup(id);
		fields_normalize_domain(&d->name, name, false, NULL);
		d->obj = json_incref(item);
		l.nr++;
	}
	qsort(l.v, l.nr, sizeof(*l.v), cmp_domain);
	l.by_id = xcalloc(l.nr + 1, sizeof(*l.by_id));
	for (i = 0; i < l.nr; i++)
		l.by_id[i] = &l.v[i];
	qsort(l.by_id, l.nr, sizeof(*l.by_id), cmp_by_id);
	for (i = 1; i < l.nr; i++) {
		if (!strcasecmp(l.by_id[i - 1]->id, l.by_id[i]->id)) {
			rc = err_set(MW_ECONSISTENCY,
				     "the live state holds id '%s' twice ('%s' and '%s')",
				     l.by_id[i]->id, l.by_id[i - 1]->name, l.by_id[i]->name);
			goto done;
		}
	}
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
	for (size_t i = 0; i < l->nr; i++) {
		free(l->v[i].id);
		free(l->v[i].name);
		json_decref(l->v[i].obj);
	}
	free(l->v);
	free(l->by_id);
	l->v = NULL;
	l->by_id = NULL;
	l->nr = 0;
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
