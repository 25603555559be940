#include <stdio.h>

#include "cli/cli.h"

int cmd_help(struct cli_opts *o)
{
	const struct cli_command *cmd;

	if (o->n_args == 0) {
		cli_print_main_help(stdout);
		return EXIT_OK;
	}
	if (o->n_args > 1) {
		cli_usage_error(o->cmd, "takes at most one command name");
		return EXIT_ERROR;
	}
	cmd = cli_find_command(o->args[0]);
	if (!cmd) {
		const char *close = cli_suggest_command(o->args[0]);

		if (close)
			cli_usage_error(o->cmd, "no command '%s' (did you mean '%s'?)", o->args[0],
					close);
		else
			cli_usage_error(o->cmd, "no command '%s'", o->args[0]);
		return EXIT_ERROR;
	}
	cli_print_command_help(stdout, cmd);
	return EXIT_OK;
}
