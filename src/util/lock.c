#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "mem.h"
#include "timeutil.h"

/* How often a waiting run asks again. */
#define LOCK_POLL_S 0.05

struct lock_file {
	int fd;
	char *path;
};

static int try_lock(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(fd, F_SETLK, &fl) == 0)
		return 0;
	return errno == EACCES || errno == EAGAIN ? 1 : -1;
}

/* The pid holding the lock, or 0 when it was just released or is unknown. */
static long holder_pid(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	if (fcntl(fd, F_GETLK, &fl) < 0 || fl.l_type == F_UNLCK)
		return 0;
	return (long)fl.l_pid;
}

int lock_fd(int fd, const char *what, double timeout_s)
{
	double deadline = time_mono() + (timeout_s > 0 ? timeout_s : 0);
	long pid;

	for (;;) {
		int r = try_lock(fd);

		if (r == 0)
			return 0;
		if (r < 0)
			return err_set(MW_EIO, "cannot lock '%s': %s", what, strerror(errno));
		if (time_mono() >= deadline)
			break;
		usleep((useconds_t)(LOCK_POLL_S * 1e6));
	}
	pid = holder_pid(fd);
	if (pid > 0)
		return err_set(MW_ELOCKED,
			       "'%s' is locked by pid %ld: another run is applying; nothing was "
			       "sent (wait for it, or give --lock-timeout)",
			       what, pid);
	return err_set(MW_ELOCKED,
		       "'%s' is locked by another run; nothing was sent (wait for it, or give "
		       "--lock-timeout)",
		       what);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return NULL;
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

int lock_file_acquire(struct lock_file **out, const char *path, double timeout_s)
{
	struct lock_file *l = NULL;
	char *dir = dir_of(path);
	char pid[32];
	struct stat st;
	int fd = -1, rc;

	*out = NULL;
	if (dir) {
		rc = fs_mkdirs(dir, 0700);
		if (rc < 0)
			goto done;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = err_set(MW_EIO, "cannot open lock file '%s': %s", path, strerror(errno));
		goto done;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(MW_EIO, "lock file '%s' is not a regular file", path);
		goto done;
	}
	rc = lock_fd(fd, path, timeout_s);
	if (rc < 0)
		goto done;
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	/* The pid is for people (F_GETLK is what names the holder): best effort. */
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0)
		errno = 0;
	l = xcalloc(1, sizeof(*l));
	l->fd = fd;
	l->path = xstrdup(path);
	fd = -1;
	*out = l;
done:
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

void lock_file_release(struct lock_file *l)
{
	if (!l)
		return;
	/* Emptied first, if it can be: a pid left behind would name a run that is over. */
	if (ftruncate(l->fd, 0) < 0)
		errno = 0;
	close(l->fd);
	free(l->path);
	free(l);
}

int lock_parse_duration(double *out, const char *text)
{
	static const struct {
		const char *suffix;
		double scale;
	} units[] = { { "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "", 1 } };
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno || !isfinite(v) || v < 0 || *text == '-' || *text == '+')
		goto bad;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix))
			continue;
		v *= units[i].scale;
		if (v > 86400)
			return err_set(MW_EUSAGE, "duration '%s' is longer than a day", text);
		*out = v;
		return 0;
	}
bad:
	return err_set(MW_EUSAGE,
		       "'%s' is not a duration: give seconds (30), or a number with ms, s, m "
		       "or h (500ms, 30s, 2m)",
		       text);
}
