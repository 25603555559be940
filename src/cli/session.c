#include "cli/session.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/mem.h"
#include "util/str.h"
#include "util/timeutil.h"

#define DEFAULT_API_URL "https://api.cloudflare.com/client/v4"

void session_init(struct session *s, struct cli_opts *o)
{
	memset(s, 0, sizeof(*s));
	s->o = o;
}

void session_release(struct session *s)
{
	source_free(s->src);
	desired_release(&s->desired);
	policy_set_release(&s->policies);
	diags_release(&s->diags);
	free(s->account_id);
	free(s->api_url);
	api_free(s->api);
	live_release(&s->live);
	memset(s, 0, sizeof(*s));
}

static int read_token_file(char **out, const char *flag, const char *path);

/* The first document that differs between two reads, or NULL when none does. */
static const char *first_difference(const struct source *a, const struct source *b)
{
	size_t i;

	for (i = 0; i < a->nr && i < b->nr; i++) {
		const struct source_file *fa = &a->files[i], *fb = &b->files[i];

		if (strcmp(fa->path, fb->path))
			return strcmp(fa->path, fb->path) < 0 ? fa->path : fb->path;
		if (fa->len != fb->len || memcmp(fa->data, fb->data, fa->len))
			return fa->path;
	}
	if (i < a->nr)
		return a->files[i].path;
	if (i < b->nr)
		return b->files[i].path;
	return NULL;
}

/*
 * A saved plan's commit must hold the documents --ref holds: a plan made
 * before another change was merged, or from an old commit that a forger
 * picked for what it implied then, is not applied on top of what git says
 * now.
 */
static int check_same_documents(struct session *s, const struct source_opts *plan_so)
{
	struct source_opts so = *plan_so;
	struct source *now = NULL;
	const char *which;
	int rc;

	so.ref = s->o->ref;
	so.require_ancestor = NULL;
	rc = source_read(&now, &so);
	if (rc == MW_ETIMEOUT)
		err_wrap(rc, "--timeout %ld: ", (long)s->o->timeout_s);
	if (rc < 0)
		return rc;
	which = first_difference(s->src, now);
	if (which)
		rc = err_set(MW_ESTALE,
			     "the documents under '%s' at '%s' (commit %.12s) differ from those "
			     "at the plan's commit %.12s ('%s' first): a change was merged since "
			     "the plan was made; nothing was applied. Plan again and apply that "
			     "plan, or give --ref %.12s to apply the plan's own commit",
			     *s->src->path ? s->src->path : ".", now->ref, now->commit,
			     s->src->commit, which, s->src->commit);
	source_free(now);
	return rc;
}

/* Names in the dirty-working-copy notice before "and N more". */
#define DIRTY_SHOWN 5

/*
 * One notice on stderr when the working copy holds documents otherwise
 * than the commit read: an edit not committed is never ignored silently.
 * cli_info() escapes the line (file names may hold anything).
 */
static void dirty_notice(const struct session *s)
{
	const struct source *src = s->src;
	struct buf names = BUF_INIT;
	size_t shown = src->n_dirty < DIRTY_SHOWN ? src->n_dirty : DIRTY_SHOWN;

	if (!src->n_dirty)
		return;
	for (size_t i = 0; i < shown; i++)
		buf_printf(&names, "%s'%s' (%s)", i ? ", " : "", src->dirty[i].path,
			   src->dirty[i].how);
	if (src->n_dirty > shown)
		buf_printf(&names, " and %zu more", src->n_dirty - shown);
	cli_info(s->o,
		 "note: %zu document%s under '%s' differ%s in the working copy from commit %.12s "
		 "('%s'), which is what was read: %s; commit %s, or give --worktree to read the "
		 "files on disk",
		 src->n_dirty, src->n_dirty == 1 ? "" : "s", *src->path ? src->path : ".",
		 src->n_dirty == 1 ? "s" : "", src->commit, src->ref, names.ptr,
		 src->n_dirty == 1 ? "it" : "them");
	buf_release(&names);
}

/*
 * What the command line asks of the source that cannot work, in its own
 * words: the core checks the same, but speaks of folders and worktree mode,
 * not of the options that say them.
 */
static int check_source_usage(const struct cli_opts *o)
{
	char *path = NULL;

	if (o->worktree && o->repo && source_is_url(o->repo))
		return err_set(MW_EUSAGE,
			       "--worktree reads files on disk: give a local --repo, not a URL");
	if (o->worktree && o->require_ancestor)
		return err_set(MW_EUSAGE,
			       "--require-ancestor needs a commit: it cannot be used with "
			       "--worktree");
	if (source_normalize_path(&path, o->path) < 0)
		return err_set(MW_EUSAGE, "--path '%s' leaves the repository", o->path);
	free(path);
	return 0;
}

