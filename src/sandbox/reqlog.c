#include "reqlog.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/mem.h"

struct reqlog {
	pthread_mutex_t lock;
	FILE *f;
	char *path;
	int failed;
};

int reqlog_open(struct reqlog **out, const char *path)
{
	struct reqlog *log;
	FILE *f = fopen(path, "a");

	*out = NULL;
	if (!f)
		return err_set(MW_EIO, "cannot open log '%s': %s", path, strerror(errno));
	log = xcalloc(1, sizeof(*log));
	log->f = f;
	log->path = xstrdup(path);
	pthread_mutex_init(&log->lock, NULL);
	*out = log;
	return 0;
}

void reqlog_write(struct reqlog *log, const json_t *entry)
{
	char *line = json_dumps(entry, JSON_COMPACT | JSON_REAL_PRECISION(17));

	pthread_mutex_lock(&log->lock);
	if (!line || fputs(line, log->f) == EOF || fputc('\n', log->f) == EOF ||
	    fflush(log->f) != 0) {
		if (!log->failed)
			fprintf(stderr, "mailward-sandbox: cannot write log '%s': %s\n", log->path,
				line ? strerror(errno) : "out of memory");
		log->failed = 1;
	}
	pthread_mutex_unlock(&log->lock);
	free(line);
}

void reqlog_close(struct reqlog *log)
{
	if (!log)
		return;
	fclose(log->f);
	pthread_mutex_destroy(&log->lock);
	free(log->path);
	free(log);
}
