#include <stdio.h>

#include "cli/cli.h"

int cmd_help(struct cli_opts *o)
{
	const struct cli_command *cmd;

	if (o->n_args == 0) {
		cli_print_main_help(stdout);
		return EXIT_OK;
	}
	cmd = cli_find_command(o->args[0]);
	if (!cmd) {
		cli_error("no command '%s'; see 'mailward --help'", o->args[0]);
		return EXIT_ERROR;
	}
	cli_print_command_help(stdout, cmd);
	return EXIT_OK;
}
