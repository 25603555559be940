#include "source.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/http.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/hash.h"
#include "util/mem.h"
#include "util/suggest.h"
#include "util/timeutil.h"
#include "util/url.h"

/* A desired-state file larger than this is a mistake, not configuration. */
#define MAX_FILE_BYTES (64u << 20)

static const char *git_msg(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown libgit2 error";
}

bool source_is_url(const char *s)
{
	const char *colon, *slash;

	if (strstr(s, "://"))
		return true;
	/* scp-like "user@host:path", but not a local path holding a colon. */
	colon = strchr(s, ':');
	slash = strchr(s, '/');
	return colon && strchr(s, '@') && (!slash || colon < slash);
}

/* A URL fit for records and messages (util/url.h); a local path as it is. */
static char *shown_repo(const char *repo)
{
	struct buf b = BUF_INIT;

	url_redact(&b, repo, 0);
	return buf_detach(&b, NULL);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

static bool is_document(const char *name)
{
	return has_suffix(name, ".yaml") || has_suffix(name, ".yml");
}

void source_add_file(struct source *src, const char *path, char *data, size_t len, bool policy)
{
	struct source_file *f;

	ARRAY_GROW(src->files, src->nr + 1, src->alloc);
	f = &src->files[src->nr++];
	f->path = xstrdup(path);
	f->data = data;
	f->len = len;
	f->policy = policy;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct source_file *)a)->path, ((const struct source_file *)b)->path);
}

void source_finish(struct source *src)
{
	size_t plen = strlen(src->path);

	if (src->nr > 1)
		qsort(src->files, src->nr, sizeof(*src->files), cmp_file);
	for (size_t i = 0; i < src->nr; i++) {
		const char *rel = src->files[i].path + (plen ? plen + 1 : 0);

		src->files[i].policy = !strncmp(rel, "policies/", 9);
	}
}

void source_free(struct source *src)
{
	if (!src)
		return;
	for (size_t i = 0; i < src->nr; i++) {
		free(src->files[i].path);
		free(src->files[i].data);
	}
	free(src->files);
	for (size_t i = 0; i < src->n_dirty; i++)
		free(src->dirty[i].path);
	free(src->dirty);
	free(src->repo);
	free(src->ref);
	free(src->commit);
	free(src->path);
	free(src);
}

/*
 * "./a/b/" -> "a/b"; "" and "." -> "". Refuses ".." so that the folder can
 * never leave the repository.
 */
int source_normalize_path(char **out, const char *in)
{
	struct buf b = BUF_INIT;
	const char *p = in ? in : "";

	*out = NULL;
	while (*p) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n == 2 && !strncmp(p, "..", 2)) {
			buf_release(&b);
			return err_set(MW_EUSAGE, "folder '%s' leaves the repository", in);
		}
		if (!(n == 1 && *p == '.')) {
			if (b.len)
				buf_putc(&b, '/');
			buf_add(&b, p, n);
		}
		p += n;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

/* --- clones of remote repositories ------------------------------------ */

/*
 * What the credential callback may hand out, and to whom. The URL's
 * userinfo (decoded) wins over the token; both go only to `origin`.
 */
struct cred_state {
	int attempts;
	const char *origin; /* "scheme://host:port" of --repo */
	const char *user, *password; /* from --repo's userinfo, or NULL */
	const char *token; /* MAILWARD_GIT_TOKEN or --git-token-file, or NULL */
	char *refused_to; /* the origin asked for them elsewhere, or NULL */
};

/*
 * The origin ("scheme://host:port") of a URL or scp-like address, for
 * comparing where credentials may go. scp-like "user@host:path" is ssh.
 */
static int url_origin(struct buf *out, const char *url, bool *loopback)
{
	char *bare = NULL;
	int rc;

	url_split_userinfo(&bare, NULL, NULL, url);
	if (!strstr(bare, "://")) {
		const char *host = strrchr(bare, '@') ? strrchr(bare, '@') + 1 : bare;
		size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":");
		char *ssh = xasprintf("ssh://%.*s/", (int)n, host);

		free(bare);
		bare = ssh;
	}
	rc = http_url_origin(out, bare, loopback);
	free(bare);
	return rc;
}

