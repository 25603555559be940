#include "yamldoc.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"
#include <stdio.h>

/*
 * A document may expand through aliases to this many nodes, plus this many
 * per node written: generous for real files (merging a defaults block into
 * every one of 100,000 domains stays far below), fatal for exponential
 * alias trees, which reach it after a few dozen lines.
 */
#define EXPAND_BASE 1000000u
#define EXPAND_PER_NODE 16u
#define MAX_DEPTH 256

#define TAG_PREFIX "tag:yaml.org,2002:"

struct anchor {
	char *name;
	struct ynode *node;
};

struct frame {
	struct ynode *node;
	struct ynode *key; /* map: the key waiting for its value */
	struct ypair *raw; /* map: pairs as written, `<<` included */
	size_t n_raw, raw_alloc;
};

struct builder {
	struct ydoc *doc;
	struct diags *diags;
	const char *data;
	size_t len;
	struct frame *stack;
	size_t depth, stack_alloc;
	struct anchor *anchors;
	size_t n_anchors, anchors_alloc;
	int documents;
	size_t merged; /* pairs copied by merge keys so far */
	bool failed; /* a problem was reported */
	bool fatal; /* and the tree cannot be used: syntax, expansion bound */
};

/* How far the document may expand, given how much of it was written so far. */
static size_t expand_limit(const struct builder *b)
{
	return EXPAND_BASE + EXPAND_PER_NODE * b->doc->n_all;
}

static void too_big(struct builder *b, const struct ynode *at, const char *how);

static void report(struct builder *b, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void report(struct builder *b, int line, int col, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	diags_add(b->diags, DIAG_ERROR, b->doc->file, line, col, "%s", msg.ptr);
	buf_release(&msg);
	b->failed = true;
}

static struct ynode *new_node(struct builder *b, enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ynode *n = xcalloc(1, sizeof(*n));

	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	ARRAY_GROW(b->doc->all, b->doc->n_all + 1, b->doc->all_alloc);
	b->doc->all[b->doc->n_all++] = n;
	return n;
}

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX / 2 - b ? SIZE_MAX / 2 : a + b;
}

static bool all_digits(const char *s, const char *set)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

static bool is_float_text(const char *s)
{
	static const char *const special[] = {
		".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf", "+.INF",
		"-.inf", "-.Inf", "-.INF", ".nan",  ".NaN",  ".NAN",
	};
	bool digits = false;

	for (size_t i = 0; i < ARRAY_SIZE(special); i++)
		if (!strcmp(s, special[i]))
			return true;
	if (*s == '+' || *s == '-')
		s++;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/* Integers of the core schema; false when `s` is not one (or overflows). */
static bool parse_int(const char *s, long long *out)
{
	const char *digits = s;
	int base = 10;
	char *end = NULL;
	bool neg = false;
	unsigned long long v;

	if (!strncmp(s, "0x", 2) && all_digits(s + 2, "0123456789abcdefABCDEF")) {
		base = 16;
		digits = s + 2;
	} else if (!strncmp(s, "0o", 2) && all_digits(s + 2, "01234567")) {
		base = 8;
		digits = s + 2;
	} else {
		if (*digits == '+' || *digits == '-') {
			neg = *digits == '-';
			digits++;
		}
		if (!all_digits(digits, "0123456789"))
			return false;
	}
	errno = 0;
	v = strtoull(digits, &end, base);
	if (errno || *end)
		return false;
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return false;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)v;
	} else {
		if (v > LLONG_MAX)
			return false;
		*out = (long long)v;
	}
	return true;
}

static bool is_null_text(const char *s)
{
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

static int bool_text(const char *s)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
					   "YES",  "on",   "On",   "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No",
					  "NO",    "off",   "Off",   "OFF" };

	/* Most scalars are names and numbers: no spelling of a boolean starts so. */
	if (!s[0] || !strchr("tTyYoOfFnN", s[0]))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]))
			return 1;
		if (!strcmp(s, no[i]))
			return 0;
	}
	return -1;
}

