/*
 * prom-check: a strict parser of the Prometheus text exposition format
 * (0.0.4), for the agent's /metrics.
 *
 *   prom-check FILE [NAME:TYPE]...
 *
 * Fails (exit 1, one line per problem on stderr) unless every line is a
 * well-formed # HELP, # TYPE, comment or sample line; every family has at
 * most one HELP and one TYPE, given before its samples, and its samples
 * are together; metric and label names are valid, label values are quoted
 * with only \\, \" and \n escapes, no label repeats; values are floats (or
 * NaN, +Inf, -Inf); counters end in _total; a histogram has _bucket
 * samples with an `le` label in increasing order whose counts never
 * decrease, a +Inf bucket equal to _count, and _sum and _count. Each
 * NAME:TYPE argument must be a family of that type with at least one
 * sample. Prints "ok" when all holds.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FAMILIES 256
#define MAX_LABELS 16

struct family {
	char name[128];
	char type[16];
	bool help, typed, closed;
	size_t samples;
	/* histogram state */
	double last_le, last_bucket, inf_bucket, count;
	bool has_inf, has_sum, has_count;
};

static struct family fams[MAX_FAMILIES];
static size_t n_fams;
static int problems;
static size_t lineno;
static struct family *current;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void problem(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "prom-check: line %zu: ", lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	problems++;
}

static bool name_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || c == ':' ||
	       (!first && isdigit((unsigned char)c));
}

static bool label_char(char c, bool first)
{
	return isalpha((unsigned char)c) || c == '_' || (!first && isdigit((unsigned char)c));
}

static struct family *find(const char *name)
{
	for (size_t i = 0; i < n_fams; i++)
		if (!strcmp(fams[i].name, name))
			return &fams[i];
	return NULL;
}

static struct family *add(const char *name)
{
	struct family *f = find(name);

	if (f)
		return f;
	if (n_fams == MAX_FAMILIES) {
		problem("too many families (%s)", name);
		exit(1);
	}
	f = &fams[n_fams++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%.127s", name);
	f->last_le = -INFINITY;
	return f;
}

static bool parse_value(const char *s, double *out)
{
	char *end = NULL;

	if (!strcmp(s, "NaN")) {
		*out = NAN;
		return true;
	}
	if (!strcmp(s, "+Inf")) {
		*out = INFINITY;
		return true;
	}
	if (!strcmp(s, "-Inf")) {
		*out = -INFINITY;
		return true;
	}
	if (!*s || isspace((unsigned char)*s))
		return false;
	*out = strtod(s, &end);
	return *end == '\0' && !strchr(s, 'x') && !strchr(s, 'X') && isfinite(*out);
}

/* "# HELP name text" or "# TYPE name type"; other comments are free. */
static void comment(char *line)
{
	char *kw = line + 2, *name, *rest;
	struct family *f;

	if (strncmp(kw, "HELP ", 5) && strncmp(kw, "TYPE ", 5))
		return;
	name = kw + 5;
	rest = strchr(name, ' ');
	if (!rest) {
		problem("'%s' without a name and a text", kw);
		return;
	}
	*rest++ = '\0';
	for (const char *p = name; *p; p++)
		if (!name_char(*p, p == name))
			problem("bad metric name '%s'", name);
	f = add(name);
	if (f->samples)
		problem("HELP or TYPE after the samples of '%s'", name);
	if (!strncmp(kw, "HELP", 4)) {
		if (f->help)
			problem("second HELP for '%s'", name);
		f->help = true;
		for (const char *p = rest; *p; p++)
			if (*p == '\\' && p[1] != '\\' && p[1] != 'n')
				problem("bad escape in the HELP of '%s'", name);
		return;
	}
	if (f->typed)
		problem("second TYPE for '%s'", name);
	if (strcmp(rest, "counter") && strcmp(rest, "gauge") && strcmp(rest, "histogram") &&
	    strcmp(rest, "summary") && strcmp(rest, "untyped"))
		problem("unknown type '%s'", rest);
	snprintf(f->type, sizeof(f->type), "%s", rest);
	f->typed = true;
}

/* The family a sample named `name` belongs to (histogram suffixes stripped). */
static struct family *family_of(const char *name, const char **suffix)
{
	static const char *const sfx[] = { "_bucket", "_sum", "_count" };
	char base[128];

