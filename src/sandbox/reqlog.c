#include "reqlog.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reqlog {
	pthread_mutex_t lock;
	FILE *f;
	char *path;
	int failed;
};

int reqlog_open(const char *path, struct reqlog **out, char *err, size_t errlen)
{
	struct reqlog *log = calloc(1, sizeof *log);

	*out = NULL;
	if (!log || !(log->path = strdup(path))) {
		free(log);
		snprintf(err, errlen, "cannot open log '%s': out of memory", path);
		return -1;
	}
	log->f = fopen(path, "a");
	if (!log->f) {
		snprintf(err, errlen, "cannot open log '%s': %s", path, strerror(errno));
		free(log->path);
		free(log);
		return -1;
	}
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