static void resolve_plain(struct ynode *n)
{
	int bv;

	if (is_null_text(n->text)) {
		n->type = YS_NULL;
	} else if ((bv = bool_text(n->text)) >= 0) {
		n->type = YS_BOOL;
		n->bool_value = bv;
	} else if (parse_int(n->text, &n->int_value)) {
		n->type = YS_INT;
	} else if (is_float_text(n->text) ||
		   all_digits(n->text + (n->text[0] == '+' || n->text[0] == '-'), "0123456789")) {
		/* All digits yet not an int: out of range; still a number. */
		n->type = YS_FLOAT;
	} else {
		n->type = YS_STR;
	}
}

static void resolve_tagged(struct builder *b, struct ynode *n, const char *tag)
{
	/* tag_supported() let through "!" and the core schema's tags only. */
	const char *t = strcmp(tag, "!") ? tag + strlen(TAG_PREFIX) : "str";
	int bv;

	if (!strcmp(t, "str")) {
		n->type = YS_STR;
	} else if (!strcmp(t, "null")) {
		if (!is_null_text(n->text))
			report(b, n->line, n->col, "'%s' is not a null", n->text);
		n->type = YS_NULL;
	} else if (!strcmp(t, "bool")) {
		if ((bv = bool_text(n->text)) < 0)
			report(b, n->line, n->col, "'%s' is not a boolean", n->text);
		n->type = YS_BOOL;
		n->bool_value = bv > 0;
	} else if (!strcmp(t, "int")) {
		if (!parse_int(n->text, &n->int_value))
			report(b, n->line, n->col, "'%s' is not an integer", n->text);
		n->type = YS_INT;
	} else if (!strcmp(t, "float")) {
		if (!is_float_text(n->text))
			report(b, n->line, n->col, "'%s' is not a number", n->text);
		n->type = YS_FLOAT;
	} else {
		report(b, n->line, n->col, "unsupported YAML tag '%s'", tag);
		n->type = YS_STR;
	}
}

static bool tag_supported(const char *tag, const char *const *allowed)
{
	if (!tag || !strcmp(tag, "!"))
		return true;
	if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)))
		return false;
	for (size_t i = 0; allowed[i]; i++)
		if (!strcmp(tag + strlen(TAG_PREFIX), allowed[i]))
			return true;
	return false;
}

static struct ynode *scalar_node(struct builder *b, const yaml_event_t *ev)
{
	static const char *const scalar_tags[] = { "str", "null", "bool", "int", "float", NULL };
	const char *tag = (const char *)ev->data.scalar.tag;
	struct ynode *n = new_node(b, YNODE_SCALAR, &ev->start_mark);

	n->len = ev->data.scalar.length;
	n->text = xstrndup((const char *)ev->data.scalar.value, n->len);
	n->expanded = 1;
	n->complete = true;
	if (tag && !tag_supported(tag, scalar_tags)) {
		report(b, n->line, n->col, "unsupported YAML tag '%s'", tag);
		n->type = YS_STR;
	} else if (tag) {
		resolve_tagged(b, n, tag);
	} else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		resolve_plain(n);
		/* Only a plain, untagged << merges; "<<" quoted is a key like any. */
		n->merge = !strcmp(n->text, "<<");
	} else {
		n->type = YS_STR;
	}
	return n;
}

static void too_big(struct builder *b, const struct ynode *at, const char *how)
{
	if (b->fatal)
		return;
	b->fatal = true;
	report(b, at->line, at->col,
	       "the document expands through %s to more than %zu nodes "
	       "(from %zu written); refusing it (is it a 'billion laughs'?)",
	       how, expand_limit(b), b->doc->n_all);
}

static void add_anchor(struct builder *b, const yaml_char_t *name, struct ynode *n)
{
	if (!name)
		return;
	ARRAY_GROW(b->anchors, b->n_anchors + 1, b->anchors_alloc);
	b->anchors[b->n_anchors].name = xstrdup((const char *)name);
	b->anchors[b->n_anchors].node = n;
	b->n_anchors++;
}