static int acquire_cred(git_credential **out, const char *url, const char *user_from_url,
			unsigned int allowed, void *payload)
{
	struct cred_state *st = payload;
	struct buf origin = BUF_INIT;
	bool same;

	/* libgit2 asks again after each refusal: give up instead of looping. */
	if (++st->attempts > 3)
		return GIT_EAUTH;
	/* Credentials belong to --repo's scheme, host and port, nowhere else. */
	same = url && url_origin(&origin, url, NULL) == 0 && !strcmp(origin.ptr, st->origin);
	err_clear();
	if (!same) {
		if (!st->refused_to) {
			struct buf shown = BUF_INIT;

			url_redact(&shown, url ? url : "?", URL_ORIGIN_ONLY);
			st->refused_to = buf_detach(&shown, NULL);
		}
		buf_release(&origin);
		git_error_set_str(GIT_ERROR_NET, "credentials refused to another host");
		return GIT_EAUTH;
	}
	buf_release(&origin);
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return git_credential_ssh_key_from_agent(out,
							 user_from_url ? user_from_url : "git");
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) {
		if (st->user)
			return git_credential_userpass_plaintext_new(
				out, st->user, st->password ? st->password : "");
		if (st->token &&
		    (!strncmp(st->origin, "https://", 8) || !strncmp(st->origin, "http://", 7)))
			/* What GitHub and GitLab take for a token over HTTPS. */
			return git_credential_userpass_plaintext_new(out, "x-access-token",
								     st->token);
	}
	return GIT_PASSTHROUGH;
}

static int create_mirror_remote(git_remote **out, git_repository *repo, const char *name,
				const char *url, void *payload)
{
	git_config *cfg = NULL;
	int rc;

	/* A mirror keeps every local branch equal to the remote one on each fetch. */
	rc = git_remote_create_with_fetchspec(out, repo, name, url, "+refs/*:refs/*");
	if (rc < 0)
		return rc;
	rc = git_repository_config(&cfg, repo);
	if (rc == 0)
		rc = git_config_set_bool(cfg, "remote.origin.mirror", 1);
	git_config_free(cfg);
	return rc;
}

static char *default_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (xdg && *xdg)
		return xasprintf("%s/mailward", xdg);
	if (home && *home)
		return xasprintf("%s/.cache/mailward", home);
	return xstrdup(".mailward-cache");
}

/*
 * Point HEAD at the remote's default branch, as a clone does: the mirror
 * fetch brings the branches, not which one HEAD is. `remote` is connected.
 */
static void follow_remote_head(git_repository *repo, git_remote *remote)
{
	git_buf head = GIT_BUF_INIT;

	if (git_remote_default_branch(&head, remote) == 0 && head.ptr)
		git_repository_set_head(repo, head.ptr);
	git_buf_dispose(&head);
	/* A remote without branches has no HEAD to follow: not an error here. */
	git_error_clear();
}

