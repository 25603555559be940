/*
 * json-get: print one value of a JSON document, for the end-to-end tests.
 *
 *   json-get FILE PATH     PATH is like .summary.update or .changes[0].body
 *   json-get -n FILE PATH  print the length of the array or object instead
 *
 * FILE "-" reads standard input; with -l, FILE holds one JSON value per line
 * and PATH applies to line N given as the first path step "[N]". Strings
 * print raw, everything else as compact JSON. A missing path prints nothing
 * and exits 1.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *step(json_t *v, const char **p)
{
	char key[256];
	size_t n;

	if (**p == '.') {
		(*p)++;
		n = strcspn(*p, ".[");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, *p, n);
		key[n] = '\0';
		*p += n;
		return n ? json_object_get(v, key) : v;
	}
	if (**p == '[') {
		char *end = NULL;
		long i = strtol(*p + 1, &end, 10);

		if (*end != ']')
			return NULL;
		*p = end + 1;
		if (i < 0)
			i += (long)json_array_size(v);
		return json_array_get(v, (size_t)i);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int count = 0, lines = 0, a = 1;
	json_error_t err;
	json_t *root, *v;
	const char *p;

	for (; a < argc && argv[a][0] == '-' && argv[a][1]; a++) {
		if (!strcmp(argv[a], "-n"))
			count = 1;
		else if (!strcmp(argv[a], "-l"))
			lines = 1;
	}
	if (argc - a != 2) {
		fprintf(stderr, "usage: json-get [-n] [-l] FILE PATH\n");
		return 2;
	}
	if (lines) {
		/* One document per line: gather them into an array. */
		FILE *f = strcmp(argv[a], "-") ? fopen(argv[a], "r") : stdin;
		char *line = NULL;
		size_t cap = 0;

		if (!f) {
			perror(argv[a]);
			return 2;
		}
		root = json_array();
		while (getline(&line, &cap, f) > 0) {
			json_t *one = json_loads(line, 0, &err);

			if (!one) {
				fprintf(stderr, "%s: line is not JSON: %s\n", argv[a], err.text);
				return 2;
			}
			json_array_append_new(root, one);
		}
		free(line);
		if (f != stdin)
			fclose(f);
	} else {
		root = strcmp(argv[a], "-") ? json_load_file(argv[a], 0, &err)
					    : json_loadf(stdin, 0, &err);
		if (!root) {
			fprintf(stderr, "%s:%d:%d: %s\n", argv[a], err.line, err.column, err.text);
			return 2;
		}
	}
	v = root;
	p = argv[a + 1];
	while (v && *p)
		v = step(v, &p);
	if (!v) {
		json_decref(root);
		return 1;
	}
	if (count) {
		printf("%zu\n", json_is_array(v) ? json_array_size(v) : json_object_size(v));
	} else if (json_is_string(v)) {
		printf("%s\n", json_string_value(v));
	} else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));

		printf("%s\n", s);
		free(s);
	}
	json_decref(root);
	return 0;
}
