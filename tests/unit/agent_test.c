/*
 * agent_test: the agent's pure parts: the state machines and the
 * notifications they ask for, the metrics text, webhook verification, the
 * schedule, --listen parsing and the log's escaping.
 */
#include "testutil.h"

#include <netinet/in.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/agent.h"
#include "agent/agent_http.h"
#include "agent/agent_log.h"
#include "agent/agent_metrics.h"
#include "agent/agent_state.h"
#include "util/buf.h"
#include "util/mem.h"

static void cycle_ok(struct agent_cycle *c, bool in_sync)
{
	memset(c, 0, sizeof(*c));
	c->ok = true;
	c->planned = true;
	c->in_sync = in_sync;
	c->duration = 0.2;
	c->end = 1000;
	c->commit = xstrdup("0123456789abcdef0123456789abcdef01234567");
	c->ref = xstrdup("main");
	c->summary.noop = 5;
	if (!in_sync)
		c->summary.update = 2;
}

static void cycle_fail(struct agent_cycle *c)
{
	memset(c, 0, sizeof(*c));
	c->error = xstrdup("cannot reach the API");
	c->duration = 0.1;
}

static unsigned record(struct agent_state *st, struct agent_cycle *c, double now)
{
	return agent_state_record(st, c, now);
}

/* in sync -> drift -> drift -> in sync: one "drift", one "resolved", nothing per cycle. */
static void test_sync_transitions(void **state)
{
	struct agent_state st;
	struct agent_cycle c;

	(void)state;
	agent_state_init(&st);
	cycle_ok(&c, true);
	assert_int_equal(record(&st, &c, 1), 0);
	cycle_ok(&c, true);
	assert_int_equal(record(&st, &c, 2), 0);
	cycle_ok(&c, false);
	assert_int_equal(record(&st, &c, 3), AGENT_EV_DRIFT);
	cycle_ok(&c, false);
	assert_int_equal(record(&st, &c, 4), 0);
	cycle_ok(&c, true);
	assert_int_equal(record(&st, &c, 5), AGENT_EV_RESOLVED);
	cycle_ok(&c, true);
	assert_int_equal(record(&st, &c, 6), 0);
	assert_int_equal(st.cycles_ok, 6);
	agent_state_release(&st);
}

/* The first cycle finding drift notifies it; a first cycle in sync says nothing. */
static void test_first_cycle(void **state)
{
	struct agent_state st;
	struct agent_cycle c;

	(void)state;
	agent_state_init(&st);
	cycle_ok(&c, false);
	assert_int_equal(record(&st, &c, 1), AGENT_EV_DRIFT);
	agent_state_release(&st);
}

/* ok -> failing only on the second failure in a row, -> recovered once. */
static void test_health_transitions(void **state)
{
	struct agent_state st;
	struct agent_cycle c;

	(void)state;
	agent_state_init(&st);
	cycle_ok(&c, true);
	record(&st, &c, 1);
	cycle_fail(&c);
	assert_int_equal(record(&st, &c, 2), 0);
	cycle_ok(&c, true);
	assert_int_equal(record(&st, &c, 3), 0); /* one failure is not "failing" */
	cycle_fail(&c);
	assert_int_equal(record(&st, &c, 4), 0);
	cycle_fail(&c);
	assert_int_equal(record(&st, &c, 5), AGENT_EV_FAILING);
	cycle_fail(&c);
	assert_int_equal(record(&st, &c, 6), 0);
	assert_true(st.failing);
	/* Failures move no sync state: a failed cycle saw nothing. */
	assert_int_equal(st.sync, AGENT_SYNC_IN_SYNC);
	cycle_ok(&c, true);
	assert_int_equal(record(&st, &c, 7), AGENT_EV_RECOVERED);
	cycle_ok(&c, true);
	assert_int_equal(record(&st, &c, 8), 0);
	assert_int_equal(st.cycles_error, 4);
	agent_state_release(&st);
}

