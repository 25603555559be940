#include "harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* valgrind makes start-up slow; plain runs start in milliseconds */
#define START_TIMEOUT_MS 60000

double harness_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The command the sandbox runs under, or NULL: $MAILWARD_SANDBOX_WRAPPER,
 * else memcheck when the project's valgrind test setup is active. */
static const char *wrapper(void)
{
	const char *w = getenv("MAILWARD_SANDBOX_WRAPPER");
	const char *vg = getenv("MAILWARD_VALGRIND");

	if (w && *w)
		return w;
	if (vg && strcmp(vg, "1") == 0)
		return "valgrind --quiet --error-exitcode=99 --leak-check=full "
		       "--errors-for-leak-kinds=definite,indirect "
		       "--show-leak-kinds=definite,indirect";
	return NULL;
}

int harness_wrapped(void)
{
	return wrapper() != NULL;
}

int sandbox_init(struct sandbox *sb)
{
	const char *tmp = getenv("TMPDIR");

	memset(sb, 0, sizeof *sb);
	snprintf(sb->dir, sizeof sb->dir, "%s/mw-sandbox-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sb->dir))
		return -1;
	snprintf(sb->state_path, sizeof sb->state_path, "%s/state.json", sb->dir);
	snprintf(sb->err_path, sizeof sb->err_path, "%s/stderr.txt", sb->dir);
	return 0;
}

int sandbox_write_state(struct sandbox *sb, const json_t *state)
{
	return json_dump_file(state, sb->state_path, JSON_INDENT(2)) == 0 ? 0 : -1;
}

/* argv = wrapper words + binary (+ --state/--listen) + args. The caller
 * frees the array and *words, which holds the wrapper's words. */
static char **build_argv(const char *const *args, int with_state, struct sandbox *sb, char **words)
{
	const char *exe = getenv("MAILWARD_SANDBOX");
	const char *wrap = wrapper();
	size_t n = 0, nargs = 0, nwords = 0;
	char **argv;

	*words = NULL;
	if (!exe)
		return NULL;
	while (args && args[nargs])
		nargs++;
	if (wrap) {
		*words = strdup(wrap);
		if (!*words)
			return NULL;
		for (const char *p = wrap; *p; p++)
			nwords += *p == ' ';
		nwords++;
	}
	argv = calloc(nwords + nargs + 6, sizeof *argv);
	if (!argv)
		return NULL;
	if (wrap) {
		char *save = NULL;

		for (char *w = strtok_r(*words, " ", &save); w; w = strtok_r(NULL, " ", &save))
			argv[n++] = w;
	}
	argv[n++] = (char *)exe;
	if (with_state) {
		argv[n++] = "--state";
		argv[n++] = sb->state_path;
		argv[n++] = "--listen";
		argv[n++] = "127.0.0.1:0";
	}
	for (size_t i = 0; i < nargs; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	return argv;
}

static pid_t spawn(struct sandbox *sb, char **argv, int out_fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		int err = open(sb->err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int devnull = open("/dev/null", O_RDONLY);

		if (err >= 0)
			dup2(err, 2);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(out_fd, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int sandbox_start(struct sandbox *sb, const char *const *args)
{
	int fds[2];
	char *words = NULL, **argv = NULL, line[256];
	size_t got = 0;
	int rc = -1;
	double deadline = harness_now() + START_TIMEOUT_MS / 1000.0;

	if (pipe(fds) != 0)
		return -1;
	argv = build_argv(args, 1, sb, &words);
	if (!argv) {
		fprintf(stderr, "harness: MAILWARD_SANDBOX is not set (or out of memory)\n");
		goto done;
	}
	sb->pid = spawn(sb, argv, fds[1]);
	close(fds[1]);
	fds[1] = -1;
	if (sb->pid < 0) {
		sb->pid = 0;
		goto done;
	}
	/* read exactly one line: the sandbox's readiness report */
	while (got < sizeof line - 1) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		int left = (int)((deadline - harness_now()) * 1000);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			goto done;
		n = read(fds[0], line + got, 1);
		if (n <= 0)
			goto done;
		if (line[got] == '\n')
			break;
		got++;
	}
	line[got] = '\0';
	if (strncmp(line, "listening on http://", 20) != 0 || strlen(line + 13) >= sizeof sb->base)
		goto done;
	memcpy(sb->base, line + 13, strlen(line + 13) + 1);
	snprintf(sb->root, sizeof sb->root, "%s", sb->base);
	{
		char *slash = strchr(sb->root + 7, '/');

		if (slash)
			*slash = '\0';
	}
	snprintf(sb->domains, sizeof sb->domains,
		 "%s/accounts/" TEST_ACCOUNT "/email-security/settings/domains", sb->base);
	rc = 0;
done:
	if (fds[1] >= 0)
		close(fds[1]);
	close(fds[0]);
	free(words);
	free(argv);
	return rc;
}

int sandbox_signal_wait(struct sandbox *sb, int sig)
{
	int status = 0;

	if (!sb->pid)
		return -1;
	kill(sb->pid, sig);
	while (waitpid(sb->pid, &status, 0) < 0 && errno == EINTR)
		;
	sb->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int sandbox_run(struct sandbox *sb, const char *const *args, char **out, char **err)
{
	char *words = NULL, **argv = build_argv(args, 0, sb, &words);
	char out_path[300];
	int fd, status = 0;
	pid_t pid;

	snprintf(out_path, sizeof out_path, "%s/stdout.txt", sb->dir);
	unlink(out_path);
	unlink(sb->err_path);
	fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (!argv || fd < 0) {
		free(words);
		free(argv);
		if (fd >= 0)
			close(fd);
		return -2;
	}
	pid = spawn(sb, argv, fd);
	close(fd);
	free(words);
	free(argv);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (out)
		*out = harness_slurp(out_path);
	if (err)
		*err = harness_slurp(sb->err_path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void sandbox_cleanup(struct sandbox *sb)
{
	if (sb->pid) {
		kill(sb->pid, SIGKILL);
		waitpid(sb->pid, NULL, 0);
		sb->pid = 0;
	}
	if (sb->dir[0] && !getenv("MAILWARD_SANDBOX_KEEP"))
		nftw(sb->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	sb->dir[0] = '\0';
}

char *harness_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *grown = realloc(buf, cap + 65536);

			if (!grown) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

struct growbuf {
	char *data;
	size_t len;
};

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct growbuf *b = ud;
	size_t n = size * nmemb;
	char *grown = realloc(b->data, b->len + n + 1);

	if (!grown)
		return 0;
	memcpy(grown + b->len, ptr, n);
	b->len += n;
	grown[b->len] = '\0';
	b->data = grown;
	return n;
}

void http(struct http_resp *r, const char *method, const char *url, const char *const *headers,
	  const char *body)
{
	CURL *c = curl_easy_init();
	struct curl_slist *list = NULL;
	struct growbuf b = { 0 }, h = { 0 };
	double start = harness_now();

	memset(r, 0, sizeof *r);
	if (!c) {
		r->curl_code = -1;
		return;
	}
	int typed = 0;

	for (size_t i = 0; headers && headers[i]; i++) {
		list = curl_slist_append(list, headers[i]);
		if (strncasecmp(headers[i], "Content-Type:", 13) == 0)
			typed = 1;
	}
	/* never let curl add headers the test did not ask for: no 100-continue,
	 * and no form content type on bodies sent without one */
	list = curl_slist_append(list, "Expect:");
	if (!typed)
		list = curl_slist_append(list, "Content-Type:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	r->curl_code = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->seconds = harness_now() - start;
	r->body = b.data ? b.data : strdup("");
	r->len = b.len;
	r->headers = h.data ? h.data : strdup("");
	r->json = json_loadb(r->body, r->len, 0, NULL);
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
}

void api(struct http_resp *r, const char *method, const char *url, const char *body)
{
	const char *with_body[] = { "Authorization: Bearer " TEST_TOKEN,
				    "Content-Type: application/json", NULL };
	const char *without[] = { "Authorization: Bearer " TEST_TOKEN, NULL };

	http(r, method, url, body ? with_body : without, body);
}

void http_free(struct http_resp *r)
{
	free(r->body);
	free(r->headers);
	json_decref(r->json);
	memset(r, 0, sizeof *r);
}

const char *http_header(const struct http_resp *r, const char *name, char *buf, size_t len)
{
	size_t n = strlen(name);
	const char *line = r->headers;

	while (line && *line) {
		const char *eol = strstr(line, "\r\n");

		if (!eol)
			eol = line + strlen(line);
		if ((size_t)(eol - line) > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;

			while (*v == ' ')
				v++;
			snprintf(buf, len, "%.*s", (int)(eol - v), v);
			return buf;
		}
		line = *eol ? eol + 2 : eol;
	}
	return NULL;
}
