#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/render.h"
#include "core/source.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/esc.h"
#include "util/lock.h"
#include "util/mem.h"
#include "util/suggest.h"

#define SRC (ON(CMD_VALIDATE) | ON(CMD_PLAN) | ON(CMD_APPLY) | ON(CMD_DRIFT) | ON(CMD_AGENT))
#define NET                                                                                        \
	(ON(CMD_PLAN) | ON(CMD_APPLY) | ON(CMD_DRIFT) | ON(CMD_IMPORT) | ON(CMD_REVERT) |          \
	 ON(CMD_AGENT))
/* What plan, apply and drift share with the agent's cycles. */
#define PLANNING (ON(CMD_PLAN) | ON(CMD_APPLY) | ON(CMD_DRIFT) | ON(CMD_AGENT))

const struct cli_option cli_options[] = {
	{ OPT_REPO, "repo", 0, "PATH_OR_URL", SRC, "Desired state",
	  "git repository: a local path, or a URL cloned into --cache-dir (default: .)" },
	{ OPT_REF, "ref", 0, "REF", SRC, "Desired state",
	  "branch, tag or commit to read (default: HEAD); files come from its tree" },
	{ OPT_WORKTREE, "worktree", 0, NULL, PLANNING, "Desired state",
	  "read the files on disk instead of a commit; the plan records no commit" },
	{ OPT_WORKTREE, "worktree", 0, NULL, ON(CMD_VALIDATE), "Desired state",
	  "read the files on disk instead of a commit" },
	{ OPT_STAGED, "staged", 0, NULL, ON(CMD_VALIDATE), "Desired state",
	  "read the files staged in the index instead of a commit, as a pre-commit hook needs" },
	{ OPT_PATH, "path", 0, "DIR", SRC & ~ON(CMD_APPLY), "Desired state",
	  "folder inside the repository that holds the documents (default: the root)" },
	{ OPT_PATH, "path", 0, "DIR", ON(CMD_APPLY), "Desired state",
	  "folder inside the repository that holds the documents (default: the root; "
	  "with PLANFILE: the plan's)" },
	{ OPT_REQUIRE_ANCESTOR, "require-ancestor", 0, "REF", SRC, "Desired state",
	  "refuse unless the commit read is REF or an ancestor of it" },
	{ OPT_CACHE_DIR, "cache-dir", 0, "DIR", SRC, "Desired state",
	  "where URL repositories are cloned (default: $XDG_CACHE_HOME/mailward)" },
	{ OPT_GIT_TOKEN_FILE, "git-token-file", 0, "FILE", SRC, "Desired state",
	  "read the token of a private HTTPS --repo from FILE (else MAILWARD_GIT_TOKEN); sent only "
	  "to the --repo URL's own host" },
	{ OPT_POLICY, "policy", 0, "FILE_OR_DIR", SRC, "Desired state",
	  "policy documents besides policies/ under --path (repeatable)" },
	{ OPT_ACCOUNT_ID, "account-id", 0, "ID", NET | ON(CMD_VALIDATE), "Account and API",
	  "Cloudflare account id (else CLOUDFLARE_ACCOUNT_ID, else account_id: in the documents)" },
	{ OPT_API_URL, "api-url", 0, "URL", NET, "Account and API",
	  "API base URL (else MAILWARD_API_URL, else https://api.cloudflare.com/client/v4)" },
	{ OPT_TOKEN_FILE, "token-file", 0, "FILE", NET, "Account and API",
	  "read the API token from FILE (else CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL with "
	  "CLOUDFLARE_API_KEY)" },
	{ OPT_CA_FILE, "ca-file", 0, "FILE", NET, "Account and API",
	  "add the PEM certificates in FILE to the trusted ones" },
	{ OPT_CONCURRENCY, "concurrency", 0, "N", NET, "Account and API",
	  "requests in flight at most (default: 4; 1..64)" },
	{ OPT_RATE, "rate", 0, "R", NET, "Account and API",
	  "requests per second: a token bucket of max(1, R) tokens refilled at R per second, so a "
	  "burst never exceeds one second's worth; 0 for no limit (default: 4 for apply and agent, "
	  "none "
	  "otherwise)" },
	{ OPT_RETRIES, "retries", 0, "N", NET, "Account and API",
	  "retries of a request after 429, 5xx or a connection failure (default: 4)" },
	{ OPT_TIMEOUT, "timeout", 0, "SECONDS", NET, "Account and API",
	  "time limit of one request attempt, and of a --repo URL's whole clone or fetch; a "
	  "request "
	  "with its retries waits at most SECONDS x (retries + 1) (default: 60)" },
	{ OPT_PRUNE, "prune", 0, NULL, PLANNING, "Planning",
	  "delete live domains that no document declares (else they are reported as unmanaged)" },
	{ OPT_DOMAIN, "domain", 0, "PATTERN", PLANNING, "Planning",
	  "only domains matching this shell pattern, without case (repeatable); --prune then "
	  "reaches only matching unmanaged domains; a saved plan records its patterns" },
	{ OPT_FORCE, "force", 0, NULL, PLANNING, "Planning",
	  "lift the built-in safety threshold (more than 30% of 10 or more live domains changed, "
	  "a prune that empties the account); never a policy's rule" },
	{ OPT_FORMAT, "format", 0, "FORMAT",
	  ON(CMD_PLAN) | ON(CMD_DRIFT) | ON(CMD_SHOW) | ON(CMD_REVERT), "Output",
	  "text (default), json or markdown" },
	{ OPT_FORMAT, "format", 0, "FORMAT", ON(CMD_IMPORT), "Output",
	  "yaml (default), or state for mailward-sandbox's --state format" },
	{ OPT_FORMAT, "format", 0, "FORMAT", ON(CMD_VALIDATE), "Output",
	  "text (default): FILE:LINE:COL: message lines and the summary on standard error; "
	  "json: one document on standard output; github: one ::error annotation per problem "
	  "on standard output" },
	{ OPT_FORMAT, "format", 0, "FORMAT", ON(CMD_VERSION), "Output", "text (default) or json" },
	{ OPT_COLOR, "color", 0, "WHEN",
	  ON(CMD_PLAN) | ON(CMD_APPLY) | ON(CMD_DRIFT) | ON(CMD_SHOW) | ON(CMD_REVERT), "Output",
	  "colour text output: auto (default: on a terminal, unless NO_COLOR is set), always or "
	  "never" },
	{ OPT_OUT, "out", 0, "FILE", ON(CMD_PLAN) | ON(CMD_REVERT), "Output",
	  "also save the plan (JSON, the plan file format) to FILE, mode 0600; a link at FILE "
	  "is replaced, not followed" },
	{ OPT_OUT, "out", 0, "FILE", ON(CMD_IMPORT), "Output",
	  "write to FILE, or to DIR/ with one file per domain (default: standard output); an "
	  "existing file is left alone unless --force" },
	{ OPT_FORCE, "force", 0, NULL, ON(CMD_IMPORT), "Output",
	  "let --out replace existing files" },
	{ OPT_DOMAIN, "domain", 0, "NAME", ON(CMD_AUDIT), "Audit log",
	  "audit log: only the records of this domain (repeatable)" },
	{ OPT_RUN, "run", 0, "RUN_ID", ON(CMD_AUDIT), "Audit log",
	  "audit log: only the records of this apply run" },
	{ OPT_FORMAT, "format", 0, "FORMAT", ON(CMD_AUDIT), "Audit log",
	  "audit log: text (default) or json" },
	{ OPT_DOMAIN, "domain", 0, "NAME", ON(CMD_IMPORT), "Output",
	  "import only this domain (repeatable)" },
	{ OPT_SCHEMA_URL, "schema-url", 0, "URL", ON(CMD_IMPORT), "Output",
	  "begin each file with '# yaml-language-server: $schema=URL', so that editors check "
	  "and complete it: a URL, or a path relative to the file, of the schema that "
	  "'mailward schema' prints" },
	{ OPT_AUTO_APPROVE, "auto-approve", 0, NULL, ON(CMD_APPLY), "Apply",
	  "apply without asking when planning and applying in one go" },
	{ OPT_AUDIT_LOG, "audit-log", 0, "FILE", ON(CMD_APPLY) | ON(CMD_AGENT), "Apply",
	  "append the hash-chained, write-ahead audit log to FILE: an intent record before each "
	  "request, a result after it (created with mode 0600; locked while applying)" },
	{ OPT_AUDIT_LOG, "audit-log", 0, "FILE", ON(CMD_REVERT), "Revert",
	  "the audit log that recorded the run to revert (required; it must verify)" },
	{ OPT_RUN, "run", 0, "RUN_ID", ON(CMD_REVERT), "Revert",
	  "the apply run to put back (required; its id is printed by apply and in the log)" },
	{ OPT_ACTOR, "actor", 0, "NAME", ON(CMD_APPLY) | ON(CMD_AGENT), "Apply",
	  "who applies, for the audit log (else GITHUB_ACTOR, GITLAB_USER_LOGIN, USER)" },
	{ OPT_LOCK_FILE, "lock-file", 0, "FILE", ON(CMD_APPLY) | ON(CMD_AGENT), "Apply",
	  "the per-account lock held for the whole run (default: "
	  "$XDG_CACHE_HOME/mailward/locks/ACCOUNT.lock)" },
	{ OPT_LOCK_TIMEOUT, "lock-timeout", 0, "DURATION", ON(CMD_APPLY) | ON(CMD_AGENT), "Apply",
	  "wait this long for another run's locks (30, 30s, 2m; default: 0, refuse at once)" },
	{ OPT_NOTIFY, "notify", 0, "URL", ON(CMD_DRIFT), "Drift",
	  "POST a JSON summary (with a Slack-compatible 'text') to URL when drift is found "
	  "(else MAILWARD_NOTIFY_URL, which keeps the URL's secret out of the process list)" },
	{ OPT_INTERVAL, "interval", 0, "DURATION", ON(CMD_AGENT), "Agent",
	  "time between cycles, with up to 10% jitter: 30s, 5m, 1h or plain seconds; 0 for back "
	  "to back (default: 5m)" },
	{ OPT_SELF_HEAL, "self-heal", 0, NULL, ON(CMD_AGENT), "Agent",
	  "apply each cycle's updates and deletes when no policy denies, as apply does (else "
	  "only report)" },
	{ OPT_LISTEN, "listen", 0, "ADDR:PORT", ON(CMD_AGENT), "Agent",
	  "serve /metrics, /healthz, /readyz, /status and /hooks/git on ADDR:PORT (an IPv4 "
	  "address or [IPv6]; port 0 picks a free one), or 'off' (default: 127.0.0.1:9464)" },
	{ OPT_WEBHOOK_SECRET_FILE, "webhook-secret-file", 0, "FILE", ON(CMD_AGENT), "Agent",
	  "enable POST /hooks/git with the secret in FILE: a GitHub X-Hub-Signature-256 of the "
	  "body or a GitLab X-Gitlab-Token starts a cycle at once" },
	{ OPT_NOTIFY, "notify", 0, "URL", ON(CMD_AGENT), "Agent",
	  "POST a JSON event (with a Slack-compatible 'text') to URL on changes of state only: "
	  "drift found, resolved, failing, recovered, and each self-heal apply (else "
	  "MAILWARD_NOTIFY_URL)" },
	{ OPT_ONCE, "once", 0, NULL, ON(CMD_AGENT), "Agent",
	  "run one cycle and exit with plan's exit codes (with --self-heal: apply's)" },
	{ OPT_LOG_FORMAT, "log-format", 0, "FORMAT", ON(CMD_AGENT), "Agent",
	  "log lines on stderr as text (default) or json (one object per line)" },
	{ OPT_SCHEMA_POLICY, "policy", 0, NULL, ON(CMD_SCHEMA), "Schema",
	  "print the schema of policy documents instead of desired-state documents" },
	{ OPT_QUIET, "quiet", 'q', NULL, (NET | ON(CMD_VALIDATE)) & ~ON(CMD_DRIFT), "General",
	  "print only results and errors" },
	{ OPT_QUIET, "quiet", 'q', NULL, ON(CMD_DRIFT), "General",
	  "print only results and errors; nothing at all when in sync" },
	{ OPT_VERBOSE, "verbose", 'v', NULL, NET, "General",
	  "also print every HTTP request (method, URL, status, cf-ray; never credentials)" },
	{ OPT_HELP, "help", 'h', NULL, ~0u, "General", "show this help" },
	{ 0, NULL, 0, NULL, 0, NULL, NULL },
};

