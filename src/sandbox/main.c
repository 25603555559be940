/*
 * mailward-sandbox: a local stand-in of the Cloudflare Email Security
 * protected-domain API for mailward's tests, demos and benchmarks.
 * This file reads the flags, wires the modules together and waits for
 * SIGINT/SIGTERM; see server.h for how requests are answered.
 */
#include "config.h"
#include "faults.h"
#include "reqlog.h"
#include "server.h"
#include "spec.h"
#include "spec_data.h"
#include "state.h"
#include "stats.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/fsutil.h"
#include "util/mem.h"
#include "util/num.h"

#define PROG "mailward-sandbox"
/* The cf-ray and generated-timestamp seed when --seed is not given. */
#define DEFAULT_SEED 20240101u

struct options {
	const char *state;
	const char *listen;
	const char *token;
	const char *save;
	const char *stats;
	const char *log;
	long latency_ms;
	uint64_t seed;
	const char *rate_limit;
	const char **faults;
	size_t nfaults;
	const char *tls_cert;
	const char *tls_key;
	bool answered; /* --help or --version was printed: nothing more to do */
};

/* Reads a whole PEM file (up to 1 MiB) into *out, owned by the caller.
 * Returns 0, or MW_EIO or MW_EINVALID with the message in the error slot. */
static int read_pem(char **out, const char *path)
{
	char *data = NULL;
	size_t len;
	int rc = fs_read_file(&data, &len, path, 1u << 20);

	*out = NULL;
	if (rc)
		return rc;
	if (!strstr(data, "-----BEGIN ")) {
		free(data);
		return err_set(MW_EINVALID, "'%s' is not a PEM file", path);
	}
	*out = data;
	return 0;
}

static void print_help(void)
{
	printf("usage: " PROG
	       " --state FILE [--listen 127.0.0.1:PORT] [--token TOKEN] [--save FILE]\n"
	       "                        [--latency-ms N] [--fault RULE]... [--rate-limit "
	       "N/SECONDS]\n"
	       "                        [--stats FILE] [--log FILE] [--seed N]\n"
	       "                        [--tls-cert FILE --tls-key FILE]\n"
	       "\n"
	       "A local stand-in of the Cloudflare Email Security protected-domain API\n"
	       "(list, get, PATCH and DELETE under\n"
	       "/client/v4/accounts/{account_id}/email-security/settings/domains). Requests are\n"
	       "validated against the OpenAPI document built into the program.\n"
	       "\n"
	       "  --state FILE          required: the live state to start with,\n"
	       "                        {\"accounts\": {\"<account_id>\": [<Domain>, ...]}}. "
	       "Missing\n"
	       "                        read-only fields are filled in; a missing id becomes a "
	       "UUID\n"
	       "                        derived from SHA-256 of account and domain name.\n"
	       "  --listen ADDR:PORT    loopback address to serve on (default 127.0.0.1:8787);\n"
	       "                        127.0.0.0/8, [::1] or localhost only; port 0 picks a free\n"
	       "                        port. When ready, prints one line on stdout:\n"
	       "                        'listening on http://ADDR:PORT/client/v4'.\n"
	       "  --token TOKEN         the accepted credential: 'Authorization: Bearer TOKEN', "
	       "or\n"
	       "                        'X-Auth-Key: TOKEN' with a non-empty X-Auth-Email. "
	       "Without\n"
	       "                        it any non-empty credential is accepted.\n"
	       "  --tls-cert FILE, --tls-key FILE\n"
	       "                        serve HTTPS with this PEM certificate (chain) and key, so\n"
	       "                        that clients' certificate checks can be exercised; the\n"
	       "                        line printed then says https://.\n"
	       "  --save FILE           on SIGINT/SIGTERM write the state to FILE (pretty JSON, "
	       "the\n"
	       "                        --state format) before exiting 0.\n"
	       "  --latency-ms N        wait N ms before answering every API request (requests "
	       "wait\n"
	       "                        concurrently; 0..600000).\n"
	       "  --rate-limit N/SECS   sliding-window limit of N API requests per SECS seconds;\n"
	       "                        requests over it get 429, Retry-After and code 971. Only\n"
	       "                        admitted requests use up the window. Without it nothing "
	       "is\n"
	       "                        enforced and the Ratelimit headers say q=1200;w=300.\n"
	       "  --stats FILE          on exit write request statistics to FILE as JSON; they "
	       "are\n"
	       "                        also served live at GET /__sandbox/stats and zeroed by\n"
	       "                        POST /__sandbox/reset-stats (no credentials, not "
	       "counted).\n"
	       "  --log FILE            append one JSON line per API request (time, method, path,\n"
	       "                        query, op, status, valid, errors, body, fault); never the\n"
	       "                        credentials.\n"
	       "  --seed N              seed for cf-ray values and generated timestamps (default\n"
	       "                        %u), so runs are reproducible.\n"
	       "%s"
	       "  --version             print the version and exit.\n"
	       "  --help                print this help and exit.\n"
	       "\n"
	       "Answers, in the order requests are checked: 429 code 971 (--rate-limit), 404\n"
	       "code 7003 (unknown route), 405 code 7001 (wrong method), 401 code 10000 (no or\n"
	       "wrong credential), --fault rules, 400 with one error per problem (code 1001 bad\n"
	       "value, 1002 bad or missing body, 1003 wrong content type; source.pointer\n"
	       "'/FIELD' into the body, '' for the whole body, '/query/NAME', '/path/NAME',\n"
	       "'/headers/content-type'), 403 code 9109 (account not in the state), 404 code\n"
	       "1404 (unknown domain id). Every answer has cf-ray, Ratelimit, Ratelimit-Policy\n"
	       "and Content-Type: application/json.\n"
	       "\n"
	       "Statistics (--stats, /__sandbox/stats): {\"requests\": {\"total\", \"list\", "
	       "\"get\",\n"
	       "\"patch\", \"delete\", \"other\"}, \"status\": {\"200\": N, ...}, \"invalid\" "
	       "(answered\n"
	       "400 by validation), \"unauthorized\", \"rate_limited\" (by --rate-limit),\n"
	       "\"faults\", \"dropped\" (connections closed by a drop fault; not in \"status\"),\n"
	       "\"max_in_any_1s\", \"avg_rate\" ((arrivals-1)/(last_at-first_at)),\n"
	       "\"max_concurrent\", \"first_at\", \"last_at\" (unix seconds, null before any "
	       "request)}.\n",
	       DEFAULT_SEED, faults_help());
}

