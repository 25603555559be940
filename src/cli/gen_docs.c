/*
 * gen-docs: the man page and the bash completion, generated at build time
 * from the same command and option tables as --help (options.c), so that
 * the three never disagree.
 *
 *   gen-docs man VERSION > mailward.1
 *   gen-docs bash-completion > mailward.bash
 *   gen-docs zsh-completion > _mailward
 *   gen-docs fish-completion > mailward.fish
 */
#include <stdbool.h>
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
	      "\t\tif [ \"$cmd\" = import ]; then\n"
	      "\t\t\tCOMPREPLY=($(compgen -W 'yaml state' -- \"$cur\"))\n"
	      "\t\telse\n"
	      "\t\t\tCOMPREPLY=($(compgen -W 'text json markdown' -- \"$cur\"))\n"
	      "\t\tfi\n\t\treturn ;;\n",
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

/* --- what the completions offer, from the tables -------------------------- */

enum arg_completion { ARG_NONE, ARG_VALUES, ARG_FILE, ARG_DIR, ARG_REF };

/* Whether row `k` is the first row of its option that `cmd` takes. */
static bool first_row_for(size_t k, enum cmd_id cmd)
{
	if (!(cli_options[k].commands & ON(cmd)))
		return false;
	for (size_t j = 0; j < k; j++)
		if (cli_options[j].id == cli_options[k].id && (cli_options[j].commands & ON(cmd)))
			return false;
	return true;
}

/* The fixed values of `o` on `cmd` (cli_option_values), or NULL. */
static const char *const *option_values(const struct cli_option *o, enum cmd_id cmd)
{
	for (size_t i = 0; cli_option_values[i].values; i++)
		if (cli_option_values[i].id == o->id && (cli_option_values[i].commands & ON(cmd)))
			return cli_option_values[i].values;
	return NULL;
}

/* What an option's argument is, from its values or its name in --help. */
static enum arg_completion arg_kind(const struct cli_option *o, enum cmd_id cmd,
				    const char *const **values)
{
	*values = option_values(o, cmd);
	if (!o->arg)
		return ARG_NONE;
	if (*values)
		return ARG_VALUES;
	if (strstr(o->arg, "REF"))
		return ARG_REF;
	if (!strcmp(o->arg, "DIR"))
		return ARG_DIR;
	if (strstr(o->arg, "FILE") || strstr(o->arg, "PATH"))
		return ARG_FILE;
	return ARG_NONE;
}

/* A help text's first clause, for the one-line descriptions of completions. */
static void short_help(char *out, size_t size, const char *help)
{
	size_t n = strlen(help);
	const char *cut;

	if ((cut = strstr(help, "; ")) && (size_t)(cut - help) < n)
		n = (size_t)(cut - help);
	if (n >= size) {
		/* Cut at a word's end. */
		n = size - 1;
		while (n > 0 && help[n] != ' ')
			n--;
	}
	memcpy(out, help, n);
	out[n] = '\0';
}

/*
 * The positional arguments of a command, from its usage ("[PLANFILE]",
 * "verify|log FILE", "[COMMAND]"): the words of the first one when it is a
 * choice, and whether the arguments are files or command names.
 */
struct positional {
	char words[64]; /* "verify log", or "" */
	bool files, commands;
};

static void positional_of(struct positional *p, const struct cli_command *c)
{
	const char *a = c->args;
	size_t n = 0;

	memset(p, 0, sizeof(*p));
	p->files = strstr(a, "FILE") != NULL;
	p->commands = strstr(a, "COMMAND") != NULL;
	if (!strchr(a, '|'))
		return;
	for (; *a && *a != ' ' && n < sizeof(p->words) - 1; a++) {
		if (*a == '[' || *a == ']')
			continue;
		p->words[n++] = *a == '|' ? ' ' : *a;
	}
	p->words[n] = '\0';
}

/* Inside '...' in zsh, and in _arguments' [help] and :message: fields. */
static void zsh_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else
			fputc(*s, out);
	}
}

