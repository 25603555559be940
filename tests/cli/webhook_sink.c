/*
 * webhook-sink: a minimal HTTP receiver on 127.0.0.1, for the pipeline
 * examples' tests (drift --notify, and the CI glue scripts' API calls).
 *
 *   webhook-sink --out FILE [--log FILE] [--status CODE] [--serve DIR]
 *
 * Binds 127.0.0.1 on a free port and prints one line once ready,
 * "listening on http://127.0.0.1:PORT", then serves until SIGINT/SIGTERM.
 *
 *   POST, PUT, PATCH  the body is appended to --out, then a newline unless it
 *                     ends with one, and answered CODE (default 200) with "{}"
 *   GET, HEAD         with --serve, the file DIR/PATH (the URL path, query
 *                     ignored) is answered 200 as application/json; else 404
 *
 * --log appends, per request, "METHOD PATH", each query argument as
 * "?name=value", every request header as "Name: value", then an empty line: what the tests search
 * for credentials that must never be sent.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>

#define MAX_BODY (4u << 20)

static const char *out_path, *log_path, *serve_dir;
static unsigned int post_status = 200;
static const char not_found[] = "{\"message\":\"404 Not Found\"}";

struct body {
	char *data;
	size_t len;
	int too_big;
};

static void append(const char *path, const char *data, size_t len, int newline)
{
	FILE *f = fopen(path, "ab");

	if (!f) {
		perror(path);
		return;
	}
	fwrite(data, 1, len, f);
	if (newline)
		fputc('\n', f);
	fclose(f);
}

static enum MHD_Result log_header(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	FILE *f = cls;

	(void)kind;
	fprintf(f, "%s: %s\n", key, value ? value : "");
	return MHD_YES;
}

static enum MHD_Result log_arg(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	FILE *f = cls;

	(void)kind;
	fprintf(f, "?%s=%s\n", key, value ? value : "");
	return MHD_YES;
}

static void log_request(struct MHD_Connection *c, const char *method, const char *url)
{
	FILE *f;

	if (!log_path)
		return;
	f = fopen(log_path, "ab");
	if (!f) {
		perror(log_path);
		return;
	}
	fprintf(f, "%s %s\n", method, url);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, log_arg, f);
	MHD_get_connection_values(c, MHD_HEADER_KIND, log_header, f);
	fputc('\n', f);
	fclose(f);
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned int status, const char *text,
			      size_t len, int copy)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, (void *)text, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	MHD_add_response_header(r, "Content-Type", "application/json");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result serve_file(struct MHD_Connection *c, const char *url)
{
	char path[4096];
	struct stat sb;
	char *data;
	size_t n;
	FILE *f;
	enum MHD_Result ret;

	if (!serve_dir || strstr(url, "..") || url[0] != '/')
		return answer(c, 404, not_found, strlen(not_found), 0);
	if ((size_t)snprintf(path, sizeof(path), "%s%s", serve_dir, url) >= sizeof(path) ||
	    stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return answer(c, 404, not_found, strlen(not_found), 0);
	f = fopen(path, "rb");
	if (!f)
		return answer(c, 404, not_found, strlen(not_found), 0);
	data = malloc((size_t)sb.st_size + 1);
	n = data ? fread(data, 1, (size_t)sb.st_size, f) : 0;
	fclose(f);
	if (!data)
		return answer(c, 500, "{}", 2, 0);
	ret = answer(c, 200, data, n, 1);
	free(data);
	return ret;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
				 const char *method, const char *version, const char *upload,
				 size_t *upload_size, void **con_cls)
{
	struct body *b = *con_cls;
	int has_body =
		!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH");

	(void)cls;
	(void)version;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return MHD_NO;
		*con_cls = b;
		log_request(c, method, url);
		return MHD_YES;
	}
	if (*upload_size) {
		if (b->len + *upload_size > MAX_BODY) {
			b->too_big = 1;
		} else {
			char *d = realloc(b->data, b->len + *upload_size + 1);

			if (!d)
				return MHD_NO;
			b->data = d;
			memcpy(b->data + b->len, upload, *upload_size);
			b->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (has_body) {
		if (b->too_big)
			return answer(c, 413, "{}", 2, 0);
		append(out_path, b->data ? b->data : "", b->len,
		       !b->len || b->data[b->len - 1] != '\n');
		return answer(c, post_status, "{}", 2, 0);
	}
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return serve_file(c, url);
	return answer(c, 405, "{}", 2, 0);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct body *b = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (b) {
		free(b->data);
		free(b);
		*con_cls = NULL;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: webhook-sink --out FILE [--log FILE] [--status CODE] "
			"[--serve DIR]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t sigs;
	int sig;

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--out"))
			out_path = argv[++i];
		else if (!strcmp(argv[i], "--log"))
			log_path = argv[++i];
		else if (!strcmp(argv[i], "--serve"))
			serve_dir = argv[++i];
		else if (!strcmp(argv[i], "--status"))
			post_status = (unsigned int)strtoul(argv[++i], NULL, 10);
		else
			usage();
	}
	if (!out_path || post_status < 100 || post_status > 599)
		usage();
	/* Only this thread ever takes SIGINT/SIGTERM: MHD's threads inherit the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = 0;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
			     on_access, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)30, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "webhook-sink: cannot listen on 127.0.0.1\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (!info || !info->port) {
		fprintf(stderr, "webhook-sink: no port\n");
		MHD_stop_daemon(d);
		return 1;
	}
	printf("listening on http://127.0.0.1:%u\n", (unsigned int)info->port);
	fflush(stdout);
	while (sigwait(&sigs, &sig) != 0)
		;
	MHD_stop_daemon(d);
	return 0;
}
