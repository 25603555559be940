/*
 * render_test: a plan as text (with and without colour, plan and drift
 * wording), JSON (the plan file), drift JSON, and Markdown for a
 * pull-request comment (escaping, one section per change, the size limit).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "core/desired.h"
#include "core/live.h"
#include "core/plan.h"
#include "core/render.h"
#include "util/buf.h"
#include "util/mem.h"

#define ACCOUNT TU_ACCOUNT
#define API_URL TU_API_URL
#define COMMIT TU_COMMIT
#define ID_A "3fa85f64-5717-4562-b3fc-2c963f66afa6"
#define ID_B "7c9e6679-7425-40de-944b-e07fc1f90ae7"
#define ID_D "6f1c6a2e-2d4b-4c8e-9a51-0b7d3c2f4e10"

struct fx {
	struct desired d;
	struct live l;
	struct diags diags;
	struct plan p;
	struct buf out, text;
	json_t *j[3];
	char *s[2];
};

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));

	setenv("SOURCE_DATE_EPOCH", "1795779600", 1);
	buf_init(&fx->out);
	buf_init(&fx->text);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	desired_release(&fx->d);
	live_release(&fx->l);
	diags_release(&fx->diags);
	plan_release(&fx->p);
	buf_release(&fx->out);
	buf_release(&fx->text);
	for (size_t i = 0; i < ARRAY_SIZE(fx->j); i++)
		json_decref(fx->j[i]);
	for (size_t i = 0; i < ARRAY_SIZE(fx->s); i++)
		free(fx->s[i]);
	free(fx);
	return 0;
}

static void build(struct fx *fx, const char *yaml, const char *live, bool prune)
{
	assert_int_equal(tu_plan(&fx->p, &fx->d, &fx->diags, &fx->l, yaml, live, prune), 0);
}

static const char *render(struct fx *fx, enum render_format format, enum render_mode mode,
			  bool color, size_t limit)
{
	struct render_opts o = { mode, color, limit };

	buf_truncate(&fx->out, 0);
	render_plan(&fx->out, &fx->p, format, &o);
	return fx->out.ptr;
}

static const char mixed_yaml[] = "domains:\n"
				 "  example.com:\n"
				 "    lookback_hops: 2\n"
				 "    drop_dispositions: [MALICIOUS, SPOOF]\n"
				 "    ip_restrictions: [\"2001:DB8::/32\", \"10.0.0.0/8\"]\n"
				 "    transport: \"smtp://a|b<c>&d`e\"\n"
				 "  old.example.com:\n"
				 "    absent: true\n"
				 "  new.example.com:\n"
				 "    regions: [US]\n";

static const char mixed_live[] =
	"[{\"id\": \"" ID_A "\", \"domain\": \"example.com\", \"lookback_hops\": 1,"
	"  \"drop_dispositions\": [\"BULK\", \"MALICIOUS\"], \"ip_restrictions\": "
	"[\"192.0.2.0/24\"]},"
	" {\"id\": \"" ID_B "\", \"domain\": \"old.example.com\"},"
	" {\"id\": \"" ID_D "\", \"domain\": \"other.example.com\"}]";

/* --- text --------------------------------------------------------------- */

static void text_plan(void **state)
{
	struct fx *fx = *state;

	build(fx, mixed_yaml, mixed_live, false);
	assert_string_equal(
		render(fx, RENDER_TEXT, RENDER_MODE_PLAN, false, 0),
		"mailward plan for account " ACCOUNT " at " API_URL "\n"
		"source: /srv/repo at 0123456789ab (HEAD), path desired\n"
		"\n"
		"  ~ update example.com (" ID_A ")\n"
		"      drop_dispositions: [BULK, MALICIOUS] → [MALICIOUS, SPOOF]  (+SPOOF -BULK)\n"
		"      ip_restrictions: [192.0.2.0/24] → [2001:DB8::/32, 10.0.0.0/8]  "
		"(+10.0.0.0/8 +2001:db8::/32 -192.0.2.0/24)\n"
		"      lookback_hops: 1 → 2\n"
		"      transport: null → \"smtp://a|b<c>&d`e\"\n"
		"  ! missing new.example.com: in git, not protected in Cloudflare; onboard it "
		"first "
		"(apply cannot create domains)\n"
		"  - delete old.example.com (" ID_B "): absent in git\n"
		"\n"
		"1 unmanaged domain (live, declared nowhere in git; left alone; --prune would "
		"delete "
		"them):\n"
		"  ? other.example.com (" ID_D ")\n"
		"\n"
		"Plan: 1 to update, 1 to delete, 1 missing, 0 unchanged, 1 unmanaged.\n");
}

