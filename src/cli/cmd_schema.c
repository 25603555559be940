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
	if (fputs(text, stdout) == EOF || fflush(stdout) == EOF) {
		cli_error("cannot write the schema to standard output");
		rc = EXIT_ERROR;
	}
	free(text);
	return rc;
}