	*suffix = "";
	for (size_t i = 0; i < 3; i++) {
		size_t n = strlen(name), k = strlen(sfx[i]);
		struct family *f;

		if (n > k && !strcmp(name + n - k, sfx[i])) {
			snprintf(base, sizeof(base), "%.*s", (int)(n - k), name);
			f = find(base);
			if (f && !strcmp(f->type, "histogram")) {
				*suffix = sfx[i];
				return f;
			}
		}
	}
	return find(name);
}

static void sample(char *line)
{
	char name[128], labels[MAX_LABELS][64], le[64] = "";
	size_t n = 0, nl = 0;
	char *p = line;
	const char *suffix;
	struct family *f;
	double v;

	while (name_char(*p, p == line) && n < sizeof(name) - 1)
		name[n++] = *p++;
	name[n] = '\0';
	if (!n) {
		problem("not a sample line: '%s'", line);
		return;
	}
	if (*p == '{') {
		p++;
		while (*p != '}') {
			char lname[64], *val;
			size_t k = 0;

			while (label_char(*p, k == 0) && k < sizeof(lname) - 1)
				lname[k++] = *p++;
			lname[k] = '\0';
			if (!k || *p != '=' || p[1] != '"') {
				problem("bad label in '%s'", line);
				return;
			}
			for (size_t i = 0; i < nl; i++)
				if (!strcmp(labels[i], lname))
					problem("label '%s' repeated", lname);
			if (nl < MAX_LABELS)
				snprintf(labels[nl++], sizeof(labels[0]), "%s", lname);
			p += 2;
			val = p;
			while (*p && *p != '"') {
				if (*p == '\\') {
					if (p[1] != '\\' && p[1] != '"' && p[1] != 'n') {
						problem("bad escape in a label value of '%s'",
							name);
						return;
					}
					p++;
				}
				p++;
			}
			if (*p != '"') {
				problem("unterminated label value in '%s'", line);
				return;
			}
			if (!strcmp(lname, "le"))
				snprintf(le, sizeof(le), "%.*s", (int)(p - val), val);
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}') {
				problem("bad label list in '%s'", line);
				return;
			}
		}
		p++;
	}
	if (*p != ' ') {
		problem("no value in '%s'", line);
		return;
	}
	p++;
	{
		char *ts = strchr(p, ' ');

		if (ts) {
			*ts++ = '\0';
			for (const char *q = *ts == '-' ? ts + 1 : ts; *q; q++)
				if (!isdigit((unsigned char)*q))
					problem("bad timestamp in '%s'", name);
		}
	}
	if (!parse_value(p, &v)) {
		problem("bad value '%s'", p);
		return;
	}
	f = family_of(name, &suffix);
	if (!f || !f->typed) {
		problem("sample '%s' without a TYPE before it", name);
		return;
	}
	if (f->closed || (current && current != f && f->samples))
		problem("the samples of '%s' are not together", f->name);
	if (current && current != f)
		current->closed = current->samples > 0;
	current = f;
	f->samples++;
	if (!strcmp(f->type, "counter")) {
		size_t len = strlen(f->name);

		if (len < 6 || strcmp(f->name + len - 6, "_total"))
			problem("counter '%s' does not end in _total", f->name);
		if (v < 0)
			problem("counter '%s' is negative", f->name);
	}
	if (!strcmp(f->type, "histogram")) {
		if (!*suffix) {
			problem("histogram sample '%s' is not _bucket, _sum or _count", name);
		} else if (!strcmp(suffix, "_bucket")) {
			double bound;

			if (!*le || !parse_value(le, &bound) || (isnan(bound))) {
				problem("bucket of '%s' without a good le", f->name);
				return;
			}
			if (bound <= f->last_le)
				problem("buckets of '%s' not in increasing le", f->name);
			if (v < f->last_bucket)
				problem("bucket counts of '%s' decrease", f->name);
			f->last_le = bound;
			f->last_bucket = v;
			if (isinf(bound)) {
				f->has_inf = true;
				f->inf_bucket = v;
			}
		} else if (!strcmp(suffix, "_sum")) {
			f->has_sum = true;
		} else {
			f->has_count = true;
			f->count = v;
		}
	}
}

int main(int argc, char **argv)
{
	char line[8192];
	FILE *in;

	if (argc < 2) {
		fprintf(stderr, "usage: prom-check FILE [NAME:TYPE]...\n");
		return 2;
	}
	in = fopen(argv[1], "r");
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof(line), in)) {
		size_t len = strlen(line);

		lineno++;
		if (!len || line[len - 1] != '\n') {
			problem("line not ended by a newline, or too long");
			break;
		}
		line[--len] = '\0';
		if (!len)
			continue;
		if (line[0] == '#')
			comment(line);
		else
			sample(line);
	}
	fclose(in);
	for (size_t i = 0; i < n_fams; i++) {
		struct family *f = &fams[i];

		lineno = 0;
		if (!strcmp(f->type, "histogram") &&
		    (!f->has_inf || !f->has_sum || !f->has_count || f->inf_bucket != f->count))
			problem("histogram '%s' lacks +Inf, _sum or _count, or +Inf != _count",
				f->name);
	}
	for (int i = 2; i < argc; i++) {
		char want[160];
		char *colon;
		struct family *f;

		snprintf(want, sizeof(want), "%s", argv[i]);
		colon = strchr(want, ':');
		if (!colon) {
			fprintf(stderr, "prom-check: '%s' is not NAME:TYPE\n", argv[i]);
			return 2;
		}
		*colon = '\0';
		f = find(want);
		lineno = 0;
		if (!f || !f->samples)
			problem("no samples of '%s'", want);
		else if (strcmp(f->type, colon + 1))
			problem("wrong TYPE for '%s'", want);
	}
	if (problems)
		return 1;
	puts("ok");
	return 0;
}