static void text_drift_wording(void **state)
{
	struct fx *fx = *state;

	build(fx, mixed_yaml, mixed_live, false);
	assert_string_equal(
		render(fx, RENDER_TEXT, RENDER_MODE_DRIFT, false, 0),
		"mailward drift check for account " ACCOUNT " at " API_URL "\n"
		"source: /srv/repo at 0123456789ab (HEAD), path desired\n"
		"\n"
		"  ~ example.com (" ID_A "): 4 settings differ from git\n"
		"      drop_dispositions: git [MALICIOUS, SPOOF], live [BULK, MALICIOUS]  (+SPOOF "
		"-BULK)\n"
		"      ip_restrictions: git [2001:DB8::/32, 10.0.0.0/8], live [192.0.2.0/24]  "
		"(+10.0.0.0/8 +2001:db8::/32 -192.0.2.0/24)\n"
		"      lookback_hops: git 2, live 1\n"
		"      transport: git \"smtp://a|b<c>&d`e\", live null\n"
		"  ! new.example.com: in git, not protected in Cloudflare\n"
		"  - old.example.com (" ID_B "): absent in git, still protected live\n"
		"\n"
		"1 unmanaged domain (live, declared nowhere in git; left alone):\n"
		"  ? other.example.com (" ID_D ")\n"
		"\n"
		"Drift: 1 drifted, 1 absent in git but live, 1 missing, 0 in sync, 1 unmanaged.\n");
}

static void text_prune_wording(void **state)
{
	struct fx *fx = *state;

	build(fx, "domains:\n  a.example.com:\n",
	      "[{\"id\": \"" ID_D "\", \"domain\": \"stray.example.com\"}]", true);
	render(fx, RENDER_TEXT, RENDER_MODE_PLAN, false, 0);
	assert_contains(fx->out.ptr, ", path desired, prune on\n");
	assert_contains(fx->out.ptr,
			"  - delete stray.example.com (" ID_D "): declared nowhere in git "
			"(--prune)\n");
	render(fx, RENDER_TEXT, RENDER_MODE_DRIFT, false, 0);
	assert_contains(fx->out.ptr,
			"  - stray.example.com (" ID_D "): live, declared nowhere in git\n");
}

static void text_no_changes(void **state)
{
	struct fx *fx = *state;

	build(fx, "domains:\n  a.example.com:\n    lookback_hops: 2\n  b.example.com:\n",
	      "[{\"id\": \"" ID_A "\", \"domain\": \"a.example.com\", \"lookback_hops\": 2},"
	      " {\"id\": \"" ID_B "\", \"domain\": \"b.example.com\"}]",
	      false);
	assert_string_equal(render(fx, RENDER_TEXT, RENDER_MODE_PLAN, false, 0),
			    "mailward plan for account " ACCOUNT " at " API_URL "\n"
			    "source: /srv/repo at 0123456789ab (HEAD), path desired\n"
			    "\n"
			    "No changes. 2 domains already as git says, 0 unmanaged.\n");
	assert_string_equal(render(fx, RENDER_TEXT, RENDER_MODE_DRIFT, false, 0),
			    "mailward drift check for account " ACCOUNT " at " API_URL "\n"
			    "source: /srv/repo at 0123456789ab (HEAD), path desired\n"
			    "\n"
			    "In sync: 2 domains as git says, 0 unmanaged.\n");
}

