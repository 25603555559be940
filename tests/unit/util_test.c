/*
 * util_test: buf, diag, err, esc, hash, suggest, fsutil, timeutil, lock, num.
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/diag.h"
#include "util/err.h"
#include "util/esc.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/lock.h"
#include "util/mem.h"
#include "util/num.h"
#include "util/suggest.h"
#include "util/timeutil.h"

/* --- buf ---------------------------------------------------------------- */

static void buf_empty_is_a_string_that_owns_nothing(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_non_null(b.ptr);
	assert_string_equal(b.ptr, "");
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	/* Adding nothing allocates nothing. */
	buf_add(&b, "x", 0);
	buf_puts(&b, "");
	assert_ptr_equal(b.ptr, buf_empty_);
	buf_release(&b);
	assert_ptr_equal(b.ptr, buf_empty_);
}

static void buf_adds_and_stays_nul_terminated(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_puts(&b, "abc");
	buf_putc(&b, '-');
	buf_add(&b, "xyz123", 3);
	buf_printf(&b, "/%d/%s", 42, "end");
	assert_string_equal(b.ptr, "abc-xyz/42/end");
	assert_int_equal(b.len, strlen("abc-xyz/42/end"));
	assert_true(b.len < b.cap);
	assert_int_equal(b.ptr[b.len], '\0');
	buf_release(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
}

static void buf_grows_past_many_doublings(void **state)
{
	struct buf b = BUF_INIT;
	char big[5000];

	(void)state;
	memset(big, 'q', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 100; i++)
		buf_puts(&b, big);
	assert_int_equal(b.len, 100 * (sizeof(big) - 1));
	assert_int_equal(strlen(b.ptr), b.len);
	/* A printf longer than the first allocation. */
	buf_truncate(&b, 0);
	buf_printf(&b, "%s|%s", big, big);
	assert_int_equal(b.len, 2 * (sizeof(big) - 1) + 1);
	assert_int_equal(b.ptr[sizeof(big) - 1], '|');
	buf_release(&b);
}

static void buf_truncate_never_grows(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_puts(&b, "hello world");
	buf_truncate(&b, 5);
	assert_string_equal(b.ptr, "hello");
	buf_truncate(&b, 50);
	assert_string_equal(b.ptr, "hello");
	assert_int_equal(b.len, 5);
	buf_release(&b);
	/* Truncating an empty buf is harmless. */
	buf_truncate(&b, 0);
	assert_string_equal(b.ptr, "");
}

static void buf_detach_hands_over_and_reinitialises(void **state)
{
	struct buf b = BUF_INIT;
	size_t len = 99;
	char *s;

	(void)state;
	buf_puts(&b, "payload");
	s = buf_detach(&b, &len);
	assert_string_equal(s, "payload");
	assert_int_equal(len, 7);
	assert_ptr_equal(b.ptr, buf_empty_);
	assert_int_equal(b.len, 0);
	free(s);
	/* An empty buf detaches as a new, freeable empty string. */
	s = buf_detach(&b, NULL);
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_ptr_not_equal(s, buf_empty_);
	free(s);
}

static void buf_keeps_embedded_nuls(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_add(&b, "a\0b", 3);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.ptr, "a\0b", 4);
	buf_release(&b);
}

/* --- diag --------------------------------------------------------------- */

static void diag_print_formats(void **state)
{
	struct diags d = DIAGS_INIT;
	char *text;

	(void)state;
	diags_add(&d, DIAG_ERROR, "a.yaml", 3, 7, "bad %s", "thing");
	diags_add(&d, DIAG_WARNING, "a.yaml", 1, 1, "careful");
	diags_add(&d, DIAG_ERROR, "b.yaml", 0, 0, "whole file");
	diags_add(&d, DIAG_ERROR, NULL, 0, 0, "no file at all");
	assert_int_equal(d.nr, 4);
	assert_int_equal(d.errors, 3);
	text = tu_diags_text(&d);
	assert_string_equal(text, "a.yaml:3:7: bad thing\n"
				  "a.yaml:1:1: warning: careful\n"
				  "b.yaml: whole file\n"
				  "no file at all\n");
	free(text);
	diags_release(&d);
	assert_int_equal(d.nr, 0);
	assert_int_equal(d.errors, 0);
	assert_null(d.v);
	/* Released diags can be used again. */
	diags_add(&d, DIAG_ERROR, "c.yaml", 1, 2, "again");
	assert_int_equal(d.errors, 1);
	diags_release(&d);
}

