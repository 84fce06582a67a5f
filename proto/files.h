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
 * own but cannot rename or remove ours.  The directory holding the file
 * must be closed even so, or another user could take a name first (the
 * control socket's, a temporary file's).  Group write is refused too, the
 * control group's included: a member who could write the socket's
 * directory could put an impostor's socket in its place and take the other
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

/* How linli_file_write makes the file. */
typedef struct {
	mode_t mode;  /* of the new file */
	uid_t uid;    /* its owner; LINLI_NO_UID: this process's */
	gid_t gid;    /* its group; (gid_t)-1: this process's */
	bool replace; /* renamed over what is at path; false: a new file, never
	                 replacing one (EEXIST) */
} linli_write_t;

/* Writes len bytes of data as the file at path, atomically and durably,
 * after linli_path_check of its directory: a temporary file beside it,
 * ".NAME.PID.tmp", opened O_CREAT|O_EXCL|O_NOFOLLOW (a link or file found
 * at that name, left by a crash or put there by root or this user, the
 * only ones who can write the directory, is removed, never followed),
 * given how's mode and owner, written, fsync'd, then renamed over path (or
 * linked to it), and the directory fsync'd: a crash leaves the old file or
 * the new one.  -1 with "what path: why" in err; the temporary file is
 * gone then. */
int linli_file_write(const char *what, const char *path, const void *data, size_t len,
                     const linli_write_t *how, char *err, size_t errlen);

#endif
