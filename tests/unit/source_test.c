/*
 * source_test: reading desired state from repositories made with libgit2
 * in a temporary folder (the helpers commit the working copy as `git add -A
 * && git commit` would, without a process per step): a ref's tree (not the working copy), a --path
 * folder, the policies/ split, symbolic links never followed (in a commit or on disk), byte order
 * of paths, hidden entries skipped, require-ancestor, a missing ref, bare and empty repositories,
 * and worktree mode.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "core/source.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/mem.h"

struct fx {
	char *tmp; /* the test's folder */
	char *repo; /* tmp/repo: a repository with a working copy */
	git_repository *git; /* that repository, for the helpers below */
	struct source *src;
};

static void check_git(int rc, const char *what)
{
	if (rc < 0) {
		const git_error *e = git_error_last();

		fail_msg("%s: %s", what, e ? e->message : "libgit2 error");
	}
}

/* `tmp`/`rel` (owned by the caller). */
static char *in_tmp(struct fx *fx, const char *rel)
{
	return xasprintf("%s/%s", fx->tmp, rel);
}

/* Write `len` bytes to `tmp`/`rel`, creating its folders. */
static void put_bytes(struct fx *fx, const char *rel, const char *data, size_t len)
{
	char *full = in_tmp(fx, rel);
	char *slash = strrchr(full, '/');
	FILE *f;

	*slash = '\0';
	assert_int_equal(fs_mkdirs(full, 0755), 0);
	*slash = '/';
	f = fopen(full, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
	free(full);
}

/* Write `text` to repo/`path`, creating its folders. */
static void put(struct fx *fx, const char *path, const char *text)
{
	char *rel = xasprintf("repo/%s", path);

	put_bytes(fx, rel, text, strlen(text));
	free(rel);
}

/* A symbolic link `tmp`/`rel` to `target`. */
static void link_to(struct fx *fx, const char *rel, const char *target)
{
	char *full = in_tmp(fx, rel);

	assert_int_equal(symlink(target, full), 0);
	free(full);
}

/*
 * Commit everything in the working copy (as `git add -A && git commit`)
 * with `parent` (NULL: HEAD, if any), updating `ref` (NULL: HEAD). The new
 * commit's id goes to `hex` when not NULL.
 */
static void commit_to(struct fx *fx, const char *ref, const git_oid *parent_id, char *hex)
{
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	git_oid tree_id, id, head;
	const git_commit *parents[1];
	size_t n = 0;

	check_git(git_repository_index(&index, fx->git), "index");
	check_git(git_index_add_all(index, NULL, 0, NULL, NULL), "add");
	check_git(git_index_update_all(index, NULL, NULL, NULL), "update");
	check_git(git_index_write(index), "write index");
	check_git(git_index_write_tree(&tree_id, index), "write tree");
	check_git(git_tree_lookup(&tree, fx->git, &tree_id), "tree");
	if (!parent_id && git_reference_name_to_id(&head, fx->git, "HEAD") == 0)
		parent_id = &head;
	if (parent_id) {
		check_git(git_commit_lookup(&parent, fx->git, parent_id), "parent");
		parents[n++] = parent;
	}
	check_git(git_signature_new(&sig, "t", "t@example.com", 1767225600, 0), "signature");
	check_git(git_commit_create(&id, fx->git, ref ? ref : "HEAD", sig, sig, NULL, "c", tree, n,
				    parents),
		  "commit");
	if (hex)
		git_oid_tostr(hex, GIT_OID_HEXSZ + 1, &id);
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	git_index_free(index);
}

static void commit(struct fx *fx, char *hex)
{
	commit_to(fx, NULL, NULL, hex);
}

static int setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof(*fx));
	git_repository_init_options init = GIT_REPOSITORY_INIT_OPTIONS_INIT;

	fx->tmp = tu_tmpdir();
	fx->repo = in_tmp(fx, "repo");
	/* libgit2 sees only what the test sets up. */
	setenv("HOME", fx->tmp, 1);
	setenv("XDG_CONFIG_HOME", fx->tmp, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	git_libgit2_init();
	init.flags = GIT_REPOSITORY_INIT_MKPATH;
	init.initial_head = "main";
	check_git(git_repository_init_ext(&fx->git, fx->repo, &init), "init");
	err_clear();
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	source_free(fx->src);
	git_repository_free(fx->git);
	git_libgit2_shutdown();
	free(fx->repo);
	tu_rmtree(fx->tmp);
	free(fx);
	return 0;
}

