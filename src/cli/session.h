/*
 * session: the steps that plan, apply and drift share, in the order of the
 * data flow: read the source, load the desired state, settle the account,
 * connect, list the live state, build the plan.
 *
 * Each step returns 0 or a negative MW_E* code with the message in the
 * error slot (document problems are printed by the step itself, since
 * there may be many). session_release() frees whatever the steps took.
 */
#ifndef MW_CLI_SESSION_H
#define MW_CLI_SESSION_H

#include "cli/cli.h"
#include "core/api.h"
#include "core/desired.h"
#include "core/live.h"
#include "core/plan.h"
#include "core/planner.h"
#include "core/policy.h"
#include "core/source.h"
#include "util/diag.h"

struct session {
	struct cli_opts *o;
	struct source *src;
	struct desired desired;
	struct policy_set policies;
	struct diags diags;
	char *account_id; /* settled: flag, environment or documents */
	char *api_url;
	struct api *api;
	struct live live;
	/* When set before session_connect(): one line per HTTP attempt (the agent's metrics). */
	void (*trace)(void *ctx, const char *line);
	void *trace_ctx;
};

void session_init(struct session *s, struct cli_opts *o);
void session_release(struct session *s);

/*
 * Read the documents, load the desired state and the policies (policies/
 * under --path, and each --policy from disk), at `commit` when not NULL
 * (a saved plan's: then the documents at --ref, default HEAD, must be the
 * same, else MW_ESTALE), else at --ref. Problems are printed to `problems` as
 * FILE:LINE:COL: message (warnings too), and kept in s->diags (`problems`
 * NULL: only kept); MW_EINVALID when there was an error.
 */
int session_load_desired(struct session *s, const char *commit, FILE *problems);

/*
 * Settle the account: --account-id, else CLOUDFLARE_ACCOUNT_ID, else the
 * documents' account_id. When the documents name another account than the
 * flag or environment: MW_ECONFIG "account mismatch". When `required` and
 * none is given: MW_ECONFIG.
 */
int session_resolve_account(struct session *s, bool required);

/* Credentials, API URL, limits: a client ready to send. */
int session_connect(struct session *s);

/*
 * List the live state (api_list_domains) into s->live: identity and
 * writable fields, or whole objects with `full`.
 */
int session_read_live(struct session *s, bool full);

/*
 * session_load_desired(), then settle the account (required) and connect:
 * what every command that talks to the API does first.
 */
int session_open(struct session *s, const char *commit, FILE *problems);

/*
 * After session_load_desired(): settle the account, connect, list the live
 * state, build the plan and check it against the policies (the findings go
 * into the plan). What plan, drift and apply-without-a-plan-file share.
 */
int session_run_plan(struct session *s, struct plan *out);

/* The plan's source record, from s->src. Strings borrowed from the session. */
void session_plan_source(const struct session *s, struct plan_source *out);

/*
 * What the planner needs, from the session's state and options, into
 * `out`; `src` is filled with the source record `out` points to. Borrowed.
 */
void session_planner_input(const struct session *s, struct plan_source *src,
			   struct planner_input *out);

#endif