static void text_colour_only_when_asked(void **state)
{
	struct fx *fx = *state;

	build(fx, mixed_yaml, mixed_live, false);
	render(fx, RENDER_TEXT, RENDER_MODE_PLAN, false, 0);
	assert_null(strchr(fx->out.ptr, '\033'));
	render(fx, RENDER_TEXT, RENDER_MODE_DRIFT, false, 0);
	assert_null(strchr(fx->out.ptr, '\033'));
	render(fx, RENDER_TEXT, RENDER_MODE_PLAN, true, 0);
	assert_contains(fx->out.ptr, "\033[33m~ update example.com\033[0m");
	assert_contains(fx->out.ptr, "\033[31m1\033[0m → \033[32m2\033[0m");
	/* Every colour is reset on its line. */
	for (const char *line = fx->out.ptr; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		const char *last_esc = NULL;

		for (const char *c = line; c < line + len; c++)
			if (*c == '\033')
				last_esc = c;
		if (last_esc)
			assert_true(!strncmp(last_esc, "\033[0m", 4));
		line += len + (nl ? 1 : 0);
	}
}

static void text_worktree_source(void **state)
{
	struct fx *fx = *state;
	struct plan_source wt = { .repo = "/home/me/repo", .path = "", .worktree = true };
	struct plan_meta meta = { ACCOUNT, API_URL, &wt, false };
	struct render_opts o = { RENDER_MODE_PLAN, false, 0 };

	assert_int_equal(tu_desired_yaml(&fx->d, &fx->diags, "d.yaml", ""), 0);
	assert_int_equal(tu_live_json(&fx->l, "[]"), 0);
	assert_int_equal(plan_build(&fx->p, &fx->d, &fx->l, &meta), 0);
	render_text(&fx->out, &fx->p, &o);
	assert_contains(fx->out.ptr, "\nsource: /home/me/repo (working tree, no commit)\n\n");
}

/* --- set deltas --------------------------------------------------------- */

static const char *delta(struct fx *fx, const char *field, const char *before, const char *after)
{
	json_t *b = before ? tu_json(before) : NULL;
	json_t *a = after ? tu_json(after) : NULL;

	buf_truncate(&fx->text, 0);
	render_set_delta(&fx->text, field, b, a);
	json_decref(b);
	json_decref(a);
	return fx->text.ptr;
}

static void set_deltas(void **state)
{
	struct fx *fx = *state;

	assert_string_equal(delta(fx, "drop_dispositions", "[\"MALICIOUS\", \"BULK\"]",
				  "[\"MALICIOUS\", \"SPOOF\"]"),
			    "+SPOOF -BULK");
	assert_string_equal(delta(fx, "regions", "[\"US\"]", "[\"US\", \"US\"]"), "");
	assert_string_equal(delta(fx, "regions", "[]", "[\"US\", \"AU\"]"), "+AU +US");
	assert_string_equal(delta(fx, "regions", "[\"US\", \"AU\"]", "[]"), "-AU -US");
	assert_string_equal(
		delta(fx, "ip_restrictions", "[\"2001:db8::/32\"]", "[\"2001:DB8::/32\"]"), "");
	assert_string_equal(delta(fx, "ip_restrictions", "[\"10.0.0.1\"]",
				  "[\"2001:DB8::/32\", \"10.0.0.1/32\"]"),
			    "+2001:db8::/32");
	assert_string_equal(delta(fx, "regions", "[\"EU\"]", "[\"GLOBAL\"]"), "+GLOBAL -EU");
	/* Not a set, or nothing to compare with: nothing. */
	assert_string_equal(delta(fx, "lookback_hops", "1", "2"), "");
	assert_string_equal(delta(fx, "no_such_field", "[\"a\"]", "[]"), "");
	assert_string_equal(delta(fx, "regions", "\"GLOBAL\"", "[\"GLOBAL\"]"), "");
}

/* --- JSON --------------------------------------------------------------- */

static void json_is_the_plan_file(void **state)
{
	struct fx *fx = *state;

	build(fx, mixed_yaml, mixed_live, false);
	render(fx, RENDER_JSON, RENDER_MODE_PLAN, false, 0);
	fx->s[0] = plan_to_text(&fx->p);
	assert_string_equal(fx->out.ptr, fx->s[0]);
}