static const char *const render_formats[] = { "text", "json", "markdown", NULL };
static const char *const import_formats[] = { "yaml", "state", NULL };
static const char *const text_json[] = { "text", "json", NULL };
static const char *const validate_formats[] = { "text", "json", "github", NULL };
static const char *const color_whens[] = { "auto", "always", "never", NULL };

const struct cli_option_values cli_option_values[] = {
	{ OPT_FORMAT, ON(CMD_PLAN) | ON(CMD_DRIFT) | ON(CMD_SHOW) | ON(CMD_REVERT),
	  render_formats },
	{ OPT_FORMAT, ON(CMD_IMPORT), import_formats },
	{ OPT_FORMAT, ON(CMD_AUDIT) | ON(CMD_VERSION), text_json },
	{ OPT_FORMAT, ON(CMD_VALIDATE), validate_formats },
	{ OPT_COLOR, ON(CMD_PLAN) | ON(CMD_APPLY) | ON(CMD_DRIFT) | ON(CMD_SHOW) | ON(CMD_REVERT),
	  color_whens },
	{ OPT_LOG_FORMAT, ON(CMD_AGENT), text_json },
	{ 0, 0, NULL },
};

const struct cli_command cli_commands[] = {
	{ CMD_VALIDATE, "validate", "", "check the desired state and the policies",
	  "Loads every document under --path at --ref (or the working tree) and the policies, "
	  "and prints every problem as FILE:LINE:COL: message on standard error (--format json "
	  "or github: on standard output, for machines). --staged reads the index instead, for "
	  "a pre-commit hook. Sends no request.",
	  "0 valid, 1 invalid", cmd_validate },
	{ CMD_PLAN, "plan", "", "show what apply would change",
	  "Reads the desired state from git and the live settings from the API (GET only), and "
	  "prints the minimal PATCH and DELETE operations that make live equal to git. "
	  "--out saves the plan for review and for `mailward apply PLANFILE`.",
	  "0 no changes, 2 changes, 3 a policy denies the plan, 1 error", cmd_plan },
	{ CMD_APPLY, "apply", "[PLANFILE]", "carry out a saved plan, or plan and apply in one go",
	  "With PLANFILE: verifies it instead of trusting it: reads the documents and policies at "
	  "its commit under this run's --path (which must equal --ref's), lists the live state, "
	  "builds the plan again and refuses it unless every saved change is one that commit "
	  "implies and no domain changed since (exit 4), and unless the policies allow what will "
	  "be sent (exit 3); then sends exactly those PATCH and DELETE operations. Without: plans "
	  "first, shows the plan and applies it after --auto-approve or a typed 'yes'. "
	  "Requests run concurrently under --concurrency and --rate; 429 waits for Retry-After, "
	  "5xx and dropped connections are retried; one failure does not stop the others.",
	  "0 all applied (or nothing to do), 3 policy denies, 4 plan is stale, 5 some "
	  "operations failed, 1 error",
	  cmd_apply },
	{ CMD_DRIFT, "drift", "", "is live state still what git says? (for cron)",
	  "Compares like plan (GET only) and reports each drifted field with its git value and "
	  "its live value, plus missing and unmanaged domains. With --notify, POSTs a JSON "
	  "summary with a Slack-compatible 'text' field when drift is found.",
	  "0 in sync, 2 drift found, 1 error (including a notification that failed)", cmd_drift },
	{ CMD_IMPORT, "import", "", "write desired-state YAML from live state",
	  "Writes the live domains' writable settings as desired-state YAML, so that committing "
	  "it and running plan shows no changes: to standard output, --out FILE, or --out DIR/ "
	  "for one file per domain. --domain limits it; --format state writes the full live "
	  "objects in mailward-sandbox's --state format instead.",
	  "0, 1 error", cmd_import },
	{ CMD_SHOW, "show", "PLANFILE", "render a saved plan",
	  "Prints a plan saved with `plan --out` as text, JSON or Markdown, after checking its "
	  "digest. Sends no request.",
	  "0, 1 error", cmd_show },
	{ CMD_AUDIT, "audit", "verify|log FILE", "check an audit log, or show its history",
	  "`audit verify FILE` checks the hash chain of an audit log written by apply "
	  "--audit-log and that every intent record has its result: it names FILE:LINE of the "
	  "first record that was changed, removed, reordered or torn, and each request whose "
	  "outcome is unknown (the process died after sending it). `audit log FILE` prints the "
	  "history: when, who, which commit and plan, what changed from what to what, and how "
	  "it went; --domain and --run select records. Sends no request.",
	  "verify: 0 whole, 1 broken or incomplete; log: 0, 1 error", cmd_audit },
	{ CMD_REVERT, "revert", "", "plan to put back what one apply run changed",
	  "Reads the run's records from --audit-log (which must verify) and the live settings "
	  "(GET only), and builds a plan of kind \"revert\" that PATCHes, for every domain the "
	  "run updated, exactly the fields it changed back to their values before the run. A "
	  "domain whose live values are no longer the run's is a conflict: listed, left out; "
	  "deleted domains cannot be restored: listed. Apply the saved plan with `mailward "
	  "apply PLANFILE --audit-log FILE`, which verifies it against the log.",
	  "0 nothing to revert, 2 changes (policies are checked when it is applied), 1 error",
	  cmd_revert },
	{ CMD_AGENT, "agent", "", "keep live equal to git: reconcile on an interval and on webhook",
	  "Runs until SIGTERM or SIGINT. Each cycle reads the source at --ref (fetching a URL "
	  "repository), loads the desired state and the policies, lists the live state and plans "
	  "like plan; with --self-heal it then applies the plan's updates and deletes when no "
	  "policy denies, exactly as apply does (rate limit, retries, audit log). Cycles never "
	  "overlap; a failing cycle is counted and retried with backoff, never fatal. Serves "
	  "Prometheus metrics, health and readiness probes, the last cycle's status and a git "
	  "webhook on --listen; logs one line per event on stderr; --notify posts on changes of "
	  "state only.",
	  "0 after SIGTERM/SIGINT, 1 configuration error at start; --once: plan's (0, 2, 3, 1) "
	  "or with --self-heal apply's (0, 3, 5, 1)",
	  cmd_agent },
	{ CMD_SCHEMA, "schema", "", "print the JSON Schema of the documents, for editors and CI",
	  "Prints the JSON Schema (draft-07) of desired-state documents, or with --policy of "
	  "policy documents, generated from the same tables that validate checks against: keys "
	  "sorted, two-space indent. Editors that speak the YAML language server use it to "
	  "complete and check documents as they are typed; validate still checks what a schema "
	  "cannot say (a domain declared twice, account ids that disagree). Sends no request.",
	  "0, 1 error", cmd_schema },
	{ CMD_VERSION, "version", "", "print the version",
	  "Prints mailward's version and those of the libraries it uses, as text or, with "
	  "--format json, as {\"version\": ..., \"libraries\": {...}}.",
	  "0", cmd_version },
	{ CMD_HELP, "help", "[COMMAND]", "show help for mailward or a command",
	  "Prints the list of commands, or everything about one command.", "0", cmd_help },
	{ 0, NULL, NULL, NULL, NULL, NULL, NULL },
};

