/*
 * backup: linlictl backup FILE, a consistent and compacted copy of the
 * running database, checked before it is given its name.
 *
 * The copy (store_copy: LMDB's compacting copy from a read transaction of
 * its own) and its check (the copy opened read-only and put through
 * verify_store, as `linlictl verify` checks the database) run on a thread
 * of their own, so the daemon goes on writing, replicating and answering
 * meanwhile.  The file is written beside FILE under a temporary name,
 * fsynced, checked, then renamed to FILE, which is never replaced; a
 * backup that fails leaves nothing behind.  One backup at a time.
 *
 * linlictl starts a backup, then asks how it is going until it is done
 * (backup_poll): one request, one reply, none of them waits.
 */
#ifndef LINLID_BACKUP_H
#define LINLID_BACKUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/linlid.h"

struct backup;

/* Who asked: the file goes only where this user could write it too. */
typedef struct {
	uid_t uid;
	gid_t gid;
	bool (*in_group)(uid_t uid, gid_t gid, gid_t want); /* uid is a member of want */
} backup_caller_t;

/* Starts a backup of d's database to path (absolute; its directory must
 * exist and be writable by the caller and by linlid, and pass
 * linli_path_check with the caller trusted as an owner besides root and
 * linlid's user; path must not exist).  0
 * once the thread runs, else -1 with the reason in err.  Creates
 * d->backup on first use. */
int backup_start(linlid_t *d, const char *path, const backup_caller_t *who, char *err,
                 size_t errlen);

typedef struct {
	bool done;                            /* false: still copying or checking */
	uint64_t bytes;                       /* written so far, or the size of the finished file */
	uint64_t elapsed_ms;                  /* since the start, or what it took */
	uint64_t logs, change_sets, records;  /* what the check found in the copy */
	char error[LINLI_ERR_MAX + 2 * 4096]; /* a failure, when done: "" if it succeeded */
} backup_report_t;

/* How the backup to path is going.  -1 with the reason in err if there is
 * none (never started, or its result was given already).  A finished
 * backup's result is given once. */
int backup_poll(linlid_t *d, const char *path, backup_report_t *out, char *err, size_t errlen);

/* Waits for a running backup to end (it is finished, checked and named as
 * it would have been) and frees it; safe with NULL; sets *b to NULL.  Before
 * the store is closed. */
void backup_destroy(struct backup **b);

#endif
