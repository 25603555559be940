/*
 * reqlog: the --log file, one JSON object per line per API request. The
 * server builds each entry (never with credentials in it); reqlog only
 * writes it whole under a mutex, so lines from concurrent requests never
 * interleave, and flushes it so a reader sees complete lines.
 */
#ifndef MAILWARD_SANDBOX_REQLOG_H
#define MAILWARD_SANDBOX_REQLOG_H

#include <jansson.h>
#include <stddef.h>

struct reqlog;

/*
 * Opens path for appending. Returns 0 and the log in *out (the caller
 * closes it with reqlog_close()), or MW_EIO with the message in the error
 * slot.
 */
int reqlog_open(struct reqlog **out, const char *path);

/* Writes entry as one compact JSON line; failures are reported once on stderr. */
void reqlog_write(struct reqlog *log, const json_t *entry);

/* Closes the file and frees log; NULL is fine. */
void reqlog_close(struct reqlog *log);

#endif