/* The drift report is the plan file format with kind drift, digested as such. */
static void drift_json(void **state)
{
	struct fx *fx = *state;
	const char *k;
	json_t *v;
	struct plan back;

	build(fx, mixed_yaml, mixed_live, false);
	fx->j[0] = render_drift_json(&fx->p);
	fx->j[1] = plan_to_json(&fx->p);
	assert_json(json_object_get(fx->j[0], "kind"), "\"drift\"");
	json_object_foreach(fx->j[1], k, v) {
		if (strcmp(k, "kind") && strcmp(k, "digest"))
			assert_true(json_equal(v, json_object_get(fx->j[0], k)));
	}
	assert_false(json_equal(json_object_get(fx->j[0], "digest"),
				json_object_get(fx->j[1], "digest")));
	assert_int_equal(plan_from_json(&back, fx->j[0]), 0);
	assert_int_equal(back.kind, PLAN_KIND_DRIFT);
	plan_release(&back);
	/* render_plan in drift mode writes the same, indented. */
	render(fx, RENDER_JSON, RENDER_MODE_DRIFT, false, 0);
	json_decref(fx->j[1]);
	fx->j[1] = tu_json(fx->out.ptr);
	assert_true(json_equal(fx->j[0], fx->j[1]));
	assert_int_equal(fx->out.ptr[fx->out.len - 1], '\n');
}

static void drift_json_in_sync_and_prune(void **state)
{
	struct fx *fx = *state;

	build(fx, "domains:\n  a.example.com:\n",
	      "[{\"id\": \"" ID_A "\", \"domain\": \"a.example.com\"},"
	      " {\"id\": \"" ID_B "\", \"domain\": \"b.example.com\"}]",
	      true);
	fx->j[0] = render_drift_json(&fx->p);
	assert_json(
		json_object_get(fx->j[0], "summary"),
		"{\"update\": 0, \"delete\": 1, \"missing\": 0, \"noop\": 1, \"unmanaged\": 0}");
	assert_json(
		json_object_get(json_array_get(json_object_get(fx->j[0], "changes"), 0), "reason"),
		"\"prune\"");
	plan_release(&fx->p);
	desired_release(&fx->d);
	live_release(&fx->l);
	build(fx, "domains:\n  a.example.com:\n",
	      "[{\"id\": \"" ID_A "\", \"domain\": \"a.example.com\"}]", false);
	fx->j[1] = render_drift_json(&fx->p);
	assert_json(json_object_get(fx->j[1], "changes"), "[]");
}

static void parse_format(void **state)
{
	(void)state;
	assert_int_equal(render_parse_format("text"), RENDER_TEXT);
	assert_int_equal(render_parse_format("json"), RENDER_JSON);
	assert_int_equal(render_parse_format("markdown"), RENDER_MARKDOWN);
	assert_int_equal(render_parse_format("md"), RENDER_MARKDOWN);
	assert_int_equal(render_parse_format("yaml"), -1);
	assert_int_equal(render_parse_format(""), -1);
	assert_int_equal(render_parse_format("JSON"), -1);
}

/* --- Markdown ----------------------------------------------------------- */

static void markdown_sections_and_summary(void **state)
{
	struct fx *fx = *state;

	build(fx, mixed_yaml, mixed_live, false);
	render(fx, RENDER_MARKDOWN, RENDER_MODE_PLAN, false, 0);
	assert_true(!strncmp(fx->out.ptr,
			     "### mailward plan: 1 to update, 1 to delete, 1 missing\n\n",
			     strlen("### mailward plan: 1 to update, 1 to delete, 1 missing\n\n")));
	assert_contains(fx->out.ptr, "| | domains |\n|---|---:|\n| update | 1 |\n| delete | 1 |\n"
				     "| missing (not onboarded) | 1 |\n| unchanged | 0 |\n"
				     "| unmanaged | 1 |\n");
	assert_contains(fx->out.ptr,
			"Account <code>" ACCOUNT "</code> · commit <code>0123456789ab</code> "
			"(<code>HEAD</code>) · path <code>desired</code>\n");
	/* One collapsible section per change, plus the unmanaged list. */
	assert_int_equal(tu_count(fx->out.ptr, "<details><summary>"), 4);
	assert_int_equal(tu_count(fx->out.ptr, "</details>"), 4);
	assert_contains(fx->out.ptr, "<details><summary><b>update</b> <code>example.com</code>: 4 "
				     "settings</summary>\n");
	assert_contains(fx->out.ptr,
			"| <code>drop_dispositions</code> | <code>[BULK, MALICIOUS]</code> "
			"| <code>[MALICIOUS, SPOOF]</code> | +SPOOF -BULK |\n");
	assert_contains(fx->out.ptr,
			"<details><summary><b>delete</b> <code>old.example.com</code>: "
			"absent in git</summary>");
	assert_contains(fx->out.ptr,
			"<details><summary><b>missing</b> <code>new.example.com</code>");
	assert_contains(fx->out.ptr, "- <code>other.example.com</code>\n");
	assert_contains(fx->out.ptr, "<sub>mailward " MAILWARD_VERSION " · plan digest <code>");
	assert_not_contains(fx->out.ptr, "shortened");
	assert_true(tu_valid_utf8(fx->out.ptr, fx->out.len));
}