const char *const cli_environment[][2] = {
	{ "CLOUDFLARE_ACCOUNT_ID", "account id, when --account-id is not given" },
	{ "CLOUDFLARE_API_TOKEN", "API token, sent as Authorization: Bearer" },
	{ "CLOUDFLARE_EMAIL", "with CLOUDFLARE_API_KEY: legacy key authentication" },
	{ "CLOUDFLARE_API_KEY", "with CLOUDFLARE_EMAIL: legacy key authentication" },
	{ "MAILWARD_API_URL", "API base URL, when --api-url is not given" },
	{ "MAILWARD_NOTIFY_URL", "the webhook of drift and agent, when --notify is not given" },
	{ "MAILWARD_GIT_TOKEN",
	  "token of a private HTTPS --repo, when --git-token-file is not given" },
	{ "NO_COLOR", "when set and not empty, text output has no colours unless --color=always" },
	{ "XDG_CACHE_HOME", "base of the default --cache-dir" },
	{ "SOURCE_DATE_EPOCH", "when set, the time recorded in plans (reproducible output)" },
	{ NULL, NULL },
};

const struct cli_command *cli_find_command(const char *name)
{
	for (size_t i = 0; cli_commands[i].name; i++)
		if (!strcmp(cli_commands[i].name, name))
			return &cli_commands[i];
	return NULL;
}