/* One clone or fetch into the cache, as the child process runs it. */
struct fetch_job {
	const char *url; /* without credentials: what the cache's remote holds */
	const char *shown; /* redacted, for messages */
	const char *dir; /* the cache repository */
	const char *tmp; /* a first clone goes here, then is renamed to `dir` */
	bool exists; /* `dir` is a repository: fetch into it */
	struct cred_state *cred;
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* rm -rf: what a killed clone or fetch left in the cache. */
static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * libgit2's last message, without the URL's credentials or query should it
 * quote them (it is handed the URL without userinfo, but a query stays),
 * appended to `out`.
 */
static void scrub_git_msg(struct buf *out, const struct fetch_job *job)
{
	const char *secrets[3] = { job->cred->password, job->cred->token, strchr(job->url, '?') };
	const char *m = git_msg();

	while (*m) {
		size_t skip = 0;

		for (size_t i = 0; i < ARRAY_SIZE(secrets) && !skip; i++)
			if (secrets[i] && *secrets[i] &&
			    !strncmp(m, secrets[i], strlen(secrets[i])))
				skip = strlen(secrets[i]);
		if (skip) {
			buf_puts(out, "***");
			m += skip;
		} else {
			buf_putc(out, *m++);
		}
	}
}

static int run_fetch(const struct fetch_job *job)
{
	git_fetch_options fetch_opts = GIT_FETCH_OPTIONS_INIT;
	git_remote_connect_options conn = GIT_REMOTE_CONNECT_OPTIONS_INIT;
	bool creds = job->cred->user || job->cred->token;
	const char *target = job->exists ? job->dir : job->tmp;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	struct buf why = BUF_INIT;
	int rc = 0;

	fetch_opts.callbacks.credentials = acquire_cred;
	fetch_opts.callbacks.payload = job->cred;
	fetch_opts.prune = GIT_FETCH_PRUNE;
	/*
	 * acquire_cred() refuses any origin but --repo's; with credentials no
	 * redirect is followed either, so that no request carrying them (nor
	 * the fetch itself) goes where git does not say.
	 */
	fetch_opts.follow_redirects =
		creds ? GIT_REMOTE_REDIRECT_NONE : GIT_REMOTE_REDIRECT_INITIAL;
	conn.callbacks = fetch_opts.callbacks;
	conn.follow_redirects = fetch_opts.follow_redirects;
	if (job->exists) {
		if (git_repository_open_bare(&repo, target) < 0 ||
		    git_remote_lookup(&remote, repo, "origin") < 0)
			goto fail;
	} else {
		/* The stored remote URL never holds credentials: acquire_cred adds them. */
		remove_tree(target);
		if (git_repository_init(&repo, target, 1) < 0 ||
		    create_mirror_remote(&remote, repo, "origin", job->url, NULL) < 0)
			goto fail;
	}
	if (git_remote_connect_ext(remote, GIT_DIRECTION_FETCH, &conn) < 0)
		goto fail;
	follow_remote_head(repo, remote);
	if (git_remote_fetch(remote, NULL, &fetch_opts, "mailward fetch") < 0)
		goto fail;
	/* A clone appears whole or not at all; a concurrent run's clone is as good. */
	if (!job->exists && rename(target, job->dir) < 0)
		remove_tree(target);
	goto done;
fail:
	scrub_git_msg(&why, job);
	if (job->cred->refused_to)
		rc = err_set(MW_EGIT,
			     "cannot %s '%s': the server asked for credentials at %s, which is "
			     "not the repository's scheme, host and port (a redirect?); no git "
			     "credentials go there",
			     job->exists ? "fetch" : "clone", job->shown, job->cred->refused_to);
	else
		rc = err_set(MW_EGIT, "cannot %s '%s' into '%s': %s%s",
			     job->exists ? "fetch" : "clone", job->shown, job->dir, why.ptr,
			     creds && strstr(why.ptr, "redirect")
				     ? " (with git credentials, no redirect is followed)"
				     : "");
done:
	buf_release(&why);
	git_remote_free(remote);
	git_repository_free(repo);
	return rc;
}

/*
 * Run `job` in a child process that is killed at the deadline: libgit2
 * 1.5 has no timeout, and a server that sends headers and then nothing
 * would hold the fetch forever. The child reports its code and message
 * through a pipe. A killed fetch's repository is removed: the next run
 * clones afresh instead of tripping on its lock files.
 */
static int run_fetch_bounded(const struct fetch_job *job, long timeout_ms)
{
	double deadline = time_mono() + (double)timeout_ms / 1000.0;
	struct buf msg = BUF_INIT;
	int fds[2] = { -1, -1 };
	int child_rc = MW_EGIT, status = 0, rc = 0;
	bool got_rc = false, timed_out = false;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_set(MW_EIO, "cannot create a pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = err_set(MW_EIO, "cannot start the fetch process: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return rc;
	}
	if (pid == 0) {
		int code;
		const char *m;

		close(fds[0]);
		/* Ctrl-C ends the fetch at once; the parent reports it. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		code = run_fetch(job);
		m = code < 0 ? err_msg() : "";
		if (write(fds[1], &code, sizeof(code)) == (ssize_t)sizeof(code) && *m &&
		    write(fds[1], m, strlen(m)) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	for (;;) {
		char chunk[1024];
		double left = deadline - time_mono();
		struct pollfd pfd = { fds[0], POLLIN, 0 };
		ssize_t n;
		int ready;

		if (left <= 0) {
			timed_out = true;
			break;
		}
		ready = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0)
			continue;
		n = read(fds[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_add(&msg, chunk, (size_t)n);
	}
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (msg.len >= sizeof(child_rc)) {
		memcpy(&child_rc, msg.ptr, sizeof(child_rc));
		got_rc = true;
	}
	if (timed_out) {
		remove_tree(job->exists ? job->dir : job->tmp);
		rc = err_set(MW_ETIMEOUT,
			     "cannot %s '%s': no end within %ld s (the time limit); gave up (the "
			     "server answers too slowly or not at all)",
			     job->exists ? "fetch" : "clone", job->shown, timeout_ms / 1000);
	} else if (!got_rc) {
		remove_tree(job->exists ? job->dir : job->tmp);
		if (WIFSIGNALED(status))
			rc = err_set(MW_EGIT,
				     "cannot %s '%s': the fetch process was stopped by "
				     "signal %d",
				     job->exists ? "fetch" : "clone", job->shown, WTERMSIG(status));
		else
			rc = err_set(MW_EGIT,
				     "cannot %s '%s': the fetch process ended without a word",
				     job->exists ? "fetch" : "clone", job->shown);
	} else if (child_rc < 0) {
		/* A first clone that failed leaves nothing behind. */
		if (!job->exists)
			remove_tree(job->tmp);
		rc = err_set(child_rc, "%.*s", (int)(msg.len - sizeof(child_rc)),
			     msg.ptr + sizeof(child_rc));
	}
	buf_release(&msg);
	return rc;
}

/*
 * Open the cache's clone of opts->repo, cloned or fetched first within
 * opts->timeout_ms. `shown` is the redacted URL for messages.
 */
static int open_remote(git_repository **out, const struct source_opts *opts, const char *shown)
{
	struct cred_state cred = { 0 };
	struct fetch_job job = { 0 };
	struct buf origin = BUF_INIT;
	char *cache = opts->cache_dir ? xstrdup(opts->cache_dir) : default_cache_dir();
	char *url = NULL, *user = NULL, *password = NULL, *dir = NULL, *tmp = NULL;
	char key[HASH_HEX_SIZE];
	bool loopback = false;
	git_repository *probe = NULL;
	int rc = 0;

	*out = NULL;
	url_split_userinfo(&url, &user, &password, opts->repo);
	/* No origin (file://, or unparsable): credentials go nowhere. */
	if (url_origin(&origin, opts->repo, &loopback) < 0) {
		buf_truncate(&origin, 0);
		err_clear();
	}
	/* As for the API: plain http could be read and changed on the way. */
	if (!strncasecmp(opts->repo, "http://", 7) && !loopback) {
		rc = err_set(MW_ECONFIG,
			     "repository '%s' uses plain http: only a loopback host (localhost, "
			     "127.0.0.0/8, [::1]) may; use https",
			     shown);
		goto done;
	}
	cred.origin = origin.ptr;
	if (user) {
		cred.user = http_unescape(user);
		cred.password = password ? http_unescape(password) : NULL;
	}
	cred.token = opts->git_token;
	/* The key ignores credentials, so that rotating a token keeps the cache. */
	hash_sha256_hex(key, url, strlen(url));
	dir = xasprintf("%s/repos/%.16s.git", cache, key + 7);
	tmp = xasprintf("%s/repos/%.16s.git.tmp-%ld", cache, key + 7, (long)getpid());
	rc = fs_mkdirs(cache, 0700);
	if (rc < 0)
		goto done;
	job.url = url;
	job.shown = shown;
	job.dir = dir;
	job.tmp = tmp;
	job.exists = git_repository_open_bare(&probe, dir) == 0;
	job.cred = &cred;
	git_repository_free(probe);
	rc = run_fetch_bounded(&job, opts->timeout_ms > 0 ? opts->timeout_ms : 60000);
	if (rc < 0)
		goto done;
	if (git_repository_open_bare(out, dir) < 0)
		rc = err_set(MW_EGIT, "cannot open the clone of '%s' in '%s': %s", shown, dir,
			     git_msg());
done:
	if (cred.password)
		explicit_bzero((char *)cred.password, strlen(cred.password));
	if (password)
		explicit_bzero(password, strlen(password));
	free((char *)cred.user);
	free((char *)cred.password);
	free(cred.refused_to);
	free(user);
	free(password);
	free(url);
	free(dir);
	free(tmp);
	free(cache);
	buf_release(&origin);
	return rc;
}

/* --- reading a commit's tree ------------------------------------------- */

struct walk_state {
	struct source *src;
	git_repository *repo;
	const char *prefix; /* --path, "" for the root */
	int rc;
};

/*
 * Whether the blob `id` (at `path`, for the message) is within
 * MAX_FILE_BYTES, from its object header alone: a blob that compresses to
 * almost nothing may inflate to gigabytes, and git_blob_lookup() reads it
 * whole.
 */
static int check_blob_size(git_repository *repo, const git_oid *id, const char *path)
{
	git_odb *odb = NULL;
	git_object_t type;
	size_t size = 0;
	int rc = 0;

	if (git_repository_odb(&odb, repo) < 0 || git_odb_read_header(&size, &type, odb, id) < 0)
		rc = err_set(MW_EGIT, "cannot read '%s': %s", path, git_msg());
	else if (size > MAX_FILE_BYTES)
		rc = err_set(MW_EIO, "'%s' is larger than %u bytes", path, MAX_FILE_BYTES);
	git_odb_free(odb);
	return rc;
}

static int walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
	struct walk_state *w = payload;
	git_filemode_t mode = git_tree_entry_filemode(entry);
	const char *name = git_tree_entry_name(entry);
	git_blob *blob = NULL;
	char *path = NULL;
	size_t size;