static void zsh_option(FILE *out, const struct cli_option *o, enum cmd_id cmd)
{
	const char *const *values;
	enum arg_completion kind = arg_kind(o, cmd, &values);
	char help[96];

	short_help(help, sizeof(help), o->help);
	fputs("\t\t\t", out);
	if (o->id == OPT_HELP)
		fputs("'(- *)'", out);
	else if (o->short_name)
		fprintf(out, "'(-%c --%s)'", o->short_name, o->name);
	if (o->short_name)
		fprintf(out, "{-%c,--%s%s}'", o->short_name, o->name, o->arg ? "=" : "");
	else
		fprintf(out, "'%s--%s%s", strstr(o->help, "repeatable") ? "*" : "", o->name,
			o->arg ? "=" : "");
	fputc('[', out);
	zsh_text(out, help);
	fputc(']', out);
	if (o->arg) {
		fputc(':', out);
		zsh_text(out, o->arg);
		fputc(':', out);
		switch (kind) {
		case ARG_VALUES:
			fputc('(', out);
			for (size_t i = 0; values[i]; i++)
				fprintf(out, "%s%s", i ? " " : "", values[i]);
			fputc(')', out);
			break;
		case ARG_FILE:
			fputs("_files", out);
			break;
		case ARG_DIR:
			fputs("_files -/", out);
			break;
		case ARG_REF:
			fputs("_mailward_refs", out);
			break;
		case ARG_NONE:
			fputs(" ", out);
			break;
		}
	}
	fputs("' \\\n", out);
}

static int zsh_completion(void)
{
	FILE *out = stdout;

	fputs("#compdef mailward\n"
	      "# zsh completion for mailward; generated from its command and option tables\n"
	      "# by gen-docs (src/cli/gen_docs.c): do not edit.\n\n"
	      "_mailward_refs() {\n"
	      "\tlocal -a refs\n"
	      "\trefs=(HEAD ${(f)\"$(git for-each-ref --format='%(refname:short)' "
	      "2>/dev/null)\"})\n"
	      "\t_describe -t refs 'git reference' refs\n"
	      "}\n\n"
	      "# The commands, from _mailward's local array (zsh scopes are dynamic).\n"
	      "_mailward_commands() {\n"
	      "\t_describe -t commands 'mailward command' mw_commands\n"
	      "}\n\n"
	      "_mailward() {\n"
	      "\tlocal -a mw_commands\n"
	      "\tmw_commands=(\n",
	      out);
	for (size_t i = 0; cli_commands[i].name; i++) {
		fprintf(out, "\t\t'%s:", cli_commands[i].name);
		zsh_text(out, cli_commands[i].summary);
		fputs("'\n", out);
	}
	fputs("\t)\n"
	      "\tif (( CURRENT == 2 )); then\n"
	      "\t\tif [[ $PREFIX == -* ]]; then\n"
	      "\t\t\t_arguments '(- *)'{-h,--help}'[show the help]' "
	      "'(- *)'{-V,--version}'[print the version]'\n"
	      "\t\telse\n"
	      "\t\t\t_describe -t commands 'mailward command' mw_commands\n"
	      "\t\tfi\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tlocal cmd=$words[2]\n"
	      "\tshift words\n"
	      "\t(( CURRENT-- ))\n"
	      "\tcase $cmd in\n",
	      out);
	for (size_t i = 0; cli_commands[i].name; i++) {
		const struct cli_command *c = &cli_commands[i];
		struct positional p;

		positional_of(&p, c);
		fprintf(out, "\t(%s)\n\t\t_arguments -s -S \\\n", c->name);
		for (size_t k = 0; cli_options[k].name; k++)
			if (first_row_for(k, c->id))
				zsh_option(out, &cli_options[k], c->id);
		if (p.words[0])
			fprintf(out, "\t\t\t'1:action:(%s)' \\\n", p.words);
		if (p.commands)
			fputs("\t\t\t'1:command:_mailward_commands' \\\n", out);
		if (p.files)
			fprintf(out, "\t\t\t'%s:file:_files' \\\n", p.words[0] ? "2" : "*");
		fputs("\t\t\t&& return\n\t\t;;\n", out);
	}
	fputs("\tesac\n"
	      "\treturn 1\n"
	      "}\n\n"
	      "if [[ $funcstack[1] == _mailward ]]; then\n"
	      "\t_mailward \"$@\"\n"
	      "else\n"
	      "\tcompdef _mailward mailward\n"
	      "fi\n",
	      out);
	return 0;
}

