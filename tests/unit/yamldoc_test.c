/*
 * yamldoc_test: YAML text to located nodes: scalar resolution, tags,
 * positions, merge keys, duplicate keys, aliases (DAG, cycles, the
 * expansion bound), one document per file, syntax errors.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/yamldoc.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/mem.h"

struct fx {
	struct ydoc *doc;
	struct diags diags;
	struct buf text;
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	buf_init(&fx->text);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	ydoc_free(fx->doc);
	diags_release(&fx->diags);
	buf_release(&fx->text);
	free(fx);
	return 0;
}

/* Parse `yaml` as "t.yaml" into the fixture (freeing what it held). */
static int parse_n(struct fx *fx, const char *yaml, size_t len)
{
	ydoc_free(fx->doc);
	fx->doc = NULL;
	diags_release(&fx->diags);
	return ydoc_parse(&fx->doc, "t.yaml", yaml, len, &fx->diags);
}

static int parse(struct fx *fx, const char *yaml)
{
	return parse_n(fx, yaml, strlen(yaml));
}

/* The value under `key` of the root map, failing the test when absent. */
static struct ynode *get(struct fx *fx, const char *key)
{
	struct ynode *n;

	assert_non_null(fx->doc);
	n = ynode_get(fx->doc->root, key);
	if (!n)
		fail_msg("no key '%s' in the root map", key);
	return n;
}

static void assert_scalar(const struct ynode *n, enum yscalar_type type, const char *text)
{
	assert_int_equal(n->kind, YNODE_SCALAR);
	if (n->type != type)
		fail_msg("'%s' resolved to type %d, expected %d", n->text, n->type, type);
	assert_string_equal(n->text, text);
}

/* --- scalars ------------------------------------------------------------ */

static void plain_scalars_resolve_like_yaml_1_2_core(void **state)
{
	static const struct {
		const char *text;
		enum yscalar_type type;
	} cases[] = {
		{ "~", YS_NULL },
		{ "null", YS_NULL },
		{ "Null", YS_NULL },
		{ "NULL", YS_NULL },
		{ "true", YS_BOOL },
		{ "True", YS_BOOL },
		{ "TRUE", YS_BOOL },
		{ "false", YS_BOOL },
		{ "yes", YS_BOOL },
		{ "Yes", YS_BOOL },
		{ "YES", YS_BOOL },
		{ "no", YS_BOOL },
		{ "on", YS_BOOL },
		{ "ON", YS_BOOL },
		{ "off", YS_BOOL },
		{ "Off", YS_BOOL },
		{ "0", YS_INT },
		{ "12", YS_INT },
		{ "-3", YS_INT },
		{ "+4", YS_INT },
		{ "012", YS_INT },
		{ "0x1F", YS_INT },
		{ "0o17", YS_INT },
		{ "1.5", YS_FLOAT },
		{ ".5", YS_FLOAT },
		{ "1.", YS_FLOAT },
		{ "1e3", YS_FLOAT },
		{ "-2.5E-3", YS_FLOAT },
		{ ".inf", YS_FLOAT },
		{ "-.Inf", YS_FLOAT },
		{ ".NaN", YS_FLOAT },
		{ "99999999999999999999", YS_FLOAT },
		{ "tRue", YS_STR },
		{ "y", YS_STR },
		{ "n", YS_STR },
		{ "nULL", YS_STR },
		{ "1_000", YS_STR },
		{ "0x", YS_STR },
		{ "0xZZ", YS_STR },
		{ "1e", YS_STR },
		{ "1.2.3", YS_STR },
		{ "10.0.0.1", YS_STR },
		{ "192.0.2.0/24", YS_STR },
		{ "2001:db8::/32", YS_STR },
		{ "example.com", YS_STR },
		{ "DIRECT", YS_STR },
		{ "MALICIOUS-BEC", YS_STR },
		{ "3fa85f64-5717-4562-b3fc-2c963f66afa6", YS_STR },
		{ ".", YS_STR },
		{ "-.", YS_STR },
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_truncate(&fx->text, 0);
		buf_printf(&fx->text, "v: %s\n", cases[i].text);
		assert_int_equal(parse(fx, fx->text.ptr), 0);
		assert_int_equal(fx->diags.nr, 0);
		assert_scalar(get(fx, "v"), cases[i].type, cases[i].text);
	}
}