int session_load_desired(struct session *s, const char *commit, FILE *problems)
{
	struct source_opts so = {
		.repo = s->o->repo,
		.ref = commit ? commit : s->o->ref,
		.path = s->o->path,
		.cache_dir = s->o->cache_dir,
		.require_ancestor = s->o->require_ancestor,
		.worktree = s->o->worktree,
		.staged = s->o->staged,
		/* What would be read instead of what is on disk is said, never silent. */
		.want_dirty =
			!commit && (s->o->cmd->id == CMD_VALIDATE || s->o->cmd->id == CMD_PLAN ||
				    s->o->cmd->id == CMD_DRIFT || s->o->cmd->id == CMD_APPLY),
		.not_a_repo_hint = commit ? "a saved plan is checked against the documents at "
					    "its commit: run apply in a checkout of the "
					    "repository it was planned from, or give --repo"
					  : "use --worktree to read plain files",
		.git_token = getenv("MAILWARD_GIT_TOKEN"),
		.timeout_ms = s->o->timeout_s * 1000,
	};
	char *git_token = NULL;
	int rc, prc;

	rc = check_source_usage(s->o);
	if (rc < 0)
		return rc;
	if (s->o->git_token_file) {
		rc = read_token_file(&git_token, "--git-token-file", s->o->git_token_file);
		if (rc < 0)
			return rc;
		so.git_token = git_token;
	}
	if (so.git_token && !*so.git_token)
		so.git_token = NULL;
	rc = source_read(&s->src, &so);
	if (rc == MW_ETIMEOUT)
		err_wrap(rc, "--timeout %ld: ", (long)s->o->timeout_s);
	if (rc == 0 && commit)
		rc = check_same_documents(s, &so);
	if (git_token) {
		explicit_bzero(git_token, strlen(git_token));
		free(git_token);
	}
	if (rc < 0)
		return rc;
	dirty_notice(s);
	for (size_t i = 0; i < s->o->n_policies; i++) {
		rc = source_add_disk(s->src, s->o->policies[i], true);
		if (rc < 0)
			return err_wrap(rc, "--policy: ");
	}
	rc = desired_load(&s->desired, s->src->files, s->src->nr, &s->diags);
	prc = policy_load(&s->policies, s->src->files, s->src->nr, &s->diags);
	diags_sort(&s->diags);
	if (problems)
		diags_print(&s->diags, problems);
	if (rc == 0 && prc < 0)
		rc = prc;
	if (rc == MW_EINVALID && prc < 0)
		rc = err_set(MW_EINVALID, "%zu problem%s in the desired state and policies",
			     s->diags.errors, s->diags.errors == 1 ? "" : "s");
	return rc;
}

int session_resolve_account(struct session *s, bool required)
{
	const char *env = getenv("CLOUDFLARE_ACCOUNT_ID");
	const char *given = s->o->account_id;
	const char *from = "--account-id";
	const struct desired *d = &s->desired;

	if (!given && env && *env) {
		given = env;
		from = "CLOUDFLARE_ACCOUNT_ID";
	}
	if (given) {
		if (!desired_is_account_id(given))
			return err_set(MW_ECONFIG,
				       "%s '%s' is not an account id (32 hexadecimal digits)", from,
				       given);
		s->account_id = str_lower_dup(given);
		if (d->account_id && strcmp(d->account_id, s->account_id))
			return err_set(MW_ECONFIG,
				       "account mismatch: %s names account %s, but the "
				       "documents are for account %s (%s:%d:%d); refusing to use "
				       "configuration written for one account on another",
				       from, s->account_id, d->account_id, d->account_file,
				       d->account_line, d->account_col);
		return 0;
	}
	if (d->account_id) {
		s->account_id = xstrdup(d->account_id);
		return 0;
	}
	if (required)
		return err_set(MW_ECONFIG,
			       "no account: give --account-id, set CLOUDFLARE_ACCOUNT_ID, "
			       "or write account_id: in a document");
	return 0;
}

/* A token file holds one token; surrounding white space is not part of it. */
static int read_token_file(char **out, const char *flag, const char *path)
{
	char *data = NULL;
	size_t len = 0, start = 0;
	int rc;

	*out = NULL;
	rc = fs_read_file(&data, &len, path, 64 * 1024);
	if (rc < 0) {
		char reason[256];
		const char *tail = strrchr(err_msg(), ':');

		/*
		 * A bare word may be the token itself, typed where its file
		 * belongs: name the file only when it looks like a path.
		 */
		snprintf(reason, sizeof(reason), "%s", tail ? tail + 2 : "unreadable");
		if (strchr(path, '/'))
			return err_set(MW_ECONFIG, "%s: cannot read '%s': %s", flag, path, reason);
		return err_set(MW_ECONFIG,
			       "%s: cannot read the file it names (%s); it "
			       "takes the path of a file holding the token, never the token",
			       flag, reason);
	}
	while (start < len && isspace((unsigned char)data[start]))
		start++;
	while (len > start && isspace((unsigned char)data[len - 1]))
		len--;
	if (len == start) {
		rc = err_set(MW_ECONFIG, "%s '%s' is empty", flag, path);
		goto done;
	}
	for (size_t i = start; i < len; i++) {
		if (isspace((unsigned char)data[i]) || iscntrl((unsigned char)data[i])) {
			rc = err_set(MW_ECONFIG,
				     "%s '%s' holds more than one token (white "
				     "space inside)",
				     flag, path);
			goto done;
		}
	}
	*out = xstrndup(data + start, len - start);
done:
	explicit_bzero(data, len);
	free(data);
	return rc;
}

