#include "agent/agent.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent_http.h"
#include "agent/agent_log.h"
#include "agent/agent_state.h"
#include "cli/apply_exec.h"
#include "cli/cli.h"
#include "cli/session.h"
#include "core/http.h"
#include "core/notify.h"
#include "core/render.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define DEFAULT_LISTEN "127.0.0.1:9464"
/* The longest wait on the condition before the stop flag is looked at again. */
#define WAIT_SLICE_S 0.2

/* Set by SIGTERM/SIGINT: no new cycle starts (and, through http_interrupted, no request). */
static volatile sig_atomic_t agent_stop;

struct agent {
	const struct cli_opts *o;
	struct cli_opts so; /* what each cycle's session reads: o, quiet (the log says it) */
	const char *notify; /* --notify or MAILWARD_NOTIFY_URL; NULL: none */
	struct http_opts notify_http;
	char *secret; /* the webhook secret; wiped and freed at exit */
	size_t secret_len;
	struct agent_shared sh;
	struct agent_http *http;
	unsigned short port;
	unsigned int seed;
};

static void on_stop(int sig)
{
	(void)sig;
	agent_stop = 1;
	http_interrupted = 1;
}

double agent_next_delay(double interval, bool ok, unsigned failures, double u)
{
	double d;

	if (ok || failures == 0)
		return interval * (1 + 0.1 * u);
	d = AGENT_BACKOFF_BASE_S * pow(2.0, failures > 30 ? 30 : (double)(failures - 1));
	return d < interval ? d : interval;
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fmt_size(char out[32], size_t n)
{
	snprintf(out, 32, "%zu", n);
}

/* One line per HTTP attempt of the API client: "METHOD URL -> CODE in ...". */
static void on_trace(void *ctx, const char *line)
{
	struct agent *a = ctx;
	const char *arrow = strstr(line, " -> ");
	char method[8], code[8];
	size_t mlen = strcspn(line, " "), clen;

	if (!arrow || mlen >= sizeof(method))
		return;
	clen = strcspn(arrow + 4, " ");
	if (clen >= sizeof(code))
		clen = sizeof(code) - 1;
	memcpy(method, line, mlen);
	method[mlen] = '\0';
	memcpy(code, arrow + 4, clen);
	code[clen] = '\0';
	pthread_mutex_lock(&a->sh.lock);
	agent_state_count_api(&a->sh.st, method, code);
	pthread_mutex_unlock(&a->sh.lock);
	if (a->o->verbose)
		agent_log("info", "http_request", "request", line, NULL);
}

/* Each document problem as one event: they name a file, a line and a column. */
static void log_problems(const char *problems)
{
	const char *p = problems;

	while (p && *p) {
		size_t len = strcspn(p, "\n");
		char *one = xstrndup(p, len);

		agent_log("warn", "document_problem", "problem", one, NULL);
		free(one);
		p += len;
		if (*p)
			p++;
	}
}

/* Self-heal: apply the plan's updates and deletes exactly as apply does. */
static int self_heal(struct session *s, struct plan *p, struct agent_cycle *c)
{
	size_t n = p->summary.update + p->summary.del, failed;
	int code;

	if (c->denied) {
		agent_log("warn", "self_heal_denied", "reason",
			  "a policy or the built-in safety threshold denies the plan; nothing "
			  "applied",
			  NULL);
		return EXIT_DENIED;
	}
	if (n == 0)
		return EXIT_OK;
	/*
	 * Exactly apply's path: the account's lock and the audit log's, the
	 * live state read again under them and the plan verified against it
	 * (a change made since this cycle listed is not overwritten: the next
	 * cycle plans it), the policies, then the operations written ahead.
	 */
	code = apply_verified(s, p, &c->apply);
	c->applied = c->apply.run_id[0] != '\0';
	failed = c->apply.update_failed + c->apply.delete_failed + c->apply.not_sent;
	c->in_sync = code == EXIT_OK && !failed && !p->summary.missing;
	if (code == EXIT_ERROR) {
		c->ok = false;
		c->error = xasprintf("self-heal: %s", err_msg());
	} else if (failed) {
		c->ok = false;
		c->error = xasprintf("self-heal: %zu of %zu operations failed or were not sent",
				     failed, n);
	}
	return code;
}

static void count_deletes(struct agent_cycle *c, const struct plan *p)
{
	for (size_t i = 0; i < p->nr; i++) {
		if (p->changes[i].action != PLAN_DELETE)
			continue;
		if (p->changes[i].reason && !strcmp(p->changes[i].reason, "prune"))
			c->prune_deletes++;
		else
			c->absent_deletes++;
	}
}

static json_t *event_payload(const char *account, const struct agent_cycle *c)
{
	json_t *o = json_object();

	json_object_set_new(o, "account_id", account ? json_string(account) : json_null());
	json_object_set_new(o, "commit", c->commit ? json_string(c->commit) : json_null());
	if (c->error)
		json_object_set_new(o, "error", json_string(c->error));
	return o;
}

static void notify_one(struct agent *a, const char *event, const char *text, json_t *payload)
{
	int rc = notify_event(a->notify, event, text, payload, &a->notify_http);

	pthread_mutex_lock(&a->sh.lock);
	if (rc < 0)
		a->sh.st.notifications_failed++;
	else
		a->sh.st.notifications_sent++;
	pthread_mutex_unlock(&a->sh.lock);
	if (rc < 0)
		agent_log("warn", "notify_failed", "event", event, "error", err_msg(), NULL);
	else
		agent_log("info", "notified", "event", event, NULL);
}

/* The notifications of one cycle's events; `p` is its plan when it made one. */
static void notify_events(struct agent *a, unsigned ev, const struct agent_cycle *c,
			  const struct plan *p, const char *account)
{
	struct buf text = BUF_INIT;
	const char *acct = account ? account : "(unknown)";
	char git[64] = "";

	if (!a->notify || !ev)
		return;
	if (c->commit)
		snprintf(git, sizeof(git), " (git %.12s)", c->commit);
	if (ev & AGENT_EV_FAILING) {
		buf_printf(&text, "mailward agent: cycles are failing (two or more in a row): %s",
			   c->error ? c->error : "unknown error");
		notify_one(a, "failing", text.ptr, event_payload(account, c));
		buf_truncate(&text, 0);
	}
	if (ev & AGENT_EV_RECOVERED) {
		buf_printf(&text, "mailward agent: recovered, cycles succeed again%s", git);
		notify_one(a, "recovered", text.ptr, event_payload(account, c));
		buf_truncate(&text, 0);
	}
	if ((ev & AGENT_EV_DRIFT) && p) {
		json_t *payload = render_drift_json(p);

		notify_text(&text, p);
		notify_one(a, "drift", text.ptr, payload);
		buf_truncate(&text, 0);
	}
	if (ev & AGENT_EV_RESOLVED) {
		buf_printf(&text, "mailward: Cloudflare account %s is in sync with git again%s",
			   acct, git);
		notify_one(a, "resolved", text.ptr, event_payload(account, c));
		buf_truncate(&text, 0);
	}
	if (ev & AGENT_EV_APPLIED) {
		const struct apply_exec_opts *r = &c->apply;
		json_t *payload = event_payload(account, c);

		buf_printf(&text,
			   "mailward: self-heal in Cloudflare account %s%s, run %s: %zu updated, "
			   "%zu deleted, %zu already gone, %zu failed, %zu not sent",
			   acct, git, r->run_id, r->updated, r->deleted, r->gone,
			   r->update_failed + r->delete_failed, r->not_sent);
		json_object_set_new(payload, "applied",
				    json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "run_id", r->run_id,
					      "updated", (json_int_t)r->updated, "deleted",
					      (json_int_t)r->deleted, "already_gone",
					      (json_int_t)r->gone, "failed",
					      (json_int_t)(r->update_failed + r->delete_failed),
					      "not_sent", (json_int_t)r->not_sent));
		notify_one(a, "applied", text.ptr, payload);
	}
	buf_release(&text);
}