static struct ynode *find_anchor(struct builder *b, const char *name)
{
	/* A later anchor of the same name overrides an earlier one. */
	for (size_t i = b->n_anchors; i-- > 0;)
		if (!strcmp(b->anchors[i].name, name))
			return b->anchors[i].node;
	return NULL;
}

static void add_raw_pair(struct frame *f, struct ynode *key, struct ynode *value)
{
	ARRAY_GROW(f->raw, f->n_raw + 1, f->raw_alloc);
	f->raw[f->n_raw].key = key;
	f->raw[f->n_raw].value = value;
	f->n_raw++;
}

static bool is_merge_key(const struct ynode *key)
{
	return key->merge;
}

/* Hand a finished node to the collection that is open around it. */
static void attach(struct builder *b, struct ynode *n)
{
	struct frame *f;

	if (b->depth == 0) {
		b->doc->root = n;
		return;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->kind == YNODE_SEQ) {
		ARRAY_GROW(f->node->items, f->node->n_items + 1, f->node->items_alloc);
		f->node->items[f->node->n_items++] = n;
		return;
	}
	if (!f->key) {
		if (n->kind != YNODE_SCALAR) {
			report(b, n->line, n->col, "a mapping key must be a plain value, not %s",
			       ynode_describe(n));
		} else if (strlen(n->text) != n->len) {
			report(b, n->line, n->col, "a mapping key cannot contain a NUL character");
		}
		f->key = n;
		return;
	}
	add_raw_pair(f, f->key, n);
	f->key = NULL;
}

static void push(struct builder *b, struct ynode *n)
{
	ARRAY_GROW(b->stack, b->depth + 1, b->stack_alloc);
	memset(&b->stack[b->depth], 0, sizeof(b->stack[b->depth]));
	b->stack[b->depth].node = n;
	b->depth++;
}

/*
 * Key lookups in large maps (a `domains:` map of 100,000 entries) must not
 * be quadratic: index the keys seen so far in a jansson object, which is a
 * hash table keyed by string.
 */
static void put_pair(struct ynode *map, json_t *seen, struct ypair p)
{
	ARRAY_GROW(map->pairs, map->n_pairs + 1, map->pairs_alloc);
	map->pairs[map->n_pairs] = p;
	json_object_set_new(seen, p.key->text, json_integer((json_int_t)map->n_pairs));
	map->n_pairs++;
}

static void merge_from(struct builder *b, struct ynode *map, json_t *seen, struct ynode *src,
		       const struct ynode *where)
{
	if (src->kind != YNODE_MAP) {
		report(b, where->line, where->col,
		       "a merge key ('<<') takes a map or a list of maps, "
		       "not %s",
		       ynode_describe(src));
		return;
	}
	/* Merges copy pairs: many maps merging a large one is a blow-up too. */
	b->merged += src->n_pairs;
	if (b->merged > expand_limit(b)) {
		too_big(b, where, "merge keys");
		return;
	}
	for (size_t i = 0; i < src->n_pairs; i++)
		if (!json_object_get(seen, src->pairs[i].key->text))
			put_pair(map, seen, src->pairs[i]);
}