static void trace_line(void *ctx, const char *line)
{
	(void)ctx;
	/* Headers and URLs the server sent: printed escaped, as every message is. */
	cli_error("http: %s", line);
}

int session_connect(struct session *s)
{
	const struct cli_opts *o = s->o;
	const char *env_url = getenv("MAILWARD_API_URL");
	const char *env_token = getenv("CLOUDFLARE_API_TOKEN");
	struct api_opts ao = { 0 };
	char *token = NULL;
	int rc;

	if (o->api_url)
		ao.base_url = o->api_url;
	else if (env_url && *env_url)
		ao.base_url = env_url;
	else
		ao.base_url = DEFAULT_API_URL;
	ao.account_id = s->account_id;
	if (o->token_file) {
		rc = read_token_file(&token, "--token-file", o->token_file);
		if (rc < 0)
			return rc;
		ao.token = token;
	} else if (env_token && *env_token) {
		ao.token = env_token;
	} else {
		ao.email = getenv("CLOUDFLARE_EMAIL");
		ao.key = getenv("CLOUDFLARE_API_KEY");
		if (ao.email && !*ao.email)
			ao.email = NULL;
		if (ao.key && !*ao.key)
			ao.key = NULL;
		if (!!ao.email != !!ao.key) {
			rc = err_set(MW_ECONFIG,
				     "CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY go together: "
				     "set both, or use CLOUDFLARE_API_TOKEN");
			goto done;
		}
	}
	ao.http.concurrency = o->concurrency;
	ao.http.rate = o->rate;
	ao.http.retries = o->retries;
	ao.http.timeout_ms = o->timeout_s * 1000;
	ao.http.ca_file = o->ca_file;
	if (s->trace) {
		ao.http.trace = s->trace;
		ao.http.trace_ctx = s->trace_ctx;
	} else if (o->verbose) {
		ao.http.trace = trace_line;
	}
	rc = api_new(&s->api, &ao);
	if (rc == 0)
		s->api_url = xstrdup(api_base_url(s->api));
done:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	return rc;
}

int session_read_live(struct session *s, bool full)
{
	struct http_stats before, after;
	double t0 = time_mono();
	int rc;

	api_stats(s->api, &before);
	rc = api_list_domains(s->api, &s->live, full ? API_KEEP_ALL : API_KEEP_SETTINGS);
	if (rc < 0)
		return rc;
	api_stats(s->api, &after);
	cli_info(s->o, "listed %zu live domain%s in %zu request%s (%.2f s)", s->live.nr,
		 s->live.nr == 1 ? "" : "s", after.attempts - before.attempts,
		 after.attempts - before.attempts == 1 ? "" : "s", time_mono() - t0);
	return 0;
}

void session_plan_source(const struct session *s, struct plan_source *out)
{
	out->repo = s->src->repo;
	out->ref = s->src->worktree ? NULL : s->src->ref;
	out->commit = s->src->commit;
	out->path = s->src->path;
	out->worktree = s->src->worktree;
}

void session_planner_input(const struct session *s, struct plan_source *src,
			   struct planner_input *out)
{
	session_plan_source(s, src);
	memset(out, 0, sizeof(*out));
	out->desired = &s->desired;
	out->live = &s->live;
	out->policies = &s->policies;
	out->account_id = s->account_id;
	out->api_url = s->api_url;
	out->source = src;
	out->prune = s->o->prune;
	out->force = s->o->force;
	out->targets = s->o->domains;
	out->n_targets = s->o->n_domains;
	out->now = time_now();
}

static int build_plan(struct session *s, struct plan *out)
{
	struct plan_source src;
	struct planner_input in;

	session_planner_input(s, &src, &in);
	return planner_run(out, &in);
}

int session_open(struct session *s, const char *commit, FILE *problems)
{
	int rc = session_load_desired(s, commit, problems);

	if (rc == 0)
		rc = session_resolve_account(s, true);
	if (rc == 0)
		rc = session_connect(s);
	return rc;
}

int session_run_plan(struct session *s, struct plan *out)
{
	int rc = session_resolve_account(s, true);

	if (rc == 0)
		rc = session_connect(s);
	if (rc == 0)
		rc = session_read_live(s, false);
	if (rc == 0)
		rc = build_plan(s, out);
	return rc;
}