/* A self-heal that fixes what it found is one "applied"; one that cannot leaves drift. */
static void test_self_heal_events(void **state)
{
	struct agent_state st;
	struct agent_cycle c;

	(void)state;
	agent_state_init(&st);
	cycle_ok(&c, true);
	record(&st, &c, 1);
	cycle_ok(&c, true);
	c.summary.update = 2;
	c.summary.noop = 3;
	c.applied = true;
	c.apply.updated = 2;
	assert_int_equal(record(&st, &c, 2), AGENT_EV_APPLIED);
	assert_int_equal(st.ops[0][AGENT_OP_APPLIED], 2);
	assert_int_equal(st.in_sync_domains, 5);
	assert_int_equal(st.drifted, 0);
	/* Partly failed: applied, and drift remains (and the cycle failed). */
	cycle_ok(&c, false);
	c.ok = false;
	c.error = xstrdup("self-heal: 1 of 2 operations failed or were not sent");
	c.applied = true;
	c.apply.updated = 1;
	c.apply.update_failed = 1;
	assert_int_equal(record(&st, &c, 3), AGENT_EV_APPLIED | AGENT_EV_DRIFT);
	assert_int_equal(st.ops[0][AGENT_OP_FAILED], 1);
	assert_int_equal(st.drifted, 1);
	agent_state_release(&st);
}

static void test_ready(void **state)
{
	struct agent_state st;
	struct agent_cycle c;

	(void)state;
	agent_state_init(&st);
	assert_false(agent_state_ready(&st, 10, 30));
	cycle_ok(&c, true);
	record(&st, &c, 10);
	assert_true(agent_state_ready(&st, 39, 30));
	assert_false(agent_state_ready(&st, 41, 30));
	cycle_fail(&c);
	record(&st, &c, 20);
	assert_true(agent_state_ready(&st, 39, 30));
	agent_state_release(&st);
}

static void test_metrics_text(void **state)
{
	struct agent_state st;
	struct agent_cycle c;
	struct buf out = BUF_INIT;

	(void)state;
	agent_state_init(&st);
	cycle_ok(&c, false);
	free(c.ref);
	c.ref = xstrdup("we\"ird\\ref\nx");
	c.denied = true;
	record(&st, &c, 1);
	agent_state_count_api(&st, "GET", "200");
	agent_state_count_api(&st, "GET", "200");
	agent_state_count_api(&st, "PATCH", "error");
	agent_metrics_render(&out, &st);
	assert_non_null(strstr(out.ptr, "# TYPE mailward_cycles_total counter\n"));
	assert_non_null(strstr(out.ptr, "mailward_cycles_total{result=\"ok\"} 1\n"));
	assert_non_null(strstr(out.ptr, "mailward_cycles_total{result=\"error\"} 0\n"));
	assert_non_null(strstr(out.ptr, "# TYPE mailward_cycle_duration_seconds histogram\n"));
	assert_non_null(strstr(out.ptr, "mailward_cycle_duration_seconds_bucket{le=\"0.1\"} 0\n"));
	assert_non_null(strstr(out.ptr, "mailward_cycle_duration_seconds_bucket{le=\"0.25\"} 1\n"));
	assert_non_null(strstr(out.ptr, "mailward_cycle_duration_seconds_bucket{le=\"+Inf\"} 1\n"));
	assert_non_null(strstr(out.ptr, "mailward_cycle_duration_seconds_count 1\n"));
	assert_non_null(strstr(out.ptr, "mailward_domains{state=\"drifted\"} 2\n"));
	assert_non_null(strstr(out.ptr, "mailward_policy_denied 1\n"));
	assert_non_null(
		strstr(out.ptr, "mailward_api_requests_total{method=\"GET\",code=\"200\"} 2\n"));
	assert_non_null(strstr(out.ptr,
			       "mailward_api_requests_total{method=\"PATCH\",code=\"error\"} 1\n"));
	/* Label values escaped: backslash, quote, newline. */
	assert_non_null(strstr(out.ptr, "ref=\"we\\\"ird\\\\ref\\nx\"} 1\n"));
	buf_release(&out);
	agent_state_release(&st);
}

/* However many distinct (method, code) pairs, the table stays bounded. */
static void test_api_counts_bounded(void **state)
{
	struct agent_state st;
	char code[8];

	(void)state;
	agent_state_init(&st);
	for (int i = 0; i < 1000; i++) {
		snprintf(code, sizeof(code), "%d", i);
		agent_state_count_api(&st, "GET", code);
	}
	assert_int_equal(st.n_api, AGENT_API_MAX);
	assert_string_equal(st.api[AGENT_API_MAX - 1].code, "other");
	agent_state_release(&st);
}

static void sign(char out[80], const char *secret, const char *body)
{
	unsigned char mac[32];
	unsigned int len = 0;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, strlen(body),
	     mac, &len);
	strcpy(out, "sha256=");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", mac[i]);
}

