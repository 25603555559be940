/*
 * agent_metrics: the agent's state in the Prometheus text exposition
 * format (version 0.0.4): every family with its # HELP and # TYPE lines,
 * label values escaped (backslash, double quote and newline).
 */
#ifndef MW_AGENT_AGENT_METRICS_H
#define MW_AGENT_AGENT_METRICS_H

#include "agent/agent_state.h"
#include "util/buf.h"

/* The Content-Type of what agent_metrics_render() writes. */
#define AGENT_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Append the exposition of `st` to `out`. */
void agent_metrics_render(struct buf *out, const struct agent_state *st);

/* Append `value` escaped for a label value (without the quotes). */
void agent_metrics_label(struct buf *out, const char *value);

#endif