const char *cli_suggest_command(const char *name)
{
	const char *names[CMD_COUNT + 1];
	size_t n = 0;

	for (size_t i = 0; cli_commands[i].name && n < CMD_COUNT; i++)
		names[n++] = cli_commands[i].name;
	names[n] = NULL;
	return suggest_closest(name, names);
}

/*
 * Every message line goes through here, and messages quote what they are
 * about: domain names and ids from the API, paths and keys from a
 * repository, messages the API sent. Escaping the whole line at the one
 * place it is printed covers them all (util/esc.h); mailward's own text
 * holds no control characters but the line breaks of an indented list.
 */
static void vprint_line(const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static void print_line(const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void vprint_line(const char *prefix, const char *fmt, va_list ap)
{
	struct buf raw = BUF_INIT, line = BUF_INIT;

	buf_vprintf(&raw, fmt, ap);
	esc_append(&line, raw.ptr, ESC_KEEP_CONTINUATION);
	fprintf(stderr, "%s%s\n", prefix, line.ptr);
	buf_release(&raw);
	buf_release(&line);
}

static void print_line(const char *prefix, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_line(prefix, fmt, ap);
	va_end(ap);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_line("mailward: ", fmt, ap);
	va_end(ap);
}

void cli_report(const struct cli_opts *o)
{
	if (err_code() == MW_EUSAGE && o && o->cmd) {
		cli_usage_error(o->cmd, "%s", err_msg());
	} else {
		cli_error("%s", err_msg());
	}
}

void cli_info(const struct cli_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o && o->quiet)
		return;
	va_start(ap, fmt);
	vprint_line("mailward: ", fmt, ap);
	va_end(ap);
}

bool cli_use_color(const struct cli_opts *o)
{
	const char *no = getenv("NO_COLOR");
	const char *term = getenv("TERM");

	if (o && o->color != COLOR_AUTO)
		return o->color == COLOR_ALWAYS;
	if (no && *no)
		return false;
	if (term && !strcmp(term, "dumb"))
		return false;
	return isatty(STDOUT_FILENO);
}

void cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	char *prefix = cmd ? xasprintf("mailward %s: ", cmd->name) : xstrdup("mailward: ");
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	if (cmd)
		print_line(prefix, "%s (see 'mailward %s --help')", msg.ptr, cmd->name);
	else
		print_line(prefix, "%s (see 'mailward --help')", msg.ptr);
	free(prefix);
	buf_release(&msg);
}