	/*
	 * Hidden files and folders (.github/, .gitlab-ci.yml) are other tools'
	 * YAML, never desired state: a positive return skips them, and what
	 * is under them.
	 */
	if (name[0] == '.')
		return 1;
	/* Never follow links; submodules are other repositories. */
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0;
	if (!is_document(name))
		return 0;
	path = xasprintf("%s%s%s%s", w->prefix, *w->prefix ? "/" : "", root, name);
	w->rc = check_blob_size(w->repo, git_tree_entry_id(entry), path);
	if (w->rc < 0)
		goto fail;
	if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(entry)) < 0) {
		w->rc = err_set(MW_EGIT, "cannot read '%s': %s", path, git_msg());
		goto fail;
	}
	size = (size_t)git_blob_rawsize(blob);
	if (size > MAX_FILE_BYTES) {
		w->rc = err_set(MW_EIO, "'%s' is larger than %u bytes", path, MAX_FILE_BYTES);
		goto fail;
	}
	source_add_file(w->src, path, xstrndup(git_blob_rawcontent(blob), size), size, false);
	git_blob_free(blob);
	free(path);
	return 0;
fail:
	git_blob_free(blob);
	free(path);
	return -1;
}

static int read_commit_tree(struct source *src, git_repository *repo, const git_commit *commit)
{
	struct walk_state w = { src, repo, src->path, 0 };
	git_tree *root = NULL, *tree = NULL;
	git_tree_entry *entry = NULL;
	int rc = 0;

	if (git_commit_tree(&root, commit) < 0) {
		rc = err_set(MW_EGIT, "cannot read the tree of commit %s: %s", src->commit,
			     git_msg());
		goto done;
	}
	if (!*src->path) {
		tree = root;
		root = NULL;
	} else {
		if (git_tree_entry_bypath(&entry, root, src->path) < 0) {
			rc = err_set(MW_EGIT, "path '%s' does not exist at commit %.12s (ref '%s')",
				     src->path, src->commit, src->ref);
			goto done;
		}
		if (git_tree_entry_type(entry) != GIT_OBJECT_TREE) {
			rc = err_set(MW_EGIT, "path '%s' at commit %.12s is not a folder",
				     src->path, src->commit);
			goto done;
		}
		if (git_tree_lookup(&tree, repo, git_tree_entry_id(entry)) < 0) {
			rc = err_set(MW_EGIT, "cannot read folder '%s': %s", src->path, git_msg());
			goto done;
		}
	}
	if (git_tree_walk(tree, GIT_TREEWALK_PRE, walk_cb, &w) < 0) {
		rc = w.rc ? w.rc : err_set(MW_EGIT, "cannot walk '%s': %s", src->path, git_msg());
		goto done;
	}
done:
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_tree_free(root);
	return rc;
}

