/*
 * cli: the command line: the command and option tables, parsed options,
 * exit codes, and the helpers every command shares.
 *
 * The tables below are the single source of `--help`, `mailward help`, the
 * man page and the bash completion (gen_docs.c, run at build time); a new
 * flag is one row of cli_options.
 */
#ifndef MW_CLI_CLI_H
#define MW_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes of the contract. */
enum exit_code {
	EXIT_OK = 0, /* success; no changes; in sync */
	EXIT_ERROR = 1, /* any error, including usage errors */
	EXIT_CHANGES = 2, /* plan: changes; drift: drift found */
	EXIT_DENIED = 3, /* a policy denies the plan */
	EXIT_STALE = 4, /* apply: live state changed since the plan */
	EXIT_PARTIAL = 5, /* apply: some operations failed */
};

/* The exit code for a negative MW_E* code (util/err.h). */
int exit_code_for(int err);

enum cmd_id {
	CMD_VALIDATE,
	CMD_PLAN,
	CMD_APPLY,
	CMD_DRIFT,
	CMD_IMPORT,
	CMD_SHOW,
	CMD_AUDIT,
	CMD_REVERT,
	CMD_AGENT,
	CMD_SCHEMA,
	CMD_VERSION,
	CMD_HELP,
	CMD_COUNT
};

#define ON(cmd) (1u << (cmd))

enum opt_id {
	OPT_REPO = 256,
	OPT_REF,
	OPT_WORKTREE,
	OPT_PATH,
	OPT_REQUIRE_ANCESTOR,
	OPT_CACHE_DIR,
	OPT_GIT_TOKEN_FILE,
	OPT_ACCOUNT_ID,
	OPT_API_URL,
	OPT_TOKEN_FILE,
	OPT_CA_FILE,
	OPT_PRUNE,
	OPT_POLICY,
	OPT_FORMAT,
	OPT_OUT,
	OPT_DOMAIN,
	OPT_CONCURRENCY,
	OPT_RATE,
	OPT_RETRIES,
	OPT_TIMEOUT,
	OPT_AUTO_APPROVE,
	OPT_FORCE,
	OPT_AUDIT_LOG,
	OPT_ACTOR,
	OPT_LOCK_FILE,
	OPT_LOCK_TIMEOUT,
	OPT_RUN,
	OPT_NOTIFY,
	OPT_QUIET,
	OPT_VERBOSE,
	OPT_INTERVAL,
	OPT_SELF_HEAL,
	OPT_LISTEN,
	OPT_WEBHOOK_SECRET_FILE,
	OPT_ONCE,
	OPT_LOG_FORMAT,
	OPT_SCHEMA_POLICY,
	OPT_SCHEMA_URL,
	OPT_HELP,
	OPT_COLOR,
	OPT_STAGED,
};

struct cli_option {
	enum opt_id id;
	const char *name; /* long name, without "--" */
	char short_name; /* 0: none */
	const char *arg; /* the argument's name in --help; NULL for a switch */
	unsigned commands; /* ON(CMD_x) of the commands that take it */
	const char *group; /* heading in --help */
	const char *help; /* one or two lines */
};

struct cli_opts;

