/*
 * lock: one writer at a time, across processes.
 *
 * An exclusive POSIX record lock (fcntl F_SETLK) on a whole file, taken
 * with a deadline: the holder is asked for its pid (F_GETLK) so that a
 * refusal can name it. The kernel drops the lock when the holder exits,
 * however it dies, so a crashed run never leaves a stale lock behind.
 * Record locks belong to the process: closing any descriptor of the file
 * in this process drops them, so a locked file must be opened only once.
 */
#ifndef MW_UTIL_LOCK_H
#define MW_UTIL_LOCK_H

struct lock_file;

/*
 * Take the exclusive lock of the open descriptor `fd`, waiting up to
 * `timeout_s` seconds (0: try once). `what` names the file in messages.
 * Fails with MW_ELOCKED ("'<what>' is locked by pid N ..."), or MW_EIO.
 */
int lock_fd(int fd, const char *what, double timeout_s);

/*
 * Open (creating it 0600, and its folder 0700, as needed; never through a
 * symbolic link) the lock file at `path` and lock it as lock_fd() does;
 * then write our pid into it, for people. `*out` holds the lock until
 * lock_file_release(). Fails with MW_ELOCKED or MW_EIO.
 */
int lock_file_acquire(struct lock_file **out, const char *path, double timeout_s);

/* Drop the lock and close the file (left in place). NULL is fine. */
void lock_file_release(struct lock_file *l);

/*
 * Parse a --lock-timeout value: plain seconds ("30", "1.5") or with a unit
 * ("500ms", "30s", "2m", "1h"). Returns 0 and the seconds in `*out`, or
 * MW_EUSAGE with the reason in the error slot.
 */
int lock_parse_duration(double *out, const char *text);

#endif