static int read_src(struct fx *fx, const struct source_opts *o)
{
	source_free(fx->src);
	fx->src = NULL;
	int rc;

	err_clear();
	rc = source_read(&fx->src, o);
	/* The core speaks of folders and worktree mode; the CLI names its flags. */
	if (rc < 0)
		assert_not_contains(err_msg(), "--");
	return rc;
}

/* The paths read, one a line, "P " before policy documents. */
static char *listing(const struct source *s)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < s->nr; i++)
		buf_printf(&b, "%s%s\n", s->files[i].policy ? "P " : "", s->files[i].path);
	return buf_detach(&b, NULL);
}

static void assert_listing(const struct source *s, const char *want)
{
	char *got = listing(s);

	if (strcmp(got, want))
		fail_msg("read:\n%s\nwant:\n%s", got, want);
	free(got);
}

static const struct source_file *file(const struct source *s, const char *path)
{
	for (size_t i = 0; i < s->nr; i++)
		if (!strcmp(s->files[i].path, path))
			return &s->files[i];
	fail_msg("'%s' was not read", path);
	return NULL;
}

/* --- commits and refs ------------------------------------------------------ */

/* A ref's tree is read, not the working copy, and the commit is recorded. */
static void reads_the_tree_at_a_ref(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo };
	char v1[GIT_OID_HEXSZ + 1], head[GIT_OID_HEXSZ + 1];
	git_object *obj = NULL;
	git_oid tag;

	put(fx, "a.yaml", "one\n");
	commit(fx, v1);
	check_git(git_revparse_single(&obj, fx->git, "HEAD"), "HEAD");
	check_git(git_tag_create_lightweight(&tag, fx->git, "v1", obj, 0), "tag");
	git_object_free(obj);
	put(fx, "a.yaml", "two\n");
	put(fx, "b.yaml", "b\n");
	commit(fx, head);
	put(fx, "a.yaml", "uncommitted\n");
	put(fx, "c.yaml", "untracked\n");

	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "a.yaml\nb.yaml\n");
	assert_string_equal(file(fx->src, "a.yaml")->data, "two\n");
	assert_string_equal(fx->src->commit, head);
	assert_string_equal(fx->src->ref, "HEAD");
	assert_string_equal(fx->src->path, "");
	assert_false(fx->src->worktree);

	o.ref = "v1";
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "a.yaml\n");
	assert_string_equal(file(fx->src, "a.yaml")->data, "one\n");
	assert_int_equal(file(fx->src, "a.yaml")->len, 4);
	assert_string_equal(fx->src->commit, v1);

	/* A commit id is a ref too. */
	o.ref = v1;
	assert_int_equal(read_src(fx, &o), 0);
	assert_string_equal(fx->src->commit, v1);
}

static void missing_ref(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo, .ref = "no-such-branch" };

	put(fx, "a.yaml", "a\n");
	commit(fx, NULL);
	assert_int_equal(read_src(fx, &o), MW_EGIT);
	assert_null(fx->src);
	assert_contains(err_msg(), "cannot resolve ref 'no-such-branch' in '");
	assert_contains(err_msg(), fx->repo);
}

/* A repository without a commit has no HEAD to read. */
static void empty_repository(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo };

	assert_int_equal(read_src(fx, &o), MW_EGIT);
	assert_contains(err_msg(), "cannot resolve ref 'HEAD'");
	/* Its working copy can still be read. */
	put(fx, "a.yaml", "a\n");
	o.worktree = true;
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "a.yaml\n");
}

static void bare_repository(void **state)
{
	struct fx *fx = *state;
	char *bare = xasprintf("%s/bare.git", fx->tmp);
	struct source_opts o = { .repo = bare };

	put(fx, "d/a.yaml", "a\n");
	commit(fx, NULL);
	{
		git_clone_options co = GIT_CLONE_OPTIONS_INIT;
		git_repository *r = NULL;

		co.bare = 1;
		check_git(git_clone(&r, fx->repo, bare, &co), "clone");
		git_repository_free(r);
	}
	o.path = "d";
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "d/a.yaml\n");
	/* A bare repository has no working copy to read. */
	o.worktree = true;
	assert_int_equal(read_src(fx, &o), MW_EGIT);
	assert_contains(err_msg(), "is a bare repository");
	free(bare);
}

