/*
 * testutil: small helpers shared by the unit test binaries (cmocka).
 *
 * Everything a helper returns is owned by the caller unless it says
 * otherwise. Assertion helpers report the caller's file and line, so use
 * them through the macros below.
 */
#ifndef MW_TESTS_UNIT_TESTUTIL_H
#define MW_TESTS_UNIT_TESTUTIL_H

/* cmocka needs these before its header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>

#include "core/desired.h"
#include "core/live.h"
#include "core/source.h"
#include "util/diag.h"

/* A set of in-memory documents, as source.c would hand them on. */
struct tu_files {
	struct source_file *v;
	size_t nr, alloc;
};

/* Add a document (the text is copied; `policy` as source_finish() would set it). */
void tu_files_add(struct tu_files *f, const char *path, const char *text, bool policy);
/* Add a document of `len` bytes that may hold NULs. */
void tu_files_addn(struct tu_files *f, const char *path, const char *data, size_t len);
void tu_files_release(struct tu_files *f);

/* Every diagnostic as "FILE:LINE:COL: [warning: ]message\n", as diags_print() writes them. */
char *tu_diags_text(const struct diags *d);

/* Parse JSON text or fail the test. A new reference. */
json_t *tu_json_at(const char *text, const char *file, int line);
#define tu_json(text) tu_json_at((text), __FILE__, __LINE__)

/* Compact, key-sorted JSON text of `v` (for messages and comparisons). */
char *tu_dump(const json_t *v);

/* Fail unless `got` equals the JSON written in `want`; both shown on failure. */
void tu_assert_json_at(const json_t *got, const char *want, const char *file, int line);
#define assert_json(got, want) tu_assert_json_at((got), (want), __FILE__, __LINE__)

/* Fail unless the diagnostics hold exactly this line ("FILE:L:C: message"). */
void tu_assert_diag_at(const struct diags *d, const char *want, const char *file, int line);
#define assert_diag(d, want) tu_assert_diag_at((d), (want), __FILE__, __LINE__)

/* Fail unless the diagnostics are exactly `want` (lines, each ending in '\n'). */
void tu_assert_diags_at(const struct diags *d, const char *want, const char *file, int line);
#define assert_diags(d, want) tu_assert_diags_at((d), (want), __FILE__, __LINE__)

/* Fail unless `hay` contains `needle`. */
void tu_assert_contains_at(const char *hay, const char *needle, const char *file, int line);
#define assert_contains(hay, needle) tu_assert_contains_at((hay), (needle), __FILE__, __LINE__)

/* Fail if `hay` contains `needle`. */
void tu_assert_not_contains_at(const char *hay, const char *needle, const char *file, int line);
#define assert_not_contains(hay, needle)                                                           \
	tu_assert_not_contains_at((hay), (needle), __FILE__, __LINE__)

/* How many times `needle` occurs in `hay` (not overlapping). */
size_t tu_count(const char *hay, const char *needle);

/* Whether `len` bytes at `s` are well-formed UTF-8. */
bool tu_valid_utf8(const char *s, size_t len);

/* Monotonic seconds. */
double tu_now(void);

/*
 * A time bound for performance checks: `seconds` normally, much more when
 * the binary runs under valgrind or a sanitizer (they slow code down 2 to
 * 50 times; the bound is about complexity, not about their overhead).
 */
double tu_time_bound(double seconds);

/* A new temporary directory (mkdtemp under $TMPDIR or /tmp); owned by the caller. */
char *tu_tmpdir(void);
/* Remove `dir` and everything in it, then free the string. NULL is fine. */
void tu_rmtree(char *dir);

/* Write `text` to `dir/name`; returns the path (owned by the caller). */
char *tu_write_file(const char *dir, const char *name, const char *text);

/*
 * Load one in-memory desired-state document into `d` (DESIRED_INIT) with
 * problems in `diags`; returns desired_load()'s code.
 */
int tu_desired_yaml(struct desired *d, struct diags *diags, const char *path, const char *yaml);

/* The account, API and source that the plan and render tests plan for. */
#define TU_ACCOUNT "023e105f4ecef8ad9ca31a8372d0c353"
#define TU_API_URL "https://api.cloudflare.com/client/v4"
#define TU_COMMIT "0123456789abcdef0123456789abcdef01234567"

struct plan;
struct live;

/*
 * plan_build() of one desired document (d.yaml, which must load) against a
 * live listing (JSON, which must load), for TU_ACCOUNT at TU_API_URL from
 * /srv/repo at TU_COMMIT, path "desired". Returns plan_build()'s result.
 */
int tu_plan(struct plan *p, struct desired *d, struct diags *diags, struct live *l,
	    const char *yaml, const char *live, bool prune);

/* tu_desired_yaml() that must succeed: else the test fails, printing the problems. */
void tu_desired_yaml_ok(struct desired *d, struct diags *diags, const char *path, const char *yaml);

/* Load live state from JSON array text into `l`; returns live_load()'s code. */
int tu_live_json(struct live *l, const char *text);

#endif
