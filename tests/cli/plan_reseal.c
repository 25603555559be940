/*
 * plan-reseal: what a forger does to a plan file after editing it: compute
 * the digest its content calls for and write it in. The plan file format's
 * digest is an unkeyed SHA-256 of the plan without its digest (compact JSON,
 * keys sorted, ASCII): anyone can recompute it, which is why apply verifies
 * a saved plan against its commit instead of trusting the digest.
 *
 *   plan-reseal FILE    rewrite FILE in place with a matching digest
 *
 * Written from the file format alone, as an attacker would, not with
 * mailward's code.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[7 + 2 * 32 + 1] = "sha256:";
	unsigned int mdlen = 0;
	json_error_t jerr;
	json_t *plan, *body;
	char *text;

	if (argc != 2) {
		fprintf(stderr, "usage: plan-reseal FILE\n");
		return 2;
	}
	plan = json_load_file(argv[1], 0, &jerr);
	if (!plan) {
		fprintf(stderr, "plan-reseal: %s:%d: %s\n", argv[1], jerr.line, jerr.text);
		return 1;
	}
	body = json_copy(plan);
	json_object_del(body, "digest");
	text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 7 + 2 * i, 3, "%02x", md[i]);
	json_object_set_new(plan, "digest", json_string(hex));
	if (json_dump_file(plan, argv[1], JSON_INDENT(2)) < 0) {
		fprintf(stderr, "plan-reseal: cannot write %s\n", argv[1]);
		return 1;
	}
	free(text);
	json_decref(body);
	json_decref(plan);
	return 0;
}
