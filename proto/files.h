/*
 * files: the files and directories linli trusts, checked, read and written
 * so that no other local user can have changed them.
 *
 * The rule (README, Security): a file linli reads or writes (config, key,
 * trust file, database, control socket), the directory it is in and every
 * directory above it up to "/" are owned by root or by the user linli runs
 * as, and writable by no one else: no write bit for group or others.  The
 * only exception is a directory above, never the one holding the file, that
 * has the sticky bit (such as /tmp): there others may make names of their
 * own but cannot rename or remove ours.  (With POSIX ACLs the group bits
 * are the mask: no named user or group can write where they are clear.)  The directory holding the
 * file must be closed even so, or another user could take a name first (the control socket's, a
 * temporary file's).  Group write is refused too, the control group's included: a member who could
 * write the socket's directory could put an impostor's socket in its place and take the other
 * operators' requests; members need only search (x) on the directory.
 * Symbolic links on the way are followed once checked the same way (they
 * must sit in such a directory, owned by root or the user); the file itself
 * is opened with O_NOFOLLOW, so a link in its place is refused.
 *
 * Once a path passes, only root and the user can change any part of it,
 * so what is opened by that path afterwards is what was checked.
 */
#ifndef LINLI_FILES_H
#define LINLI_FILES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define LINLI_NO_UID       ((uid_t)-1)
#define LINLI_FILE_ERR_MAX 1024 /* room for a message here: the reason and two paths */

/* Checks path by the rule above: with dir, path is a directory linli keeps
 * files in; without, a file, and its directory is checked.  Owners
 * trusted: root, this process's effective user and also (LINLI_NO_UID:
 * none).  The path need not be absolute (it is taken from the working
 * directory, which is checked as well); the file itself need not exist.
 * what names the setting in messages ("state_dir", "key file").  0, or -1
 * with "what path: the part at fault, why, what to do" in err. */
int linli_path_check(const char *what, const char *path, bool dir, uid_t also, char *err,
                     size_t errlen);

/* Opens the file at path read-only after linli_path_check: O_NOFOLLOW (a
 * symbolic link is refused), O_NONBLOCK until fstat shows a regular file (a
 * FIFO must not block the open; the flag is cleared then), owned by root or
 * this user, writable by no one else, at most max bytes.  The descriptor
 * (the caller closes it) in *fd, its fstat in *st (may be NULL).  -1 with
 * "what path: why" in err. */
int linli_file_open(const char *what, const char *path, size_t max, int *fd, struct stat *st,
                    char *err, size_t errlen);

/* linli_file_open, then the whole file into *text (malloc'd and
 * NUL-terminated, the caller frees it), *len bytes; its fstat in *st (may
 * be NULL).  A file that grows while read is refused ("try again"). */
int linli_file_read(const char *what, const char *path, size_t max, char **text, size_t *len,
                    struct stat *st, char *err, size_t errlen);

/* How a file is made. */
typedef struct {
	mode_t mode;  /* of the new file */
	uid_t uid;    /* its owner; LINLI_NO_UID: this process's */
	gid_t gid;    /* its group; (gid_t)-1: this process's */
	bool replace; /* renamed over what is at path; false: a new file, never
	                 replacing one (EEXIST) */
} linli_write_t;

/* A file being written: linli_file_begin, write to fd, then
 * linli_file_commit or linli_file_abort.  fd is the caller's to close, in
 * every case, after either. */
typedef struct {
	int fd;    /* the temporary file, open for writing */
	int dirfd; /* its directory, opened once: every later step is in it */
	char name[NAME_MAX + 1], tmp[NAME_MAX + 1];
	char tmp_path[PATH_MAX + NAME_MAX + 2]; /* for messages, and to reopen what was written */
} linli_wfile_t;

/* Starts writing the file at path: checks its directory with
 * linli_path_check (owners root, this user and also), opens it, and makes
 * in it the temporary file ".NAME.PID.tmp", O_CREAT|O_EXCL|O_NOFOLLOW (a
 * link or file found at that name, left by a crash or put there by one of
 * the owners trusted, is removed, never followed), with how's mode and
 * owner.  -1 with "what path: why" in err, nothing left behind. */
int linli_file_begin(linli_wfile_t *f, const char *what, const char *path, const linli_write_t *how,
                     uid_t also, char *err, size_t errlen);
/* fsync of the temporary file, then its rename to path's name in the same
 * directory (replace false: RENAME_NOREPLACE, or link where the file
 * system lacks it; never over a file), and fsync of the directory: a crash
 * leaves the old file or the new one.  -1 with the reason in err; the
 * temporary file is gone then, unless only the directory's fsync failed
 * (the file has its name; "written, but..."). */
int linli_file_commit(linli_wfile_t *f, const char *what, const char *path, bool replace, char *err,
                      size_t errlen);
/* Removes the temporary file; safe after commit and twice. */
void linli_file_abort(linli_wfile_t *f);

/* All of it for len bytes of data: begin (no owner trusted beyond root
 * and this user), write, commit, close. */
int linli_file_write(const char *what, const char *path, const void *data, size_t len,
                     const linli_write_t *how, char *err, size_t errlen);

#endif
