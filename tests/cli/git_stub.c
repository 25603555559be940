/*
 * git-stub: a git server on a loopback address, for the end-to-end tests of
 * where git credentials go and how long a fetch may wait (tests/cli/git_*.sh).
 *
 *   git-stub --listen ADDR [--git-root DIR] [--redirect-to URL] [--require-auth]
 *            [--silent-file FILE] [--log FILE] [--gzip-file FILE]
 *
 * Binds ADDR (127.0.0.1, 127.0.0.2, ...: loopback only) on a free port,
 * prints "listening on http://ADDR:PORT" once ready, then serves until
 * SIGTERM, one connection at a time per thread, one request per connection:
 *
 *   --log FILE         appends "METHOD PATH" and "Authorization: VALUE" (or
 *                      "Authorization: (none)") per request
 *   --redirect-to URL  answers every request 302, Location URL + the path
 *   --require-auth     answers 401 (WWW-Authenticate: Basic) without an
 *                      Authorization header
 *   --silent-file F    while F exists, sends the headers of a smart HTTP
 *                      answer, then nothing until the client goes away
 *   --git-root DIR     else serves the repositories under DIR with
 *                      `git http-backend` (smart HTTP, read only)
 *   --gzip-file FILE   else answers 200 with FILE as the body, sent with
 *                      Content-Encoding: gzip (for an API answer that is a
 *                      gzip bomb)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_HEAD (64u << 10)
#define MAX_BODY (16u << 20)
/* A client that sends nothing for this long is gone. */
#define IDLE_MS 30000

static const char *listen_addr, *git_root, *redirect_to, *silent_file, *log_path, *gzip_file;
static int require_auth;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

struct request {
	char method[16];
	char target[4096];
	char auth[1024];
	char content_type[256];
	char *body;
	size_t body_len;
};

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* recv with a bound on idleness; <= 0 when the peer is gone or silent. */
static ssize_t recv_some(int fd, char *p, size_t n)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	if (poll(&pfd, 1, IDLE_MS) <= 0)
		return -1;
	return recv(fd, p, n, 0);
}

static void header_value(const char *head, const char *name, char *out, size_t size)
{
	size_t len = strlen(name);

	out[0] = '\0';
	for (const char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
		const char *h = line + 2;

		if (!strncasecmp(h, name, len) && h[len] == ':') {
			const char *v = h + len + 1;
			size_t n;

			while (*v == ' ')
				v++;
			n = strcspn(v, "\r\n");
			snprintf(out, size, "%.*s", (int)n, v);
			return;
		}
	}
}

static int read_request(int fd, struct request *r)
{
	char *buf = malloc(MAX_HEAD + 1);
	size_t len = 0, head_len, want = 0;
	char *end = NULL, length[32];

	memset(r, 0, sizeof(*r));
	if (!buf)
		return -1;
	while (!end) {
		ssize_t n;

		if (len >= MAX_HEAD)
			goto fail;
		n = recv_some(fd, buf + len, MAX_HEAD - len);
		if (n <= 0)
			goto fail;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	head_len = (size_t)(end - buf) + 4;
	end[2] = '\0';
	if (sscanf(buf, "%15s %4095s", r->method, r->target) != 2)
		goto fail;
	header_value(buf, "Authorization", r->auth, sizeof(r->auth));
	header_value(buf, "Content-Type", r->content_type, sizeof(r->content_type));
	header_value(buf, "Content-Length", length, sizeof(length));
	want = (size_t)strtoul(length, NULL, 10);
	if (want > MAX_BODY)
		goto fail;
	r->body = malloc(want + 1);
	if (!r->body)
		goto fail;
	r->body_len = len - head_len < want ? len - head_len : want;
	memcpy(r->body, buf + head_len, r->body_len);
	while (r->body_len < want) {
		ssize_t n = recv_some(fd, r->body + r->body_len, want - r->body_len);

		if (n <= 0)
			goto fail;
		r->body_len += (size_t)n;
	}
	free(buf);
	return 0;
fail:
	free(buf);
	free(r->body);
	r->body = NULL;
	return -1;
}

static void log_request(const struct request *r)
{
	FILE *f;

	if (!log_path)
		return;
	pthread_mutex_lock(&log_lock);
	f = fopen(log_path, "a");
	if (f) {
		fprintf(f, "%s %s\nAuthorization: %s\n", r->method, r->target,
			r->auth[0] ? r->auth : "(none)");
		fclose(f);
	}
	pthread_mutex_unlock(&log_lock);
}

static void answer(int fd, const char *status, const char *headers, const char *body,
		   size_t body_len)
{
	char head[2048];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, headers, body_len);

	if (send_all(fd, head, (size_t)n) == 0 && body_len)
		send_all(fd, body, body_len);
}

/* Headers and then nothing, until the client gives up. */
static void go_silent(int fd)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: application/x-git-upload-pack-advertisement\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n";
	char sink[4096];

	send_all(fd, head, sizeof(head) - 1);
	while (recv_some(fd, sink, sizeof(sink)) > 0)
		;
}

