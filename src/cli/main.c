#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include "cli/cli.h"
#include "core/http.h"

static void on_signal(int sig)
{
	(void)sig;
	http_interrupted = 1;
}

static void unknown_command(const char *name)
{
	const char *close = cli_suggest_command(name);

	if (close)
		cli_usage_error(NULL, "unknown command '%s' (did you mean '%s'?)", name, close);
	else
		cli_usage_error(NULL, "unknown command '%s'", name);
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	struct cli_opts o;
	struct sigaction sa;
	int rc;

	/*
	 * Before anything reads a credential (the environment's API token,
	 * git credentials, the bearer header curl is handed): a non-dumpable
	 * process writes no core file, and other processes of the same user
	 * can no longer ptrace it or read its /proc/PID/{mem,environ}, so a
	 * crash or a neighbour cannot copy the token out of memory. It stays
	 * non-dumpable across the rest of the run; children exec'd later
	 * (none today) would start dumpable again.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		cli_error("cannot make the process non-dumpable: %s", strerror(errno));
		return EXIT_ERROR;
	}
	if (argc < 2) {
		cli_usage_error(NULL, "missing the command");
		return EXIT_ERROR;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		cli_print_main_help(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return cmd_version(NULL);
	cmd = cli_find_command(argv[1]);
	if (!cmd) {
		unknown_command(argv[1]);
		return EXIT_ERROR;
	}
	/* An interrupted run finishes what is in flight and reports, never half-writes. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = cli_parse(&o, cmd, argc - 1, argv + 1);
	if (rc != 0) {
		cli_opts_release(&o);
		return rc > 0 ? EXIT_OK : EXIT_ERROR;
	}
	rc = cmd->run(&o);
	cli_opts_release(&o);
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		/* A reader that stopped early (`| head`) is no error to report. */
		if (errno != EPIPE)
			cli_error("cannot write to standard output");
		return EXIT_ERROR;
	}
	return rc;
}