static void plain_scalar_values(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a: 0x1F\nb: 0o17\nc: 012\nd: -9223372036854775808\n"
				   "e: 9223372036854775807\nf: yes\ng: OFF\nh:\n"),
			 0);
	assert_int_equal(get(fx, "a")->int_value, 31);
	assert_int_equal(get(fx, "b")->int_value, 15);
	assert_int_equal(get(fx, "c")->int_value, 12);
	assert_true(get(fx, "d")->int_value == INT64_MIN);
	assert_true(get(fx, "e")->int_value == INT64_MAX);
	assert_true(get(fx, "f")->bool_value);
	assert_false(get(fx, "g")->bool_value);
	assert_scalar(get(fx, "h"), YS_NULL, "");
	/* One past the range is not an integer any more. */
	assert_int_equal(parse(fx, "a: 9223372036854775808\nb: -9223372036854775809\n"), 0);
	assert_int_equal(get(fx, "a")->type, YS_FLOAT);
	assert_int_equal(get(fx, "b")->type, YS_FLOAT);
}

/*
 * The core schema's int is [-+]?[0-9]+ and its float needs digits around
 * one '.' or an exponent: a plain scalar made of digits and hyphens (a
 * date, a range, a UUID with no letter in it) is a string.
 */
static void digits_and_hyphens_are_strings(void **state)
{
	static const char *const cases[] = {
		"1-2", "+",   "2026-11-27", "12345678-1234-4234-8234-123456789012",
		"+-1", "1+1", "--1",
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		buf_truncate(&fx->text, 0);
		buf_printf(&fx->text, "v: \"x\"\nw: %s\n", cases[i]);
		assert_int_equal(parse(fx, fx->text.ptr), 0);
		assert_scalar(get(fx, "w"), YS_STR, cases[i]);
	}
}

static void quoted_and_block_scalars_are_strings(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a: \"true\"\nb: '12'\nc: \"\"\nd: |\n  true\ne: >-\n  5\n"
				   "f: 'null'\ng: \"~\"\n"),
			 0);
	assert_int_equal(fx->diags.nr, 0);
	assert_scalar(get(fx, "a"), YS_STR, "true");
	assert_scalar(get(fx, "b"), YS_STR, "12");
	assert_scalar(get(fx, "c"), YS_STR, "");
	assert_scalar(get(fx, "d"), YS_STR, "true\n");
	assert_scalar(get(fx, "e"), YS_STR, "5");
	assert_scalar(get(fx, "f"), YS_STR, "null");
	assert_scalar(get(fx, "g"), YS_STR, "~");
}

static void scalar_with_nul_keeps_its_length(void **state)
{
	struct fx *fx = *state;
	struct ynode *n;

	assert_int_equal(parse(fx, "a: \"x\\0y\"\n"), 0);
	n = get(fx, "a");
	assert_int_equal(n->type, YS_STR);
	assert_int_equal(n->len, 3);
	assert_memory_equal(n->text, "x\0y", 4);
}

/* --- tags --------------------------------------------------------------- */

static void tags_resolve_or_are_refused(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a: !!str 12\nb: !!int \"42\"\nc: !!bool yes\nd: !!null ~\n"
				   "e: !!float 1\nf: ! 12\ng: !!str true\nh: !!int 0x10\n"),
			 0);
	assert_int_equal(fx->diags.nr, 0);
	assert_scalar(get(fx, "a"), YS_STR, "12");
	assert_scalar(get(fx, "b"), YS_INT, "42");
	assert_int_equal(get(fx, "b")->int_value, 42);
	assert_scalar(get(fx, "c"), YS_BOOL, "yes");
	assert_true(get(fx, "c")->bool_value);
	assert_scalar(get(fx, "d"), YS_NULL, "~");
	assert_scalar(get(fx, "e"), YS_FLOAT, "1");
	assert_scalar(get(fx, "f"), YS_STR, "12");
	assert_scalar(get(fx, "g"), YS_STR, "true");
	assert_int_equal(get(fx, "h")->int_value, 16);

	assert_int_equal(parse(fx, "a: !!int abc\nb: !custom x\nc: !!binary aGk=\n"
				   "d: !!bool maybe\ne: !!null x\nf: !!float abc\ng: !!map [1]\n"
				   "h: !!seq {a: 1}\n"),
			 0);
	assert_diags(&fx->diags, "t.yaml:1:4: 'abc' is not an integer\n"
				 "t.yaml:2:4: unsupported YAML tag '!custom'\n"
				 "t.yaml:3:4: unsupported YAML tag 'tag:yaml.org,2002:binary'\n"
				 "t.yaml:4:4: 'maybe' is not a boolean\n"
				 "t.yaml:5:4: 'x' is not a null\n"
				 "t.yaml:6:4: 'abc' is not a number\n"
				 "t.yaml:7:4: unsupported YAML tag 'tag:yaml.org,2002:map'\n"
				 "t.yaml:8:4: unsupported YAML tag 'tag:yaml.org,2002:seq'\n");
	assert_int_equal(fx->diags.errors, 8);
}

/* --- positions ---------------------------------------------------------- */