/* The branch (local and remote-tracking) and tag names of `repo`, NULL-terminated. */
static char **ref_names(git_repository *repo)
{
	git_strarray tags = { NULL, 0 };
	git_branch_iterator *it = NULL;
	git_reference *ref = NULL;
	git_branch_t type;
	char **names = NULL;
	size_t n = 0, alloc = 0;

	if (git_branch_iterator_new(&it, repo, GIT_BRANCH_ALL) == 0) {
		while (git_branch_next(&ref, &type, it) == 0) {
			ARRAY_GROW(names, n + 2, alloc);
			names[n++] = xstrdup(git_reference_shorthand(ref));
			git_reference_free(ref);
		}
		git_branch_iterator_free(it);
	}
	if (git_tag_list(&tags, repo) == 0) {
		for (size_t i = 0; i < tags.count; i++) {
			ARRAY_GROW(names, n + 2, alloc);
			names[n++] = xstrdup(tags.strings[i]);
		}
		git_strarray_dispose(&tags);
	}
	ARRAY_GROW(names, n + 1, alloc);
	names[n] = NULL;
	return names;
}

static int resolve_commit(git_commit **out, git_repository *repo, const char *ref,
			  const char *shown)
{
	git_object *obj = NULL, *peeled = NULL;
	int rc = 0;

	*out = NULL;
	if (git_revparse_single(&obj, repo, ref) < 0) {
		char **names = ref_names(repo);
		const char *close = suggest_closest(ref, (const char *const *)names);

		if (close)
			rc = err_set(MW_EGIT,
				     "cannot resolve ref '%s' in '%s' (did you mean '%s'?)", ref,
				     shown, close);
		else
			rc = err_set(MW_EGIT, "cannot resolve ref '%s' in '%s': %s", ref, shown,
				     git_msg());
		for (size_t i = 0; names[i]; i++)
			free(names[i]);
		free(names);
		goto done;
	}
	if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		rc = err_set(MW_EGIT, "ref '%s' in '%s' does not name a commit", ref, shown);
		goto done;
	}
	*out = (git_commit *)peeled;
	peeled = NULL;
done:
	git_object_free(peeled);
	git_object_free(obj);
	return rc;
}

static int check_ancestor(git_repository *repo, const git_commit *commit, const char *ref,
			  const char *shown)
{
	git_commit *anc = NULL;
	const git_oid *id = git_commit_id(commit);
	char hex[GIT_OID_HEXSZ + 1];
	int rc, d;

	rc = resolve_commit(&anc, repo, ref, shown);
	if (rc < 0)
		return err_wrap(rc, "required ancestor: ");
	git_oid_tostr(hex, sizeof(hex), id);
	if (git_oid_equal(id, git_commit_id(anc)))
		goto done;
	d = git_graph_descendant_of(repo, git_commit_id(anc), id);
	if (d < 0)
		rc = err_set(MW_EGIT, "cannot compare commit %.12s with '%s': %s", hex, ref,
			     git_msg());
	else if (d == 0)
		rc = err_set(MW_EGIT, "commit %.12s is not '%s' or an ancestor of it; refusing",
			     hex, ref);
done:
	git_commit_free(anc);
	return rc;
}