/* Value of flag name at argv[*i], as "--name=V" or "--name V"; NULL if not this flag. */
static const char *flag_value(int argc, char **argv, int *i, const char *name, int *missing)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = 1;
		return NULL;
	}
	(*i)++;
	return argv[*i];
}

/*
 * Fill `o` from the command line. Returns 0 (with o->answered set after
 * --help or --version), or MW_EUSAGE with the message in the error slot.
 */
static int parse_args(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *v;
		int missing = 0;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			print_help();
			o->answered = true;
			return 0;
		}
		if (strcmp(arg, "--version") == 0) {
			printf(PROG " %s\n", MAILWARD_VERSION);
			o->answered = true;
			return 0;
		}
#define FLAG(name) ((v = flag_value(argc, argv, &i, name, &missing)) != NULL)
		if (FLAG("--state")) {
			o->state = v;
		} else if (FLAG("--listen")) {
			o->listen = v;
		} else if (FLAG("--token")) {
			if (!v[0])
				return err_set(MW_EUSAGE, "--token must not be empty");
			o->token = v;
		} else if (FLAG("--save")) {
			o->save = v;
		} else if (FLAG("--tls-cert")) {
			o->tls_cert = v;
		} else if (FLAG("--tls-key")) {
			o->tls_key = v;
		} else if (FLAG("--stats")) {
			o->stats = v;
		} else if (FLAG("--log")) {
			o->log = v;
		} else if (FLAG("--rate-limit")) {
			o->rate_limit = v;
		} else if (FLAG("--latency-ms")) {
			if (!num_parse_long(&o->latency_ms, v, 0, 600000))
				return err_set(MW_EUSAGE,
					       "--latency-ms must be an integer from 0 to 600000, "
					       "not '%s'",
					       v);
		} else if (FLAG("--seed")) {
			char *end = NULL;

			errno = 0;
			o->seed = strtoull(v, &end, 10);
			if (!v[0] || *end || errno || v[0] == '-')
				return err_set(MW_EUSAGE,
					       "--seed must be a non-negative integer, not '%s'",
					       v);
		} else if (FLAG("--fault")) {
			o->faults = xrealloc(o->faults, (o->nfaults + 1) * sizeof(*o->faults));
			o->faults[o->nfaults++] = v;
		} else if (missing) {
			return err_set(MW_EUSAGE, "%s needs a value (see --help)", arg);
		} else {
			return err_set(MW_EUSAGE, "unknown flag '%s' (see --help)", arg);
		}
