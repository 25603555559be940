/*
 * source: where the desired state comes from (libgit2).
 *
 * The only module that includes git2.h. It opens a local repository or a
 * clone of a URL (kept in a cache directory and fetched on later runs),
 * resolves a ref to a commit, and reads every *.yaml and *.yml blob under a
 * folder of that commit's tree, in byte order of path, never following
 * symbolic links and skipping hidden entries (a name starting with '.',
 * such as .github/ or .gitlab-ci.yml: other tools' YAML). In worktree mode it reads the files on
 * disk instead. What it hands on is plain data: a list of files and where they came from.
 */
#ifndef MW_CORE_SOURCE_H
#define MW_CORE_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

/* A document read from the source. `path` is relative to the repository. */
struct source_file {
	char *path;
	char *data; /* NUL-terminated; may hold NULs, use `len` */
	size_t len;
	bool policy; /* under the policies/ folder of `path` */
};

struct source_opts {
	const char *repo; /* local path or URL; "." when NULL */
	const char *ref; /* "HEAD" when NULL */
	const char *path; /* folder inside the repository; root when NULL */
	const char *cache_dir; /* for clones of URLs; XDG default when NULL */
	const char *require_ancestor; /* refuse unless the commit is this or its ancestor */
	bool worktree; /* read the working tree, not a commit */
	bool staged; /* read the index (the next commit), not a commit; local only */
	/*
	 * Also list in source.dirty the documents under `path` that the working
	 * tree of a local, non-bare repository holds otherwise than the commit
	 * read (not with worktree or staged).
	 */
	bool want_dirty;
	/* What to do when `repo` is not a repository; NULL: suggest worktree mode. */
	const char *not_a_repo_hint;
	/*
	 * A URL's token (MAILWARD_GIT_TOKEN, --git-token-file), or NULL: sent as
	 * x-access-token over HTTPS, only to the URL's own scheme, host and port.
	 */
	const char *git_token;
	long timeout_ms; /* bounds a URL's whole clone or fetch; 0: 60 s */
};

/* A document whose working-tree copy is not the commit's. */
struct source_change {
	char *path; /* relative to the repository, as git names it: may hold any byte but NUL */
	const char *how; /* "modified", "added", "deleted" or "untracked"; static */
};

/*
 * What was read and from where. Invariants: `files` is sorted by path in
 * byte order; `commit` is NULL exactly in worktree and staged mode; `repo`
 * never holds credentials (a URL's user:password is removed); `dirty` is
 * sorted by path and empty unless source_opts.want_dirty.
 */
struct source {
	char *repo;
	char *ref;
	char *commit; /* 40 hex digits */
	char *path; /* "" for the root, else without leading or trailing '/' */
	bool worktree, staged;
	struct source_file *files;
	size_t nr, alloc;
	struct source_change *dirty;
	size_t n_dirty, dirty_alloc;
};

/*
 * Read the documents that `opts` designate into `*out` (owned by the caller:
 * source_free()): a commit's tree, the index (staged) or the working tree.
 * An unknown ref's message suggests a close branch or tag name. Fails with
 * MW_EUSAGE (a folder that leaves the repository; worktree mode with a URL
 * or a required ancestor), MW_EGIT (repository, ref, folder, clone,
 * unmerged index entries or ancestry problems), MW_ETIMEOUT (a clone or
 * fetch past opts->timeout_ms), MW_ECONFIG (a URL that is not valid, plain
 * http to a host that is not loopback) or MW_EIO, with a message that names
 * the repository, ref or path at fault. Messages speak of the options'
 * concepts (folder, worktree mode, required ancestor), never of command
 * line flags: the caller knows where each came from.
 *
 * A URL is cloned into, or fetched into, the cache by a child process that
 * is killed at the deadline. Credentials (the URL's userinfo, else
 * opts->git_token) go only to the URL's own scheme, host and port; with
 * credentials no redirect is followed. Every URL printed or recorded is
 * redacted (util/url.h).
 */
int source_read(struct source **out, const struct source_opts *opts);

void source_free(struct source *src);

/*
 * Check that the commit `commit_hex` (40 hex digits; NULL refuses) is
 * opts->require_ancestor or an ancestor of it, in the repository `opts`
 * names. apply uses it on a saved plan's commit. Fails with MW_EGIT.
 */
int source_check_ancestor(const struct source_opts *opts, const char *commit_hex);

/*
 * Whether `s` names a remote repository rather than a local path:
 * scheme://..., or scp-like [user[:password]@]host:path (with an '@', and no
 * '/' before the first ':').
 */
bool source_is_url(const char *s);

/*
 * Add the documents at `path` on disk (a file, or every *.yaml and *.yml
 * under a folder, without following links inside it) to `src` with
 * `policy` set as given; their names in messages are `path`-based. Used for
 * --policy, which reads the file system, not the repository.
 */
int source_add_disk(struct source *src, const char *path, bool policy);

/* Add a file to `src`, copying `path` and taking ownership of `data`. */
void source_add_file(struct source *src, const char *path, char *data, size_t len, bool policy);

/* Sort `src->files` by path (byte order) and mark the policy documents. */
void source_finish(struct source *src);

/*
 * A folder inside the repository as `struct source` records it: "" for the
 * root, else without "." segments and leading or trailing '/'. Writes a new
 * string to `*out`; fails with MW_EUSAGE when it leaves the repository.
 */
int source_normalize_path(char **out, const char *in);

/* libgit2's version, for `mailward version`, into `out`. */
void source_library_version(char *out, size_t size);

#endif