static void test_hook_verify(void **state)
{
	const char *secret = "s3cret", *body = "{\"ref\":\"refs/heads/main\"}";
	enum agent_hook_kind kind;
	const char *why = NULL;
	char sig[80], bad[96];

	(void)state;
	sign(sig, secret, body);
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), sig, NULL),
			 0);
	assert_int_equal(kind, AGENT_HOOK_GITHUB);
	/* Upper-case hex is the same signature. */
	for (char *p = sig + 7; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), sig, NULL),
			 0);
	/* Another body, another secret, a flipped digit. */
	sign(sig, secret, body);
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, "{}", 2, sig, NULL), -1);
	assert_int_equal(agent_hook_verify(&kind, &why, "other!", 6, body, strlen(body), sig, NULL),
			 -1);
	strcpy(bad, sig);
	bad[20] = bad[20] == '0' ? '1' : '0';
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), bad, NULL),
			 -1);
	/* Short, long, not hex, another algorithm, empty. */
	snprintf(bad, sizeof(bad), "%.40s", sig);
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), bad, NULL),
			 -1);
	assert_non_null(strstr(why, "64 hexadecimal"));
	snprintf(bad, sizeof(bad), "%s0", sig);
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), bad, NULL),
			 -1);
	strcpy(bad, sig);
	bad[10] = 'g';
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), bad, NULL),
			 -1);
	snprintf(bad, sizeof(bad), "sha1=%s", sig + 7);
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), bad, NULL),
			 -1);
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), "", NULL),
			 -1);
	/* Missing: no header at all. */
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), NULL, NULL),
			 -1);
	assert_non_null(strstr(why, "no X-Hub-Signature-256"));
	/* GitLab: the token itself, exactly. */
	assert_int_equal(
		agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), NULL, "s3cret"), 0);
	assert_int_equal(kind, AGENT_HOOK_GITLAB);
	assert_int_equal(
		agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), NULL, "s3cre"), -1);
	assert_int_equal(
		agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), NULL, "s3cret "), -1);
	assert_int_equal(agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), NULL, ""),
			 -1);
	/* A GitHub signature, when present, is what is checked: a right token does not help. */
	assert_int_equal(
		agent_hook_verify(&kind, &why, secret, 6, body, strlen(body), bad, "s3cret"), -1);
}

static void test_next_delay(void **state)
{
	(void)state;
	assert_true(agent_next_delay(300, true, 0, 0) == 300);
	assert_true(agent_next_delay(300, true, 0, 0.999) < 330.0);
	assert_true(agent_next_delay(300, true, 0, 0.999) > 329.0);
	assert_true(agent_next_delay(300, false, 1, 0.5) == 1);
	assert_true(agent_next_delay(300, false, 2, 0.5) == 2);
	assert_true(agent_next_delay(300, false, 5, 0.5) == 16);
	assert_true(agent_next_delay(300, false, 20, 0.5) == 300);
	assert_true(agent_next_delay(300, false, 4000000000u, 0.5) == 300);
	assert_true(agent_next_delay(0, false, 3, 0.5) == 0);
	assert_true(agent_next_delay(0, true, 0, 0.5) == 0);
}

static void test_parse_listen(void **state)
{
	struct sockaddr_storage ss;
	unsigned len = 0;

	(void)state;
	assert_int_equal(agent_http_parse_listen(&ss, &len, "127.0.0.1:9464"), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9464);
	assert_int_equal(agent_http_parse_listen(&ss, &len, "[::1]:0"), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(agent_http_parse_listen(&ss, &len, "localhost:1"), 0);
	assert_true(agent_http_parse_listen(&ss, &len, "127.0.0.1") < 0);
	assert_true(agent_http_parse_listen(&ss, &len, "127.0.0.1:65536") < 0);
	assert_true(agent_http_parse_listen(&ss, &len, "127.0.0.1:") < 0);
	assert_true(agent_http_parse_listen(&ss, &len, "example.com:80") < 0);
	assert_true(agent_http_parse_listen(&ss, &len, ":80") < 0);
}

static void test_log_escape(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	agent_log_escape(&out, "a\x1b[31mb\n\x7f\xc2\x9b"
			       "c é");
	assert_string_equal(out.ptr, "a\\x1b[31mb\\n\\x7f\\u009bc é");
	buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_transitions),
		cmocka_unit_test(test_first_cycle),
		cmocka_unit_test(test_health_transitions),
		cmocka_unit_test(test_self_heal_events),
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_metrics_text),
		cmocka_unit_test(test_api_counts_bounded),
		cmocka_unit_test(test_hook_verify),
		cmocka_unit_test(test_next_delay),
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test(test_log_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
