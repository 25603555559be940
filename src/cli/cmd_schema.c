#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/schema.h"

int cmd_schema(struct cli_opts *o)
{
	char *text;
	int rc = EXIT_OK;

	if (cli_no_args(o) < 0)
		return EXIT_ERROR;
	text = schema_text(o->schema_policy ? SCHEMA_POLICY : SCHEMA_DESIRED);
	/* main() checks standard output once, for every command. */
	fputs(text, stdout);
	free(text);
	return rc;
}
