#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "esc.h"
#include "mem.h"

void diags_release(struct diags *d)
{
	for (size_t i = 0; i < d->nr; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->nr = d->alloc = d->errors = 0;
}

void diags_add(struct diags *d, enum diag_level level, const char *file, int line, int col,
	       const char *fmt, ...)
{
	struct buf msg = BUF_INIT, raw = BUF_INIT;
	struct diag *e;
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(&raw, fmt, ap);
	va_end(ap);
	/*
	 * One problem, one line: a key or value quoted from a document may
	 * hold a line break or an escape sequence that would otherwise forge
	 * a line of output or repaint the terminal.
	 */
	esc_append(&msg, raw.ptr, 0);
	buf_release(&raw);
	ARRAY_GROW(d->v, d->nr + 1, d->alloc);
	e = &d->v[d->nr++];
	e->level = level;
	e->file = xstrdup(file ? file : "");
	e->line = line;
	e->col = col;
	e->msg = buf_detach(&msg, NULL);
	if (level == DIAG_ERROR)
		d->errors++;
}

struct ranked {
	struct diag d;
	size_t rank;
};

static int cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	int c = strcmp(a->d.file, b->d.file);

	if (c)
		return c;
	if (a->d.line != b->d.line)
		return a->d.line < b->d.line ? -1 : 1;
	if (a->d.col != b->d.col)
		return a->d.col < b->d.col ? -1 : 1;
	/* qsort is not stable: equal places keep the order of report. */
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

void diags_sort(struct diags *d)
{
	struct ranked *tmp;

	if (d->nr < 2)
		return;
	tmp = xmalloc(d->nr * sizeof(*tmp));
	for (size_t i = 0; i < d->nr; i++) {
		tmp[i].d = d->v[i];
		tmp[i].rank = i;
	}
	if (d->nr > 1)
		qsort(tmp, d->nr, sizeof(*tmp), cmp_ranked);
	for (size_t i = 0; i < d->nr; i++)
		d->v[i] = tmp[i].d;
	free(tmp);
}

void diags_print(const struct diags *d, FILE *out)
{
	for (size_t i = 0; i < d->nr; i++) {
		const struct diag *e = &d->v[i];
		const char *lvl = e->level == DIAG_WARNING ? "warning: " : "";
		/* A file name comes from a repository: it may hold anything but '/'. */
		char *file = esc_str(e->file);
		/*
		 * A CI runner reads a line that begins with "::" as a workflow
		 * command ("::add-mask::", "::stop-commands::"): a name at the
		 * root that begins with ':' is shown as "./NAME".
		 */
		const char *dot = file[0] == ':' ? "./" : "";

		if (e->line > 0)
			fprintf(out, "%s%s:%d:%d: %s%s\n", dot, file, e->line, e->col, lvl, e->msg);
		else if (e->file[0])
			fprintf(out, "%s%s: %s%s\n", dot, file, lvl, e->msg);
		else
			fprintf(out, "%s%s\n", lvl, e->msg);
		free(file);
	}
}
