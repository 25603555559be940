/*
 * fuzz: what the fuzz targets share.
 *
 * Every target is one file, <name>_fuzz.c, defining LLVMFuzzerInitialize()
 * and LLVMFuzzerTestOneInput() and nothing else with external linkage. It
 * links with libFuzzer (meson option `fuzz`, clang) or with standalone.c,
 * which replays the files of a corpus (the `fuzz` test suite).
 *
 * A target checks the documented contract of the code it drives, not only
 * that it does not crash: a broken contract is reported by FUZZ_CHECK(),
 * which prints what was wrong and aborts, so that libFuzzer keeps the input
 * and the replay test fails. Each check has a class name; MW_FUZZ_IGNORE
 * (a comma-separated list of class names) turns those checks off, so that
 * fuzzing can go on past a bug already reported. The replay tests never set
 * it: a known bug keeps its test failing until it is fixed.
 */
#ifndef MW_TESTS_FUZZ_H
#define MW_TESTS_FUZZ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/desired.h"
#include "core/live.h"
#include "core/plan.h"

/* The entry points that libFuzzer (or standalone.c) calls. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * UBSan's defaults in these binaries: stop at the first finding, with a
 * stack. UBSAN_OPTIONS adds to them (a suppressions file while fuzzing).
 */
const char *__ubsan_default_options(void);

/* Inputs past this are ignored: no document mailward reads is near it. */
#define FUZZ_MAX_INPUT (1u << 20)

/* Whether checks of class `cls` are on (see MW_FUZZ_IGNORE above). */
bool fuzz_check_on(const char *cls);

/* Print "fuzz check '<cls>' failed: <message>" and abort. */
void fuzz_fail(const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#define FUZZ_CHECK(cond, cls, ...)                                                                 \
	do {                                                                                       \
		if (!(cond) && fuzz_check_on(cls))                                                 \
			fuzz_fail(cls, __VA_ARGS__);                                               \
	} while (0)

/* What every target does first: a fixed clock, no colour, no locale. */
void fuzz_init_env(void);

/* Whether `len` bytes at `s` are valid UTF-8 (no overlongs, no surrogates). */
bool fuzz_utf8_valid(const char *s, size_t len);

/* Fixtures, built once and shared; borrowed. */
const struct desired *fuzz_fixture_desired(void);
const struct live *fuzz_fixture_live(void);
const struct plan_meta *fuzz_fixture_meta(bool prune);

/* The digest plan_from_json() expects of `obj` (its "digest" member aside). */
void fuzz_plan_digest(char out[72], const json_t *obj);

/*
 * The invariants plan.h states for a plan that plan_build() made: changes
 * and unmanaged sorted, the summary agreeing with them, valid PATCH bodies
 * and fingerprints, the policy object.
 */
void fuzz_check_built_plan(const struct plan *p, const struct desired *d, const struct live *l);

/*
 * A plan that loaded (or was built) must serialise, load again, and be the
 * same plan: field by field, and as JSON.
 */
void fuzz_check_plan_roundtrip(const struct plan *p);

/* Render `p` every way the CLI can and check what renderers promise. */
void fuzz_render_plan(const struct plan *p);

#endif
