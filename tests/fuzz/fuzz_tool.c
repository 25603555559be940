/*
 * fuzz-tool: makes seed files for the corpora with the real code.
 *
 *   fuzz-tool seal FILE        print FILE (a plan file) with the digest its
 *                              content calls for
 *   fuzz-tool plan LIVE [prune]
 *                              print the plan file that the fixture desired
 *                              state (fuzz_util.c) gives against the listing
 *                              in LIVE (a JSON array of Domain objects)
 *
 * Not a test and not built by default: `ninja -C BUILD tests/fuzz/fuzz-tool`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "util/err.h"
#include "util/hash.h"

static json_t *load(const char *path)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);

	if (!j) {
		fprintf(stderr, "fuzz-tool: %s:%d:%d: %s\n", path, jerr.line, jerr.column,
			jerr.text);
		exit(1);
	}
	return j;
}

int main(int argc, char **argv)
{
	fuzz_init_env();
	if (argc == 3 && !strcmp(argv[1], "seal")) {
		json_t *obj = load(argv[2]);
		char digest[HASH_HEX_SIZE];
		char *text;

		fuzz_plan_digest(digest, obj);
		json_object_set_new(obj, "digest", json_string(digest));
		text = json_dumps(obj, JSON_INDENT(2));
		printf("%s\n", text);
		free(text);
		json_decref(obj);
		return 0;
	}
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "plan")) {
		json_t *arr = load(argv[2]);
		struct live l = LIVE_INIT;
		struct plan p;
		char *text;

		if (live_load(&l, arr) < 0 ||
		    plan_build(&p, fuzz_fixture_desired(), &l, fuzz_fixture_meta(argc == 4)) < 0) {
			fprintf(stderr, "fuzz-tool: %s\n", err_msg());
			return 1;
		}
		text = plan_to_text(&p);
		fputs(text, stdout);
		free(text);
		plan_release(&p);
		live_release(&l);
		json_decref(arr);
		return 0;
	}
	fprintf(stderr, "usage: fuzz-tool seal PLANFILE | fuzz-tool plan LIVE.json [prune]\n");
	return 2;
}
