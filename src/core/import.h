/*
 * import: desired-state YAML written from live state, so that committing it
 * and running plan shows no changes.
 *
 * Only writable fields, in schema-table order, each value written so that
 * the loader reads back exactly that value (quoting by libyaml's emitter,
 * yamldoc.c). A live value that no document could hold (an enum member
 * this version does not know, null where a PATCH may not send null) is left
 * out, as a comment saying why: the field is then unmanaged, and plan does
 * not compare it.
 */
#ifndef MW_CORE_IMPORT_H
#define MW_CORE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/live.h"
#include "util/buf.h"
#include "util/diag.h"

/*
 * The line editors read first, "# yaml-language-server: $schema=URL\n",
 * naming the JSON Schema of the document (`mailward schema`): a URL, or a
 * path relative to the document. Returns 0, or MW_EINVALID (nothing
 * written) unless `url` is printable ASCII without spaces: a line break
 * would end the comment and start a line of the document.
 */
int import_schema_line(struct buf *out, const char *url);

/* The document's head: a comment and account_id, then "domains:". */
void import_header(struct buf *out, const char *account_id);

/*
 * One domain's entry under "domains:" (indented by two), preceded by a
 * comment with its id (escaped, util/esc.h). With `pin`, the entry carries
 * `id:` (for names that more than one live domain share). Fields left out
 * are also reported to `notes` as warnings naming the domain.
 * Returns false, with nothing written and a warning in `notes`, for a live
 * domain whose name no document could declare (not a host name: a space,
 * a control character, '/', "..", ...): it stays unmanaged, and its name
 * never becomes a key or, with --out DIR/, a file name.
 */
bool import_domain(struct buf *out, const struct live_domain *d, bool pin, struct diags *notes);

#endif
