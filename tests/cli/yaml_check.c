/*
 * yaml-check: does each FILE parse as YAML? For the pipeline examples'
 * tests (CI workflows, Kubernetes manifests, desired-state documents).
 *
 *   yaml-check FILE...
 *
 * Every document of every file is parsed with libyaml's event parser. A
 * parse error prints FILE:LINE:COL: problem (line and column counted from
 * 1). So does a duplicate key in one mapping (plain scalar keys compared as
 * written), which YAML forbids but libyaml lets through and which GitHub
 * Actions, GitLab and Kubernetes each resolve in their own way. Exit 0 when
 * every file is fine, 1 when any is not, 2 on a usage or I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* One open collection: for a mapping, the keys seen so far. */
struct level {
	int is_map;
	int want_key; /* mapping: the next node is a key */
	char **keys;
	size_t nkeys, cap;
};

struct stack {
	struct level *v;
	size_t n, cap;
};

static void level_free(struct level *l)
{
	for (size_t i = 0; i < l->nkeys; i++)
		free(l->keys[i]);
	free(l->keys);
}

static void push(struct stack *s, int is_map)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v) {
			perror("yaml-check");
			exit(2);
		}
	}
	memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
	s->v[s->n].is_map = is_map;
	s->v[s->n].want_key = is_map;
	s->n++;
}

static void pop(struct stack *s)
{
	if (s->n)
		level_free(&s->v[--s->n]);
}

/* A node (scalar, alias or a whole collection) ended inside the top level. */
static void node_done(struct stack *s)
{
	if (s->n && s->v[s->n - 1].is_map)
		s->v[s->n - 1].want_key = !s->v[s->n - 1].want_key;
}

/* Returns 1 when KEY was already a key of the mapping on top. */
static int add_key(struct level *l, const char *key)
{
	for (size_t i = 0; i < l->nkeys; i++)
		if (!strcmp(l->keys[i], key))
			return 1;
	if (l->nkeys == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->keys = realloc(l->keys, l->cap * sizeof(*l->keys));
		if (!l->keys) {
			perror("yaml-check");
			exit(2);
		}
	}
	l->keys[l->nkeys] = strdup(key);
	if (!l->keys[l->nkeys]) {
		perror("yaml-check");
		exit(2);
	}
	l->nkeys++;
	return 0;
}

static int check_file(const char *path)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct stack st = { 0 };
	FILE *f = fopen(path, "rb");
	int bad = 0, done = 0;

	if (!f) {
		perror(path);
		return 2;
	}
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "yaml-check: cannot initialise libyaml\n");
		fclose(f);
		return 2;
	}
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			printf("%s:%zu:%zu: %s%s%s\n", path, parser.problem_mark.line + 1,
			       parser.problem_mark.column + 1,
			       parser.problem ? parser.problem : "parse error",
			       parser.context ? " " : "", parser.context ? parser.context : "");
			bad = 1;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			while (st.n)
				pop(&st);
			break;
		case YAML_MAPPING_START_EVENT:
			push(&st, 1);
			break;
		case YAML_SEQUENCE_START_EVENT:
			push(&st, 0);
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			pop(&st);
			node_done(&st);
			break;
		case YAML_SCALAR_EVENT:
			if (st.n && st.v[st.n - 1].is_map && st.v[st.n - 1].want_key &&
			    strcmp((const char *)ev.data.scalar.value, "<<") &&
			    add_key(&st.v[st.n - 1], (const char *)ev.data.scalar.value)) {
				printf("%s:%zu:%zu: duplicate key '%s'\n", path,
				       ev.start_mark.line + 1, ev.start_mark.column + 1,
				       (const char *)ev.data.scalar.value);
				bad = 1;
			}
			node_done(&st);
			break;
		case YAML_ALIAS_EVENT:
			node_done(&st);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	while (st.n)
		pop(&st);
	free(st.v);
	yaml_parser_delete(&parser);
	fclose(f);
	return bad;
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: yaml-check FILE...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int r = check_file(argv[i]);

		if (r > rc)
			rc = r;
	}
	return rc;
}
