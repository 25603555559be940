#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "mem.h"

int fs_read_file(char **out, size_t *len, const char *path, size_t max)
{
	struct buf b = BUF_INIT;
	char chunk[65536];
	int fd = -1;
	int rc = 0;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = err_set(MW_EIO, "cannot open '%s': %s", path, strerror(errno));
		goto done;
	}
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(MW_EIO, "cannot read '%s': %s", path, strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		buf_add(&b, chunk, (size_t)n);
		if (max && b.len > max) {
			rc = err_set(MW_EIO, "'%s' is larger than %zu bytes", path, max);
			goto done;
		}
	}
	*out = buf_detach(&b, len);
done:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	return rc;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The folder part of `path` ("." when it has none), owned by the caller. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* The umask, which can only be read by setting it: set it straight back. */
static mode_t current_umask(void)
{
	mode_t mask = umask(077);

	umask(mask);
	return mask;
}

/*
 * After rename(2) the new name lives in the folder's entry list: fsync the
 * folder too, or a crash can bring back the old file. A folder that cannot
 * be opened for reading (no read permission) is not an error: the data
 * itself is already on disk.
 */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return 0;
	if (fsync(fd) < 0 && errno != EINVAL)
		rc = -1;
	close(fd);
	return rc;
}

/*
 * Put the fresh temporary file `tmp` at `path`: over whatever is there when
 * `replace`, else only where nothing is, in one step (renameat2's
 * RENAME_NOREPLACE; link(2) where the file system lacks it).
 */
static int put_in_place(const char *tmp, const char *path, bool replace)
{
	if (replace) {
		if (rename(tmp, path) < 0)
			return err_set(MW_EIO, "cannot rename '%s' to '%s': %s", tmp, path,
				       strerror(errno));
		return 0;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EINVAL || errno == ENOSYS) {
		if (link(tmp, path) == 0) {
			unlink(tmp);
			return 0;
		}
	}
	if (errno == EEXIST)
		return err_set(MW_EIO, "'%s' exists: it was not replaced", path);
	return err_set(MW_EIO, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
}

static int write_file(const char *path, const void *data, size_t len, unsigned mode, bool replace)
{
	char *dir = NULL, *tmp = NULL;
	const char *base;
	int fd = -1;
	int rc = 0;

	if (!strcmp(path, "-")) {
		if (write_all(STDOUT_FILENO, data, len) < 0)
			return err_set(MW_EIO, "cannot write to standard output: %s",
				       strerror(errno));
		return 0;
	}
	if (!*path || path[strlen(path) - 1] == '/')
		return err_set(MW_EIO, "cannot write '%s': not a file name", path);
	dir = dir_of(path);
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	/*
	 * mkstemp(3) picks a name nobody could predict and creates it with
	 * O_EXCL, so a link planted under the temporary name cannot exist;
	 * the file starts 0600, so nobody else can open it before fchmod.
	 */
	tmp = xasprintf("%s/.%s.XXXXXX", dir, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = err_set(MW_EIO, "cannot create a temporary file in '%s' for '%s': %s", dir,
			     path, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto done;
	}
	if (fchmod(fd, (mode_t)mode & ~current_umask() & 07777) < 0 ||
	    write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		rc = err_set(MW_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = err_set(MW_EIO, "cannot write '%s': %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	/*
	 * rename(2) replaces the directory entry `path`: when that is a
	 * symbolic link, the link itself is replaced and its target is never
	 * opened or written.
	 */
	rc = put_in_place(tmp, path, replace);
	if (rc < 0)
		goto done;
	if (sync_dir(dir) < 0)
		rc = err_set(MW_EIO, "cannot sync folder '%s': %s", dir, strerror(errno));
done:
	if (fd >= 0)
		close(fd);
	if (rc && tmp)
		unlink(tmp);
	free(tmp);
	free(dir);
	return rc;
}

int fs_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	return write_file(path, data, len, mode, true);
}

int fs_write_new(const char *path, const void *data, size_t len, unsigned mode)
{
	return write_file(path, data, len, mode, false);
}

int fs_mkdirs(const char *path, unsigned mode)
{
	char *copy = xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			rc = err_set(MW_EIO, "cannot create directory '%s': %s", copy,
				     strerror(errno));
			goto done;
		}
		*p = c;
		if (!c)
			break;
	}
	if (!fs_is_dir(path))
		rc = err_set(MW_EIO, "'%s' exists and is not a directory", path);
done:
	free(copy);
	return rc;
}

bool fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