static void not_a_repository(void **state)
{
	struct fx *fx = *state;
	char *plain = xasprintf("%s/plain", fx->tmp);
	struct source_opts o = { .repo = plain };

	put_bytes(fx, "plain/a.yaml", "x\n", 2);
	assert_int_equal(read_src(fx, &o), MW_EGIT);
	assert_contains(err_msg(), "is not a git repository");
	o.not_a_repo_hint = "the hint";
	assert_int_equal(read_src(fx, &o), MW_EGIT);
	assert_contains(err_msg(), "(the hint)");
	/* Plain files are read in worktree mode, with no commit. */
	o.worktree = true;
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "a.yaml\n");
	assert_null(fx->src->commit);
	free(plain);
}

/* --- what is read ------------------------------------------------------------ */

static void path_folder_and_policies(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo };

	put(fx, "desired/x.yaml", "x\n");
	put(fx, "desired/sub/z.yml", "z\n");
	put(fx, "desired/policies/p.yaml", "p\n");
	put(fx, "desired/sub/policies/q.yaml", "q\n");
	put(fx, "desired/notes.txt", "n\n");
	put(fx, "desired/x.yaml.orig", "o\n");
	put(fx, "other/y.yaml", "y\n");
	put(fx, "policies/root.yaml", "r\n");
	commit(fx, NULL);

	/* Only policies/ right under the folder holds policies. */
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "desired/policies/p.yaml\n"
				"desired/sub/policies/q.yaml\n"
				"desired/sub/z.yml\n"
				"desired/x.yaml\n"
				"other/y.yaml\n"
				"P policies/root.yaml\n");
	o.path = "./desired//";
	assert_int_equal(read_src(fx, &o), 0);
	assert_string_equal(fx->src->path, "desired");
	assert_listing(fx->src, "P desired/policies/p.yaml\n"
				"desired/sub/policies/q.yaml\n"
				"desired/sub/z.yml\n"
				"desired/x.yaml\n");
	/* The same in worktree mode. */
	o.worktree = true;
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "P desired/policies/p.yaml\n"
				"desired/sub/policies/q.yaml\n"
				"desired/sub/z.yml\n"
				"desired/x.yaml\n");
}

static void path_problems(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo };
	char *norm = NULL;

	put(fx, "desired/x.yaml", "x\n");
	commit(fx, NULL);
	o.path = "nope";
	assert_int_equal(read_src(fx, &o), MW_EGIT);
	assert_contains(err_msg(), "path 'nope' does not exist at commit ");
	o.path = "desired/x.yaml";
	assert_int_equal(read_src(fx, &o), MW_EGIT);
	assert_contains(err_msg(), "path 'desired/x.yaml' at commit ");
	assert_contains(err_msg(), "is not a folder");
	/* A folder never leaves the repository. */
	o.path = "desired/../../etc";
	assert_int_equal(read_src(fx, &o), MW_EUSAGE);
	assert_contains(err_msg(), "'desired/../../etc' leaves the repository");
	o.worktree = true;
	assert_int_equal(read_src(fx, &o), MW_EUSAGE);
	o.path = "nope";
	assert_int_equal(read_src(fx, &o), MW_EIO);
	assert_contains(err_msg(), "'nope' is not a folder in '");

	assert_int_equal(source_normalize_path(&norm, "/a/./b/"), 0);
	assert_string_equal(norm, "a/b");
	free(norm);
	assert_int_equal(source_normalize_path(&norm, "."), 0);
	assert_string_equal(norm, "");
	free(norm);
	assert_int_equal(source_normalize_path(&norm, NULL), 0);
	assert_string_equal(norm, "");
	free(norm);
	assert_int_equal(source_normalize_path(&norm, ".."), MW_EUSAGE);
	assert_null(norm);
	/* A name that only starts with dots is a name. */
	assert_int_equal(source_normalize_path(&norm, "..a/...b"), 0);
	assert_string_equal(norm, "..a/...b");
	free(norm);
}

/* Paths in byte order (strcmp), whatever git's or the disk's order. */
static void byte_order(void **state)
{
	static const char want[] = "B.yaml\n"
				   "Z.yml\n"
				   "a-b.yaml\n"
				   "a.yaml\n"
				   "a/b.yaml\n"
				   "a0.yaml\n"
				   "\xc3\xa9.yaml\n";
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo };

	put(fx, "\xc3\xa9.yaml", "e\n");
	put(fx, "a0.yaml", "x\n");
	put(fx, "a/b.yaml", "x\n");
	put(fx, "a.yaml", "x\n");
	put(fx, "a-b.yaml", "x\n");
	put(fx, "Z.yml", "x\n");
	put(fx, "B.yaml", "x\n");
	commit(fx, NULL);
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, want);
	o.worktree = true;
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, want);
}