/* --color=WHEN. */
enum cli_color { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct cli_command {
	enum cmd_id id;
	const char *name;
	const char *args; /* positional arguments, for the usage line */
	const char *summary; /* one line */
	const char *description; /* a paragraph */
	const char *exit_codes; /* one line */
	int (*run)(struct cli_opts *o); /* returns an exit code */
};

/*
 * The fixed values an option takes on some commands, for the completions
 * and the manual (gen_docs.c): one row per option and set of commands.
 */
struct cli_option_values {
	enum opt_id id;
	unsigned commands; /* ON(CMD_x) of the commands where these are the values */
	const char *const *values; /* NULL-terminated */
};

/* NULL-terminated by a row with a NULL name. */
extern const struct cli_option cli_options[];
/* Ends with a row whose values are NULL. */
extern const struct cli_option_values cli_option_values[];
extern const struct cli_command cli_commands[];
/* The environment variables mailward reads, NULL-terminated name/help pairs. */
extern const char *const cli_environment[][2];

/*
 * Parsed options. Strings are borrowed from argv; the arrays are owned
 * (cli_opts_release()). Numbers hold their defaults when not given.
 */
struct cli_opts {
	const struct cli_command *cmd;
	const char *repo, *ref, *path, *require_ancestor, *cache_dir, *git_token_file;
	bool worktree;
	const char *account_id, *api_url, *token_file, *ca_file;
	bool prune, force;
	bool staged; /* validate: read the index, not a commit */
	enum cli_color color; /* --color; COLOR_AUTO when not given */
	const char **policies;
	size_t n_policies, policies_alloc;
	const char *format; /* NULL: the command's default */
	const char *out;
	const char **domains;
	size_t n_domains, domains_alloc;
	int concurrency;
	double rate;
	bool rate_given;
	int retries;
	long timeout_s;
	bool auto_approve;
	const char *audit_log, *actor, *notify;
	const char *lock_file; /* NULL: locks/<account>.lock in the cache folder */
	double lock_timeout_s; /* 0: refuse at once */
	const char *run_id; /* audit log, revert: --run */
	bool quiet, verbose;
	/* agent */
	double interval_s; /* seconds between cycles; 0: back to back */
	bool self_heal, once;
	const char *listen, *webhook_secret_file, *log_format;
	bool schema_policy; /* schema: --policy */
	const char *schema_url; /* import: the editors' schema line */
	char **args;
	int n_args;
};

/* The command called `name`, or NULL. */
const struct cli_command *cli_find_command(const char *name);

/*
 * Parse the options of `cmd` from argv[1..]; argv[0] is the command name.
 * On a usage error prints one line and the pointer to --help to stderr and
 * returns -1; when --help was asked, prints it and returns 1; else 0.
 */
int cli_parse(struct cli_opts *o, const struct cli_command *cmd, int argc, char **argv);
void cli_opts_release(struct cli_opts *o);

/*
 * The one usage-error path: prints "mailward CMD: <message> (see 'mailward
 * CMD --help')" to stderr as one escaped line ("mailward: ... (see
 * 'mailward --help')" when `cmd` is NULL). The caller then exits 1.
 */
void cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The command name closest to `name` (a likely typo), or NULL. Borrowed. */
const char *cli_suggest_command(const char *name);

/*
 * Usage checks the commands share; each prints the one-line usage error
 * and returns -1 when the command line is wrong.
 * cli_no_args: the command takes no positional argument.
 * cli_render_format: --format is text, json or markdown (text when not
 * given); the format goes to `*out`.
 */
int cli_no_args(const struct cli_opts *o);
int cli_render_format(const struct cli_opts *o, int *out);

/* `mailward --help` and `mailward help COMMAND`. */
void cli_print_main_help(FILE *out);
void cli_print_command_help(FILE *out, const struct cli_command *cmd);

/*
 * Print the error slot's message to stderr as "mailward: <message>", with
 * the pointer to `mailward CMD --help` when it is a usage error.
 * cli_report, cli_error and cli_info escape the whole line for a terminal
 * (util/esc.h): control characters, C1, U+2028/U+2029 and bidi controls
 * become visible escapes; only a line break that starts an indented
 * continuation line ("\n  ") is kept.
 */
void cli_report(const struct cli_opts *o);

/* Print "mailward: <message>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line to stderr, unless --quiet. */
void cli_info(const struct cli_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Whether stdout gets ANSI colours: --color=always or never when given;
 * else (auto) a terminal, NO_COLOR unset or empty, TERM not dumb. NO_COLOR
 * only changes the default (no-color.org): an explicit --color=always wins.
 */
bool cli_use_color(const struct cli_opts *o);

/* The commands. */
int cmd_validate(struct cli_opts *o);
int cmd_plan(struct cli_opts *o);
int cmd_apply(struct cli_opts *o);
int cmd_drift(struct cli_opts *o);
int cmd_import(struct cli_opts *o);
int cmd_show(struct cli_opts *o);
int cmd_audit(struct cli_opts *o);
int cmd_revert(struct cli_opts *o);
int cmd_agent(struct cli_opts *o);
int cmd_schema(struct cli_opts *o);
int cmd_version(struct cli_opts *o);
int cmd_help(struct cli_opts *o);

#endif