#undef FLAG
	}
	if (!o->state)
		return err_set(MW_EUSAGE, "--state FILE is required (see --help)");
	if (!o->tls_cert != !o->tls_key)
		return err_set(MW_EUSAGE, "--tls-cert and --tls-key go together (see --help)");
	return 0;
}

int main(int argc, char **argv)
{
	struct options o = { .listen = "127.0.0.1:8787", .seed = DEFAULT_SEED };
	struct spec *sp = NULL;
	struct state *st = NULL;
	struct faults *fl = NULL;
	struct ratelimit *rl = NULL;
	struct stats *stt = NULL;
	struct reqlog *log = NULL;
	struct server *srv = NULL;
	char *cert = NULL, *key = NULL;
	sigset_t sigs;
	int rc = 1, sig = 0;

	/* block the stop signals before any server thread exists, so that they
	 * inherit the mask and only sigwait() below ever sees them; a signal
	 * that comes while a big state loads is answered once serving starts */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (parse_args(argc, argv, &o) < 0)
		goto fail;
	if (o.answered) {
		rc = 0;
		goto done;
	}
	/* check everything that can be wrong with the flags before binding */
	if (server_check_listen(o.listen) != 0)
		goto fail;
	fl = faults_new();
	for (size_t i = 0; i < o.nfaults; i++)
		if (faults_add(fl, o.faults[i]) != 0)
			goto fail;
	if (o.rate_limit) {
		long limit, window;

		if (ratelimit_parse(&limit, &window, o.rate_limit) != 0)
			goto fail;
		rl = ratelimit_new(limit, window);
	}
	if (spec_new(&sp, (const char *)sandbox_spec_json, sandbox_spec_json_len) != 0 ||
	    state_load(&st, o.state, o.seed) != 0)
		goto fail;
	stt = stats_new();
	if (o.log && reqlog_open(&log, o.log) != 0)
		goto fail;
	if (o.tls_cert && (read_pem(&cert, o.tls_cert) != 0 || read_pem(&key, o.tls_key) != 0))
		goto fail;

	{
		struct server_config cfg = {
			.listen = o.listen,
			.token = o.token,
			.latency_ms = o.latency_ms,
			.seed = o.seed,
			.spec = sp,
			.state = st,
			.faults = faults_count(fl) ? fl : NULL,
			.ratelimit = rl,
			.stats = stt,
			.log = log,
			.tls_cert = cert,
			.tls_key = key,
		};

		if (server_start(&srv, &cfg) != 0)
			goto fail;
	}
	printf("listening on %s\n", server_url(srv));
	fflush(stdout);

	while (sigwait(&sigs, &sig) != 0)
		;
	fprintf(stderr, PROG ": %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	server_stop(srv);
	srv = NULL;
	rc = 0;
	if (o.save && state_save(st, o.save) != 0) {
		fprintf(stderr, PROG ": %s\n", err_msg());
		rc = 1;
	}
	if (o.stats && stats_write(stt, o.stats) != 0) {
		fprintf(stderr, PROG ": %s\n", err_msg());
		rc = 1;
	}
	goto done;
fail:
	fprintf(stderr, PROG ": %s\n", err_msg());
	rc = 1;
done:
	server_stop(srv);
	reqlog_close(log);
	stats_free(stt);
	state_free(st);
	spec_free(sp);
	ratelimit_free(rl);
	faults_free(fl);
	free(o.faults);
	free(cert);
	free(key);
	return rc;
}
