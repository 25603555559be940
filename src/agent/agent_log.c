#include "agent/agent_log.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/esc.h"
#include "util/timeutil.h"

static bool log_json;

void agent_log_init(bool json)
{
	log_json = json;
}

void agent_log_escape(struct buf *out, const char *s)
{
	esc_append(out, s, 0);
}

static bool needs_quotes(const char *s)
{
	return !*s || strpbrk(s, " \"\\=") != NULL;
}

static void text_value(struct buf *out, const char *v)
{
	struct buf esc = BUF_INIT;

	agent_log_escape(&esc, v);
	if (!needs_quotes(v)) {
		buf_add(out, esc.ptr, esc.len);
	} else {
		buf_putc(out, '"');
		for (size_t i = 0; i < esc.len; i++) {
			if (esc.ptr[i] == '"' || esc.ptr[i] == '\\')
				buf_putc(out, '\\');
			buf_putc(out, esc.ptr[i]);
		}
		buf_putc(out, '"');
	}
	buf_release(&esc);
}

void agent_log(const char *level, const char *event, ...)
{
	struct buf line = BUF_INIT;
	char now[32];
	const char *k;
	va_list ap;

	time_format_now_ms(now);
	va_start(ap, event);
	if (log_json) {
		json_t *o = json_object(), *fields = json_object();
		char *dump;

		json_object_set_new(o, "time", json_string(now));
		json_object_set_new(o, "level", json_string(level));
		json_object_set_new(o, "event", json_string(event));
		while ((k = va_arg(ap, const char *))) {
			const char *v = va_arg(ap, const char *);

			/* json_string() refuses invalid UTF-8: keep the value, escaped. */
			json_t *jv = v ? json_string(v) : json_null();

			if (!jv) {
				char *shown = esc_str(v);

				jv = json_string(shown);
				free(shown);
			}
			json_object_set_new(fields, k, jv);
		}
		json_object_set_new(o, "fields", fields);
		dump = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
		buf_puts(&line, dump ? dump : "{}");
		free(dump);
		json_decref(o);
	} else {
		buf_printf(&line, "%s %s %s", now, level, event);
		while ((k = va_arg(ap, const char *))) {
			const char *v = va_arg(ap, const char *);

			buf_printf(&line, " %s=", k);
			text_value(&line, v ? v : "-");
		}
	}
	va_end(ap);
	buf_putc(&line, '\n');
	/* One write(2): lines from two threads never mix. */
	if (write(STDERR_FILENO, line.ptr, line.len) < 0)
		(void)0;
	buf_release(&line);
}