/* Other tools' YAML (.github/, .gitlab-ci.yml) is never desired state. */
static void hidden_entries_are_skipped(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo };

	put(fx, ".github/workflows/ci.yaml", "x\n");
	put(fx, ".gitlab-ci.yml", "x\n");
	put(fx, "d/.hidden.yaml", "x\n");
	put(fx, "d/.cfg/a.yaml", "x\n");
	put(fx, "d/a.yaml", "x\n");
	commit(fx, NULL);
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "d/a.yaml\n");
	o.worktree = true;
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "d/a.yaml\n");
}

/*
 * A link in the repository may point anywhere on the machine that runs
 * mailward: neither a committed link nor one on disk is followed, to a file
 * or to a folder.
 */
static void symlinks_are_not_followed(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo };
	git_index *index = NULL;
	const git_index_entry *e;

	put_bytes(fx, "outside/secret.yaml", "secret: 1\n", 10);
	put(fx, "d/a.yaml", "a\n");
	link_to(fx, "repo/d/link.yaml", "../../outside/secret.yaml");
	link_to(fx, "repo/d/linkdir", "../../outside");
	link_to(fx, "repo/d/same.yaml", "a.yaml");
	commit(fx, NULL);
	/* git recorded links, not files. */
	check_git(git_repository_index(&index, fx->git), "index");
	e = git_index_get_bypath(index, "d/link.yaml", 0);
	assert_non_null(e);
	assert_int_equal(e->mode, GIT_FILEMODE_LINK);
	git_index_free(index);
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "d/a.yaml\n");
	o.worktree = true;
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "d/a.yaml\n");
	/* A --path that is itself a link is not a folder of the commit either. */
	o.worktree = false;
	o.path = "d/linkdir";
	assert_int_equal(read_src(fx, &o), MW_EGIT);
	assert_contains(err_msg(), "is not a folder");
}

/* A document may hold NUL bytes: its length is kept, not cut. */
static void data_with_nul_bytes(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo };
	const struct source_file *f;

	put_bytes(fx, "repo/n.yaml", "a\0b\n", 4);
	commit(fx, NULL);
	assert_int_equal(read_src(fx, &o), 0);
	f = file(fx->src, "n.yaml");
	assert_int_equal(f->len, 4);
	assert_memory_equal(f->data, "a\0b\n", 4);
	assert_int_equal(f->data[4], '\0');
}

/* --- worktree mode --------------------------------------------------------- */

static void worktree_reads_the_disk(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo, .worktree = true };
	char *sub;

	put(fx, ".gitignore", "ignored.yaml\nbuild/\n");
	put(fx, "a.yaml", "committed\n");
	commit(fx, NULL);
	put(fx, "a.yaml", "edited\n");
	put(fx, "new.yaml", "untracked\n");
	put(fx, "ignored.yaml", "x\n");
	put(fx, "build/out.yaml", "x\n");
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "a.yaml\nnew.yaml\n");
	assert_string_equal(file(fx->src, "a.yaml")->data, "edited\n");
	assert_null(fx->src->commit);
	assert_true(fx->src->worktree);
	/* From a subfolder, the repository's top is where paths start. */
	sub = xasprintf("%s/sub", fx->repo);
	assert_int_equal(fs_mkdirs(sub, 0755), 0);
	o.repo = sub;
	assert_int_equal(read_src(fx, &o), 0);
	assert_listing(fx->src, "a.yaml\nnew.yaml\n");
	free(sub);
}

static void worktree_conflicts(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = "https://git.example.com/r.git", .worktree = true };

	assert_int_equal(read_src(fx, &o), MW_EUSAGE);
	assert_contains(err_msg(), "not a URL");
	o.repo = fx->repo;
	o.require_ancestor = "main";
	assert_int_equal(read_src(fx, &o), MW_EUSAGE);
	assert_contains(err_msg(), "needs a commit");
}

/* --- require-ancestor ------------------------------------------------------- */

/*
 * main: c1 - c2; side: c1 - c3. A commit may be read under require-ancestor
 * main only when it is main or behind it.
 */
