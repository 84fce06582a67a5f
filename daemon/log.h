/*
 * log: the daemon's messages, one line each on stderr.  Under systemd,
 * stderr is the journal's stream: then each line starts with its priority
 * as "<N>" (sd-daemon(3)) and carries no time of its own, so that
 * `journalctl -p warning` finds the warnings.  Never pass secrets.
 */
#ifndef LINLID_LOG_H
#define LINLID_LOG_H

enum { LOG_ERR_ = 0, LOG_WARN_ = 1, LOG_INFO_ = 2, LOG_DEBUG_ = 3 };

void log_set_level(int level);
int log_level_parse(const char *name);
/* Writes for journald from now on if stderr is the stream $JOURNAL_STREAM
 * names ("DEVICE:INODE", systemd.exec(5)); otherwise (no such variable,
 * or stderr redirected elsewhere by a program started from a unit) lines
 * keep their time stamp and level name. */
void log_detect_journal(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR_, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN_, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO_, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG_, __VA_ARGS__)

#endif
