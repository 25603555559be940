/*
 * err: error codes and the one error message slot.
 *
 * Every fallible function returns int: 0 on success, a negative MW_E* code on
 * failure, and puts the human message in the slot with err_set() (the way
 * libgit2 pairs return codes with git_error_set()/git_error_last()). The CLI
 * reads the slot once, prints it, and maps the code to an exit code
 * (exit_code_for(), src/cli/exitcode.c). Validators follow the same rule:
 * MW_EINVALID and the message in the slot, not -1 and a message buffer; a
 * plain -1, 0 or bool is for lookups and comparisons, which do not fail.
 * The slot is thread-local; it holds the last message set on this thread
 * only.
 */
#ifndef MW_UTIL_ERR_H
#define MW_UTIL_ERR_H

enum mw_error {
	MW_OK = 0,
	MW_EUSAGE = -2, /* bad command line */
	MW_EIO = -3, /* file system */
	MW_EINVALID = -4, /* desired state or policy documents are invalid */
	MW_EGIT = -5, /* repository, ref or tree problems */
	MW_ECONFIG = -6, /* account, credentials, URL */
	MW_ENET = -7, /* transport failure after retries */
	MW_EAPI = -8, /* the API answered an error or garbage */
	MW_ECONSISTENCY = -9, /* live listing contradicts itself */
	MW_EAMBIGUOUS = -10, /* desired and live cannot be matched safely */
	MW_EPLAN = -11, /* a plan file is malformed or tampered with */
	MW_ESTALE = -12, /* live state changed since the plan was made */
	MW_EDENIED = -13, /* a policy denies the plan */
	MW_ECANCELLED = -15, /* the user declined */
	MW_ELOCKED = -16, /* another run holds a lock */
	MW_ENOMEM = -17, /* a library could not allocate */
	MW_ETIMEOUT = -18, /* a deadline passed (a clone or fetch that would not end) */
};

/*
 * Set the message for `code` and return `code`, so that failures read
 * `return err_set(MW_EIO, "cannot read '%s': %s", path, strerror(errno));`.
 * The message is formatted with vsnprintf and truncated at 4 KiB.
 */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Prefix the current message with a context, as in "loading plan 'p.json': ".
 * Returns `code` like err_set(). Does nothing to an empty slot but set it.
 */
int err_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message set on this thread; never NULL (empty when none). Borrowed. */
const char *err_msg(void);

/* The code passed with the last message, or MW_OK. */
int err_code(void);

/* Empty the slot. */
void err_clear(void);

#endif
