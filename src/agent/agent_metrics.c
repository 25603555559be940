#include "agent/agent_metrics.h"

#include <stdio.h>

static const char *const outcome_names[] = { "applied", "already_gone", "failed", "not_sent" };

void agent_metrics_label(struct buf *out, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == '\\')
			buf_puts(out, "\\\\");
		else if (*p == '"')
			buf_puts(out, "\\\"");
		else if (*p == '\n')
			buf_puts(out, "\\n");
		else
			buf_putc(out, *p);
	}
}

static void family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A number as Prometheus reads it: integers without a fraction, else 15 digits. */
static void number(struct buf *out, double v)
{
	if (v == (double)(long long)v && v < 1e15 && v > -1e15)
		buf_printf(out, "%lld", (long long)v);
	else
		buf_printf(out, "%.15g", v);
}

static void sample(struct buf *out, const char *name, const char *labels, double v)
{
	buf_printf(out, "%s%s ", name, labels);
	number(out, v);
	buf_putc(out, '\n');
}

static void histogram(struct buf *out, const struct agent_state *st)
{
	const char *name = "mailward_cycle_duration_seconds";

	family(out, name, "histogram", "How long cycles took.");
	for (size_t i = 0; i < AGENT_BUCKETS; i++) {
		buf_printf(out, "%s_bucket{le=\"", name);
		number(out, agent_buckets[i]);
		buf_printf(out, "\"} %llu\n", st->buckets[i]);
	}
	buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n", name, st->duration_count);
	buf_printf(out, "%s_sum ", name);
	number(out, st->duration_sum);
	buf_printf(out, "\n%s_count %llu\n", name, st->duration_count);
}

static void source_info(struct buf *out, const struct agent_state *st)
{
	family(out, "mailward_source_info", "gauge",
	       "The commit and ref the last cycle read, as labels; always 1.");
	if (!st->last.commit && !st->last.ref)
		return;
	buf_puts(out, "mailward_source_info{commit=\"");
	agent_metrics_label(out, st->last.commit ? st->last.commit : "");
	buf_puts(out, "\",ref=\"");
	agent_metrics_label(out, st->last.ref ? st->last.ref : "");
	buf_puts(out, "\"} 1\n");
}

void agent_metrics_render(struct buf *out, const struct agent_state *st)
{
	const struct {
		const char *state;
		size_t n;
	} domains[] = {
		{ "in_sync", st->in_sync_domains },
		{ "drifted", st->drifted },
		{ "missing", st->missing },
		{ "unmanaged", st->unmanaged },
		{ "absent_but_live", st->absent_but_live },
	};
	char labels[128];

	family(out, "mailward_cycles_total", "counter", "Cycles run, by result.");
	sample(out, "mailward_cycles_total", "{result=\"ok\"}", (double)st->cycles_ok);
	sample(out, "mailward_cycles_total", "{result=\"error\"}", (double)st->cycles_error);
	family(out, "mailward_last_cycle_success", "gauge",
	       "Whether the last cycle succeeded (1) or failed (0).");
	sample(out, "mailward_last_cycle_success", "", st->has_cycle && st->last_ok ? 1 : 0);
	family(out, "mailward_last_cycle_timestamp_seconds", "gauge",
	       "When the last cycle ended, in seconds since the epoch.");
	sample(out, "mailward_last_cycle_timestamp_seconds", "", st->last_cycle_ts);
	family(out, "mailward_last_success_timestamp_seconds", "gauge",
	       "When the last successful cycle ended, in seconds since the epoch.");
	sample(out, "mailward_last_success_timestamp_seconds", "", st->last_success_ts);
	histogram(out, st);
	family(out, "mailward_domains", "gauge",
	       "Domains by state, as of the last cycle that planned (after its self-heal).");
	for (size_t i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		snprintf(labels, sizeof(labels), "{state=\"%s\"}", domains[i].state);
		sample(out, "mailward_domains", labels, (double)domains[i].n);
	}
	family(out, "mailward_operations_total", "counter",
	       "Self-heal operations, by action and outcome.");
	for (int a = 0; a < 2; a++)
		for (int k = 0; k < 4; k++) {
			snprintf(labels, sizeof(labels), "{action=\"%s\",outcome=\"%s\"}",
				 a ? "delete" : "update", outcome_names[k]);
			sample(out, "mailward_operations_total", labels, (double)st->ops[a][k]);
		}
	family(out, "mailward_api_requests_total", "counter",
	       "Attempts of API requests, by method and HTTP status (\"error\": no answer).");
	for (size_t i = 0; i < st->n_api; i++) {
		buf_puts(out, "mailward_api_requests_total{method=\"");
		agent_metrics_label(out, st->api[i].method);
		buf_puts(out, "\",code=\"");
		agent_metrics_label(out, st->api[i].code);
		buf_printf(out, "\"} %llu\n", st->api[i].n);
	}
	family(out, "mailward_policy_denied", "gauge",
	       "Whether a policy denies the last cycle's plan (1) or not (0).");
	sample(out, "mailward_policy_denied", "", st->policy_denied ? 1 : 0);
	source_info(out, st);
	family(out, "mailward_in_sync", "gauge",
	       "Whether live was what git says after the last cycle that planned.");
	sample(out, "mailward_in_sync", "", st->sync == AGENT_SYNC_IN_SYNC ? 1 : 0);
	family(out, "mailward_notifications_total", "counter", "Notifications posted, by result.");
	sample(out, "mailward_notifications_total", "{result=\"sent\"}",
	       (double)st->notifications_sent);
	sample(out, "mailward_notifications_total", "{result=\"failed\"}",
	       (double)st->notifications_failed);
	family(out, "mailward_webhooks_total", "counter", "Requests to /hooks/git, by result.");
	sample(out, "mailward_webhooks_total", "{result=\"accepted\"}",
	       (double)st->webhooks_accepted);
	sample(out, "mailward_webhooks_total", "{result=\"refused\"}",
	       (double)st->webhooks_refused);
}