static void positions_count_from_one(void **state)
{
	struct fx *fx = *state;
	struct ynode *domains, *d, *list;

	assert_int_equal(parse(fx, "# comment\n"
				   "domains:\n"
				   "  example.com:\n"
				   "    regions: [GLOBAL, US]\n"
				   "    hops:\n"
				   "      - 1\n"
				   "      -   2\n"),
			 0);
	assert_int_equal(fx->doc->root->line, 2);
	assert_int_equal(fx->doc->root->col, 1);
	assert_string_equal(fx->doc->file, "t.yaml");
	domains = get(fx, "domains");
	assert_int_equal(domains->kind, YNODE_MAP);
	assert_int_equal(domains->pairs[0].key->line, 3);
	assert_int_equal(domains->pairs[0].key->col, 3);
	d = domains->pairs[0].value;
	assert_int_equal(d->pairs[0].key->line, 4);
	assert_int_equal(d->pairs[0].key->col, 5);
	list = ynode_get(d, "regions");
	assert_int_equal(list->kind, YNODE_SEQ);
	assert_int_equal(list->line, 4);
	assert_int_equal(list->col, 14);
	assert_int_equal(list->items[1]->line, 4);
	assert_int_equal(list->items[1]->col, 23);
	list = ynode_get(d, "hops");
	assert_int_equal(list->n_items, 2);
	assert_int_equal(list->items[1]->line, 7);
	assert_int_equal(list->items[1]->col, 11);
}

static void columns_count_characters_not_bytes(void **state)
{
	struct fx *fx = *state;

	/* "é" is two bytes; libyaml counts characters, and so do messages. */
	assert_int_equal(parse(fx, "été: 1\nx: !!int été\n"), 0);
	assert_diag(&fx->diags, "t.yaml:2:4: 'été' is not an integer");
	assert_int_equal(get(fx, "été")->col, 6);
}

/* --- maps: duplicates and merge keys ----------------------------------- */

static void duplicate_key_names_the_first_place(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\na: 2\n"), 0);
	assert_diags(&fx->diags, "t.yaml:5:3: duplicate key 'x' (first at line 3, column 3)\n"
				 "t.yaml:6:1: duplicate key 'a' (first at line 1, column 1)\n");
	/* The first value is kept, so that later checks still run. */
	assert_int_equal(get(fx, "a")->int_value, 1);
	assert_int_equal(ynode_get(get(fx, "b"), "x")->int_value, 1);
	assert_int_equal(fx->doc->root->n_pairs, 2);
}

static void merge_key_explicit_keys_win(void **state)
{
	struct fx *fx = *state;
	struct ynode *m;

	assert_int_equal(parse(fx, "base: &b\n  x: 1\n  y: 2\n"
				   "m:\n  y: 20\n  <<: *b\n  z: 3\n"),
			 0);
	assert_int_equal(fx->diags.nr, 0);
	m = get(fx, "m");
	assert_int_equal(m->n_pairs, 3);
	/* Explicit keys first, in document order, then the merged ones. */
	assert_string_equal(m->pairs[0].key->text, "y");
	assert_string_equal(m->pairs[1].key->text, "z");
	assert_string_equal(m->pairs[2].key->text, "x");
	assert_int_equal(ynode_get(m, "y")->int_value, 20);
	assert_int_equal(ynode_get(m, "x")->int_value, 1);
	assert_null(ynode_get(m, "<<"));
}

static void merge_list_earlier_sources_win(void **state)
{
	struct fx *fx = *state;
	struct ynode *m;

	assert_int_equal(parse(fx, "a: &a {x: 1, y: 2}\n"
				   "b: &b {y: 20, z: 30}\n"
				   "m:\n  <<: [*a, *b]\n  w: 0\n"),
			 0);
	assert_int_equal(fx->diags.nr, 0);
	m = get(fx, "m");
	assert_int_equal(m->n_pairs, 4);
	assert_int_equal(ynode_get(m, "x")->int_value, 1);
	assert_int_equal(ynode_get(m, "y")->int_value, 2);
	assert_int_equal(ynode_get(m, "z")->int_value, 30);
	assert_int_equal(ynode_get(m, "w")->int_value, 0);
	/* Merged pairs are the very nodes of the source (a DAG, no copies). */
	assert_ptr_equal(ynode_get(m, "x"), ynode_get(get(fx, "a"), "x"));
}

static void merge_of_merged_maps_and_inline_maps(void **state)
{
	struct fx *fx = *state;
	struct ynode *m;

	assert_int_equal(parse(fx, "a: &a {x: 1}\n"
				   "b: &b\n  <<: *a\n  y: 2\n"
				   "m:\n  <<: [*b, {z: 3}]\n"),
			 0);
	assert_int_equal(fx->diags.nr, 0);
	m = get(fx, "m");
	assert_int_equal(m->n_pairs, 3);
	assert_int_equal(ynode_get(m, "x")->int_value, 1);
	assert_int_equal(ynode_get(m, "y")->int_value, 2);
	assert_int_equal(ynode_get(m, "z")->int_value, 3);
}