static void log_cycle(const struct agent_cycle *c)
{
	char dur[32], upd[32], del[32], mis[32], unm[32];

	snprintf(dur, sizeof(dur), "%.3f", c->duration);
	fmt_size(upd, c->summary.update);
	fmt_size(del, c->summary.del);
	fmt_size(mis, c->summary.missing);
	fmt_size(unm, c->summary.unmanaged);
	if (!c->planned) {
		agent_log("error", "cycle_end", "result", "error", "duration", dur, "commit",
			  c->commit, "error", c->error, NULL);
		return;
	}
	agent_log(c->ok ? "info" : "error", "cycle_end", "result", c->ok ? "ok" : "error",
		  "duration", dur, "commit", c->commit, "update", upd, "delete", del, "missing",
		  mis, "unmanaged", unm, "in_sync", c->in_sync ? "true" : "false", "denied",
		  c->denied ? "true" : "false", "error", c->error, NULL);
}

/* One cycle, start to end; returns the exit code --once gives it. */
static int run_cycle(struct agent *a, struct agent_cycle *c)
{
	struct session s;
	struct plan p = { 0 };
	struct agent_cycle view;
	char *problems = NULL;
	size_t problems_len = 0;
	double t0 = time_mono();
	unsigned ev;
	FILE *pf;
	int rc, code;

	c->start = wall_now();
	session_init(&s, &a->so);
	s.trace = on_trace;
	s.trace_ctx = a;
	pf = open_memstream(&problems, &problems_len);
	rc = session_load_desired(&s, NULL, pf ? pf : stderr);
	if (pf)
		fclose(pf);
	log_problems(problems);
	if (s.src) {
		c->commit = s.src->commit ? xstrdup(s.src->commit) : NULL;
		c->ref = s.src->ref ? xstrdup(s.src->ref) : NULL;
	}
	if (rc == 0)
		rc = session_run_plan(&s, &p);
	if (rc < 0) {
		c->error = xstrdup(err_msg());
		code = exit_code_for(rc);
		goto done;
	}
	c->ok = true;
	c->planned = true;
	c->summary = p.summary;
	count_deletes(c, &p);
	c->denied = plan_violations(&p) > 0;
	c->in_sync = !plan_has_changes(&p);
	code = c->denied ? EXIT_DENIED : c->in_sync ? EXIT_OK : EXIT_CHANGES;
	if (a->o->self_heal)
		code = self_heal(&s, &p, c);
done:
	c->end = wall_now();
	c->duration = time_mono() - t0;
	log_cycle(c);
	/* The strings move into the state; only this thread ever replaces them. */
	view = *c;
	pthread_mutex_lock(&a->sh.lock);
	ev = agent_state_record(&a->sh.st, c, time_mono());
	pthread_mutex_unlock(&a->sh.lock);
	notify_events(a, ev, &view, view.planned ? &p : NULL, s.account_id);
	plan_release(&p);
	session_release(&s);
	free(problems);
	return code;
}