static void diag_sort_by_file_line_col_stably(void **state)
{
	struct diags d = DIAGS_INIT;
	char *text;

	(void)state;
	diags_add(&d, DIAG_ERROR, "b.yaml", 1, 1, "b1");
	diags_add(&d, DIAG_ERROR, "a.yaml", 10, 1, "a10");
	diags_add(&d, DIAG_ERROR, "a.yaml", 2, 5, "a2-5 first");
	diags_add(&d, DIAG_ERROR, "a.yaml", 2, 3, "a2-3");
	diags_add(&d, DIAG_ERROR, "a.yaml", 2, 5, "a2-5 second");
	/* Many equal places: qsort alone would not keep them in order. */
	for (int i = 0; i < 40; i++)
		diags_add(&d, DIAG_WARNING, "c.yaml", 4, 4, "same place %02d", i);
	diags_sort(&d);
	assert_string_equal(d.v[0].msg, "a2-3");
	assert_string_equal(d.v[1].msg, "a2-5 first");
	assert_string_equal(d.v[2].msg, "a2-5 second");
	assert_string_equal(d.v[3].msg, "a10");
	assert_string_equal(d.v[4].msg, "b1");
	for (int i = 0; i < 40; i++) {
		char want[64];

		snprintf(want, sizeof(want), "same place %02d", i);
		assert_string_equal(d.v[5 + i].msg, want);
	}
	assert_int_equal(d.errors, 5);
	text = tu_diags_text(&d);
	assert_true(!strncmp(text, "a.yaml:2:3: a2-3\na.yaml:2:5: a2-5 first\n", 40));
	free(text);
	diags_release(&d);
}

/* --- err ---------------------------------------------------------------- */

static void err_set_returns_code_and_keeps_message(void **state)
{
	(void)state;
	err_clear();
	assert_string_equal(err_msg(), "");
	assert_int_equal(err_code(), MW_OK);
	assert_int_equal(err_set(MW_EIO, "cannot read '%s'", "x.yaml"), MW_EIO);
	assert_string_equal(err_msg(), "cannot read 'x.yaml'");
	assert_int_equal(err_code(), MW_EIO);
	assert_int_equal(err_wrap(MW_EPLAN, "loading plan '%s': ", "p.json"), MW_EPLAN);
	assert_string_equal(err_msg(), "loading plan 'p.json': cannot read 'x.yaml'");
	assert_int_equal(err_code(), MW_EPLAN);
	err_clear();
	assert_string_equal(err_msg(), "");
	assert_int_equal(err_code(), MW_OK);
	/* Wrapping an empty slot just sets the prefix. */
	err_wrap(MW_EIO, "context: ");
	assert_string_equal(err_msg(), "context: ");
	err_clear();
}

static void err_truncates_long_messages_safely(void **state)
{
	char *big = xmalloc(10000);

	(void)state;
	memset(big, 'm', 9999);
	big[9999] = '\0';
	err_set(MW_EIO, "%s", big);
	assert_int_equal(strlen(err_msg()), 4095);
	err_wrap(MW_EIO, "prefix: ");
	assert_int_equal(strlen(err_msg()), 4095);
	assert_true(!strncmp(err_msg(), "prefix: mmm", 11));
	err_wrap(MW_EIO, "%s", big);
	assert_int_equal(strlen(err_msg()), 4095);
	free(big);
	err_clear();
}

static void *set_in_thread(void *arg)
{
	(void)arg;
	err_set(MW_ENET, "from the other thread");
	return NULL;
}