static void merge_key_errors(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "s: &s hello\nl: &l [1]\n"
				   "m1:\n  <<: *s\n"
				   "m2:\n  <<: [*l]\n"
				   "m3:\n  <<: {a: 1}\n  <<: {b: 2}\n"),
			 0);
	assert_diags(&fx->diags,
		     "t.yaml:4:3: a merge key ('<<') takes a map or a list of maps, not a string\n"
		     "t.yaml:2:4: a merge key ('<<') takes a map or a list of maps, not a list\n"
		     "t.yaml:9:3: duplicate merge key '<<' (first at line 8, column 3); list the "
		     "maps in one: '<<: [*a, *b]'\n");
	assert_int_equal(ynode_get(get(fx, "m3"), "a")->int_value, 1);
	assert_null(ynode_get(get(fx, "m3"), "b"));
}

/* A quoted "<<" is an ordinary string key: only the plain << merges. */
static void quoted_merge_key_is_a_plain_key(void **state)
{
	struct fx *fx = *state;
	struct ynode *m;

	assert_int_equal(parse(fx, "m:\n  \"<<\": {a: 1}\n  b: 2\n"), 0);
	assert_int_equal(fx->diags.nr, 0);
	m = get(fx, "m");
	assert_null(ynode_get(m, "a"));
	assert_non_null(ynode_get(m, "<<"));
	assert_int_equal(m->n_pairs, 2);
}

static void non_scalar_and_nul_keys_are_refused(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "? [a]\n: 1\nb: 2\n"), 0);
	assert_diags(&fx->diags, "t.yaml:1:3: a mapping key must be a plain value, not a list\n");
	assert_int_equal(fx->doc->root->n_pairs, 1);
	assert_int_equal(get(fx, "b")->int_value, 2);
	assert_int_equal(parse(fx, "{a: 1}: x\n"), 0);
	assert_diags(&fx->diags, "t.yaml:1:1: a mapping key must be a plain value, not a map\n");
	assert_int_equal(parse(fx, "\"a\\0b\": 1\n"), 0);
	assert_diags(&fx->diags, "t.yaml:1:1: a mapping key cannot contain a NUL character\n");
	assert_int_equal(fx->doc->root->n_pairs, 0);
}

/* --- aliases ------------------------------------------------------------ */

static void alias_is_the_anchored_node(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a: &x {k: 1}\nb: *x\nc: &s 5\nd: *s\n"), 0);
	assert_int_equal(fx->diags.nr, 0);
	assert_ptr_equal(get(fx, "a"), get(fx, "b"));
	assert_int_equal(get(fx, "b")->line, 1);
	assert_int_equal(get(fx, "b")->col, 4);
	assert_ptr_equal(get(fx, "c"), get(fx, "d"));
	assert_int_equal(get(fx, "d")->int_value, 5);
	/* A later anchor of the same name overrides the earlier one. */
	assert_int_equal(parse(fx, "a: &x 1\nb: &x 2\nc: *x\n"), 0);
	assert_int_equal(get(fx, "c")->int_value, 2);
}

static void unknown_anchor_reads_as_null(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a: *nope\nb: 1\n"), 0);
	assert_diags(&fx->diags, "t.yaml:1:4: unknown anchor '*nope'\n");
	assert_int_equal(get(fx, "a")->type, YS_NULL);
	assert_int_equal(get(fx, "b")->int_value, 1);
}

static void alias_cycles_are_rejected(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a: &x [1, *x]\n"), 0);
	assert_diags(&fx->diags, "t.yaml:1:11: alias '*x' refers to a node that contains it\n");
	assert_int_equal(parse(fx, "a: &m\n  b:\n    c: *m\n"), 0);
	assert_diags(&fx->diags, "t.yaml:3:8: alias '*m' refers to a node that contains it\n");
	assert_int_equal(parse(fx, "a: &m\n  b: 1\n  <<: *m\n"), 0);
	assert_diag(&fx->diags, "t.yaml:3:7: alias '*m' refers to a node that contains it");
	/* The tree is still freeable and finite. */
	assert_non_null(fx->doc);
}