/*
 * Whether the repository path `path` is a document under `prefix` as a
 * tree walk finds it: no hidden name below `prefix`, a .yaml or .yml name.
 */
static bool document_under(const char *prefix, const char *path)
{
	size_t plen = strlen(prefix);
	const char *rel = path;

	if (plen) {
		if (strncmp(path, prefix, plen) || path[plen] != '/')
			return false;
		rel = path + plen + 1;
	}
	for (const char *seg = rel; seg; seg = strchr(seg, '/') ? strchr(seg, '/') + 1 : NULL)
		if (seg[0] == '.')
			return false;
	return is_document(rel);
}

static bool blob_mode(uint32_t mode)
{
	return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

/* --- reading the index -------------------------------------------------- */

static int read_index(struct source *src, git_repository *repo)
{
	git_index *index = NULL;
	git_blob *blob = NULL;
	size_t n, found = 0, plen = strlen(src->path);
	int rc = 0;

	if (git_repository_is_bare(repo))
		return err_set(MW_EGIT, "'%s' is a bare repository: it has no index to read",
			       src->repo);
	if (git_repository_index(&index, repo) < 0)
		return err_set(MW_EGIT, "cannot read the index of '%s': %s", src->repo, git_msg());
	n = git_index_entrycount(index);
	for (size_t i = 0; i < n; i++) {
		const git_index_entry *e = git_index_get_byindex(index, i);
		size_t size;

		if (plen && (strncmp(e->path, src->path, plen) || e->path[plen] != '/'))
			continue;
		found++;
		if (!document_under(src->path, e->path))
			continue;
		if (git_index_entry_stage(e) != 0) {
			rc = err_set(MW_EGIT, "'%s' has an unresolved merge conflict in the index",
				     e->path);
			goto done;
		}
		/* Never follow links; submodules are other repositories. */
		if (!blob_mode(e->mode))
			continue;
		rc = check_blob_size(repo, &e->id, e->path);
		if (rc < 0)
			goto done;
		if (git_blob_lookup(&blob, repo, &e->id) < 0) {
			rc = err_set(MW_EGIT, "cannot read '%s' from the index: %s", e->path,
				     git_msg());
			goto done;
		}
		size = (size_t)git_blob_rawsize(blob);
		if (size > MAX_FILE_BYTES) {
			rc = err_set(MW_EIO, "'%s' is larger than %u bytes", e->path,
				     MAX_FILE_BYTES);
			goto done;
		}
		source_add_file(src, e->path, xstrndup(git_blob_rawcontent(blob), size), size,
				false);
		git_blob_free(blob);
		blob = NULL;
	}
	if (*src->path && !found)
		rc = err_set(MW_EGIT, "path '%s' holds no file in the index of '%s'", src->path,
			     src->repo);
done:
	git_blob_free(blob);
	git_index_free(index);
	return rc;
}

/* --- what the working tree holds otherwise than the commit --------------- */

static int cmp_change(const void *a, const void *b)
{
	return strcmp(((const struct source_change *)a)->path,
		      ((const struct source_change *)b)->path);
}

static const char *change_name(git_delta_t status)
{
	switch (status) {
	case GIT_DELTA_ADDED:
		return "added";
	case GIT_DELTA_DELETED:
		return "deleted";
	case GIT_DELTA_UNTRACKED:
		return "untracked";
	default:
		return "modified";
	}
}

/*
 * The documents under --path whose working-tree copy differs from the
 * commit's: compared with the commit read, untracked ones too, ignored ones
 * not (`git diff COMMIT` plus untracked files). The index serves only as
 * the stat cache: without it every file would be read and hashed (2000
 * documents: 15 ms of CPU with it, 140 ms without).
 */
static int read_dirty(struct source *src, git_repository *repo, const git_commit *commit)
{
	git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
	git_diff *diff = NULL;
	git_tree *tree = NULL;
	char *spec = src->path;
	int rc = 0;

	if (git_repository_is_bare(repo))
		return 0;
	if (git_commit_tree(&tree, commit) < 0)
		return err_set(MW_EGIT, "cannot read the tree of commit %s: %s", src->commit,
			       git_msg());
	/* --path is a folder, never a pattern: "dom[ai]ns" names itself. */
	dopts.flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
		      GIT_DIFF_INCLUDE_TYPECHANGE | GIT_DIFF_DISABLE_PATHSPEC_MATCH;
	if (*src->path) {
		dopts.pathspec.strings = &spec;
		dopts.pathspec.count = 1;
	}
	if (git_diff_tree_to_workdir_with_index(&diff, repo, tree, &dopts) < 0) {
		rc = err_set(MW_EGIT,
			     "cannot compare the working tree of '%s' with commit %.12s: %s",
			     src->repo, src->commit, git_msg());
		goto done;
	}
	for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const git_diff_file *f =
			d->status == GIT_DELTA_DELETED ? &d->old_file : &d->new_file;

		if (!document_under(src->path, f->path))
			continue;
		if (!blob_mode(d->old_file.mode) && !blob_mode(d->new_file.mode))
			continue;
		ARRAY_GROW(src->dirty, src->n_dirty + 1, src->dirty_alloc);
		src->dirty[src->n_dirty].path = xstrdup(f->path);
		src->dirty[src->n_dirty].how = change_name(d->status);
		src->n_dirty++;
	}
	if (src->n_dirty > 1)
		qsort(src->dirty, src->n_dirty, sizeof(*src->dirty), cmp_change);
done:
	git_diff_free(diff);
	git_tree_free(tree);
	return rc;
}