static void markdown_escapes_values(void **state)
{
	struct fx *fx = *state;
	const char *row;
	size_t len;

	build(fx, mixed_yaml, mixed_live, false);
	render(fx, RENDER_MARKDOWN, RENDER_MODE_PLAN, false, 0);
	assert_contains(fx->out.ptr,
			"| <code>transport</code> | <code>null</code> | "
			"<code>&quot;smtp://a&#124;b&lt;c&gt;&amp;d&#96;e&quot;</code> |  |\n");
	/* The row has its five cell borders and no other '|', '<c>' or backtick. */
	row = strstr(fx->out.ptr, "| <code>transport</code>");
	assert_non_null(row);
	len = strcspn(row, "\n");
	fx->s[0] = xstrndup(row, len);
	assert_int_equal(tu_count(fx->s[0], "|"), 5);
	assert_null(strchr(fx->s[0], '`'));
	assert_not_contains(fx->s[0], "<c>");
}

static void markdown_escapes_odd_live_names(void **state)
{
	struct fx *fx = *state;

	build(fx, "domains:\n  a.example.com:\n",
	      "[{\"id\": \"" ID_A "\", \"domain\": \"a.example.com\"},"
	      " {\"id\": \"x|<script>`\", \"domain\": \"<b>evil</b>|`x`.example\"}]",
	      true);
	render(fx, RENDER_MARKDOWN, RENDER_MODE_PLAN, false, 0);
	assert_not_contains(fx->out.ptr, "<b>evil");
	assert_not_contains(fx->out.ptr, "<script>");
	assert_not_contains(fx->out.ptr, "`x`");
	assert_contains(fx->out.ptr,
			"<code>&lt;b&gt;evil&lt;/b&gt;&#124;&#96;x&#96;.example</code>");
}

static void markdown_drift_wording(void **state)
{
	struct fx *fx = *state;

	build(fx, mixed_yaml, mixed_live, false);
	render(fx, RENDER_MARKDOWN, RENDER_MODE_DRIFT, false, 0);
	assert_contains(fx->out.ptr,
			"### mailward drift: 1 drifted, 1 absent but live, 1 missing\n");
	assert_contains(fx->out.ptr, "| drifted | 1 |\n");
	assert_contains(fx->out.ptr, "| setting | live | git | change |\n");
	assert_contains(fx->out.ptr, "<b>drifted</b> <code>example.com</code>");
}

static void markdown_no_changes(void **state)
{
	struct fx *fx = *state;

	build(fx, "domains:\n  a.example.com:\n",
	      "[{\"id\": \"" ID_A "\", \"domain\": \"a.example.com\"}]", false);
	render(fx, RENDER_MARKDOWN, RENDER_MODE_PLAN, false, 0);
	assert_true(!strncmp(fx->out.ptr, "### mailward plan: no changes\n", 30));
	assert_int_equal(tu_count(fx->out.ptr, "<details>"), 0);
	render(fx, RENDER_MARKDOWN, RENDER_MODE_DRIFT, false, 0);
	assert_true(!strncmp(fx->out.ptr, "### mailward drift: in sync\n", 28));
}