static void billion_laughs_is_rejected_quickly(void **state)
{
	struct fx *fx = *state;
	double t0;

	buf_truncate(&fx->text, 0);
	buf_puts(&fx->text, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
	for (int i = 1; i < 10; i++) {
		buf_printf(&fx->text, "a%d: &a%d [", i, i);
		for (int k = 0; k < 9; k++)
			buf_printf(&fx->text, "%s*a%d", k ? ", " : "", i - 1);
		buf_puts(&fx->text, "]\n");
	}
	t0 = tu_now();
	assert_int_equal(parse(fx, fx->text.ptr), MW_EINVALID);
	assert_true(tu_now() - t0 < tu_time_bound(0.5));
	assert_null(fx->doc);
	assert_int_equal(fx->diags.errors, 1);
	assert_contains(fx->diags.v[0].msg, "the document expands through aliases to more than ");
	assert_contains(fx->diags.v[0].msg, "refusing it (is it a 'billion laughs'?)");
	/* At the first node that grows too big, not after building the rest. */
	assert_in_range(fx->diags.v[0].line, 2, 10);
}

static void billion_laughs_through_maps_and_merges(void **state)
{
	struct fx *fx = *state;

	buf_truncate(&fx->text, 0);
	buf_puts(&fx->text, "l0: &l0 {a: x, b: x, c: x, d: x, e: x, f: x, g: x, h: x}\n");
	for (int i = 1; i < 12; i++) {
		buf_printf(&fx->text, "l%d: &l%d {", i, i);
		for (int k = 0; k < 8; k++)
			buf_printf(&fx->text, "%sk%d: *l%d", k ? ", " : "", k, i - 1);
		buf_puts(&fx->text, "}\n");
	}
	buf_puts(&fx->text, "m:\n  <<: *l11\n");
	assert_int_equal(parse(fx, fx->text.ptr), MW_EINVALID);
	assert_null(fx->doc);
	assert_contains(fx->diags.v[0].msg, "billion laughs");
}

static void generous_alias_use_is_accepted(void **state)
{
	struct fx *fx = *state;
	struct ynode *domains;

	/* 5,000 domains each merging the same 8 settings: real use, not an attack. */
	buf_truncate(&fx->text, 0);
	buf_puts(&fx->text, "shared: &s\n");
	for (int k = 0; k < 8; k++)
		buf_printf(&fx->text, "  k%d: [a, b, c, d]\n", k);
	buf_puts(&fx->text, "domains:\n");
	for (int i = 0; i < 5000; i++)
		buf_printf(&fx->text, "  d%d.example.com:\n    <<: *s\n    own: %d\n", i, i);
	assert_int_equal(parse(fx, fx->text.ptr), 0);
	assert_int_equal(fx->diags.nr, 0);
	domains = get(fx, "domains");
	assert_int_equal(domains->n_pairs, 5000);
	assert_int_equal(domains->pairs[4999].value->n_pairs, 9);
}

/* --- structure ---------------------------------------------------------- */

static void nesting_is_bounded(void **state)
{
	struct fx *fx = *state;
	char *deep = xmalloc(1000);
	size_t n = 0;

	n += (size_t)sprintf(deep, "a: ");
	for (int i = 0; i < 300; i++)
		deep[n++] = '[';
	for (int i = 0; i < 300; i++)
		deep[n++] = ']';
	deep[n++] = '\n';
	deep[n] = '\0';
	parse(fx, deep);
	free(deep);
	assert_true(fx->diags.errors > 0);
	/* At the first collection deeper than the bound (the root map is level 1). */
	assert_string_equal(fx->diags.v[0].msg, "nesting deeper than 256 levels");
	assert_int_equal(fx->diags.v[0].line, 1);
	assert_int_equal(fx->diags.v[0].col, 259);
	/* One problem, said once, not once per level. */
	assert_int_equal(fx->diags.nr, 1);
}

static void very_deep_nesting_is_refused_fast(void **state)
{
	struct fx *fx = *state;
	const int depth = 20000;
	double t0;

	buf_truncate(&fx->text, 0);
	buf_puts(&fx->text, "a: ");
	for (int i = 0; i < depth; i++)
		buf_putc(&fx->text, '[');
	for (int i = 0; i < depth; i++)
		buf_putc(&fx->text, ']');
	buf_putc(&fx->text, '\n');
	t0 = tu_now();
	parse(fx, fx->text.ptr);
	assert_true(fx->diags.errors > 0);
	assert_int_equal(fx->diags.nr, 1);
	assert_true(tu_now() - t0 < tu_time_bound(0.5));
}

static void empty_inputs(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, ""), 0);
	assert_non_null(fx->doc);
	assert_null(fx->doc->root);
	assert_int_equal(parse(fx, "# only a comment\n\n"), 0);
	assert_null(fx->doc->root);
	assert_int_equal(fx->diags.nr, 0);
	assert_int_equal(parse(fx, "--- \n...\n"), 0);
	assert_int_equal(fx->diags.nr, 0);
	assert_true(!fx->doc->root || fx->doc->root->type == YS_NULL);
}

static void root_may_be_any_node(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "- x\n- y\n"), 0);
	assert_int_equal(fx->doc->root->kind, YNODE_SEQ);
	assert_int_equal(fx->doc->root->n_items, 2);
	assert_null(ynode_get(fx->doc->root, "x"));
	assert_int_equal(parse(fx, "hello\n"), 0);
	assert_scalar(fx->doc->root, YS_STR, "hello");
}