/* Inside '...' in fish: a backslash and a quote are escaped. */
static void fish_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void fish_commands(FILE *out)
{
	for (size_t i = 0; cli_commands[i].name; i++)
		fprintf(out, "%s%s", i ? " " : "", cli_commands[i].name);
}

static int fish_completion(void)
{
	FILE *out = stdout;

	fputs("# fish completion for mailward; generated from its command and option tables\n"
	      "# by gen-docs (src/cli/gen_docs.c): do not edit.\n\n"
	      "complete -c mailward -f\n",
	      out);
	for (size_t i = 0; cli_commands[i].name; i++) {
		fputs("complete -c mailward -n 'not __fish_seen_subcommand_from ", out);
		fish_commands(out);
		fprintf(out, "' -a %s -d '", cli_commands[i].name);
		fish_text(out, cli_commands[i].summary);
		fputs("'\n", out);
	}
	fputs("complete -c mailward -n 'not __fish_seen_subcommand_from ", out);
	fish_commands(out);
	fputs("' -s h -l help -d 'show the help'\n", out);
	fputs("complete -c mailward -n 'not __fish_seen_subcommand_from ", out);
	fish_commands(out);
	fputs("' -s V -l version -d 'print the version'\n", out);
	for (size_t i = 0; cli_commands[i].name; i++) {
		const struct cli_command *c = &cli_commands[i];
		struct positional p;

		fputc('\n', out);
		for (size_t k = 0; cli_options[k].name; k++) {
			const struct cli_option *o = &cli_options[k];
			const char *const *values;
			enum arg_completion kind;
			char help[96];

			if (!first_row_for(k, c->id))
				continue;
			kind = arg_kind(o, c->id, &values);
			short_help(help, sizeof(help), o->help);
			fprintf(out, "complete -c mailward -n '__fish_seen_subcommand_from %s'",
				c->name);
			if (o->short_name)
				fprintf(out, " -s %c", o->short_name);
			fprintf(out, " -l %s", o->name);
			switch (kind) {
			case ARG_VALUES:
				fputs(" -x -a '", out);
				for (size_t v = 0; values[v]; v++)
					fprintf(out, "%s%s", v ? " " : "", values[v]);
				fputc('\'', out);
				break;
			case ARG_FILE:
				fputs(" -r -F", out);
				break;
			case ARG_DIR:
				fputs(" -x -a '(__fish_complete_directories)'", out);
				break;
			case ARG_REF:
				fputs(" -x -a \"(git for-each-ref '--format=%(refname:short)' "
				      "2>/dev/null; echo HEAD)\"",
				      out);
				break;
			case ARG_NONE:
				if (o->arg)
					fputs(" -x", out);
				break;
			}
			fputs(" -d '", out);
			fish_text(out, help);
			fputs("'\n", out);
		}
		positional_of(&p, c);
		if (p.words[0]) {
			fprintf(out,
				"complete -c mailward -n '__fish_seen_subcommand_from %s; and not "
				"__fish_seen_subcommand_from %s' -a '%s'\n",
				c->name, p.words, p.words);
			if (p.files)
				fprintf(out,
					"complete -c mailward -n '__fish_seen_subcommand_from %s; "
					"and "
					"__fish_seen_subcommand_from %s' -F\n",
					c->name, p.words);
		} else if (p.files) {
			fprintf(out,
				"complete -c mailward -n '__fish_seen_subcommand_from %s' -F\n",
				c->name);
		}
		if (p.commands) {
			fprintf(out,
				"complete -c mailward -n '__fish_seen_subcommand_from %s' -a '",
				c->name);
			fish_commands(out);
			fputs("'\n", out);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "man"))
		return man(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "bash-completion"))
		return bash_completion();
	if (argc == 2 && !strcmp(argv[1], "zsh-completion"))
		return zsh_completion();
	if (argc == 2 && !strcmp(argv[1], "fish-completion"))
		return fish_completion();
	fprintf(stderr, "usage: gen-docs man VERSION | gen-docs bash-completion | gen-docs "
			"zsh-completion | gen-docs fish-completion\n");
	return 2;
}