/* A plan of `n` updates (each of two settings) and `n / 10` unmanaged domains. */
static void build_many(struct fx *fx, int n)
{
	struct buf yaml = BUF_INIT, live = BUF_INIT;

	buf_puts(&yaml, "domains:\n");
	buf_putc(&live, '[');
	for (int i = 0; i < n; i++) {
		buf_printf(&yaml,
			   "  host-%05d.example.com:\n    lookback_hops: 2\n"
			   "    drop_dispositions: [MALICIOUS, SPOOF]\n",
			   i);
		buf_printf(&live,
			   "%s{\"id\": \"00000000-0000-4000-8000-%012d\", \"domain\": "
			   "\"host-%05d.example.com\", \"lookback_hops\": 1, "
			   "\"drop_dispositions\": [\"BULK\"]}",
			   i ? ", " : "", i, i);
	}
	for (int i = 0; i < n / 10; i++)
		buf_printf(&live,
			   ", {\"id\": \"10000000-0000-4000-8000-%012d\", \"domain\": "
			   "\"stray-%05d.example.com\"}",
			   i, i);
	buf_putc(&live, ']');
	build(fx, yaml.ptr, live.ptr, false);
	buf_release(&yaml);
	buf_release(&live);
}

/*
 * Count what a shortened comment shows: detailed sections, compact lines,
 * and the numbers its note gives.
 */
static void check_shortened(struct fx *fx, size_t limit, int n)
{
	size_t detailed = tu_count(fx->out.ptr, "<details><summary><b>update</b>");
	size_t compact = tu_count(fx->out.ptr, "\n- update <code>");
	unsigned long said_compact = 0, said_omitted = 0;
	const char *note = strstr(fx->out.ptr, "> **This comment is shortened** to stay under ");

	if (fx->out.len > limit)
		fail_msg("comment of %zu bytes over the limit of %zu", fx->out.len, limit);
	assert_true(tu_valid_utf8(fx->out.ptr, fx->out.len));
	if (!note)
		fail_msg("the shortened comment does not say so:\n%s", fx->out.ptr);
	assert_int_equal(
		sscanf(strstr(note, "characters: ") + strlen("characters: "), "%lu", &said_compact),
		1);
	assert_int_equal(said_compact, compact);
	{
		const char *and = strstr(note, " and ");
		const char *semi = strstr(note, "; ");

		if (and&&(!semi || and < semi))
			assert_int_equal(sscanf(and+5, "%lu", &said_omitted), 1);
		else
			assert_int_equal(sscanf(semi + 2, "%lu", &said_omitted), 1);
	}
	/* Every change is accounted for. */
	assert_int_equal(detailed + compact + said_omitted, (size_t)n);
	assert_true(detailed > 0 || compact > 0);
	/* Every section opened is closed: nothing was cut in the middle. */
	assert_int_equal(tu_count(fx->out.ptr, "<details>"), tu_count(fx->out.ptr, "</details>"));
	assert_contains(fx->out.ptr, "`mailward show PLAN`");
	/* The footer survives. */
	assert_contains(fx->out.ptr, "<sub>mailward ");
}

static void markdown_small_limit_shortens_and_says_so(void **state)
{
	struct fx *fx = *state;

	build_many(fx, 200);
	render(fx, RENDER_MARKDOWN, RENDER_MODE_PLAN, false, 6000);
	check_shortened(fx, 6000, 200);
	assert_contains(fx->out.ptr, "### mailward plan: 200 to update, 0 to delete, 0 missing\n");
	assert_contains(fx->out.ptr,
			"<details><summary>20 unmanaged domains (live, declared nowhere "
			"in git, left alone)</summary>");
}

static void markdown_limits_across_sizes(void **state)
{
	static const size_t limits[] = { 3000, 4000, 8000, 20000, 40000 };
	struct fx *fx = *state;

	build_many(fx, 300);
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		render(fx, RENDER_MARKDOWN, RENDER_MODE_PLAN, false, limits[i]);
		check_shortened(fx, limits[i], 300);
	}
}

static void markdown_default_limit_with_many_changes(void **state)
{
	struct fx *fx = *state;

	build_many(fx, 3000);
	render(fx, RENDER_MARKDOWN, RENDER_MODE_PLAN, false, 0);
	check_shortened(fx, RENDER_MARKDOWN_LIMIT, 3000);
	assert_true(fx->out.len > RENDER_MARKDOWN_LIMIT / 2);
	assert_contains(fx->out.ptr, "- … and 250 more\n");
}