/*
 * Wait until `due` (monotonic), a webhook's trigger or a stop. Returns
 * false on a stop; `*hooked` says whether a webhook asked for the cycle.
 */
static bool wait_for_cycle(struct agent *a, double due, bool *hooked)
{
	pthread_mutex_lock(&a->sh.lock);
	while (!agent_stop && !a->sh.trigger) {
		double left = due - time_mono();
		struct timespec ts;

		if (left <= 0)
			break;
		if (left > WAIT_SLICE_S)
			left = WAIT_SLICE_S;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)(left * 1e9);
		ts.tv_sec += ts.tv_nsec / 1000000000L;
		ts.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&a->sh.wake, &a->sh.lock, &ts);
	}
	*hooked = a->sh.trigger;
	a->sh.trigger = false;
	pthread_mutex_unlock(&a->sh.lock);
	return !agent_stop;
}

/* A secret file holds one secret; surrounding white space is not part of it. */
static int read_secret(struct agent *a, const char *path)
{
	char *data = NULL;
	size_t len = 0, start = 0;
	int rc = fs_read_file(&data, &len, path, 64 * 1024);

	if (rc < 0)
		return err_wrap(MW_ECONFIG, "--webhook-secret-file: ");
	while (start < len && (data[start] == ' ' || data[start] == '\t' || data[start] == '\n' ||
			       data[start] == '\r'))
		start++;
	while (len > start && (data[len - 1] == ' ' || data[len - 1] == '\t' ||
			       data[len - 1] == '\n' || data[len - 1] == '\r'))
		len--;
	if (len == start)
		rc = err_set(MW_ECONFIG, "--webhook-secret-file '%s' is empty", path);
	else {
		a->secret = xstrndup(data + start, len - start);
		a->secret_len = len - start;
	}
	explicit_bzero(data, len);
	free(data);
	return rc;
}

