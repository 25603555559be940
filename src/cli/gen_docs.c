/*
 * gen-docs: the man page and the bash completion, generated at build time
 * from the same command and option tables as --help (options.c), so that
 * the three never disagree.
 *
 *   gen-docs man VERSION > mailward.1
 *   gen-docs man5 VERSION > mailward.5 (the documents: from the schema table)
 *   gen-docs bash-completion > mailward.bash
 *   gen-docs zsh-completion > _mailward
 *   gen-docs fish-completion > mailward.fish
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fields.h"
#include "core/policy.h"

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
	/* The fixed values of an option on a command (cli_option_values). */
	fputs("\tcase $cmd$prev in\n", out);
	for (size_t i = 0; cli_commands[i].name; i++) {
		for (size_t k = 0; cli_options[k].name; k++) {
			const struct cli_option *o = &cli_options[k];
			const char *const *values;

			if (!first_row_for(k, cli_commands[i].id) ||
			    !(values = option_values(o, cli_commands[i].id)))
				continue;
			fprintf(out, "\t%s--%s)\n\t\tCOMPREPLY=($(compgen -W '",
				cli_commands[i].name, o->name);
			for (size_t v = 0; values[v]; v++)
				fprintf(out, "%s%s", v ? " " : "", values[v]);
			fputs("' -- \"$cur\")); return ;;\n", out);
		}
	}
	fputs("\tesac\n\tcase $prev in\n", out);
	fputs("\t--repo|--path|--cache-dir|--policy)\n"
	      "\t\tCOMPREPLY=($(compgen -d -- \"$cur\")); return ;;\n"
	      "\t--token-file|--ca-file|--out|--audit-log)\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
	      /*
	       * Ref names come from the repository: compgen -W would expand
	       * "$(...)" in one (git allows it), so they are matched as text.
	       */
	      "\t--ref|--require-ancestor)\n"
	      "\t\tlocal r\n"
	      "\t\tCOMPREPLY=()\n"
	      "\t\twhile IFS= read -r r; do\n"
	      "\t\t\t[[ $r == \"$cur\"* ]] && COMPREPLY+=(\"$r\")\n"
	      "\t\tdone < <(git for-each-ref --format='%(refname:short)' 2>/dev/null; "
	      "echo HEAD)\n"
	      "\t\treturn ;;\n",
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

/* --- mailward(5): the documents, from the schema and policy tables ------- */

static void man_values(FILE *out, const char *const *values)
{
	for (size_t i = 0; values[i]; i++) {
		/* \% : a value is never hyphenated. */
		fputs(i ? ", \\fB\\%" : "\\fB\\%", out);
		roff(out, values[i]);
		fputs("\\fR", out);
	}
}

/* A writable field's type and values, as the loader checks them (fields_check()). */
static void man_field_type(FILE *out, const struct field *f)
{
	switch (f->kind) {
	case FIELD_BOOL:
		fputs("\\fBtrue\\fR or \\fBfalse\\fR", out);
		break;
	case FIELD_INT:
		fprintf(out, "an integer from %lld to %lld", f->min, f->max);
		break;
	case FIELD_ENUM:
		fputs("one of ", out);
		man_values(out, f->values);
		break;
	case FIELD_ENUM_SET:
		fputs("a list (a set: order and repeats do not count) of ", out);
		man_values(out, f->values);
		break;
	case FIELD_CIDR_SET:
		fputs("a list (a set) of IPv4 or IPv6 addresses or CIDR prefixes, compared by "
		      "value "
		      "(2001:DB8::/32 equals 2001:db8::/32)",
		      out);
		break;
	case FIELD_UUID:
		fputs("a UUID (8\\-4\\-4\\-4\\-12 hexadecimal digits), compared without case", out);
		break;
	case FIELD_STRING:
	case FIELD_OBJECT:
	case FIELD_TIMESTAMP:
		fputs("a string (quote one that would read as a number, boolean or null)", out);
		break;
	}
	if (f->flags & FIELD_NULLABLE)
		fputs("; or \\fBnull\\fR, which is a value of its own", out);
}

static void man5_settings(FILE *out)
{
	for (size_t i = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];

		if (!(f->flags & FIELD_WRITABLE))
			continue;
		fputs(".TP\n.B ", out);
		roff(out, f->name);
		fputc('\n', out);
		roff(out, f->summary);
		fputs(": ", out);
		man_field_type(out, f);
		fputs(".\n", out);
	}
}

