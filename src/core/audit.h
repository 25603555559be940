/*
 * audit: the append-only, hash-chained record of what apply did, written
 * ahead of every request.
 *
 * Two JSON lines per operation: an "intent" record (the request about to be
 * sent and the domain's settings before it) that is on disk, fsync(2)ed,
 * before the request is put on the wire (intents of the next few requests
 * are written and synced in one batch), a small "sent" record as it goes,
 * and a "result" record (status, cf-ray, outcome, the settings after) once
 * its answer is in. An operation
 * stopped before it was sent gets only a result, outcome "not_sent". Every
 * record carries `seq` (1, 2, ... through the file) and `prev` ("sha256:"
 * and the SHA-256 of the previous record's line without its newline; the
 * first record's is 64 zeros), so that an edited, removed, reordered or
 * torn record is found by audit_verify().
 *
 * The writer: one write(2) per record; a short or failed write is cut off
 * again (ftruncate to the size before it), so a line is whole or absent. At
 * open, a torn last line left by a crash (no newline, or not JSON) is cut,
 * with a warning naming it, before anything is appended; the chain then
 * continues from the last whole record. The file is opened with
 * O_APPEND|O_NOFOLLOW, must be a regular file (a FIFO or a device is
 * refused without blocking), is created 0600, is refused when group- or
 * world-writable and warned about when wider than 0600, and is locked
 * (util/lock.h) for as long as it is open: one writer at a time.
 * Credentials never reach it: nothing here sees them.
 */
#ifndef MW_CORE_AUDIT_H
#define MW_CORE_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/apply.h"
#include "core/plan.h"
#include "util/buf.h"

struct audit;

/* What every record of one apply run shares; borrowed for the log's life. */
struct audit_context {
	const char *actor;
	const char *run_id;
	const struct plan *plan; /* its kind's revert_of goes into every record */
};

/*
 * Open `path` for appending into `*out`, lock it (waiting up to
 * `lock_timeout_s`), and repair a torn tail. Warnings (a torn line cut, a
 * mode wider than 0600) are appended to `warnings`, one per line, as
 * "FILE:LINE: ..." or "FILE: ...". Fails with MW_EIO naming the file (not a
 * regular file, a symbolic link, group- or world-writable, unreadable, a
 * last record that is not part of a chain), or MW_ELOCKED naming the pid
 * that holds it; the caller then sends nothing.
 */
int audit_open(struct audit **out, const char *path, const struct audit_context *ctx,
	       double lock_timeout_s, struct buf *warnings);

/*
 * Append the intent records of `items` (n of them, in that order) and
 * fsync(2) once: when this returns 0 they are on disk, and each item's
 * intent_seq is set. All or nothing: on failure none stays (the batch is
 * cut off again), intent_seq is 0, and the caller must not send them.
 * Writing the intents of the next few requests in one batch is what keeps
 * the write-ahead cheap (one fsync per batch). Fails with MW_EIO.
 */
int audit_intents(struct audit *a, struct apply_item *const *items, size_t n);

/*
 * The two halves of audit_intents(), so that the intents of the next
 * requests can be written before they are needed and synced meanwhile (by
 * a thread of the log's own): audit_intents_ahead() writes them (all or
 * nothing, as above) and asks for a sync without waiting for it;
 * audit_wait_durable() waits until the record `seq` is on disk. A request
 * is sent only after audit_wait_durable() of its intent returned 0. Fail
 * with MW_EIO (a failed fsync: nothing after the last good one is durable).
 */
int audit_intents_ahead(struct audit *a, struct apply_item *const *items, size_t n);
int audit_wait_durable(struct audit *a, long long seq);

/* audit_intents() of one item. */
int audit_intent(struct audit *a, struct apply_item *item);

/*
 * Append the "sent" record of `item` (its intent_seq, with one write(2),
 * not synced) just before its request is put on the wire: what tells an
 * intent that was sent from one written ahead and never sent, when a crash
 * leaves both without a result. A crash of the machine (not of the
 * process) may lose it. Fails with MW_EIO.
 */
int audit_sent(struct audit *a, const struct apply_item *item);

/*
 * Append the result record of `item` (with one write(2), a short write cut
 * off again). It is synced with the next batch of intents, or at close: a
 * crash of the machine may lose it, and the intent then shows as unknown.
 * Fails with MW_EIO; once a record could not be cut off again, every later
 * call fails.
 */
int audit_result(struct audit *a, const struct apply_item *item);

/* Sync, unlock and close; returns MW_EIO when the sync or close failed. NULL is fine. */
int audit_close(struct audit *a);

/* The body of a record (no seq/prev) for `item`: `event` "intent" or "result". New reference. */
json_t *audit_entry(const struct audit_context *ctx, const struct apply_item *item,
		    const char *event);

/*
 * Test seam: every record goes through this write(2). A unit test may point
 * it at a function that fails or writes short, to prove the rollback.
 */
extern ssize_t (*audit_write_fn)(int fd, const void *buf, size_t len);

/* --- reading and verifying -------------------------------------------- */

/* One finding of audit_verify(), in file order. */
struct audit_finding {
	size_t line; /* 1-based */
	char *message; /* without the "FILE:LINE: " prefix */
};

/*
 * What audit_verify() found. `records` holds every line that is a JSON
 * object, in file order (also past a break, for the history); `broken` is
 * 0 when the chain is whole, else the line of the first record that was
 * changed, removed, reordered or torn; `unknown` lists each intent with no
 * result. `head` is the last record's hash ("sha256:..."), for anchoring.
 */
struct audit_report {
	json_t *records; /* array; each record also gets "_line": its line */
	size_t broken;
	char *broken_why;
	struct audit_finding *unknown;
	size_t n_unknown, unknown_alloc;
	size_t n_records;
	char head[HASH_HEX_SIZE];
};

/*
 * Read and check the audit log at `path` into `out` (release with
 * audit_report_release()). Returns 0 when the file could be read (the
 * report then says whether it is whole), MW_EIO when it cannot be read.
 * Opens the file read-only, without following a link or blocking on a FIFO.
 */
int audit_verify(struct audit_report *out, const char *path);
void audit_report_release(struct audit_report *r);

/* Whether the report shows a whole chain with every intent answered. */
int audit_report_ok(const struct audit_report *r);

#endif
