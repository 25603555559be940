/*
 * fsutil: whole-file reads and crash-safe writes.
 */
#ifndef MW_UTIL_FSUTIL_H
#define MW_UTIL_FSUTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Read the file at `path` into `*out` (NUL-terminated, owned by the caller),
 * its length in `*len`. Refuses files over `max` bytes (0: no limit).
 * Fails with MW_EIO and a message naming the file.
 */
int fs_read_file(char **out, size_t *len, const char *path, size_t max);

/*
 * Replace the file at `path` with `len` bytes of `data`, so that a reader
 * never sees half a file: written to a fresh mkstemp(3) file in the same
 * folder (an unpredictable name, created exclusively), fsynced, given
 * `mode` less the umask (also when an existing file had another mode),
 * then renamed over `path` and the folder fsynced. A symbolic link at
 * `path` is replaced by the file, never followed. "-" writes to standard
 * output instead. Fails with MW_EIO and a message naming the file; the
 * temporary file is removed on failure.
 */
int fs_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/*
 * fs_write_atomic(), but only where nothing is: a file, a folder or a link
 * (dangling or not) at `path` when the file is put there is left as it was,
 * and the call fails with MW_EIO ("'PATH' exists: it was not replaced").
 * A check made before cannot promise that; this does, in one step.
 */
int fs_write_new(const char *path, const void *data, size_t len, unsigned mode);

/* mkdir -p with `mode` for the directories it creates. */
int fs_mkdirs(const char *path, unsigned mode);

/* Whether `path` names an existing directory (following links). */
bool fs_is_dir(const char *path);

#endif