static int parse_long(const struct cli_command *cmd, const char *flag, const char *s, long lo,
		      long hi, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || !*s || *end || v < lo || v > hi) {
		cli_usage_error(cmd, "--%s takes a whole number from %ld to %ld, not '%s'", flag,
				lo, hi, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_rate(const struct cli_command *cmd, const char *s, double *out)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || !*s || *end || !isfinite(v) || v < 0 || v > 10000) {
		cli_usage_error(
			cmd,
			"--rate takes requests per second from 0 (no limit) to 10000, not '%s'", s);
		return -1;
	}
	*out = v;
	return 0;
}

/* A duration: plain seconds, or a number with s, m or h; up to a week. */
static int parse_duration(const struct cli_command *cmd, const char *flag, const char *s,
			  double *out)
{
	char *end = NULL;
	double v, unit = 1;

	errno = 0;
	v = strtod(s, &end);
	if (end != s && end[0] && !end[1]) {
		switch (*end) {
		case 's':
			end++;
			break;
		case 'm':
			unit = 60;
			end++;
			break;
		case 'h':
			unit = 3600;
			end++;
			break;
		default:
			break;
		}
	}
	if (errno || end == s || *end || !isdigit((unsigned char)*s) || !isfinite(v) || v < 0 ||
	    v * unit > 7 * 86400.0) {
		cli_usage_error(
			cmd,
			"--%s takes a duration such as 30s, 5m, 1h or plain seconds (0 to a "
			"week), not '%s'",
			flag, s);
		return -1;
	}
	*out = v * unit;
	return 0;
}

/* The long options of `cmd` for getopt_long, and its short option string. */
static struct option *build_longopts(const struct cli_command *cmd, char *shorts)
{
	size_t n = 0, k = 0, s = 0;
	struct option *lo;

	for (size_t i = 0; cli_options[i].name; i++)
		n++;
	lo = xcalloc(n + 1, sizeof(*lo));
	shorts[s++] = ':';
	for (size_t i = 0; cli_options[i].name; i++) {
		const struct cli_option *opt = &cli_options[i];

		if (!(opt->commands & ON(cmd->id)))
			continue;
		lo[k].name = opt->name;
		lo[k].has_arg = opt->arg ? required_argument : no_argument;
		lo[k].flag = NULL;
		lo[k].val = opt->short_name ? opt->short_name : (int)opt->id;
		k++;
		if (opt->short_name) {
			shorts[s++] = opt->short_name;
			if (opt->arg)
				shorts[s++] = ':';
		}
	}
	shorts[s] = '\0';
	return lo;
}