static void finish_map(struct builder *b, struct frame *f)
{
	struct ynode *map = f->node;
	struct ynode *merge_key = NULL, *merge_value = NULL;
	json_t *seen = json_object();

	for (size_t i = 0; i < f->n_raw; i++) {
		struct ypair p = f->raw[i];
		json_t *prev;

		if (p.key->kind != YNODE_SCALAR || strlen(p.key->text) != p.key->len)
			continue;
		if (is_merge_key(p.key)) {
			if (merge_key) {
				report(b, p.key->line, p.key->col,
				       "duplicate merge key '<<' (first at "
				       "line %d, column %d); list the maps in one: '<<: [*a, *b]'",
				       merge_key->line, merge_key->col);
				continue;
			}
			merge_key = p.key;
			merge_value = p.value;
			continue;
		}
		prev = json_object_get(seen, p.key->text);
		if (prev) {
			const struct ynode *first = map->pairs[json_integer_value(prev)].key;

			report(b, p.key->line, p.key->col,
			       "duplicate key '%s' (first at line %d, "
			       "column %d)",
			       p.key->text, first->line, first->col);
			continue;
		}
		put_pair(map, seen, p);
	}
	/* Explicit keys win over merged ones; earlier merge sources over later. */
	if (merge_value && merge_value->kind == YNODE_SEQ) {
		for (size_t i = 0; i < merge_value->n_items; i++)
			merge_from(b, map, seen, merge_value->items[i], merge_value->items[i]);
	} else if (merge_value) {
		merge_from(b, map, seen, merge_value, merge_key);
	}
	json_decref(seen);
	free(f->raw);
	f->raw = NULL;
}

static void complete(struct builder *b, struct ynode *n)
{
	size_t size = 1;

	if (n->kind == YNODE_SEQ) {
		for (size_t i = 0; i < n->n_items; i++)
			size = sat_add(size, n->items[i]->expanded);
	} else if (n->kind == YNODE_MAP) {
		for (size_t i = 0; i < n->n_pairs; i++)
			size = sat_add(size, sat_add(n->pairs[i].key->expanded,
						     n->pairs[i].value->expanded));
	}
	n->expanded = size;
	n->complete = true;
	/* Fail as soon as a node is too big, not after building the rest. */
	if (size > expand_limit(b))
		too_big(b, n, "aliases");
}

static void pop(struct builder *b)
{
	struct frame *f = &b->stack[--b->depth];
	struct ynode *n = f->node;

	if (n->kind == YNODE_MAP && !b->fatal) {
		finish_map(b, f);
	} else {
		free(f->raw);
		f->raw = NULL;
	}
	complete(b, n);
	attach(b, n);
}

static void open_collection(struct builder *b, const yaml_event_t *ev, enum ynode_kind kind)
{
	static const char *const seq_tags[] = { "seq", NULL };
	static const char *const map_tags[] = { "map", NULL };
	const yaml_char_t *anchor, *tag;
	struct ynode *n = new_node(b, kind, &ev->start_mark);

	if (kind == YNODE_SEQ) {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	}
	if (tag && !tag_supported((const char *)tag, kind == YNODE_SEQ ? seq_tags : map_tags))
		report(b, n->line, n->col, "unsupported YAML tag '%s'", (const char *)tag);
	if (b->depth >= MAX_DEPTH && !b->fatal) {
		/* Once is enough, and libyaml's work grows with depth: stop here. */
		report(b, n->line, n->col, "nesting deeper than %d levels", MAX_DEPTH);
		b->fatal = true;
	}
	/* Registered before its content, so that an alias inside is a cycle. */
	add_anchor(b, anchor, n);
	push(b, n);
}

static void on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct ynode *n = find_anchor(b, name);
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;

	if (!n) {
		report(b, line, col, "unknown anchor '*%s'", name);
		n = new_node(b, YNODE_SCALAR, &ev->start_mark);
		n->text = xstrdup("");
		n->type = YS_NULL;
		n->expanded = 1;
		n->complete = true;
	} else if (!n->complete) {
		report(b, line, col, "alias '*%s' refers to a node that contains it", name);
		n = new_node(b, YNODE_SCALAR, &ev->start_mark);
		n->text = xstrdup("");
		n->type = YS_NULL;
		n->expanded = 1;
		n->complete = true;
	}
	attach(b, n);
}

