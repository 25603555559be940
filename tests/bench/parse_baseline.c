/*
 * parse-baseline: the CPU time that libyaml and jansson alone need to parse
 * a plan's inputs, the yardstick of bench_plan_cpu.sh.
 *
 * `parse-baseline OUTFILE DESIRED.yaml PAGE.json...` reads every file into
 * memory, then parses the YAML file into a document (yaml_parser_load) and
 * each page with json_loadb, releasing each as a parser's caller would, and
 * writes {"cpu_s", "files"} to OUTFILE: the user and system time of the
 * parsing alone (getrusage), reading the files excluded.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <yaml.h>

struct file {
	char *ptr;
	size_t len;
};

static int slurp(struct file *out, const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, len = 0, n;
	char *p = malloc(cap);

	if (!f || !p) {
		perror(path);
		if (f)
			fclose(f);
		free(p);
		return -1;
	}
	while ((n = fread(p + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			char *q = realloc(p, cap *= 2);

			if (!q) {
				perror("realloc");
				free(p);
				fclose(f);
				return -1;
			}
			p = q;
		}
	}
	fclose(f);
	out->ptr = p;
	out->len = len;
	return 0;
}

static double cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int parse_yaml(const struct file *f, const char *path)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int ok;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)f->ptr, f->len);
	ok = yaml_parser_load(&parser, &doc);
	if (ok && !yaml_document_get_root_node(&doc))
		ok = 0;
	if (ok)
		yaml_document_delete(&doc);
	else
		fprintf(stderr, "%s: not a YAML document\n", path);
	yaml_parser_delete(&parser);
	return ok ? 0 : -1;
}

static int parse_json(const struct file *f, const char *path)
{
	json_error_t jerr;
	json_t *doc = json_loadb(f->ptr, f->len, JSON_REJECT_DUPLICATES, &jerr);

	if (!doc) {
		fprintf(stderr, "%s:%d: %s\n", path, jerr.line, jerr.text);
		return -1;
	}
	json_decref(doc);
	return 0;
}

int main(int argc, char **argv)
{
	struct file *files;
	int nfiles = argc - 2, rc = 0;
	double t0, t1;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: parse-baseline OUTFILE DESIRED.yaml [PAGE.json...]\n");
		return 2;
	}
	files = calloc((size_t)nfiles, sizeof(*files));
	if (!files)
		return 2;
	for (int i = 0; i < nfiles; i++)
		if (slurp(&files[i], argv[i + 2]) < 0)
			return 2;
	t0 = cpu_now();
	rc = parse_yaml(&files[0], argv[2]);
	for (int i = 1; i < nfiles && rc == 0; i++)
		rc = parse_json(&files[i], argv[i + 2]);
	t1 = cpu_now();
	for (int i = 0; i < nfiles; i++)
		free(files[i].ptr);
	free(files);
	if (rc < 0)
		return 1;
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 2;
	}
	fprintf(out, "{\"cpu_s\": %.4f, \"files\": %d}\n", t1 - t0, nfiles);
	fclose(out);
	return 0;
}