static void second_document_is_an_error(void **state)
{
	struct fx *fx = *state;

	parse(fx, "a: 1\n---\nb: 2\n");
	assert_diags(&fx->diags,
		     "t.yaml:2:1: a file holds one YAML document; this is a second one\n");
	parse(fx, "---\na: 1\n...\n---\nb: 2\n---\nc: 3\n");
	assert_diags(&fx->diags,
		     "t.yaml:4:1: a file holds one YAML document; this is a second one\n"
		     "t.yaml:6:1: a file holds one YAML document; this is a second one\n");
}

static void syntax_errors_have_line_and_column(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a: [1, 2\nb: 3\n"), MW_EINVALID);
	assert_null(fx->doc);
	assert_diags(&fx->diags, "t.yaml:2:2: invalid YAML: did not find expected ',' or ']' "
				 "(while parsing a flow sequence at line 1, column 4)\n");
	assert_int_equal(parse(fx, "a: 1\n b: 2\n"), MW_EINVALID);
	assert_int_equal(fx->diags.nr, 1);
	assert_int_equal(fx->diags.v[0].line, 2);
	assert_true(!strncmp(fx->diags.v[0].msg, "invalid YAML: ", 14));
	assert_int_equal(parse(fx, "a: \"unterminated\n"), MW_EINVALID);
	assert_int_equal(fx->diags.nr, 1);
	assert_true(fx->diags.v[0].line >= 1);
}

static void tabs_are_refused_where_yaml_refuses_them(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a:\n\tb: 1\n"), MW_EINVALID);
	assert_diags(&fx->diags, "t.yaml:2:1: invalid YAML: found character that cannot start any "
				 "token (while scanning for the next token at line 2, column 1)\n");
	/* A tab inside a value or after a key is fine. */
	assert_int_equal(parse(fx, "a:\tx\ty\n"), 0);
	assert_scalar(get(fx, "a"), YS_STR, "x\ty");
}

static void invalid_utf8_is_located(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a: \xff\n"), MW_EINVALID);
	assert_diags(&fx->diags, "t.yaml:1:4: invalid YAML: invalid leading UTF-8 octet\n");
	assert_int_equal(parse(fx, "ok: é\nb: x\xc3\n"), MW_EINVALID);
	assert_int_equal(fx->diags.nr, 1);
	assert_int_equal(fx->diags.v[0].line, 2);
	assert_contains(fx->diags.v[0].msg, "invalid YAML: invalid trailing UTF-8 octet");
	/* A NUL byte in the text (not an escape) is not YAML. */
	assert_int_equal(parse_n(fx, "a: b\0c\n", 7), MW_EINVALID);
	assert_int_equal(fx->diags.nr, 1);
	assert_int_equal(fx->diags.v[0].line, 1);
}

static void utf8_bom_and_crlf_are_fine(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "\xef\xbb\xbf"
				   "a: 1\r\nb: two\r\n"),
			 0);
	assert_int_equal(fx->diags.nr, 0);
	assert_int_equal(get(fx, "a")->int_value, 1);
	assert_scalar(get(fx, "b"), YS_STR, "two");
	assert_int_equal(ynode_get(fx->doc->root, "b") != NULL, 1);
	assert_int_equal(fx->doc->root->pairs[1].key->line, 2);
}

static void describe_nodes(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(parse(fx, "a: [1]\nb: {c: 1}\nc: ~\nd: true\ne: no\nf: 1\ng: 1.5\nh: x\n"),
			 0);
	assert_string_equal(ynode_describe(get(fx, "a")), "a list");
	assert_string_equal(ynode_describe(get(fx, "b")), "a map");
	assert_string_equal(ynode_describe(get(fx, "c")), "null");
	assert_string_equal(ynode_describe(get(fx, "d")), "true");
	assert_string_equal(ynode_describe(get(fx, "e")), "false");
	assert_string_equal(ynode_describe(get(fx, "f")), "a number");
	assert_string_equal(ynode_describe(get(fx, "g")), "a number");
	assert_string_equal(ynode_describe(get(fx, "h")), "a string");
	assert_null(ynode_get(get(fx, "a"), "x"));
	assert_null(ynode_get(NULL, "x"));
	ydoc_free(NULL);
	assert_true(strlen(ydoc_library_version()) > 0);
}

static void large_map_parses_fast(void **state)
{
	struct fx *fx = *state;
	double t0;

	buf_truncate(&fx->text, 0);
	buf_puts(&fx->text, "domains:\n");
	for (int i = 0; i < 50000; i++)
		buf_printf(&fx->text, "  d%05d.example.com: {lookback_hops: 2}\n", i);
	/* The last key repeats the first: found without a quadratic scan. */
	buf_puts(&fx->text, "  d00000.example.com: {}\n");
	t0 = tu_now();
	assert_int_equal(parse(fx, fx->text.ptr), 0);
	assert_true(tu_now() - t0 < tu_time_bound(1.0));
	assert_diags(&fx->diags, "t.yaml:50002:3: duplicate key 'd00000.example.com' (first at "
				 "line 2, column 3)\n");
	assert_int_equal(get(fx, "domains")->n_pairs, 50000);
}

