#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>

#include "cli/cli.h"
#include "config.h"
#include "core/http.h"
#include "core/source.h"
#include "core/yamldoc.h"

int cmd_version(struct cli_opts *o)
{
	char git[32];

	(void)o;
	source_library_version(git, sizeof(git));
	printf("mailward %s\n", MAILWARD_VERSION);
	printf("  libgit2 %s, libyaml %s, jansson %s, %s\n", git, ydoc_library_version(),
	       jansson_version_str(), OpenSSL_version(OPENSSL_VERSION));
	printf("  %s\n", http_library_version());
	return EXIT_OK;
}
