/*
 * standalone: run a fuzz target over files, without libFuzzer.
 *
 * Like libgit2's fuzzers/standalone_driver.c: every argument is a file or a
 * directory, and every regular file found (directories are read one level
 * deep, in name order, skipping dot files and README*) is handed whole to
 * LLVMFuzzerTestOneInput() in a buffer of exactly its size, so that a
 * sanitizer sees an overread. The empty input runs first, as with libFuzzer.
 *
 * Each input runs in a child process, so that one failing input (the target
 * aborts on a broken check; a sanitizer, LeakSanitizer included, reports
 * and exits) does not hide the others: the driver lists every input that
 * failed and exits non-zero if any did. An argument that cannot be read is a
 * failure too, so that a wrong path never passes. As with libFuzzer's
 * -timeout, an input that takes more than MW_FUZZ_REPLAY_TIMEOUT seconds of
 * CPU time (default 5, ten times that under `meson test --setup valgrind`;
 * 0: no limit) fails: a parser that can be made to work for minutes is a
 * bug. MW_FUZZ_REPLAY_FORK=0 runs the inputs in this process instead (for a
 * debugger, and by default under valgrind, whose children are silent),
 * stopping at the first failure.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

static unsigned replay_timeout = 5;
static bool use_fork = true;
static const char *volatile current = "(the empty input)";

static void on_timeout(int sig)
{
	static const char msg[] = "fuzz-replay: timeout: an input took too much CPU time: ";

	(void)sig;
	/* Only async-signal-safe calls here. */
	if (write(2, msg, sizeof(msg) - 1) < 0 || write(2, current, strlen(current)) < 0 ||
	    write(2, "\n", 1) < 0)
		abort();
	abort();
}

static void configure(void)
{
	const char *env = getenv("MW_FUZZ_REPLAY_TIMEOUT");
	const char *fork_env = getenv("MW_FUZZ_REPLAY_FORK");
	struct sigaction sa;

	if (env && *env)
		replay_timeout = (unsigned)strtoul(env, NULL, 10);
	else if (getenv("MAILWARD_VALGRIND"))
		replay_timeout *= 10;
	/* Under valgrind, children are silent (tests/valgrind.sh): stay here. */
	if (fork_env && *fork_env)
		use_fork = strcmp(fork_env, "0") != 0;
	else
		use_fork = !getenv("MAILWARD_VALGRIND");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timeout;
	sigaction(SIGPROF, &sa, NULL);
}

static void run_here(const char *name, const uint8_t *data, size_t len)
{
	struct itimerval on = { { 0, 0 }, { (time_t)replay_timeout, 0 } };
	struct itimerval off = { { 0, 0 }, { 0, 0 } };

	current = name;
	/* CPU time, not wall time: a busy machine does not make a test fail. */
	setitimer(ITIMER_PROF, &on, NULL);
	LLVMFuzzerTestOneInput(data, len);
	setitimer(ITIMER_PROF, &off, NULL);
}

/* Run one input; 0 when it passed. Takes `data` over. */
static int run_input(const char *name, uint8_t *data, size_t len)
{
	pid_t pid;
	int status;

	if (!use_fork) {
		run_here(name, data, len);
		free(data);
		return 0;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "fuzz-replay: cannot fork: %s\n", strerror(errno));
		free(data);
		return -1;
	}
	if (pid == 0) {
		run_here(name, data, len);
		free(data);
		/* exit(), not _exit(): LeakSanitizer checks at exit. */
		exit(0);
	}
	free(data);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		fprintf(stderr, "fuzz-replay: FAILED (signal %d): %s\n", WTERMSIG(status), name);
	else
		fprintf(stderr, "fuzz-replay: FAILED (exit %d): %s\n", WEXITSTATUS(status), name);
	return -1;
}

static int read_file(const char *path, unsigned char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return -1;
	for (;;) {
		size_t got;

		if (n == cap) {
			unsigned char *p;

			cap = cap ? cap * 2 : 4096;
			p = realloc(data, cap);
			if (!p) {
				free(data);
				fclose(f);
				return -1;
			}
			data = p;
		}
		got = fread(data + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* Exactly `n` bytes, so that reading one past the end is caught. */
	*out = malloc(n ? n : 1);
	if (!*out) {
		free(data);
		return -1;
	}
	if (n)
		memcpy(*out, data, n);
	free(data);
	*len = n;
	return 0;
}

struct tally {
	size_t passed, failed;
};

static void run_file(const char *path, struct tally *t)
{
	unsigned char *data;
	size_t len;

	if (read_file(path, &data, &len) < 0) {
		fprintf(stderr, "fuzz-replay: FAILED: cannot read '%s': %s\n", path,
			strerror(errno));
		t->failed++;
		return;
	}
	fprintf(stderr, "fuzz-replay: %s (%zu bytes)\n", path, len);
	if (run_input(path, data, len) < 0)
		t->failed++;
	else
		t->passed++;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_dir(const char *dir, struct tally *t)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, before = t->passed + t->failed;

	if (!d) {
		fprintf(stderr, "fuzz-replay: FAILED: cannot open '%s': %s\n", dir,
			strerror(errno));
		t->failed++;
		return;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strncmp(e->d_name, "README", 6))
			continue;
		if (n == cap) {
			char **p;

			cap = cap ? cap * 2 : 64;
			p = realloc(names, cap * sizeof(*names));
			if (!p)
				abort();
			names = p;
		}
		names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		if (!names[n])
			abort();
		sprintf(names[n], "%s/%s", dir, e->d_name);
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			run_file(names[i], t);
		free(names[i]);
	}
	free(names);
	if (t->passed + t->failed == before) {
		fprintf(stderr, "fuzz-replay: FAILED: no input in '%s'\n", dir);
		t->failed++;
	}
}

int main(int argc, char **argv)
{
	struct tally t = { 0, 0 };
	uint8_t *empty;

	LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
		return 2;
	}
	configure();
	empty = malloc(1);
	if (!empty)
		abort();
	if (run_input("(the empty input)", empty, 0) < 0)
		t.failed++;
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "fuzz-replay: FAILED: cannot read '%s': %s\n", argv[i],
				strerror(errno));
			t.failed++;
		} else if (S_ISDIR(st.st_mode)) {
			run_dir(argv[i], &t);
		} else {
			run_file(argv[i], &t);
		}
	}
	fprintf(stderr, "fuzz-replay: %zu inputs passed, %zu failed\n", t.passed, t.failed);
	printf("%zu passed, %zu failed\n", t.passed, t.failed);
	return t.failed ? 1 : 0;
}