/* --- writing flow text ------------------------------------------------- */

/* A parsed scalar or list of scalars as JSON, for comparing with what was written. */
static json_t *node_json(const struct ynode *n)
{
	json_t *arr;

	if (n->kind == YNODE_SEQ) {
		arr = json_array();
		for (size_t i = 0; i < n->n_items; i++)
			json_array_append_new(arr, node_json(n->items[i]));
		return arr;
	}
	if (n->kind != YNODE_SCALAR)
		return json_string("(a map)");
	switch (n->type) {
	case YS_NULL:
		return json_null();
	case YS_BOOL:
		return json_boolean(n->bool_value);
	case YS_INT:
		return json_integer(n->int_value);
	case YS_FLOAT:
		return json_real(strtod(n->text, NULL));
	case YS_STR:
		break;
	}
	return json_stringn(n->text, n->len);
}

static void flow_text_reads_back_the_same(void **state)
{
	static const char *const values[] = {
		"\"yes\"",
		"\"no\"",
		"\"on\"",
		"\"Off\"",
		"\"null\"",
		"\"~\"",
		"\"\"",
		"\"true\"",
		"\"True\"",
		"\"12\"",
		"\"0x10\"",
		"\"0o7\"",
		"\"1.5\"",
		"\".inf\"",
		"\"1e3\"",
		"\"1-2\"",
		"\"2026-11-27\"",
		"\"12345678-1234-4234-8234-123456789012\"",
		"\"a: b\"",
		"\"- x\"",
		"\"#x\"",
		"\"x #y\"",
		"\"[x]\"",
		"\"{x}\"",
		"\"*a\"",
		"\"&a\"",
		"\"!t\"",
		"\"%x\"",
		"\"@x\"",
		"\"`x\"",
		"\"'q'\"",
		"\"\\\"dq\\\"\"",
		"\"tab\\there\"",
		"\" lead\"",
		"\"trail \"",
		"\"\u00fc\"",
		"\"a\\r\\nb\"",
		"\"\\u0001ctl\"",
		"\"MALICIOUS-BEC\"",
		"\"2001:db8::/32\"",
		"\"smtp://mx:25\"",
		"\"?\"",
		"\"-\"",
		"\":\"",
		"\",\"",
		"\"a,b\"",
		"\"a]b\"",
		"\"example.com\"",
		/* A line break: the header's own example, "\"a\\nb\"". */
		"\"a\\nb\"",
		"\"relay1\\nrelay2\\n\"",
		"[\"x\\ny\"]",
		"\"<<\"",
		"\"=\"",
		"\"a\\u2028b\"",
		"\"\\u2029\"",
		"\"bidi\\u202eevil\"",
		"\"\\u2066x\\u2069\"",
		"\"\\u001b[2J\"",
		"\"\\u0085nel\"",
		"\"\\u009bcsi\"",
		"\"\\u007fdel\"",
		"\"\\ufeffbom\"",
		"\"\\ud83d\\ude00\"",
		"0",
		"-1",
		"20",
		"9223372036854775807",
		"true",
		"false",
		"null",
		"1.5",
		"[]",
		"[\"DIRECT\", \"BCC\"]",
		"[\"yes\", \"null\", \"1\", \"\"]",
		"[\"a, b\", \"c]\", \"[d\", \"{e}\"]",
		"[1, true, null, \"x\"]",
	};
	struct fx *fx = *state;
	struct buf bad = BUF_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		json_t *v = tu_json(values[i]);
		json_t *back = NULL;
		size_t start;

		buf_truncate(&fx->text, 0);
		buf_puts(&fx->text, "v: ");
		start = fx->text.len;
		if (ydoc_format_flow(&fx->text, v) != 0) {
			buf_printf(&bad, "  %s: cannot be written\n", values[i]);
		} else if (strchr(fx->text.ptr + start, '\n')) {
			buf_printf(&bad, "  %s: written on more than one line\n", values[i]);
		} else {
			buf_putc(&fx->text, '\n');
			if (parse(fx, fx->text.ptr) != 0 || fx->diags.nr) {
				buf_printf(&bad, "  %s: written as %s, which does not parse\n",
					   values[i], fx->text.ptr + start);
			} else {
				back = node_json(get(fx, "v"));
				if (!json_equal(v, back)) {
					char *b = tu_dump(back);

					buf_printf(&bad,
						   "  %s: written as %s, which reads back as %s\n",
						   values[i], fx->text.ptr + start, b);
					free(b);
				}
			}
		}
		json_decref(back);
		json_decref(v);
	}
	if (bad.len) {
		print_error("values that do not survive ydoc_format_flow() and ydoc_parse():\n%s",
			    bad.ptr);
		buf_release(&bad);
		fail();
	}
	buf_release(&bad);
}

