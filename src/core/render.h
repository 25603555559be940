/*
 * render: a plan as text for people, JSON for machines, Markdown for a
 * pull-request comment.
 *
 * Renderers read a finished struct plan and write into a buf; they print
 * nothing themselves and decide nothing (colour is the caller's choice).
 * The same functions render `plan`, `show` and `drift` output: drift is a
 * plan read with other words ("git" and "live" instead of "after" and
 * "before").
 */
#ifndef MW_CORE_RENDER_H
#define MW_CORE_RENDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/plan.h"
#include "util/buf.h"

enum render_format { RENDER_TEXT, RENDER_JSON, RENDER_MARKDOWN };

enum render_mode {
	RENDER_MODE_PLAN, /* what apply would do */
	RENDER_MODE_DRIFT, /* how live differs from git */
};

/* GitHub refuses comments over 65,536 characters; stay clear of it. */
#define RENDER_MARKDOWN_LIMIT 65000

struct render_opts {
	enum render_mode mode;
	bool color; /* ANSI colours in text */
	size_t markdown_limit; /* 0: RENDER_MARKDOWN_LIMIT */
};

/* Parse "text", "json" or "markdown" (also "md"); -1 when unknown. */
int render_parse_format(const char *s);

/* Render `p` in `format` into `out`. */
void render_plan(struct buf *out, const struct plan *p, enum render_format format,
		 const struct render_opts *opts);

void render_text(struct buf *out, const struct plan *p, const struct render_opts *opts);

/*
 * Markdown for a pull-request comment: a summary table, policy results, one
 * collapsible section per changed domain. Never longer than the limit in
 * characters: past it, domains are listed without details and the comment
 * says how many and where the full plan is.
 */
void render_markdown(struct buf *out, const struct plan *p, const struct render_opts *opts);

/*
 * The drift report as JSON: the plan file format with "kind": "drift" (one
 * JSON format for plans, drift and reverts). Each change's diff holds the
 * git value as `after` and the live one as `before`. A new reference.
 */
json_t *render_drift_json(const struct plan *p);

/*
 * For set fields, what an update adds and removes ("+SPOOF -BULK"), written
 * to `out`; nothing for other kinds. Shared by the renderers.
 */
void render_set_delta(struct buf *out, const char *field, const json_t *before,
		      const json_t *after);

#endif