static const struct cli_option *option_by_val(int val)
{
	for (size_t i = 0; cli_options[i].name; i++)
		if ((int)cli_options[i].id == val ||
		    (cli_options[i].short_name && cli_options[i].short_name == val))
			return &cli_options[i];
	return NULL;
}

/* The row of the long option `name` (`len` bytes) that `cmd` takes, or NULL. */
static const struct cli_option *long_option(const struct cli_command *cmd, const char *name,
					    size_t len)
{
	for (size_t k = 0; cli_options[k].name; k++)
		if ((cli_options[k].commands & ON(cmd->id)) && strlen(cli_options[k].name) == len &&
		    !strncmp(cli_options[k].name, name, len))
			return &cli_options[k];
	return NULL;
}

/* Whether every letter of `s` is a short option of `cmd` that takes no value. */
static bool short_cluster(const struct cli_command *cmd, const char *s)
{
	for (; *s; s++) {
		bool found = false;

		for (size_t k = 0; cli_options[k].name && !found; k++)
			found = cli_options[k].short_name == *s && !cli_options[k].arg &&
				(cli_options[k].commands & ON(cmd->id));
		if (!found)
			return false;
	}
	return true;
}

/* The first letter of `s` that is not a short switch of `cmd` (s's first when all are). */
static char first_not_switch(const struct cli_command *cmd, const char *s)
{
	char one[2] = { 0, 0 };

	for (const char *p = s; *p; p++) {
		one[0] = *p;
		if (!short_cluster(cmd, one))
			return *p;
	}
	return s[0];
}

/*
 * "--name" or "-name" (what is after '=' is never printed: it may be a
 * secret) that `cmd` does not take: one usage error, with the option it
 * most likely meant.
 */
static void unknown_option(const struct cli_command *cmd, const char *arg, size_t len)
{
	const char *names[128];
	const char *close;
	char word[64];
	size_t n = 0, dashes = 0;

	while (dashes < 2 && dashes < len && arg[dashes] == '-')
		dashes++;
	snprintf(word, sizeof(word), "%.*s", (int)(len - dashes < 60 ? len - dashes : 60),
		 arg + dashes);
	for (size_t i = 0; cli_options[i].name && n < ARRAY_SIZE(names) - 1; i++)
		if (cli_options[i].commands & ON(cmd->id))
			names[n++] = cli_options[i].name;
	names[n] = NULL;
	if (dashes == 1 && long_option(cmd, word, strlen(word))) {
		cli_usage_error(cmd, "unknown option '-%s' (did you mean '--%s'?)", word, word);
		return;
	}
	/* terraform's "show -json". */
	if (long_option(cmd, "format", 6) && (!strcmp(word, "json") || !strcmp(word, "markdown"))) {
		cli_usage_error(cmd, "unknown option '%.*s%s' (did you mean '--format %s'?)",
				(int)dashes, "--", word, word);
		return;
	}
	for (size_t i = 0; cli_options[i].name; i++) {
		if (!strcmp(cli_options[i].name, word) &&
		    !(cli_options[i].commands & ON(cmd->id))) {
			cli_usage_error(cmd, "option '--%s' does not apply to %s", word, cmd->name);
			return;
		}
	}
	close = suggest_closest(word, names);
	if (close)
		cli_usage_error(cmd, "unknown option '%.*s%s' (did you mean '--%s'?)", (int)dashes,
				"--", word, close);
	else if (dashes == 1 && word[0] && word[1])
		/*
		 * "-qx" or "-pSECRET", as getopt says it: the first letter that is
		 * not a switch; what follows it may be a value.
		 */
		cli_usage_error(cmd, "unknown option '-%c'", first_not_switch(cmd, word));
	else
		cli_usage_error(cmd, "unknown option '%.*s%s'", (int)dashes, "--", word);
}

/*
 * What getopt_long gets wrong for people, checked before it runs:
 * - it takes any unambiguous prefix: "--token SECRET" would be read as
 *   --token-file SECRET and the secret echoed back. Long options must be
 *   spelled out;
 * - "--prune=yes" on a switch comes back as the option's internal id;
 * - "-out x" (terraform's spelling) would be read as -o -u -t.
 * What follows '=' is never printed.
 */
static int check_spelled_out(const struct cli_command *cmd, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const struct cli_option *opt;
		size_t len;

		if (!strcmp(a, "--"))
			return 0;
		if (a[0] != '-' || !a[1])
			continue;
		if (a[1] != '-') {
			/* "-qv" is two switches; "-out", "-auto-approve" and "-json" are not. */
			if (a[2] && !short_cluster(cmd, a + 1)) {
				unknown_option(cmd, a, strcspn(a, "="));
				return -1;
			}
			continue;
		}
		len = strcspn(a + 2, "=");
		opt = long_option(cmd, a + 2, len);
		if (!opt) {
			unknown_option(cmd, a, len + 2);
			return -1;
		}
		if (!opt->arg && a[2 + len] == '=') {
			cli_usage_error(cmd, "option '--%s' takes no value", opt->name);
			return -1;
		}
		if (opt->arg && !a[2 + len])
			i++;
	}
	return 0;
}