/*
 * As a mapping key too (import writes domain names as keys): "<<" must not
 * become a merge, nothing may turn into another key, and the text written
 * is printable ASCII, so a terminal showing the file shows what it holds.
 */
static void flow_text_reads_back_as_a_key(void **state)
{
	static const char *const keys[] = {
		"example.com",
		"<<",
		"=",
		"~",
		"null",
		"yes",
		"on",
		"123",
		"1e3",
		"-x",
		"? q",
		": c",
		"#h",
		"&a",
		"*a",
		"!t",
		"|p",
		">f",
		"'s",
		"\"d",
		"%p",
		"@a",
		"`b",
		" lead",
		"trail ",
		"a: b",
		"x #y",
		"[x]",
		"{y}",
		"u\xe2\x80\xa8v",
		"b\xe2\x80\xaei",
		"esc\x1b[2J",
		"nl\nmailward: valid",
		"c1\xc2\x9b",
		"tab\tx",
		"del\x7f",
		/* "\xbc" then "cher": split so that the hex escape ends. */
		("b\xc3\xbc"
		 "cher.de"),
	};
	struct fx *fx = *state;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_t *k = json_string(keys[i]);

		assert_non_null(k);
		buf_truncate(&fx->text, 0);
		assert_int_equal(ydoc_format_flow(&fx->text, k), 0);
		for (const char *p = fx->text.ptr; *p; p++)
			if (*p < 0x20 || *p > 0x7e)
				fail_msg("'%s' written with byte 0x%02x: %s", keys[i],
					 (unsigned char)*p, fx->text.ptr);
		buf_puts(&fx->text, ": 1\n");
		if (parse(fx, fx->text.ptr) != 0 || fx->diags.nr)
			fail_msg("'%s' as a key does not parse: %s", keys[i], fx->text.ptr);
		assert_int_equal(fx->doc->root->kind, YNODE_MAP);
		assert_int_equal(fx->doc->root->n_pairs, 1);
		assert_false(fx->doc->root->pairs[0].key->merge);
		assert_string_equal(fx->doc->root->pairs[0].key->text, keys[i]);
		json_decref(k);
	}
}

static void flow_text_of_objects_is_refused(void **state)
{
	struct fx *fx = *state;
	json_t *obj = tu_json("{\"a\": 1}");
	json_t *nested = tu_json("[{\"a\": 1}]");

	assert_int_equal(ydoc_format_flow(&fx->text, obj), MW_EINVALID);
	assert_string_equal(err_msg(), "cannot be written as YAML");
	assert_int_equal(ydoc_format_flow(&fx->text, nested), MW_EINVALID);
	json_decref(obj);
	json_decref(nested);
	buf_truncate(&fx->text, 0);
	obj = tu_json("[\"DIRECT\", \"BCC\"]");
	buf_puts(&fx->text, "x: ");
	assert_int_equal(ydoc_format_flow(&fx->text, obj), 0);
	json_decref(obj);
	assert_string_equal(fx->text.ptr, "x: [DIRECT, BCC]");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(plain_scalars_resolve_like_yaml_1_2_core),
		T(plain_scalar_values),
		T(digits_and_hyphens_are_strings),
		T(quoted_and_block_scalars_are_strings),
		T(scalar_with_nul_keeps_its_length),
		T(tags_resolve_or_are_refused),
		T(positions_count_from_one),
		T(columns_count_characters_not_bytes),
		T(duplicate_key_names_the_first_place),
		T(merge_key_explicit_keys_win),
		T(merge_list_earlier_sources_win),
		T(merge_of_merged_maps_and_inline_maps),
		T(merge_key_errors),
		T(quoted_merge_key_is_a_plain_key),
		T(non_scalar_and_nul_keys_are_refused),
		T(alias_is_the_anchored_node),
		T(unknown_anchor_reads_as_null),
		T(alias_cycles_are_rejected),
		T(billion_laughs_is_rejected_quickly),
		T(billion_laughs_through_maps_and_merges),
		T(generous_alias_use_is_accepted),
		T(nesting_is_bounded),
		T(very_deep_nesting_is_refused_fast),
		T(empty_inputs),
		T(root_may_be_any_node),
		T(second_document_is_an_error),
		T(syntax_errors_have_line_and_column),
		T(tabs_are_refused_where_yaml_refuses_them),
		T(invalid_utf8_is_located),
		T(utf8_bom_and_crlf_are_fine),
		T(describe_nodes),
		T(large_map_parses_fast),
		T(flow_text_reads_back_the_same),
		T(flow_text_reads_back_as_a_key),
		T(flow_text_of_objects_is_refused),
	};

	return cmocka_run_group_tests_name("yamldoc", tests, NULL, NULL);
}