static void err_slot_is_thread_local(void **state)
{
	pthread_t t;

	(void)state;
	err_set(MW_EAPI, "main thread");
	assert_int_equal(pthread_create(&t, NULL, set_in_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_string_equal(err_msg(), "main thread");
	assert_int_equal(err_code(), MW_EAPI);
	err_clear();
}

/* --- hash --------------------------------------------------------------- */

static void hash_known_vectors(void **state)
{
	char hex[HASH_HEX_SIZE];
	unsigned char raw[32];

	(void)state;
	hash_sha256_hex(hex, "", 0);
	assert_string_equal(
		hex, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hash_sha256_hex(hex, "abc", 3);
	assert_string_equal(
		hex, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(strlen(hex), HASH_HEX_SIZE - 1);
	hash_sha256(raw, "abc", 3);
	assert_int_equal(raw[0], 0xba);
	assert_int_equal(raw[31], 0xad);
	/* Bytes after a NUL count. */
	hash_sha256_hex(hex, "a\0b", 3);
	assert_string_not_equal(
		hex, "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
}

/* --- suggest ------------------------------------------------------------ */

static void suggest_distance_counts_edits_and_swaps(void **state)
{
	(void)state;
	assert_int_equal(suggest_distance("kitten", "sitting"), 3);
	assert_int_equal(suggest_distance("", "abc"), 3);
	assert_int_equal(suggest_distance("abc", ""), 3);
	assert_int_equal(suggest_distance("same", "same"), 0);
	assert_int_equal(suggest_distance("plna", "plan"), 1);
	assert_int_equal(suggest_distance("Lookback_Hops", "lookback_hops"), 0);
	assert_int_equal(suggest_distance("ab", "ba"), 1);
}

static void suggest_closest_only_when_close(void **state)
{
	static const char *const names[] = {
		"allowed_delivery_modes",
		"drop_dispositions",
		"lookback_hops",
		"regions",
		"id",
		"absent",
		NULL,
	};
	static const char *const none[] = { NULL };
	char *huge;

	(void)state;
	assert_string_equal(suggest_closest("lookback_hop", names), "lookback_hops");
	assert_string_equal(suggest_closest("LOOKBACK_HOPS", names), "lookback_hops");
	assert_string_equal(suggest_closest("regoins", names), "regions");
	assert_string_equal(suggest_closest("abesnt", names), "absent");
	assert_string_equal(suggest_closest("ix", names), "id");
	assert_null(suggest_closest("colour", names));
	assert_null(suggest_closest("lookback", names));
	assert_null(suggest_closest("anything", none));
	huge = xmalloc(1000);
	memset(huge, 'r', 999);
	huge[999] = '\0';
	assert_null(suggest_closest(huge, names));
	free(huge);
}

/* --- esc ---------------------------------------------------------------- */

static void expect_esc(const char *in, const char *want)
{
	char *got = esc_str(in);

	assert_string_equal(got, want);
	free(got);
}

static void esc_controls_become_visible(void **state)
{
	(void)state;
	expect_esc("example.com", "example.com");
	expect_esc("", "");
	expect_esc(NULL, "");
	expect_esc("a\nmailward: valid: 0 domains", "a\\nmailward: valid: 0 domains");
	expect_esc("\x1b[2J\x1b]0;t\x07", "\\x1b[2J\\x1b]0;t\\x07");
	expect_esc("\r\t\x01\x1f\x7f", "\\r\\t\\x01\\x1f\\x7f");
	/* C1 controls as code points: U+009B is a one-byte CSI on some terminals. */
	expect_esc("a\xc2\x9b"
		   "2Jb\xc2\x80\xc2\x9f",
		   "a\\u009b2Jb\\u0080\\u009f");
	/* Line and paragraph separators, bidi embeddings, overrides, isolates, marks. */
	expect_esc("x\xe2\x80\xa8y\xe2\x80\xa9z", "x\\u2028y\\u2029z");
	expect_esc("\xe2\x80\xaa\xe2\x80\xae\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8f\xd8\x9c",
		   "\\u202a\\u202e\\u2066\\u2069\\u200f\\u061c");
}

static void esc_keeps_text_and_marks_invalid_utf8(void **state)
{
	(void)state;
	/* Printable non-ASCII and the backslash stay as they are. */
	expect_esc("b\xc3\xbc"
		   "cher.de \xe2\x9c\x93 \\x41",
		   "b\xc3\xbc"
		   "cher.de \xe2\x9c\x93 \\x41");
	expect_esc("\xc2\xa0\xe2\x80\xaf\xf0\x9f\x98\x80", "\xc2\xa0\xe2\x80\xaf\xf0\x9f\x98\x80");
	/* Invalid bytes, overlong forms, surrogates, truncated sequences. */
	expect_esc("a\xff"
		   "b",
		   "a\\xff"
		   "b");
	expect_esc("\xc0\x8a", "\\xc0\\x8a");
	expect_esc("\xe0\x80\x8a", "\\xe0\\x80\\x8a");
	expect_esc("\xed\xa0\x80", "\\xed\\xa0\\x80");
	expect_esc("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	expect_esc("end\xe2\x80", "end\\xe2\\x80");
	/* An overlong ESC must not decode to ESC and slip through as a byte. */
	expect_esc("\xc1\x9b", "\\xc1\\x9b");
}

static void esc_is_idempotent_and_keeps_continuation_lines(void **state)
{
	struct buf b = BUF_INIT;
	char *once = esc_str("\x1b\n\xe2\x80\xa8\xff");
	char *twice = esc_str(once);

	(void)state;
	assert_string_equal(once, twice);
	free(once);
	free(twice);
	esc_append(&b, "stale (2 domains):\n  a.example (1)\n  b\nforged\n\x1b",
		   ESC_KEEP_CONTINUATION);
	assert_string_equal(b.ptr, "stale (2 domains):\n  a.example (1)\n  b\\nforged\\n\\x1b");
	buf_release(&b);
}

static void diag_escapes_messages_and_file_names(void **state)
{
	struct diags d = DIAGS_INIT;
	char *text;

	(void)state;
	diags_add(&d, DIAG_ERROR, "dir/\x1b[31mx\n.yaml", 2, 3, "unknown setting '%s'",
		  "a\xe2\x80\xa8"
		  "b");
	text = tu_diags_text(&d);
	assert_string_equal(text, "dir/\\x1b[31mx\\n.yaml:2:3: unknown setting 'a\\u2028b'\n");
	free(text);
	diags_release(&d);
}

/* --- fsutil ------------------------------------------------------------- */

struct fsfx {
	char *dir;
	char *data;
	char *path;
};

static int fs_setup(void **state)
{
	struct fsfx *fx = xcalloc(1, sizeof(*fx));

	fx->dir = tu_tmpdir();
	*state = fx;
	return fx->dir ? 0 : -1;
}

static int fs_teardown(void **state)
{
	struct fsfx *fx = *state;

	tu_rmtree(fx->dir);
	free(fx->data);
	free(fx->path);
	free(fx);
	return 0;
}

static void fs_read_missing_names_the_file(void **state)
{
	struct fsfx *fx = *state;
	size_t len = 5;

	fx->path = xasprintf("%s/nope.yaml", fx->dir);
	assert_int_equal(fs_read_file(&fx->data, &len, fx->path, 0), MW_EIO);
	assert_null(fx->data);
	assert_int_equal(len, 0);
	assert_contains(err_msg(), "cannot open '");
	assert_contains(err_msg(), "nope.yaml': No such file or directory");
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void fs_write_then_read_roundtrip(void **state)
{
	struct fsfx *fx = *state;
	static const char bytes[] = "line one\n\0binary\xff\n";
	size_t len = 0;
	struct stat st;
	mode_t mask;

	fx->path = xasprintf("%s/plan.json", fx->dir);
	mask = umask(022);
	umask(mask);
	assert_int_equal(fs_write_atomic(fx->path, bytes, sizeof(bytes) - 1, 0600), 0);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600 & ~mask);
	assert_int_equal(fs_read_file(&fx->data, &len, fx->path, 0), 0);
	assert_int_equal(len, sizeof(bytes) - 1);
	assert_memory_equal(fx->data, bytes, len);
	assert_int_equal(fx->data[len], '\0');
	free(fx->data);
	fx->data = NULL;

	/* Replacing leaves exactly one file, with the new content. */
	assert_int_equal(fs_write_atomic(fx->path, "new", 3, 0644), 0);
	assert_int_equal(fs_read_file(&fx->data, &len, fx->path, 0), 0);
	assert_string_equal(fx->data, "new");
	assert_int_equal(count_entries(fx->dir), 1);
}

static void fs_read_refuses_files_over_the_limit(void **state)
{
	struct fsfx *fx = *state;
	size_t len = 0;
	char *big = xmalloc(200001);

	memset(big, 'x', 200000);
	big[200000] = '\0';
	free(tu_write_file(fx->dir, "big", big));
	free(big);
	fx->path = xasprintf("%s/big", fx->dir);
	assert_int_equal(fs_read_file(&fx->data, &len, fx->path, 1000), MW_EIO);
	assert_null(fx->data);
	assert_contains(err_msg(), "is larger than 1000 bytes");
	assert_int_equal(fs_read_file(&fx->data, &len, fx->path, 200000), 0);
	assert_int_equal(len, 200000);
	free(fx->data);
	fx->data = NULL;
	assert_int_equal(fs_read_file(&fx->data, &len, fx->path, 0), 0);
	assert_int_equal(len, 200000);
}

static void fs_write_into_missing_dir_fails_cleanly(void **state)
{
	struct fsfx *fx = *state;

	fx->path = xasprintf("%s/no/such/dir/plan.json", fx->dir);
	assert_int_equal(fs_write_atomic(fx->path, "x", 1, 0600), MW_EIO);
	assert_contains(err_msg(), "cannot create a temporary file in '");
	assert_contains(err_msg(), "no/such/dir' for '");
}

/*
 * fs_write_new: what is at the path when the file is put there (a file, or
 * a link planted after any check, dangling or not) stays as it was.
 */
static void fs_write_new_never_replaces(void **state)
{
	struct fsfx *fx = *state;
	char *victim = xasprintf("%s/victim", fx->dir);
	char *dangling = xasprintf("%s/dangling.yaml", fx->dir);
	char *absent = xasprintf("%s/absent", fx->dir);
	size_t len = 0;
	struct stat st;

	free(tu_write_file(fx->dir, "victim", "precious\n"));
	assert_int_equal(fs_write_new(victim, "new", 3, 0644), MW_EIO);
	assert_contains(err_msg(), "victim' exists: it was not replaced");
	assert_int_equal(fs_read_file(&fx->data, &len, victim, 0), 0);
	assert_string_equal(fx->data, "precious\n");
	free(fx->data);
	fx->data = NULL;

	assert_int_equal(symlink(absent, dangling), 0);
	assert_int_equal(fs_write_new(dangling, "new", 3, 0644), MW_EIO);
	assert_int_equal(lstat(dangling, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(absent, &st), -1);
	/* No temporary file is left behind: the victim and the link only. */
	assert_int_equal(count_entries(fx->dir), 2);

	fx->path = xasprintf("%s/fresh.yaml", fx->dir);
	assert_int_equal(fs_write_new(fx->path, "fresh", 5, 0644), 0);
	assert_int_equal(fs_read_file(&fx->data, &len, fx->path, 0), 0);
	assert_string_equal(fx->data, "fresh");
	assert_int_equal(count_entries(fx->dir), 3);
	free(victim);
	free(dangling);
	free(absent);
}

static void fs_write_replaces_a_planted_symlink(void **state)
{
	struct fsfx *fx = *state;
	char *victim = xasprintf("%s/victim", fx->dir);
	char link[256];
	size_t len = 0;
	struct stat st;

	free(tu_write_file(fx->dir, "victim", "precious\n"));
	fx->path = xasprintf("%s/plan.json", fx->dir);
	assert_int_equal(symlink(victim, fx->path), 0);
	assert_int_equal(fs_write_atomic(fx->path, "plan", 4, 0600), 0);
	/* The link is gone, a regular file is in its place, the target untouched. */
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(readlink(fx->path, link, sizeof(link)), -1);
	assert_int_equal(fs_read_file(&fx->data, &len, victim, 0), 0);
	assert_string_equal(fx->data, "precious\n");
	free(fx->data);
	fx->data = NULL;
	assert_int_equal(fs_read_file(&fx->data, &len, fx->path, 0), 0);
	assert_string_equal(fx->data, "plan");
	assert_int_equal(count_entries(fx->dir), 2);
	free(victim);
}

static void fs_write_sets_the_mode_over_an_existing_file(void **state)
{
	struct fsfx *fx = *state;
	struct stat st;
	mode_t mask = umask(022);

	fx->path = xasprintf("%s/plan.json", fx->dir);
	free(tu_write_file(fx->dir, "plan.json", "old"));
	assert_int_equal(chmod(fx->path, 0666), 0);
	assert_int_equal(fs_write_atomic(fx->path, "new", 3, 0600), 0);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* The umask still narrows a wider mode. */
	assert_int_equal(fs_write_atomic(fx->path, "newer", 5, 0666), 0);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	umask(mask);
	assert_int_equal(count_entries(fx->dir), 1);
}

static void fs_write_ignores_a_planted_legacy_temp_name(void **state)
{
	struct fsfx *fx = *state;
	char *victim = xasprintf("%s/victim", fx->dir);
	char *legacy;
	size_t len = 0;

	/* The old predictable name, FILE.tmp.PID, pointing elsewhere. */
	free(tu_write_file(fx->dir, "victim", "precious"));
	fx->path = xasprintf("%s/plan.json", fx->dir);
	legacy = xasprintf("%s.tmp.%ld", fx->path, (long)getpid());
	assert_int_equal(symlink(victim, legacy), 0);
	assert_int_equal(fs_write_atomic(fx->path, "plan", 4, 0600), 0);
	assert_int_equal(fs_read_file(&fx->data, &len, victim, 0), 0);
	assert_string_equal(fx->data, "precious");
	assert_int_equal(count_entries(fx->dir), 3);
	free(legacy);
	free(victim);
}

static void fs_write_refuses_a_folder_name(void **state)
{
	struct fsfx *fx = *state;

	fx->path = xasprintf("%s/", fx->dir);
	assert_int_equal(fs_write_atomic(fx->path, "x", 1, 0600), MW_EIO);
	assert_contains(err_msg(), "not a file name");
	assert_int_equal(count_entries(fx->dir), 0);
}

static void fs_write_dash_is_standard_output(void **state)
{
	struct fsfx *fx = *state;
	size_t len = 0;
	int saved, fd;

	fx->path = xasprintf("%s/stdout", fx->dir);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	assert_int_equal(fs_write_atomic("-", "to stdout\n", 10, 0600), 0);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(fs_read_file(&fx->data, &len, fx->path, 0), 0);
	assert_string_equal(fx->data, "to stdout\n");
	/* No file called "-" appeared. */
	free(fx->path);
	fx->path = xasprintf("%s/-", fx->dir);
	assert_int_equal(access(fx->path, F_OK), -1);
}

static void fs_mkdirs_and_is_dir(void **state)
{
	struct fsfx *fx = *state;
	char *file;

	fx->path = xasprintf("%s/a/b/c", fx->dir);
	assert_false(fs_is_dir(fx->path));
	assert_int_equal(fs_mkdirs(fx->path, 0700), 0);
	assert_true(fs_is_dir(fx->path));
	/* Again: existing directories are fine. */
	assert_int_equal(fs_mkdirs(fx->path, 0700), 0);
	file = tu_write_file(fx->dir, "plain", "x");
	assert_false(fs_is_dir(file));
	assert_int_equal(fs_mkdirs(file, 0700), MW_EIO);
	assert_contains(err_msg(), "is not a directory");
	free(file);
}

/* --- timeutil ----------------------------------------------------------- */

static void time_source_date_epoch_pins_now(void **state)
{
	char out[32];

	(void)state;
	setenv("SOURCE_DATE_EPOCH", "1795779600", 1);
	assert_int_equal(time_now(), 1795779600);
	time_format(out, time_now());
	assert_string_equal(out, "2026-11-27T11:40:00Z");
	time_format_now_ms(out);
	assert_string_equal(out, "2026-11-27T11:40:00.000Z");
	time_format(out, 0);
	assert_string_equal(out, "1970-01-01T00:00:00Z");
}

static void time_bad_source_date_epoch_is_ignored(void **state)
{
	static const char *const bad[] = { "abc", "-5", "12x", "", "1e9" };
	time_t real = time(NULL);

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		setenv("SOURCE_DATE_EPOCH", bad[i], 1);
		assert_true(time_now() >= real);
	}
	unsetenv("SOURCE_DATE_EPOCH");
	assert_true(time_now() >= real);
	setenv("SOURCE_DATE_EPOCH", "1795779600", 1);
}

static void time_mono_does_not_go_back(void **state)
{
	double a, b;

	(void)state;
	a = time_mono();
	b = time_mono();
	assert_true(b >= a);
	assert_true(a > 0);
}

/* --lock-timeout: plain seconds or a number with a unit; nothing else. */
/* --- num ------------------------------------------------------------------- */

static void num_parse_long_is_strict(void **state)
{
	static const char *const bad[] = { "",   " 5", "5 ",  "+5",  "0x10",
					   "5a", "-",  "--5", "1e3", "9223372036854775808",
					   "\t5" };
	long v = 42;

	(void)state;
	assert_true(num_parse_long(&v, "0", 0, 10));
	assert_int_equal(v, 0);
	assert_true(num_parse_long(&v, "-7", -10, 10));
	assert_int_equal(v, -7);
	assert_true(num_parse_long(&v, "007", 0, 10));
	assert_int_equal(v, 7);
	assert_true(num_parse_long(&v, "9223372036854775807", 0, LONG_MAX));
	assert_int_equal(v, LONG_MAX);
	v = 42;
	assert_false(num_parse_long(&v, "11", 0, 10));
	assert_false(num_parse_long(&v, "-1", 0, 10));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (num_parse_long(&v, bad[i], LONG_MIN, LONG_MAX))
			fail_msg("'%s' was read as %ld", bad[i], v);
	assert_int_equal(v, 42);
}

static void lock_durations(void **state)
{
	static const struct {
		const char *text;
		double seconds;
	} good[] = { { "0", 0 },    { "30", 30 },  { "1.5", 1.5 }, { "500ms", 0.5 },
		     { "30s", 30 }, { "2m", 120 }, { "1h", 3600 } };
	static const char *const bad[] = { "",    "soon", "-1",  "+3",  "3x",
					   "2 m", "nan",  "inf", "1e9", "25h" };
	double v;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(lock_parse_duration(&v, good[i].text), 0);
		assert_true(v == good[i].seconds);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (lock_parse_duration(&v, bad[i]) != MW_EUSAGE)
			fail_msg("'%s' was taken as a duration", bad[i]);
	}
}

/* A lock file: created 0600 in folders made 0700, never through a link. */
static void lock_file_is_safe(void **state)
{
	char *dir = tu_tmpdir();
	char *path = xasprintf("%s/locks/a/x.lock", dir);
	char *link = xasprintf("%s/link.lock", dir);
	struct lock_file *l = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(lock_file_acquire(&l, path, 0), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	lock_file_release(l);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(lock_file_acquire(&l, link, 0), MW_EIO);
	assert_null(l);
	free(path);
	free(link);
	tu_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(num_parse_long_is_strict),
		cmocka_unit_test(lock_durations),
		cmocka_unit_test(lock_file_is_safe),
		cmocka_unit_test(buf_empty_is_a_string_that_owns_nothing),
		cmocka_unit_test(buf_adds_and_stays_nul_terminated),
		cmocka_unit_test(buf_grows_past_many_doublings),
		cmocka_unit_test(buf_truncate_never_grows),
		cmocka_unit_test(buf_detach_hands_over_and_reinitialises),
		cmocka_unit_test(buf_keeps_embedded_nuls),
		cmocka_unit_test(diag_print_formats),
		cmocka_unit_test(diag_sort_by_file_line_col_stably),
		cmocka_unit_test(diag_escapes_messages_and_file_names),
		cmocka_unit_test(esc_controls_become_visible),
		cmocka_unit_test(esc_keeps_text_and_marks_invalid_utf8),
		cmocka_unit_test(esc_is_idempotent_and_keeps_continuation_lines),
		cmocka_unit_test(err_set_returns_code_and_keeps_message),
		cmocka_unit_test(err_truncates_long_messages_safely),
		cmocka_unit_test(err_slot_is_thread_local),
		cmocka_unit_test(hash_known_vectors),
		cmocka_unit_test(suggest_distance_counts_edits_and_swaps),
		cmocka_unit_test(suggest_closest_only_when_close),
		cmocka_unit_test_setup_teardown(fs_read_missing_names_the_file, fs_setup,
						fs_teardown),
		cmocka_unit_test_setup_teardown(fs_write_then_read_roundtrip, fs_setup,
						fs_teardown),
		cmocka_unit_test_setup_teardown(fs_read_refuses_files_over_the_limit, fs_setup,
						fs_teardown),
		cmocka_unit_test_setup_teardown(fs_write_into_missing_dir_fails_cleanly, fs_setup,
						fs_teardown),
		cmocka_unit_test_setup_teardown(fs_write_new_never_replaces, fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(fs_write_replaces_a_planted_symlink, fs_setup,
						fs_teardown),
		cmocka_unit_test_setup_teardown(fs_write_sets_the_mode_over_an_existing_file,
						fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(fs_write_ignores_a_planted_legacy_temp_name,
						fs_setup, fs_teardown),
		cmocka_unit_test_setup_teardown(fs_write_refuses_a_folder_name, fs_setup,
						fs_teardown),
		cmocka_unit_test_setup_teardown(fs_write_dash_is_standard_output, fs_setup,
						fs_teardown),
		cmocka_unit_test_setup_teardown(fs_mkdirs_and_is_dir, fs_setup, fs_teardown),
		cmocka_unit_test(time_source_date_epoch_pins_now),
		cmocka_unit_test(time_bad_source_date_epoch_is_ignored),
		cmocka_unit_test(time_mono_does_not_go_back),
	};

	return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