/* Everything checked before the first cycle: a mistake here is exit 1, not a failing agent. */
static int configure(struct agent *a, const struct cli_opts *o)
{
	const char *env = getenv("MAILWARD_NOTIFY_URL");
	const char *listen = o->listen ? o->listen : DEFAULT_LISTEN;
	struct sockaddr_storage addr;
	unsigned addr_len = 0;
	struct buf checked = BUF_INIT;
	int rc = 0;

	a->notify = o->notify ? o->notify : env && *env ? env : NULL;
	if (a->notify) {
		rc = http_check_webhook_url(&checked, a->notify);
		buf_release(&checked);
		if (rc < 0)
			return err_wrap(rc, "--notify: ");
	}
	a->notify_http.retries = o->retries;
	a->notify_http.timeout_ms = o->timeout_s * 1000;
	a->notify_http.ca_file = o->ca_file;
	if (o->webhook_secret_file) {
		rc = read_secret(a, o->webhook_secret_file);
		if (rc < 0)
			return rc;
		a->sh.secret = a->secret;
		a->sh.secret_len = a->secret_len;
	}
	a->sh.ready_window = 3 * (o->interval_s > 1 ? o->interval_s : 1);
	/* One cycle and out: no server unless asked for. */
	if (!strcmp(listen, "off") || (o->once && !o->listen))
		return 0;
	rc = agent_http_parse_listen(&addr, &addr_len, listen);
	if (rc == 0)
		rc = agent_http_start(&a->http, &a->port, &addr, addr_len, &a->sh);
	return rc;
}

static void log_start(const struct agent *a, const struct cli_opts *o)
{
	char interval[32], port[16];

	snprintf(interval, sizeof(interval), "%g", o->interval_s);
	snprintf(port, sizeof(port), "%u", a->port);
	if (a->http)
		agent_log("info", "listening", "port", port, "webhook",
			  a->secret ? "enabled" : "disabled", NULL);
	agent_log("info", "agent_start", "interval_seconds", interval, "self_heal",
		  o->self_heal ? "true" : "false", "prune", o->prune ? "true" : "false", "notify",
		  a->notify ? "enabled" : "disabled", NULL);
}

int cmd_agent(struct cli_opts *o)
{
	struct agent a;
	struct sigaction sa;
	double due = 0;
	bool hooked = false;
	int code = EXIT_ERROR, rc;

	if (cli_no_args(o) < 0)
		return EXIT_ERROR;
	memset(&a, 0, sizeof(a));
	a.o = o;
	a.so = *o;
	a.so.quiet = true;
	a.seed = (unsigned)getpid() ^ (unsigned)time(NULL);
	agent_log_init(o->log_format && !strcmp(o->log_format, "json"));
	agent_shared_init(&a.sh);
	rc = configure(&a, o);
	if (rc < 0) {
		cli_report(o);
		goto done;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	log_start(&a, o);
	code = EXIT_OK;
	while (wait_for_cycle(&a, due, &hooked)) {
		struct agent_cycle c = { 0 };
		bool ok;
		unsigned failures;

		agent_log("info", "cycle_start", "trigger",
			  hooked     ? "webhook"
			  : due == 0 ? "start"
				     : "interval",
			  NULL);
		code = run_cycle(&a, &c);
		if (o->once)
			break;
		pthread_mutex_lock(&a.sh.lock);
		ok = a.sh.st.last_ok;
		failures = a.sh.st.failures_in_row;
		pthread_mutex_unlock(&a.sh.lock);
		due = time_mono() +
		      agent_next_delay(o->interval_s, ok, failures,
				       (double)rand_r(&a.seed) / ((double)RAND_MAX + 1));
	}
	if (!o->once)
		code = EXIT_OK;
	agent_log("info", "agent_stop", "reason", agent_stop ? "signal" : "once", NULL);
done:
	agent_http_stop(a.http);
	agent_shared_release(&a.sh);
	if (a.secret) {
		explicit_bzero(a.secret, a.secret_len);
		free(a.secret);
	}
	return code;
}