/* Policy findings in `p->policy`: `n` violations with messages of `len` characters. */
static void add_findings(struct fx *fx, int n, size_t len, char fill)
{
	json_t *viol = json_object_get(fx->p.policy, "violations");
	char *msg = xmalloc(len + 1);

	for (int i = 0; i < n; i++) {
		int k = snprintf(msg, len + 1, "safety: max_deletes: finding %d ", i);

		memset(msg + k, fill, len - (size_t)k);
		msg[len] = '\0';
		json_array_append_new(viol, json_pack("{s:s, s:s, s:s}", "policy", "safety", "rule",
						      "max_deletes", "message", msg));
	}
	free(msg);
}

static void markdown_with_policy_findings(void **state)
{
	struct fx *fx = *state;

	build_many(fx, 3000);
	add_findings(fx, 60, 160, 'x');
	render(fx, RENDER_MARKDOWN, RENDER_MODE_PLAN, false, 0);
	check_shortened(fx, RENDER_MARKDOWN_LIMIT, 3000);
	assert_contains(fx->out.ptr, " — **denied by policy**\n");
	assert_contains(fx->out.ptr,
			"#### Policy\n\n- **deny** safety: max_deletes: finding 0 xxx");
	assert_int_equal(tu_count(fx->out.ptr, "- **deny** "), 50);
	assert_contains(fx->out.ptr, "- … and 10 more findings (the plan file has them all)\n");
}

static void markdown_never_over_the_limit(void **state)
{
	static const size_t limits[] = { 1000, 5000, 65000 };
	struct fx *fx = *state;

	/* Findings that escape to six times their size: the head alone is too big. */
	build_many(fx, 50);
	add_findings(fx, 60, 600, '|');
	for (size_t i = 0; i < ARRAY_SIZE(limits); i++) {
		render(fx, RENDER_MARKDOWN, RENDER_MODE_PLAN, false, limits[i]);
		if (fx->out.len > limits[i])
			fail_msg("%zu bytes for a limit of %zu", fx->out.len, limits[i]);
		if (!tu_valid_utf8(fx->out.ptr, fx->out.len))
			fail_msg("limit %zu: the comment is cut inside a UTF-8 character",
				 limits[i]);
		assert_contains(fx->out.ptr, "This comment is shortened");
	}
}

static void markdown_fits_without_shortening(void **state)
{
	struct fx *fx = *state;

	build_many(fx, 5);
	render(fx, RENDER_MARKDOWN, RENDER_MODE_PLAN, false, 0);
	assert_not_contains(fx->out.ptr, "shortened");
	assert_int_equal(tu_count(fx->out.ptr, "<details><summary><b>update</b>"), 5);
}

static void markdown_appends_to_what_is_there(void **state)
{
	struct fx *fx = *state;
	struct render_opts o = { RENDER_MODE_PLAN, false, 3000 };

	build_many(fx, 100);
	buf_truncate(&fx->out, 0);
	buf_puts(&fx->out, "PREFIX\n");
	render_markdown(&fx->out, &fx->p, &o);
	assert_true(!strncmp(fx->out.ptr, "PREFIX\n### mailward plan", 24));
	assert_true(fx->out.len <= 3000 + 7);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(text_plan),
		T(text_drift_wording),
		T(text_prune_wording),
		T(text_no_changes),
		T(text_colour_only_when_asked),
		T(text_worktree_source),
		T(set_deltas),
		T(json_is_the_plan_file),
		T(drift_json),
		T(drift_json_in_sync_and_prune),
		T(parse_format),
		T(markdown_sections_and_summary),
		T(markdown_escapes_values),
		T(markdown_escapes_odd_live_names),
		T(markdown_drift_wording),
		T(markdown_no_changes),
		T(markdown_small_limit_shortens_and_says_so),
		T(markdown_limits_across_sizes),
		T(markdown_default_limit_with_many_changes),
		T(markdown_with_policy_findings),
		T(markdown_never_over_the_limit),
		T(markdown_fits_without_shortening),
		T(markdown_appends_to_what_is_there),
	};

	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
