#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "core/http.h"
#include "core/source.h"
#include "core/yamldoc.h"

/* What `mailward version` prints, as one JSON document on stdout. */
static int print_json(const char *git)
{
	json_t *doc = json_pack(
		"{s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "version", MAILWARD_VERSION, "libraries",
		"libgit2", git, "libyaml", ydoc_library_version(), "jansson", jansson_version_str(),
		"openssl", OpenSSL_version(OPENSSL_VERSION), "libcurl", http_library_version());
	char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;

	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(doc);
	return text ? EXIT_OK : EXIT_ERROR;
}

/* `o` is NULL for `mailward --version`. */
int cmd_version(struct cli_opts *o)
{
	char git[32];

	if (o && cli_no_args(o) < 0)
		return EXIT_ERROR;
	if (o && o->format && strcmp(o->format, "text") && strcmp(o->format, "json")) {
		cli_usage_error(o->cmd, "--format takes text or json, not '%s'", o->format);
		return EXIT_ERROR;
	}
	source_library_version(git, sizeof(git));
	if (o && o->format && !strcmp(o->format, "json"))
		return print_json(git);
	printf("mailward %s\n", MAILWARD_VERSION);
	printf("  libgit2 %s, libyaml %s, jansson %s, %s\n", git, ydoc_library_version(),
	       jansson_version_str(), OpenSSL_version(OPENSSL_VERSION));
	printf("  %s\n", http_library_version());
	return EXIT_OK;
}
