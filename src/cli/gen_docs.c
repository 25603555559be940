/*
 * gen-docs: the man page and the bash completion, generated at build time
 * from the same command and option tables as --help (options.c), so that
 * the three never disagree.
 *
 *   gen-docs man VERSION > mailward.1
 *   gen-docs bash-completion > mailward.bash
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* roff: a backslash is an escape, '-' is a hyphen unless escaped, a leading '.' a request. */
static void roff(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

static void man_options(FILE *out, const struct cli_command *cmd)
{
	for (size_t i = 0; cli_options[i].name; i++) {
		const struct cli_option *o = &cli_options[i];

		if (!(o->commands & ON(cmd->id)) || o->id == OPT_HELP)
			continue;
		fputs(".TP\n", out);
		if (o->short_name)
			fprintf(out, "\\fB\\-%c\\fR, ", o->short_name);
		fputs("\\fB\\-\\-", out);
		roff(out, o->name);
		fputs("\\fR", out);
		if (o->arg) {
			fputs(" \\fI", out);
			roff(out, o->arg);
			fputs("\\fR", out);
		}
		fputc('\n', out);
		roff(out, o->help);
		fputc('\n', out);
	}
}

static int man(const char *version)
{
	FILE *out = stdout;

	fprintf(out, ".TH MAILWARD 1 \"\" \"mailward %s\" \"User Commands\"\n", version);
	fputs(".SH NAME\nmailward \\- configuration as code for Cloudflare Email Security "
	      "protected domains\n",
	      out);
	fputs(".SH SYNOPSIS\n", out);
	for (size_t i = 0; cli_commands[i].name; i++) {
		fprintf(out, ".B mailward %s\n", cli_commands[i].name);
		if (cli_commands[i].id != CMD_VERSION && cli_commands[i].id != CMD_HELP)
			fputs("[\\fIoptions\\fR]\n", out);
		if (*cli_commands[i].args) {
			roff(out, cli_commands[i].args);
			fputc('\n', out);
		}
		fputs(".br\n", out);
	}
	fputs(".SH DESCRIPTION\n"
	      "mailward keeps the settings of an account's Cloudflare Email Security protected "
	      "domains equal to what a git repository says they should be. It reads the desired "
	      "state (YAML) at a commit, validates it, lists the live settings from the API, and "
	      "plans the minimal PATCH and DELETE calls that make live equal to git; it prints "
	      "the plan, saves it for review, checks it against policies, applies it, and keeps "
	      "an append\\-only audit log.\n",
	      out);
	fputs(".SH COMMANDS\n", out);
	for (size_t i = 0; cli_commands[i].name; i++) {
		const struct cli_command *c = &cli_commands[i];

		fputs(".SS \"", out);
		roff(out, c->name);
		if (*c->args) {
			fputc(' ', out);
			roff(out, c->args);
		}
		fputs("\"\n", out);
		roff(out, c->description);
		fputs("\n.PP\nExit status: ", out);
		roff(out, c->exit_codes);
		fputs(".\n", out);
		man_options(out, c);
	}
	fputs(".SH ENVIRONMENT\n", out);
	for (size_t i = 0; cli_environment[i][0]; i++) {
		fprintf(out, ".TP\n.B %s\n", cli_environment[i][0]);
		roff(out, cli_environment[i][1]);
		fputc('\n', out);
	}
	fputs(".SH EXIT STATUS\n"
	      ".TP\n.B 0\nsuccess; plan: no changes; drift: in sync\n"
	      ".TP\n.B 1\nerror, including usage errors\n"
	      ".TP\n.B 2\nplan: there are changes; drift: drift found\n"
	      ".TP\n.B 3\na policy denies the plan\n"
	      ".TP\n.B 4\napply: the plan is stale; nothing was sent\n"
	      ".TP\n.B 5\napply: some operations failed; the others were applied\n",
	      out);
	fputs(".SH EXAMPLES\n.nf\n"
	      "mailward validate\n"
	      "mailward plan \\-\\-out plan.json\n"
	      "mailward show plan.json \\-\\-format markdown > comment.md\n"
	      "mailward apply plan.json \\-\\-require\\-ancestor main \\-\\-audit\\-log "
	      "audit.jsonl\n"
	      "mailward drift \\-\\-notify https://hooks.slack.com/services/...\n"
	      "mailward import \\-\\-out domains/\n"
	      ".fi\n",
	      out);
	fputs(".SH SEE ALSO\n\\fBmailward\\-sandbox\\fR(1) \\-\\-help, \\fBgit\\fR(1)\n", out);
	return 0;
}

static int bash_completion(void)
{
	FILE *out = stdout;

	fputs("# bash completion for mailward; generated from its option table.\n"
	      "_mailward() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	      "\tlocal cmd=${COMP_WORDS[1]}\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W '",
	      out);
	for (size_t i = 0; cli_commands[i].name; i++)
		fprintf(out, "%s ", cli_commands[i].name);
	fputs("--help --version' -- \"$cur\"))\n\t\treturn\n\tfi\n", out);
	fputs("\tcase $prev in\n"
	      "\t--format)\n"
	      "\t\tcase $cmd in\n"
	      "\t\timport) COMPREPLY=($(compgen -W 'yaml state' -- \"$cur\")) ;;\n"
	      "\t\tvalidate) COMPREPLY=($(compgen -W 'text json github' -- \"$cur\")) ;;\n"
	      "\t\tversion|audit) COMPREPLY=($(compgen -W 'text json' -- \"$cur\")) ;;\n"
	      "\t\t*) COMPREPLY=($(compgen -W 'text json markdown' -- \"$cur\")) ;;\n"
	      "\t\tesac\n\t\treturn ;;\n"
	      "\t--color)\n"
	      "\t\tCOMPREPLY=($(compgen -W 'auto always never' -- \"$cur\")); return ;;\n",
	      out);
	fputs("\t--repo|--path|--cache-dir|--policy)\n"
	      "\t\tCOMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n"
	      "\t--token-file|--ca-file|--out|--audit-log)\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	      "\t--ref|--require-ancestor)\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$(git for-each-ref --format='%(refname:short)' "
	      "2>/dev/null) HEAD\" -- \"$cur\")); return ;;\n",
	      out);
	fputs("\t", out);
	{
		bool first = true;

		for (size_t i = 0; cli_options[i].name; i++) {
			if (!cli_options[i].arg)
				continue;
			fprintf(out, "%s--%s", first ? "" : "|", cli_options[i].name);
			first = false;
		}
	}
	fputs(")\n\t\treturn ;;\n\tesac\n\tcase $cmd in\n", out);
	for (size_t i = 0; cli_commands[i].name; i++) {
		const struct cli_command *c = &cli_commands[i];

		fprintf(out, "\t%s)\n\t\tCOMPREPLY=($(compgen -W '", c->name);
		for (size_t k = 0; cli_options[k].name; k++) {
			const struct cli_option *o = &cli_options[k];
			bool dup = false;

			if (!(o->commands & ON(c->id)))
				continue;
			for (size_t j = 0; j < k; j++)
				if (cli_options[j].id == o->id &&
				    (cli_options[j].commands & ON(c->id)))
					dup = true;
			if (!dup)
				fprintf(out, "--%s ", o->name);
		}
		fputs("' -- \"$cur\"))\n", out);
		if (c->id == CMD_SHOW || c->id == CMD_APPLY)
			fputs("\t\t[[ $cur != -* ]] && COMPREPLY+=($(compgen -f -- \"$cur\"))\n",
			      out);
		if (c->id == CMD_HELP) {
			fputs("\t\tCOMPREPLY+=($(compgen -W '", out);
			for (size_t k = 0; cli_commands[k].name; k++)
				fprintf(out, "%s ", cli_commands[k].name);
			fputs("' -- \"$cur\"))\n", out);
		}
		fputs("\t\t;;\n", out);
	}
	fputs("\tesac\n}\ncomplete -F _mailward mailward\n", out);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "man"))
		return man(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "bash-completion"))
		return bash_completion();
	fprintf(stderr, "usage: gen-docs man VERSION | gen-docs bash-completion\n");
	return 2;
}
