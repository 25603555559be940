#include "import.h"

#include <stdlib.h>

#include "config.h"
#include "core/fields.h"
#include "core/yamldoc.h"
#include "util/err.h"
#include "util/esc.h"

void import_header(struct buf *out, const char *account_id)
{
	buf_printf(out,
		   "# Written by `mailward import` (mailward %s) from the live settings of\n"
		   "# account %s. Only writable settings; a setting left out is unmanaged.\n",
		   MAILWARD_VERSION, account_id);
	buf_printf(out, "account_id: %s\ndomains:\n", account_id);
}

int import_schema_line(struct buf *out, const char *url)
{
	if (!*url)
		return err_set(MW_EINVALID, "the schema URL is empty");
	for (const unsigned char *p = (const unsigned char *)url; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f) {
			struct buf shown = BUF_INIT;
			int rc;

			esc_append(&shown, url, 0);
			rc = err_set(MW_EINVALID,
				     "the schema URL '%s' must be printable ASCII without spaces "
				     "(percent-encode the rest)",
				     shown.ptr);
			buf_release(&shown);
			return rc;
		}
	}
	buf_printf(out, "# yaml-language-server: $schema=%s\n", url);
	return 0;
}

/*
 * A comment holds one line of text a terminal shows as is: line breaks
 * (U+2028 and U+2029 are line breaks to YAML 1.1, and would end the
 * comment and start a document line), other controls and bidi overrides
 * become visible escapes (util/esc.h).
 */
static void comment_text(struct buf *out, const char *s)
{
	esc_append(out, s, 0);
}

bool import_domain(struct buf *out, const struct live_domain *d, bool pin, struct diags *notes)
{
	struct buf key = BUF_INIT;
	char *checked = NULL;
	json_t *name;

	if (fields_normalize_domain(&checked, d->name, true) < 0) {
		diags_add(notes, DIAG_WARNING, d->name, 0, 0,
			  "skipped live domain %s: no document can declare it (%s); it stays "
			  "unmanaged",
			  d->id, err_msg());
		return false;
	}
	free(checked);
	name = json_string(d->name);

	buf_puts(out, "  # id ");
	comment_text(out, d->id);
	buf_putc(out, '\n');
	ydoc_format_flow(&key, name);
	buf_printf(out, "  %s:\n", key.ptr);
	if (pin) {
		json_t *id = json_string(d->id);

		buf_puts(out, "    id: ");
		ydoc_format_flow(out, id);
		buf_putc(out, '\n');
		json_decref(id);
	}
	for (size_t i = 0; i < fields_count; i++) {
		const struct field *f = &fields_table[i];
		json_t *v = (f->flags & FIELD_WRITABLE) ? live_domain_value(d, f) : NULL;
		struct buf text = BUF_INIT;
		long bad;

		if (!v)
			continue;
		if (fields_check(f, v, &bad) < 0 || ydoc_format_flow(&text, v) < 0) {
			const char *why = err_msg();
			struct buf shown = BUF_INIT;

			fields_format_value(&shown, v);
			buf_printf(out, "    # %s left out (unmanaged): live value ", f->name);
			comment_text(out, shown.ptr);
			buf_puts(out, ": ");
			comment_text(out, why);
			buf_putc(out, '\n');
			diags_add(notes, DIAG_WARNING, d->name, 0, 0, "%s left out (unmanaged): %s",
				  f->name, why);
			buf_release(&shown);
		} else {
			buf_printf(out, "    %s: %s\n", f->name, text.ptr);
		}
		json_decref(v);
		buf_release(&text);
	}
	buf_release(&key);
	json_decref(name);
	return true;
}