/* --- reading the working tree ------------------------------------------ */

struct disk_walk {
	struct source *src;
	git_repository *repo; /* NULL outside a repository: nothing is ignored */
	const char *top; /* the directory that paths are relative to */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ignored(const struct disk_walk *w, const char *rel)
{
	int yes = 0;

	return w->repo && git_ignore_path_is_ignored(&yes, w->repo, rel) == 0 && yes;
}

static int walk_disk(struct disk_walk *w, const char *rel)
{
	char *dirpath = xasprintf("%s%s%s", w->top, *rel ? "/" : "", rel);
	char **names = NULL;
	size_t n = 0, alloc = 0;
	DIR *dir = opendir(dirpath);
	struct dirent *de;
	int rc = 0;

	if (!dir) {
		rc = err_set(MW_EIO, "cannot read folder '%s': %s", dirpath, strerror(errno));
		goto done;
	}
	while ((de = readdir(dir))) {
		/* As in a commit's tree: hidden entries are other tools'. */
		if (de->d_name[0] == '.')
			continue;
		ARRAY_GROW(names, n + 1, alloc);
		names[n++] = xstrdup(de->d_name);
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *child = xasprintf("%s%s%s", rel, *rel ? "/" : "", names[i]);
		char *full = xasprintf("%s/%s", w->top, child);
		struct stat st;

		if (lstat(full, &st) < 0) {
			rc = err_set(MW_EIO, "cannot stat '%s': %s", full, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (!ignored(w, child))
				rc = walk_disk(w, child);
		} else if (S_ISREG(st.st_mode) && is_document(names[i]) && !ignored(w, child)) {
			char *data = NULL;
			size_t len = 0;

			rc = fs_read_file(&data, &len, full, MAX_FILE_BYTES);
			if (rc == 0)
				source_add_file(w->src, child, data, len, false);
		}
		free(child);
		free(full);
	}
done:
	if (dir)
		closedir(dir);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dirpath);
	return rc;
}

int source_add_disk(struct source *src, const char *path, bool policy)
{
	struct source tmp = { 0 };
	struct disk_walk w = { &tmp, NULL, path };
	struct stat st;
	int rc;

	if (stat(path, &st) < 0)
		return err_set(MW_EIO, "cannot read '%s': %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode)) {
		rc = walk_disk(&w, "");
	} else {
		char *data = NULL;
		size_t len = 0;

		rc = fs_read_file(&data, &len, path, MAX_FILE_BYTES);
		if (rc == 0)
			source_add_file(&tmp, "", data, len, policy);
	}
	for (size_t i = 0; i < tmp.nr; i++) {
		struct source_file *f = &tmp.files[i];
		char *name = *f->path ? xasprintf("%s/%s", path, f->path) : xstrdup(path);

		if (rc == 0)
			source_add_file(src, name, f->data, f->len, policy);
		else
			free(f->data);
		free(name);
		free(f->path);
	}
	free(tmp.files);
	return rc;
}

static int read_worktree(struct source *src, git_repository *repo, const char *dir)
{
	struct disk_walk w = { src, repo, NULL };
	char *top = NULL;
	int rc;

	if (repo) {
		const char *wd = git_repository_workdir(repo);

		if (!wd)
			return err_set(MW_EGIT,
				       "'%s' is a bare repository: it has no working tree to read",
				       src->repo);
		top = xstrndup(wd, strlen(wd) - (has_suffix(wd, "/") ? 1 : 0));
	} else {
		top = xstrdup(dir);
	}
	w.top = top;
	if (*src->path) {
		char *full = xasprintf("%s/%s", top, src->path);

		if (!fs_is_dir(full)) {
			rc = err_set(MW_EIO, "'%s' is not a folder in '%s'", src->path, top);
			free(full);
			free(top);
			return rc;
		}
		free(full);
	}
	rc = walk_disk(&w, src->path);
	free(top);
	return rc;
}

/* ----------------------------------------------------------------------- */

int source_read(struct source **out, const struct source_opts *opts)
{
	const char *repo_arg = opts->repo ? opts->repo : ".";
	struct source *src = xcalloc(1, sizeof(*src));
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	char hex[GIT_OID_HEXSZ + 1];
	bool remote = source_is_url(repo_arg);
	int rc = 0;

	*out = NULL;
	git_libgit2_init();
	src->repo = remote ? shown_repo(repo_arg) : xstrdup(repo_arg);
	src->ref = xstrdup(opts->ref ? opts->ref : "HEAD");
	src->worktree = opts->worktree;
	src->staged = opts->staged;
	rc = source_normalize_path(&src->path, opts->path);
	if (rc < 0)
		goto done;
	if (opts->worktree && remote) {
		rc = err_set(
			MW_EUSAGE,
			"worktree mode reads files on disk: give a local repository, not a URL");
		goto done;
	}
	if (opts->worktree && opts->require_ancestor) {
		rc = err_set(MW_EUSAGE,
			     "a required ancestor needs a commit: worktree mode reads none");
		goto done;
	}
	if (remote) {
		rc = open_remote(&repo, opts, src->repo);
		if (rc < 0)
			goto done;
	} else if (git_repository_open_ext(&repo, repo_arg, 0, NULL) < 0) {
		repo = NULL;
		if (!opts->worktree) {
			rc = err_set(MW_EGIT, "'%s' is not a git repository: %s (%s)", repo_arg,
				     git_msg(),
				     opts->not_a_repo_hint ? opts->not_a_repo_hint
							   : "read plain files in worktree mode");
			goto done;
		}
		if (!fs_is_dir(repo_arg)) {
			rc = err_set(MW_EIO, "'%s' is not a folder", repo_arg);
			goto done;
		}
	}
	if (opts->worktree) {
		rc = read_worktree(src, repo, repo_arg);
		goto finish;
	}
	if (opts->staged) {
		rc = remote ? err_set(MW_EUSAGE, "the index of a URL cannot be read: give a local "
						 "repository")
			    : read_index(src, repo);
		goto finish;
	}
	rc = resolve_commit(&commit, repo, src->ref, src->repo);
	if (rc < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), git_commit_id(commit));
	src->commit = xstrdup(hex);
	if (opts->require_ancestor) {
		rc = check_ancestor(repo, commit, opts->require_ancestor, src->repo);
		if (rc < 0)
			goto done;
	}
	rc = read_commit_tree(src, repo, commit);
	if (rc == 0 && opts->want_dirty && !remote)
		rc = read_dirty(src, repo, commit);
finish:
	if (rc == 0) {
		source_finish(src);
		*out = src;
		src = NULL;
	}
done:
	git_commit_free(commit);
	git_repository_free(repo);
	source_free(src);
	git_libgit2_shutdown();
	return rc;
}