/* Line and column of a byte offset, for reader errors that carry no mark. */
static void offset_position(const struct builder *b, size_t offset, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < offset && i < b->len; i++) {
		if (b->data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)b->data[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

static void report_parser_error(struct builder *b, const yaml_parser_t *p)
{
	int line, col;

	b->fatal = true;
	if (p->error == YAML_READER_ERROR) {
		offset_position(b, p->problem_offset, &line, &col);
		report(b, line, col, "invalid YAML: %s",
		       p->problem ? p->problem : "unreadable input");
		return;
	}
	if (p->error == YAML_MEMORY_ERROR) {
		report(b, 0, 0, "invalid YAML: out of memory");
		return;
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	if (p->context)
		report(b, line, col, "invalid YAML: %s (%s at line %d, column %d)",
		       p->problem ? p->problem : "syntax error", p->context,
		       (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
	else
		report(b, line, col, "invalid YAML: %s", p->problem ? p->problem : "syntax error");
}

static bool handle_event(struct builder *b, yaml_event_t *ev)
{
	struct ynode *n;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1)
			report(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
			       "a file holds one YAML document; this is a second one");
		break;
	case YAML_SCALAR_EVENT:
		n = scalar_node(b, ev);
		add_anchor(b, ev->data.scalar.anchor, n);
		attach(b, n);
		break;
	case YAML_ALIAS_EVENT:
		on_alias(b, ev);
		break;
	case YAML_SEQUENCE_START_EVENT:
		open_collection(b, ev, YNODE_SEQ);
		break;
	case YAML_MAPPING_START_EVENT:
		open_collection(b, ev, YNODE_MAP);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		pop(b);
		break;
	case YAML_STREAM_END_EVENT:
		return false;
	default:
		break;
	}
	return true;
}

int ydoc_parse(struct ydoc **out, const char *file, const char *data, size_t len,
	       struct diags *diags)
{
	struct builder b = { 0 };
	yaml_parser_t parser;
	int rc = 0;

	*out = NULL;
	b.doc = xcalloc(1, sizeof(*b.doc));
	b.doc->file = xstrdup(file);
	b.diags = diags;
	b.data = data;
	b.len = len;
	if (!yaml_parser_initialize(&parser)) {
		b.fatal = true;
		report(&b, 0, 0, "cannot initialise the YAML parser");
		goto done;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	for (;;) {
		yaml_event_t ev;
		bool more;

		if (!yaml_parser_parse(&parser, &ev)) {
			report_parser_error(&b, &parser);
			break;
		}
		more = handle_event(&b, &ev);
		yaml_event_delete(&ev);
		if (!more || b.fatal)
			break;
	}
	yaml_parser_delete(&parser);
	/* A syntax error leaves collections open: close them to free them. */
	while (b.depth) {
		struct frame *f = &b.stack[--b.depth];

		free(f->raw);
	}
done:
	for (size_t i = 0; i < b.n_anchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	free(b.stack);
	if (b.fatal) {
		ydoc_free(b.doc);
		rc = MW_EINVALID;
	} else {
		*out = b.doc;
	}
	return rc;
}

void ydoc_free(struct ydoc *doc)
{
	if (!doc)
		return;
	for (size_t i = 0; i < doc->n_all; i++) {
		struct ynode *n = doc->all[i];

		free(n->text);
		free(n->items);
		free(n->pairs);
		free(n);
	}
	free(doc->all);
	free(doc->file);
	free(doc);
}

void ydoc_error(struct diags *diags, const char *file, const struct ynode *n, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	diags_add(diags, DIAG_ERROR, file, n ? n->line : 0, n ? n->col : 0, "%s", msg.ptr);
	buf_release(&msg);
}

struct ynode *ynode_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n_pairs; i++)
		if (!strcmp(map->pairs[i].key->text, key))
			return map->pairs[i].value;
	return NULL;
}

const char *ynode_describe(const struct ynode *n)
{
	if (n->kind == YNODE_SEQ)
		return "a list";
	if (n->kind == YNODE_MAP)
		return "a map";
	switch (n->type) {
	case YS_NULL:
		return "null";
	case YS_BOOL:
		return n->bool_value ? "true" : "false";
	case YS_INT:
	case YS_FLOAT:
		return "a number";
	case YS_STR:
		break;
	}
	return "a string";
}

const char *ydoc_library_version(void)
{
	return yaml_get_version_string();
}

/* --- emitting ----------------------------------------------------------- */

static int emit_write(void *data, unsigned char *buffer, size_t size)
{
	buf_add(data, buffer, size);
	return 1;
}

/* Whether a plain scalar of this text would read back as something else. */
static bool needs_quotes(const char *text)
{
	struct ynode probe = { 0 };

	probe.text = (char *)text;
	resolve_plain(&probe);
	return probe.type != YS_STR;
}

static bool is_alnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * Whether `text` may be written plain, as a value and as a key: it starts
 * with a letter or digit, holds only letters, digits and "._-/", and does
 * not read as null, a boolean or a number. Names, enum members, ids and
 * IPv4 prefixes pass; anything else (an indicator, "<<" that a key would
 * turn into a merge, a space, ':', non-ASCII, a control character) is
 * written double-quoted.
 */
static bool plain_safe(const char *text)
{
	if (!is_alnum_ascii(text[0]))
		return false;
	for (const char *p = text; *p; p++)
		if (!is_alnum_ascii(*p) && !strchr("._-/", *p))
			return false;
	return !needs_quotes(text);
}

/* Emit one scalar; false when `v` is none or libyaml fails. */
static bool emit_scalar(yaml_emitter_t *em, const json_t *v)
{
	yaml_event_t ev;
	char num[64];
	const char *text;
	int plain_ok = 1;

	if (json_is_string(v)) {
		text = json_string_value(v);
		plain_ok = plain_safe(text);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		text = num;
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		text = num;
	} else if (json_is_boolean(v)) {
		text = json_is_true(v) ? "true" : "false";
	} else if (json_is_null(v)) {
		text = "null";
	} else {
		return false;
	}
	/*
	 * Double quotes, not single: single quotes would fold a line break
	 * (and U+2028 is one to YAML 1.1); double quotes escape every control
	 * character, and, with the emitter not in unicode mode, every
	 * non-ASCII character as \xNN or \uNNNN: the line reads back exactly
	 * and holds nothing a terminal acts on.
	 */
	if (!yaml_scalar_event_initialize(
		    &ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), plain_ok, 1,
		    plain_ok ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE))
		return false;
	return yaml_emitter_emit(em, &ev);
}

int ydoc_format_flow(struct buf *out, const json_t *value)
{
	struct buf text = BUF_INIT;
	yaml_emitter_t em;
	yaml_event_t ev;
	size_t i, start, end;
	json_t *item;
	int rc = MW_EINVALID;

	if (!yaml_emitter_initialize(&em))
		return err_set(MW_ENOMEM, "cannot initialise libyaml's emitter");
	yaml_emitter_set_output(&em, emit_write, &text);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_unicode(&em, 0);
	/*
	 * Always a flow sequence: in flow context the emitter never picks a
	 * block scalar, so the value stays on one line; a lone scalar then
	 * loses its brackets below.
	 */
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&em, &ev) ||
	    !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&em, &ev) ||
	    !yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE) ||
	    !yaml_emitter_emit(&em, &ev))
		goto done;
	if (json_is_array(value)) {
		json_array_foreach(value, i, item)
			if (!emit_scalar(&em, item))
				goto done;
	} else if (!emit_scalar(&em, value)) {
		goto done;
	}
	if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev) ||
	    !yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&em, &ev) ||
	    !yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev) ||
	    !yaml_emitter_flush(&em))
		goto done;
	end = strcspn(text.ptr, "\n");
	start = 0;
	if (!json_is_array(value) && end >= 2 && text.ptr[0] == '[' && text.ptr[end - 1] == ']') {
		start = 1;
		end--;
	}
	buf_add(out, text.ptr + start, end - start);
	rc = 0;
done:
	if (rc < 0)
		err_set(rc, "cannot be written as YAML");
	yaml_emitter_delete(&em);
	buf_release(&text);
	return rc;
}