static int apply_option(struct cli_opts *o, const struct cli_command *cmd, int val, const char *arg)
{
	const struct cli_option *opt = option_by_val(val);
	long n;

	if (!opt)
		return -1;
	switch (opt->id) {
	case OPT_REPO:
		o->repo = arg;
		break;
	case OPT_REF:
		o->ref = arg;
		break;
	case OPT_WORKTREE:
		o->worktree = true;
		break;
	case OPT_PATH:
		o->path = arg;
		break;
	case OPT_REQUIRE_ANCESTOR:
		o->require_ancestor = arg;
		break;
	case OPT_CACHE_DIR:
		o->cache_dir = arg;
		break;
	case OPT_GIT_TOKEN_FILE:
		o->git_token_file = arg;
		break;
	case OPT_ACCOUNT_ID:
		o->account_id = arg;
		break;
	case OPT_API_URL:
		o->api_url = arg;
		break;
	case OPT_TOKEN_FILE:
		o->token_file = arg;
		break;
	case OPT_CA_FILE:
		o->ca_file = arg;
		break;
	case OPT_PRUNE:
		o->prune = true;
		break;
	case OPT_POLICY:
		ARRAY_GROW(o->policies, o->n_policies + 1, o->policies_alloc);
		o->policies[o->n_policies++] = arg;
		break;
	case OPT_SCHEMA_POLICY:
		o->schema_policy = true;
		break;
	case OPT_SCHEMA_URL:
		o->schema_url = arg;
		break;
	case OPT_FORMAT:
		o->format = arg;
		break;
	case OPT_OUT:
		o->out = arg;
		break;
	case OPT_DOMAIN:
		ARRAY_GROW(o->domains, o->n_domains + 1, o->domains_alloc);
		o->domains[o->n_domains++] = arg;
		break;
	case OPT_CONCURRENCY:
		if (parse_long(cmd, opt->name, arg, 1, 64, &n) < 0)
			return -1;
		o->concurrency = (int)n;
		break;
	case OPT_RATE:
		if (parse_rate(cmd, arg, &o->rate) < 0)
			return -1;
		o->rate_given = true;
		break;
	case OPT_RETRIES:
		if (parse_long(cmd, opt->name, arg, 0, 20, &n) < 0)
			return -1;
		o->retries = (int)n;
		break;
	case OPT_TIMEOUT:
		if (parse_long(cmd, opt->name, arg, 1, 3600, &n) < 0)
			return -1;
		o->timeout_s = n;
		break;
	case OPT_AUTO_APPROVE:
		o->auto_approve = true;
		break;
	case OPT_FORCE:
		o->force = true;
		break;
	case OPT_AUDIT_LOG:
		o->audit_log = arg;
		break;
	case OPT_ACTOR:
		o->actor = arg;
		break;
	case OPT_LOCK_FILE:
		o->lock_file = arg;
		break;
	case OPT_LOCK_TIMEOUT:
		if (lock_parse_duration(&o->lock_timeout_s, arg) < 0) {
			cli_usage_error(cmd, "--lock-timeout: %s", err_msg());
			return -1;
		}
		break;
	case OPT_RUN:
		o->run_id = arg;
		break;
	case OPT_NOTIFY:
		o->notify = arg;
		break;
	case OPT_INTERVAL:
		if (parse_duration(cmd, opt->name, arg, &o->interval_s) < 0)
			return -1;
		break;
	case OPT_SELF_HEAL:
		o->self_heal = true;
		break;
	case OPT_LISTEN:
		o->listen = arg;
		break;
	case OPT_WEBHOOK_SECRET_FILE:
		o->webhook_secret_file = arg;
		break;
	case OPT_ONCE:
		o->once = true;
		break;
	case OPT_LOG_FORMAT:
		if (strcmp(arg, "text") && strcmp(arg, "json")) {
			cli_usage_error(cmd, "--log-format takes text or json, not '%s'", arg);
			return -1;
		}
		o->log_format = arg;
		break;
	case OPT_QUIET:
		o->quiet = true;
		break;
	case OPT_VERBOSE:
		o->verbose = true;
		break;
	case OPT_HELP:
		return 1;
	case OPT_COLOR:
		if (!strcmp(arg, "auto")) {
			o->color = COLOR_AUTO;
		} else if (!strcmp(arg, "always")) {
			o->color = COLOR_ALWAYS;
		} else if (!strcmp(arg, "never")) {
			o->color = COLOR_NEVER;
		} else {
			cli_usage_error(cmd, "--color takes auto, always or never, not '%s'", arg);
			return -1;
		}
		break;
	case OPT_STAGED:
		o->staged = true;
		break;
	}
	return 0;
}