/* Run `git http-backend` (CGI) for the request; its answer, as HTTP. */
static void serve_git(int fd, const struct request *r)
{
	int in[2], out[2];
	pid_t pid;
	char *cgi = NULL, *p;
	size_t len = 0, cap = 0;
	const char *status = "200 OK";
	char status_buf[64], *headers, *body;
	char path[4096], query[4096];
	size_t plen = strcspn(r->target, "?");

	snprintf(path, sizeof(path), "%.*s", (int)plen, r->target);
	snprintf(query, sizeof(query), "%s", r->target[plen] ? r->target + plen + 1 : "");
	/* The CGI environment, made before fork: the child of a threaded process only execs. */
	char env[10][4200];
	char *envp[11];
	char *args[] = { "git", "http-backend", NULL };
	const char *path_env = getenv("PATH");

	snprintf(env[0], sizeof(env[0]), "GIT_PROJECT_ROOT=%s", git_root);
	snprintf(env[1], sizeof(env[1]), "GIT_HTTP_EXPORT_ALL=1");
	snprintf(env[2], sizeof(env[2]), "REQUEST_METHOD=%s", r->method);
	snprintf(env[3], sizeof(env[3]), "PATH_INFO=%s", path);
	snprintf(env[4], sizeof(env[4]), "QUERY_STRING=%s", query);
	snprintf(env[5], sizeof(env[5]), "CONTENT_TYPE=%s", r->content_type);
	snprintf(env[6], sizeof(env[6]), "CONTENT_LENGTH=%zu", r->body_len);
	snprintf(env[7], sizeof(env[7]), "REMOTE_ADDR=127.0.0.1");
	snprintf(env[8], sizeof(env[8]), "PATH=%s", path_env ? path_env : "/usr/bin:/bin");
	snprintf(env[9], sizeof(env[9]), "GIT_CONFIG_NOSYSTEM=1");
	for (int i = 0; i < 10; i++)
		envp[i] = env[i];
	envp[10] = NULL;
	if (pipe(in) < 0 || pipe(out) < 0)
		return;
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execvpe("git", args, envp);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (r->body_len)
		(void)!write(in[1], r->body, r->body_len);
	close(in[1]);
	for (;;) {
		ssize_t n;

		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 131072;
			cgi = realloc(cgi, cap);
			if (!cgi)
				break;
		}
		n = read(out[0], cgi + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(out[0]);
	waitpid(pid, NULL, 0);
	if (!cgi)
		return;
	cgi[len] = '\0';
	p = strstr(cgi, "\r\n\r\n");
	if (!p) {
		answer(fd, "500 Internal Server Error", "", "", 0);
		free(cgi);
		return;
	}
	*p = '\0';
	body = p + 4;
	headers = cgi;
	/* CGI's "Status: 404 Not Found" is the status line, not a header. */
	if (!strncmp(headers, "Status: ", 8)) {
		size_t n = strcspn(headers + 8, "\r\n");

		snprintf(status_buf, sizeof(status_buf), "%.*s", (int)n, headers + 8);
		status = status_buf;
		headers += 8 + n;
		headers += strspn(headers, "\r\n");
	}
	{
		size_t hlen = strlen(headers);
		char *h = malloc(hlen + 3);

		if (h) {
			snprintf(h, hlen + 3, "%s%s", headers, hlen ? "\r\n" : "");
			answer(fd, status, h, body, len - (size_t)(body - cgi));
			free(h);
		}
	}
	free(cgi);
}

static void serve_gzip(int fd)
{
	FILE *f = fopen(gzip_file, "rb");
	char *data = NULL;
	long n = -1;

	if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (data = malloc((size_t)n + 1)) && fread(data, 1, (size_t)n, f) == (size_t)n)
		answer(fd, "200 OK", "Content-Type: application/json\r\nContent-Encoding: gzip\r\n",
		       data, (size_t)n);
	else
		answer(fd, "500 Internal Server Error", "", "", 0);
	if (f)
		fclose(f);
	free(data);
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	struct request r;
	struct stat st;

	if (read_request(fd, &r) < 0) {
		close(fd);
		return NULL;
	}
	log_request(&r);
	if (redirect_to) {
		char loc[8192];

		snprintf(loc, sizeof(loc), "Location: %s%s\r\n", redirect_to, r.target);
		answer(fd, "302 Found", loc, "", 0);
	} else if (require_auth && !r.auth[0]) {
		answer(fd, "401 Unauthorized", "WWW-Authenticate: Basic realm=\"git\"\r\n", "", 0);
	} else if (silent_file && stat(silent_file, &st) == 0) {
		go_silent(fd);
	} else if (git_root) {
		serve_git(fd, &r);
	} else if (gzip_file) {
		serve_gzip(fd);
	} else {
		answer(fd, "404 Not Found", "", "", 0);
	}
	free(r.body);
	close(fd);
	return NULL;
}

static void usage(void)
{
	fputs("usage: git-stub --listen ADDR [--git-root DIR] [--redirect-to URL] "
	      "[--require-auth] [--silent-file FILE] [--log FILE] [--gzip-file FILE]\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { 0 };
	socklen_t sl = sizeof(sa);
	int fd, one = 1;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--require-auth"))
			require_auth = 1;
		else if (i + 1 >= argc)
			usage();
		else if (!strcmp(a, "--listen"))
			listen_addr = argv[++i];
		else if (!strcmp(a, "--git-root"))
			git_root = argv[++i];
		else if (!strcmp(a, "--redirect-to"))
			redirect_to = argv[++i];
		else if (!strcmp(a, "--silent-file"))
			silent_file = argv[++i];
		else if (!strcmp(a, "--log"))
			log_path = argv[++i];
		else if (!strcmp(a, "--gzip-file"))
			gzip_file = argv[++i];
		else
			usage();
	}
	if (!listen_addr)
		usage();
	sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, listen_addr, &sa.sin_addr) != 1 ||
	    (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "git-stub: --listen '%s' is not a loopback address\n", listen_addr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("git-stub");
		return 1;
	}
	printf("listening on http://%s:%d\n", listen_addr, ntohs(sa.sin_port));
	fflush(stdout);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		pthread_t t;

		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("git-stub: accept");
			return 1;
		}
		if (pthread_create(&t, NULL, serve, (void *)(long)c) != 0) {
			close(c);
			continue;
		}
		pthread_detach(t);
	}
}
