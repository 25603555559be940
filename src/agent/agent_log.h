/*
 * agent_log: the agent's log on stderr, one line per event.
 *
 * Text: "TIME LEVEL EVENT key=value ...", a value quoted when it holds a
 * space, a quote or a backslash. JSON: one object per line,
 * {"time", "level", "event", "fields": {...}}. Every value is escaped on
 * the way out (util/esc.h: control characters, line breaks and bidi
 * controls as visible escapes in text; JSON escapes in JSON), since values
 * may come from a repository, the API or a request; no caller ever passes a secret. One write per
 * line, so the HTTP thread and the loop never interleave within a line.
 */
#ifndef MW_AGENT_AGENT_LOG_H
#define MW_AGENT_AGENT_LOG_H

#include <stdbool.h>

#include "util/buf.h"

/* Before any thread starts: json when true, else text. */
void agent_log_init(bool json);

/*
 * Log one event: `level` ("info", "warn", "error"), `event` (a fixed word
 * such as "cycle_end"), then key and value strings in pairs, ending with a
 * NULL key. A NULL value is written as null (JSON) or "-" (text).
 */
void agent_log(const char *level, const char *event, ...) __attribute__((sentinel));

/* Append `s` escaped for a log line (esc_append()): the text format's values. */
void agent_log_escape(struct buf *out, const char *s);

#endif