int cli_parse(struct cli_opts *o, const struct cli_command *cmd, int argc, char **argv)
{
	char shorts[64];
	struct option *lo = build_longopts(cmd, shorts);
	int rc = 0, c;

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->concurrency = 4;
	o->retries = 4;
	o->timeout_s = 60;
	o->rate = cmd->id == CMD_APPLY || cmd->id == CMD_AGENT ? 4.0 : 0.0;
	o->interval_s = 300;
	opterr = 0;
	optind = 1;
	if (check_spelled_out(cmd, argc, argv) < 0) {
		rc = -1;
		goto done;
	}
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (c == '?') {
			/* Long options were checked: a short one, "-x" (never a value). */
			char shown[3] = { '-', '?', '\0' };

			if (optopt > ' ' && optopt < 127)
				shown[1] = (char)optopt;
			unknown_option(cmd, shown, 2);
			rc = -1;
			goto done;
		}
		if (c == ':') {
			cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
			rc = -1;
			goto done;
		}
		rc = apply_option(o, cmd, c, optarg);
		if (rc == 1) {
			cli_print_command_help(stdout, cmd);
			goto done;
		}
		if (rc < 0)
			goto done;
	}
	o->args = argv + optind;
	o->n_args = argc - optind;
	if (o->quiet && o->verbose) {
		cli_usage_error(cmd, "--quiet and --verbose exclude each other");
		rc = -1;
	} else if (o->worktree && o->repo && source_is_url(o->repo)) {
		cli_usage_error(cmd,
				"--worktree reads files on disk: give a local --repo, not a URL");
		rc = -1;
	} else if (o->staged && (o->worktree || o->ref || o->require_ancestor)) {
		cli_usage_error(cmd, "--staged reads the index: it cannot be used with %s",
				o->worktree ? "--worktree"
				: o->ref    ? "--ref"
					    : "--require-ancestor");
		rc = -1;
	} else if (o->staged && o->repo && source_is_url(o->repo)) {
		cli_usage_error(cmd, "--staged reads the index of a local --repo, not a URL");
		rc = -1;
	} else if (o->worktree && o->require_ancestor) {
		cli_usage_error(
			cmd,
			"--require-ancestor needs a commit: it cannot be used with --worktree");
		rc = -1;
	}
done:
	free(lo);
	return rc;
}

int cli_no_args(const struct cli_opts *o)
{
	if (!o->n_args)
		return 0;
	cli_usage_error(o->cmd, "unexpected argument '%s'", o->args[0]);
	return -1;
}

int cli_render_format(const struct cli_opts *o, int *out)
{
	*out = RENDER_TEXT;
	if (!o->format)
		return 0;
	*out = render_parse_format(o->format);
	if (*out >= 0)
		return 0;
	cli_usage_error(o->cmd, "--format takes text, json or markdown, not '%s'", o->format);
	return -1;
}

void cli_opts_release(struct cli_opts *o)
{
	free(o->policies);
	free(o->domains);
	o->policies = NULL;
	o->domains = NULL;
}

void cli_print_main_help(FILE *out)
{
	fputs("usage: mailward COMMAND [options]\n\n"
	      "Keeps the settings of Cloudflare Email Security protected domains equal to what a\n"
	      "git repository says: plan the minimal changes, review them, apply them.\n\n"
	      "Commands:\n",
	      out);
	for (size_t i = 0; cli_commands[i].name; i++)
		fprintf(out, "  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
	fputs("\nEnvironment:\n", out);
	for (size_t i = 0; cli_environment[i][0]; i++)
		fprintf(out, "  %-22s %s\n", cli_environment[i][0], cli_environment[i][1]);
	fputs("\nExit codes: 0 success or no changes, 1 error, 2 changes or drift found,\n"
	      "3 denied by policy, 4 stale plan, 5 some operations failed.\n\n"
	      "Run 'mailward help COMMAND' or 'mailward COMMAND --help' for a command's options.\n",
	      out);
}

/* Print `text` wrapped at `width` columns, each line indented by `indent`. */
static void print_wrapped(FILE *out, const char *text, size_t indent, size_t first_col,
			  size_t width)
{
	size_t col = first_col;
	const char *p = text;

	while (*p) {
		size_t word = strcspn(p, " ");

		if (col > indent && col + 1 + word > width) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		} else if (col < indent) {
			fprintf(out, "%*s", (int)(indent - col), "");
			col = indent;
		}
		fwrite(p, 1, word, out);
		col += word;
		p += word;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

void cli_print_command_help(FILE *out, const struct cli_command *cmd)
{
	const char *group = NULL;
	bool any = false;

	fprintf(out, "usage: mailward %s%s%s%s\n\n", cmd->name,
		cmd->id == CMD_VERSION || cmd->id == CMD_HELP ? "" : " [options]",
		*cmd->args ? " " : "", cmd->args);
	print_wrapped(out, cmd->description, 0, 0, 78);
	for (size_t i = 0; cli_options[i].name; i++) {
		const struct cli_option *opt = &cli_options[i];
		char left[64];
		int n;

		if (!(opt->commands & ON(cmd->id)) || opt->id == OPT_HELP)
			continue;
		if (!group || strcmp(group, opt->group)) {
			group = opt->group;
			fprintf(out, "\n%s:\n", group);
		}
		any = true;
		if (opt->short_name)
			n = snprintf(left, sizeof(left), "  -%c, --%s%s%s", opt->short_name,
				     opt->name, opt->arg ? " " : "", opt->arg ? opt->arg : "");
		else
			n = snprintf(left, sizeof(left), "  --%s%s%s", opt->name,
				     opt->arg ? " " : "", opt->arg ? opt->arg : "");
		fputs(left, out);
		if (n >= 28) {
			fputc('\n', out);
			n = 0;
		}
		print_wrapped(out, opt->help, 28, (size_t)n, 78);
	}
	fprintf(out, "%s  -h, --help                show this help\n", any ? "" : "\nGeneral:\n");
	fprintf(out, "\nExit codes: %s\n", cmd->exit_codes);
}