static void man5_read_only(FILE *out)
{
	bool first = true;

	for (size_t i = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];

		if (!(f->flags & FIELD_READONLY))
			continue;
		fputs(first ? "\\fB\\%" : ", \\fB\\%", out);
		roff(out, f->name);
		fputs("\\fR", out);
		first = false;
	}
}

/* What a rule's value is: policy_rule_specs and read_rule() in policy.c. */
static const char *rule_value_text(enum policy_rule_kind kind)
{
	switch (kind) {
	case RULE_MAX_DELETES:
		return "a whole number, 0 or more";
	case RULE_MAX_CHANGED_PERCENT:
		return "a number from 0 to 100";
	case RULE_PROTECT:
		return "a non\\-empty list of domain names or shell patterns such as "
		       "\\(oq*.example.com\\(cq, compared without case";
	case RULE_REQUIRE:
		return "a map of \\fBsettings\\fR (required), \\fBdomains\\fR (patterns; default "
		       "all) and \\fBlevel\\fR";
	}
	return "";
}

static int man5(const char *version)
{
	FILE *out = stdout;

	fprintf(out, ".TH MAILWARD 5 \"\" \"mailward %s\" \"File Formats\"\n", version);
	fputs(".SH NAME\n"
	      "mailward \\- desired\\-state and policy documents of mailward\n"
	      ".SH SYNOPSIS\n"
	      "\\fIPATH\\fR/**/*.yaml, \\fIPATH\\fR/**/*.yml\n"
	      ".br\n"
	      "\\fIPATH\\fR/policies/**/*.yaml\n"
	      ".SH DESCRIPTION\n"
	      "\\fBmailward\\fR(1) reads every \\fI*.yaml\\fR and \\fI*.yml\\fR file under "
	      "\\fB\\-\\-path\\fR (recursively, in byte order of path; symbolic links and hidden "
	      "files are not read) at a commit of a git repository. Files under a "
	      "\\fIpolicies/\\fR folder there are policy documents; the others are desired\\-state "
	      "documents. \\fBmailward validate\\fR prints every problem of every file as "
	      "\\fIFILE\\fR:\\fILINE\\fR:\\fICOL\\fR: \\fImessage\\fR. "
	      "\\fBmailward schema\\fR prints the JSON Schema of these documents for editors.\n"
	      ".PP\n"
	      "YAML anchors, aliases and \\fB<<\\fR merge keys work; alias expansion is bounded. "
	      "A key given twice in one map is an error.\n"
	      ".SH DESIRED-STATE DOCUMENTS\n"
	      "A map of these keys, all optional (an empty document declares nothing):\n"
	      ".TP\n.B account_id\n"
	      "the Cloudflare account id, 32 hexadecimal digits. Every document that gives one "
	      "must agree with the others and with \\fB\\-\\-account\\-id\\fR.\n"
	      ".TP\n.B defaults\n"
	      "a map of settings that every domain of this file (not another file) has unless it "
	      "names them itself; absent domains take none.\n"
	      ".TP\n.B domains\n"
	      "a map from domain name to its entry. A name is a host name of two labels or more "
	      "(letters, digits and inner hyphens; internationalised names in their xn\\-\\- "
	      "form), compared without case and without a trailing dot. The same domain declared "
	      "twice, in one file or in two, is an error naming both places.\n"
	      ".SS Domain entries\n"
	      "An entry is empty (the domain is declared and manages nothing) or a map of "
	      "settings, plus:\n"
	      ".TP\n.B id\n"
	      "the domain's identifier (a UUID): pins the entry to one live domain when two share "
	      "its name.\n"
	      ".TP\n.B absent\n"
	      "\\fBtrue\\fR: unprotect the domain; \\fBmailward plan\\fR plans a DELETE when it "
	      "exists. An absent domain has no settings.\n"
	      ".SS Settings\n"
	      "The writable fields of the API's UpdateDomain schema; a setting a domain does not "
	      "name (after \\fBdefaults\\fR) is unmanaged: never compared and never sent, so no "
	      "setting has a default.\n",
	      out);
	man5_settings(out);
	fputs(".PP\nThe fields the API reports but no document can set are errors where they "
	      "appear: ",
	      out);
	man5_read_only(out);
	fputs(". So is \\fBdomain\\fR: the domain name is the key of its entry.\n", out);
	fputs(".SH POLICY DOCUMENTS\n"
	      "Policies are checked against every plan before it is printed, saved or applied. A "
	      "policy document is a map of:\n"
	      ".TP\n.B name\n"
	      "the policy's name in findings (default: the file's base name).\n"
	      ".TP\n.B rules\n"
	      "a list of rules (required), each a map of one rule and an optional \\fBlevel\\fR: "
	      "\\fBdeny\\fR (the default) makes \\fBplan\\fR exit 3 and \\fBapply\\fR refuse; "
	      "\\fBwarn\\fR only reports.\n"
	      ".SS Rules\n",
	      out);
	for (size_t i = 0; policy_rule_specs[i].name; i++) {
		fputs(".TP\n.B ", out);
		roff(out, policy_rule_specs[i].name);
		fputc('\n', out);
		roff(out, policy_rule_specs[i].summary);
		fputs(". Its value: ", out);
		fputs(rule_value_text(policy_rule_specs[i].kind), out);
		fputs(".\n", out);
	}
	fputs(".PP\n"
	      "Under \\fBrequire\\fR, \\fBsettings\\fR maps a setting to what it must be after the "
	      "plan (the live value with the planned change applied): a value, written as in a "
	      "desired\\-state document; for a list setting "
	      "\\fB{contains:\\fR \\fI[...]\\fR\\fB}\\fR; for an integer setting "
	      "\\fB{min:\\fR \\fIN\\fR\\fB,\\fR \\fBmax:\\fR \\fIM\\fR\\fB}\\fR (either or both). "
	      "It is checked for every declared, not absent domain that matches \\fBdomains\\fR "
	      "and exists live.\n"
	      ".SH EXAMPLES\n"
	      "A desired\\-state document:\n"
	      ".PP\n.nf\n.RS 4\n"
	      "account_id: 023e105f4ecef8ad9ca31a8372d0c353\n"
	      "defaults:\n"
	      "  drop_dispositions: [MALICIOUS, MALICIOUS\\-BEC, SPOOF]\n"
	      "domains:\n"
	      "  example.com:\n"
	      "    allowed_delivery_modes: [DIRECT, BCC]\n"
	      "    lookback_hops: 2\n"
	      "    folder: null\n"
	      "  old.example.com:\n"
	      "    absent: true\n"
	      ".RE\n.fi\n"
	      ".PP\n"
	      "A policy, in \\fIpolicies/safety.yaml\\fR:\n"
	      ".PP\n.nf\n.RS 4\n"
	      "name: safety\n"
	      "rules:\n"
	      "  \\- max_deletes: 1\n"
	      "  \\- protect: [\"example.com\", \"*.corp.example.com\"]\n"
	      "  \\- require:\n"
	      "      domains: [\"*\"]\n"
	      "      level: warn\n"
	      "      settings:\n"
	      "        require_tls_inbound: true\n"
	      "        lookback_hops: {min: 1, max: 5}\n"
	      ".RE\n.fi\n"
	      ".PP\n"
	      "An editor finds the schema from a first line such as\n"
	      ".PP\n.nf\n.RS 4\n"
	      "# yaml\\-language\\-server: $schema=../schema/desired\\-state.schema.json\n"
	      ".RE\n.fi\n"
	      ".PP\n"
	      "which \\fBmailward import \\-\\-schema\\-url\\fR writes.\n"
	      ".SH SEE ALSO\n"
	      "\\fBmailward\\fR(1)\n",
	      out);
	return 0;
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
	if (argc == 3 && !strcmp(argv[1], "man5"))
		return man5(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "bash-completion"))
		return bash_completion();
	if (argc == 2 && !strcmp(argv[1], "zsh-completion"))
		return zsh_completion();
	if (argc == 2 && !strcmp(argv[1], "fish-completion"))
		return fish_completion();
	fprintf(stderr, "usage: gen-docs man VERSION | gen-docs man5 VERSION | gen-docs "
			"bash-completion | gen-docs "
			"zsh-completion | gen-docs fish-completion\n");
	return 2;
}