static void require_ancestor(void **state)
{
	struct fx *fx = *state;
	struct source_opts o = { .repo = fx->repo, .require_ancestor = "main" };
	char c1[GIT_OID_HEXSZ + 1], c3[GIT_OID_HEXSZ + 1];
	git_oid c1_id;

	put(fx, "a.yaml", "1\n");
	commit(fx, c1);
	check_git(git_oid_fromstr(&c1_id, c1), "oid");
	put(fx, "a.yaml", "3\n");
	commit_to(fx, "refs/heads/side", &c1_id, c3);
	put(fx, "a.yaml", "2\n");
	commit(fx, NULL);

	o.ref = "main";
	assert_int_equal(read_src(fx, &o), 0);
	o.ref = c1;
	assert_int_equal(read_src(fx, &o), 0);
	assert_string_equal(fx->src->commit, c1);
	o.ref = "side";
	assert_int_equal(read_src(fx, &o), MW_EGIT);
	assert_null(fx->src);
	assert_contains(err_msg(), "is not 'main' or an ancestor of it; refusing");
	o.ref = "main";
	o.require_ancestor = "no-such-ref";
	assert_int_equal(read_src(fx, &o), MW_EGIT);
	assert_contains(err_msg(), "cannot resolve ref 'no-such-ref'");

	/* The same check on a saved plan's commit. */
	o.require_ancestor = "main";
	err_clear();
	assert_int_equal(source_check_ancestor(&o, c1), 0);
	assert_int_equal(source_check_ancestor(&o, c3), MW_EGIT);
	assert_contains(err_msg(), "is not 'main' or an ancestor of it");
	assert_int_equal(source_check_ancestor(&o, NULL), MW_EGIT);
	assert_contains(err_msg(), "no commit");
	assert_int_equal(source_check_ancestor(&o, "0123456789abcdef0123456789abcdef01234567"),
			 MW_EGIT);
	assert_contains(err_msg(), "commit 0123456789ab is not in '");
}

/* --- helpers ----------------------------------------------------------------- */

static void urls_and_paths(void **state)
{
	(void)state;
	assert_true(source_is_url("https://github.com/o/r.git"));
	assert_true(source_is_url("file:///srv/r.git"));
	assert_true(source_is_url("git@github.com:o/r.git"));
	assert_true(source_is_url("u:p@host:path"));
	assert_false(source_is_url("/srv/repo"));
	assert_false(source_is_url("./repo"));
	assert_false(source_is_url("dir:with/colon"));
	assert_false(source_is_url("a/b@c:d"));
	assert_false(source_is_url("."));
}

/* --policy reads the disk: a file, or a folder's documents, as policies. */
static void add_disk(void **state)
{
	struct fx *fx = *state;
	struct source *s = xcalloc(1, sizeof(*s));
	char *file_path = xasprintf("%s/one.yaml", fx->tmp);
	char *dir_path = xasprintf("%s/pol", fx->tmp);

	s->path = xstrdup("");
	put_bytes(fx, "one.yaml", "one\n", 4);
	put_bytes(fx, "pol/b.yaml", "b\n", 2);
	put_bytes(fx, "pol/sub/a.yml", "a\n", 2);
	put_bytes(fx, "pol/t.txt", "t\n", 2);
	link_to(fx, "pol/l.yaml", "../one.yaml");
	assert_int_equal(source_add_disk(s, file_path, true), 0);
	assert_int_equal(source_add_disk(s, dir_path, true), 0);
	assert_int_equal(s->nr, 3);
	assert_string_equal(s->files[0].path, file_path);
	assert_true(s->files[0].policy);
	assert_string_equal(s->files[1].data, "b\n");
	assert_true(s->files[2].policy);
	assert_contains(s->files[2].path, "/pol/sub/a.yml");
	assert_int_equal(source_add_disk(s, "/nonexistent/mailward-test", true), MW_EIO);
	assert_contains(err_msg(), "cannot read '/nonexistent/mailward-test'");
	source_free(s);
	free(file_path);
	free(dir_path);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(reads_the_tree_at_a_ref),
		T(missing_ref),
		T(empty_repository),
		T(bare_repository),
		T(not_a_repository),
		T(path_folder_and_policies),
		T(path_problems),
		T(byte_order),
		T(hidden_entries_are_skipped),
		T(symlinks_are_not_followed),
		T(data_with_nul_bytes),
		T(worktree_reads_the_disk),
		T(worktree_conflicts),
		T(require_ancestor),
		T(urls_and_paths),
		T(add_disk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
