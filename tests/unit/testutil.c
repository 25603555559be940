#include "testutil.h"

#include "core/plan.h"
#include "util/err.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define TU_HAVE_VALGRIND_H 1
#endif
#endif

#include "util/mem.h"

void tu_files_addn(struct tu_files *f, const char *path, const char *data, size_t len)
{
	struct source_file *sf;

	ARRAY_GROW(f->v, f->nr + 1, f->alloc);
	sf = &f->v[f->nr++];
	memset(sf, 0, sizeof(*sf));
	sf->path = xstrdup(path);
	sf->data = xmalloc(len + 1);
	memcpy(sf->data, data, len);
	sf->data[len] = '\0';
	sf->len = len;
	sf->policy = false;
}

void tu_files_add(struct tu_files *f, const char *path, const char *text, bool policy)
{
	tu_files_addn(f, path, text, strlen(text));
	f->v[f->nr - 1].policy = policy;
}

void tu_files_release(struct tu_files *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		free(f->v[i].path);
		free(f->v[i].data);
	}
	free(f->v);
	memset(f, 0, sizeof(*f));
}

char *tu_diags_text(const struct diags *d)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem) {
		print_error("open_memstream: %s\n", strerror(errno));
		return xstrdup("");
	}
	diags_print(d, mem);
	fclose(mem);
	return text;
}

json_t *tu_json_at(const char *text, const char *file, int line)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

	if (!v) {
		print_error("invalid JSON in test (%d:%d: %s): %s\n", err.line, err.column,
			    err.text, text);
		_fail(file, line);
	}
	return v;
}

char *tu_dump(const json_t *v)
{
	char *s;

	if (!v)
		return xstrdup("(NULL)");
	s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	return s ? s : xstrdup("(undumpable)");
}

void tu_assert_json_at(const json_t *got, const char *want, const char *file, int line)
{
	json_t *w = tu_json_at(want, file, line);
	bool eq = got && json_equal((json_t *)got, w);

	if (!eq) {
		char *g = tu_dump(got), *x = tu_dump(w);

		print_error("JSON differs\n   got: %s\n  want: %s\n", g, x);
		free(g);
		free(x);
		json_decref(w);
		_fail(file, line);
		return;
	}
	json_decref(w);
}

void tu_assert_diag_at(const struct diags *d, const char *want, const char *file, int line)
{
	char *text = tu_diags_text(d);
	size_t wl = strlen(want);
	bool found = false;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len == wl && !memcmp(p, want, wl)) {
			found = true;
			break;
		}
		p += len + (nl ? 1 : 0);
	}
	if (!found) {
		print_error("no diagnostic\n  %s\namong\n%s\n", want, text);
		free(text);
		_fail(file, line);
		return;
	}
	free(text);
}

void tu_assert_diags_at(const struct diags *d, const char *want, const char *file, int line)
{
	char *text = tu_diags_text(d);

	if (strcmp(text, want)) {
		print_error("diagnostics differ\n--- got:\n%s--- want:\n%s---\n", text, want);
		free(text);
		_fail(file, line);
		return;
	}
	free(text);
}

void tu_assert_contains_at(const char *hay, const char *needle, const char *file, int line)
{
	if (!hay || !strstr(hay, needle)) {
		print_error("expected to find\n  %s\nin\n  %s\n", needle, hay ? hay : "(NULL)");
		_fail(file, line);
	}
}

void tu_assert_not_contains_at(const char *hay, const char *needle, const char *file, int line)
{
	if (hay && strstr(hay, needle)) {
		print_error("did not expect to find\n  %s\nin\n  %s\n", needle, hay);
		_fail(file, line);
	}
}

size_t tu_count(const char *hay, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	if (!nl)
		return 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + nl, needle))
		n++;
	return n;
}

bool tu_valid_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;

		if (c < 0x80)
			n = 0;
		else if ((c & 0xE0) == 0xC0 && c >= 0xC2)
			n = 1;
		else if ((c & 0xF0) == 0xE0)
			n = 2;
		else if ((c & 0xF8) == 0xF0 && c <= 0xF4)
			n = 3;
		else
			return false;
		if (n && i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		i += n + 1;
	}
	return true;
}

double tu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool under_sanitizer(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#else
	return false;
#endif
#else
	return false;
#endif
}

double tu_time_bound(double seconds)
{
	const char *vg = getenv("MAILWARD_VALGRIND");

#ifdef TU_HAVE_VALGRIND_H
	if (RUNNING_ON_VALGRIND)
		return seconds * 60;
#endif
	if (vg && *vg && strcmp(vg, "0"))
		return seconds * 60;
	if (under_sanitizer())
		return seconds * 10;
	return seconds;
}

char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl;

	if (!base || !*base)
		base = "/tmp";
	tmpl = xasprintf("%s/mailward-unit-XXXXXX", base);
	if (!mkdtemp(tmpl)) {
		print_error("mkdtemp(%s): %s\n", tmpl, strerror(errno));
		free(tmpl);
		return NULL;
	}
	return tmpl;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_rmtree(char *dir)
{
	if (!dir)
		return;
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

char *tu_write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");

	if (!f) {
		print_error("cannot create %s: %s\n", path, strerror(errno));
		return path;
	}
	fwrite(text, 1, strlen(text), f);
	fclose(f);
	return path;
}

int tu_desired_yaml(struct desired *d, struct diags *diags, const char *path, const char *yaml)
{
	struct tu_files f = { 0 };
	int rc;

	tu_files_add(&f, path, yaml, false);
	rc = desired_load(d, f.v, f.nr, diags);
	tu_files_release(&f);
	return rc;
}

int tu_live_json(struct live *l, const char *text)
{
	json_error_t err;
	json_t *arr = json_loads(text, 0, &err);
	int rc;

	if (!arr) {
		print_error("invalid live JSON in test (%d:%d: %s)\n", err.line, err.column,
			    err.text);
		return -100;
	}
	rc = live_load(l, arr);
	json_decref(arr);
	return rc;
}

void tu_desired_yaml_ok(struct desired *d, struct diags *diags, const char *path, const char *yaml)
{
	if (tu_desired_yaml(d, diags, path, yaml) != 0) {
		char *t = tu_diags_text(diags);

		print_error("desired state does not load:\n%s", t);
		free(t);
		fail();
	}
}

int tu_plan(struct plan *p, struct desired *d, struct diags *diags, struct live *l,
	    const char *yaml, const char *live, bool prune)
{
	static const struct plan_source source = {
		.repo = "/srv/repo",
		.ref = "HEAD",
		.commit = TU_COMMIT,
		.path = "desired",
		.worktree = false,
	};
	struct plan_meta meta = { TU_ACCOUNT, TU_API_URL, &source, prune };

	tu_desired_yaml_ok(d, diags, "d.yaml", yaml);
	assert_int_equal(tu_live_json(l, live), 0);
	err_clear();
	return plan_build(p, d, l, &meta);
}