int source_check_ancestor(const struct source_opts *opts, const char *commit_hex)
{
	const char *repo_arg = opts->repo ? opts->repo : ".";
	bool remote = source_is_url(repo_arg);
	char *shown = remote ? shown_repo(repo_arg) : xstrdup(repo_arg);
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_oid oid;
	int rc = 0;

	git_libgit2_init();
	if (!commit_hex || git_oid_fromstr(&oid, commit_hex) < 0) {
		rc = err_set(MW_EGIT,
			     "required ancestor '%s': the plan records no commit (made from a "
			     "working tree?); refusing",
			     opts->require_ancestor);
		goto done;
	}
	if (remote)
		rc = open_remote(&repo, opts, shown);
	else if (git_repository_open_ext(&repo, repo_arg, 0, NULL) < 0)
		rc = err_set(MW_EGIT, "'%s' is not a git repository: %s", shown, git_msg());
	if (rc < 0)
		goto done;
	if (git_commit_lookup(&commit, repo, &oid) < 0) {
		rc = err_set(MW_EGIT,
			     "the plan's commit %.12s is not in '%s' "
			     "(fetch it first)",
			     commit_hex, shown);
		goto done;
	}
	rc = check_ancestor(repo, commit, opts->require_ancestor, shown);
done:
	git_commit_free(commit);
	git_repository_free(repo);
	free(shown);
	git_libgit2_shutdown();
	return rc;
}

void source_library_version(char *out, size_t size)
{
	int major = 0, minor = 0, rev = 0;

	git_libgit2_version(&major, &minor, &rev);
	snprintf(out, size, "%d.%d.%d", major, minor, rev);
}
