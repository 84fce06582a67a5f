/*
 * log: leveled one-line messages, with a wall-clock stamp, or with a
 * syslog priority prefix for journald.
 */
#include "daemon/log.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int threshold = LOG_INFO_;
static bool journal;
static const char *const names[] = {"error", "warning", "info", "debug"};
/* syslog(3)'s LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG, by level. */
static const int priorities[] = {3, 4, 6, 7};

void log_set_level(int level)
{
	threshold = level;
}

int log_level_parse(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

void log_detect_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	int end = 0;
	journal = e != NULL && sscanf(e, "%ju:%ju%n", &dev, &ino, &end) == 2 && e[end] == '\0' &&
	          fstat(STDERR_FILENO, &st) == 0 && (uintmax_t)st.st_dev == dev &&
	          (uintmax_t)st.st_ino == ino;
}

void log_msg(int level, const char *fmt, ...)
{
	if (level > threshold)
		return;
	va_list ap;
	va_start(ap, fmt);
	/* One line whole, whichever thread writes it (linkgate.c logs from its own). */
	flockfile(stderr);
	if (journal) {
		fprintf(stderr, "<%d>", priorities[level]);
	} else {
		struct timeval tv;
		struct tm tm;
		char stamp[32];
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld linlid %s: ", stamp, (long)(tv.tv_usec / 1000),
		        names[level]);
	}
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}
