/*
 * url_test: util/url.c (what is printed or recorded of a URL) and the URL
 * helpers of core/http.c that source.c uses to decide where git
 * credentials may go.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "core/http.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/url.h"

#define SECRET "s3cr3t-t0ken"

static char *redact(const char *url, unsigned flags)
{
	struct buf b = BUF_INIT;

	url_redact(&b, url, flags);
	return buf_detach(&b, NULL);
}

/* `url` redacted with `flags` is `want`, and holds no "s3cr3t". */
static void check(const char *url, unsigned flags, const char *want)
{
	char *got = redact(url, flags);

	assert_string_equal(got, want);
	assert_null(strstr(got, "s3cr3t"));
	free(got);
}

static void userinfo_is_redacted(void **state)
{
	(void)state;
	check("https://user:" SECRET "@git.example.com/o/r.git", 0,
	      "https://***@git.example.com/o/r.git");
	/* A token as the user name, as GitHub takes it. */
	check("https://" SECRET "@github.com/o/r.git", 0, "https://***@github.com/o/r.git");
	check("http://user:" SECRET "@127.0.0.1:8080/r", 0, "http://***@127.0.0.1:8080/r");
}

static void password_with_at_or_slash_is_all_userinfo(void **state)
{
	(void)state;
	check("https://user:s3cr3t@x@git.example.com/o/r.git", 0,
	      "https://***@git.example.com/o/r.git");
	check("https://user:s3cr3t/x@git.example.com/o/r.git", 0,
	      "https://***@git.example.com/o/r.git");
	check("https://user:s3/cr3t@x/y@git.example.com:8443/r", 0,
	      "https://***@git.example.com:8443/r");
}

static void scp_like_password_is_redacted(void **state)
{
	(void)state;
	check("deploy:" SECRET "@git.example.com:o/r.git", 0, "***@git.example.com:o/r.git");
	check("deploy:s3cr3t@x@git.example.com:o/r.git", 0, "***@git.example.com:o/r.git");
	/* A user name alone is ssh's, no secret. */
	check("git@github.com:o/r.git", 0, "git@github.com:o/r.git");
	check("ssh://git@github.com/o/r.git", 0, "ssh://git@github.com/o/r.git");
	check("ssh://git:" SECRET "@github.com/o/r.git", 0, "ssh://***@github.com/o/r.git");
}

static void query_and_fragment_are_redacted(void **state)
{
	(void)state;
	check("https://git.example.com/r.git?access_token=" SECRET, 0,
	      "https://git.example.com/r.git?***");
	check("https://git.example.com/r?a=1&token=" SECRET "#frag", 0,
	      "https://git.example.com/r?***#***");
	check("https://api.example.com/client/v4?key=" SECRET, 0,
	      "https://api.example.com/client/v4?***");
	check("https://u:p@git.example.com/r?access_token=" SECRET, 0,
	      "https://***@git.example.com/r?***");
}

static void at_in_the_query_redacts_everything(void **state)
{
	(void)state;
	/* Userinfo cannot be told from query: assume the worst. */
	check("https://git.example.com/r?email=a@b&token=" SECRET, 0, "https://***");
	check("https://user:s3cr3t?x@git.example.com/r", 0, "https://***");
}

static void kept_query_and_origin_only(void **state)
{
	(void)state;
	check("https://api.example.com/v4/d?page=2&per_page=1000", URL_KEEP_QUERY,
	      "https://api.example.com/v4/d?page=2&per_page=1000");
	check("https://hooks.example.com/services/" SECRET "?k=" SECRET, URL_ORIGIN_ONLY,
	      "https://hooks.example.com/...");
	check("http://u:" SECRET "@127.0.0.1:9000/hook", URL_ORIGIN_ONLY,
	      "http://***@127.0.0.1:9000/...");
}

static void plain_urls_and_paths_are_unchanged(void **state)
{
	(void)state;
	check("https://git.example.com/o/r.git", 0, "https://git.example.com/o/r.git");
	check("file:///tmp/repo", 0, "file:///tmp/repo");
	check("/srv/git/repo", 0, "/srv/git/repo");
	check("", 0, "");
}

static void split_userinfo(void **state)
{
	char *out, *user, *pass;

	(void)state;
	url_split_userinfo(&out, &user, &pass, "https://u%40x:p@ss/w@git.example.com/r?q=1");
	assert_string_equal(out, "https://git.example.com/r?q=1");
	assert_string_equal(user, "u%40x");
	assert_string_equal(pass, "p@ss/w");
	free(out);
	free(user);
	free(pass);

	url_split_userinfo(&out, &user, &pass, "https://tok@github.com/o/r");
	assert_string_equal(out, "https://github.com/o/r");
	assert_string_equal(user, "tok");
	assert_null(pass);
	free(out);
	free(user);

	/* ssh keeps the user name, loses the password. */
	url_split_userinfo(&out, &user, &pass, "deploy:pw@git.example.com:o/r.git");
	assert_string_equal(out, "deploy@git.example.com:o/r.git");
	assert_string_equal(user, "deploy");
	assert_string_equal(pass, "pw");
	free(out);
	free(user);
	free(pass);

	url_split_userinfo(&out, NULL, NULL, "https://git.example.com/r");
	assert_string_equal(out, "https://git.example.com/r");
	free(out);
}

static void origin(const char *url, const char *want, bool want_loopback)
{
	struct buf b = BUF_INIT;
	bool loopback = !want_loopback;

	assert_int_equal(http_url_origin(&b, url, &loopback), 0);
	assert_string_equal(b.ptr, want);
	assert_int_equal(loopback, want_loopback);
	buf_release(&b);
}

static void origins_compare_scheme_host_and_port(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	origin("https://Git.Example.COM/o/r.git", "https://git.example.com:443", false);
	origin("https://git.example.com:443/x", "https://git.example.com:443", false);
	origin("http://127.0.0.2:8080/r", "http://127.0.0.2:8080", true);
	origin("http://localhost/r", "http://localhost:80", true);
	origin("http://[::1]:9/r", "http://[::1]:9", true);
	origin("http://10.0.0.1/r", "http://10.0.0.1:80", false);
	origin("ssh://git@github.com/o/r", "ssh://github.com:", false);
	assert_true(http_url_origin(&b, "not a url", NULL) < 0);
	buf_release(&b);
	err_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(userinfo_is_redacted),
		cmocka_unit_test(password_with_at_or_slash_is_all_userinfo),
		cmocka_unit_test(scp_like_password_is_redacted),
		cmocka_unit_test(query_and_fragment_are_redacted),
		cmocka_unit_test(at_in_the_query_redacts_everything),
		cmocka_unit_test(kept_query_and_origin_only),
		cmocka_unit_test(plain_urls_and_paths_are_unchanged),
		cmocka_unit_test(split_userinfo),
		cmocka_unit_test(origins_compare_scheme_host_and_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
