/*
 * log: leveled one-line messages with a wall-clock stamp.
 */
#include "daemon/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static int threshold = LOG_INFO_;
static const char *const names[] = {"error", "warning", "info", "debug"};

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

void log_msg(int level, const char *fmt, ...)
{
	if (level > threshold)
		return;
	struct timeval tv;
	struct tm tm;
	char stamp[32];
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	va_list ap;
	va_start(ap, fmt);
	/* One line whole, whichever thread writes it (linkgate.c has its own). */
	flockfile(stderr);
	fprintf(stderr, "%s.%03ld linlid %s: ", stamp, (long)(tv.tv_usec / 1000), names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	va_end(ap);
}
