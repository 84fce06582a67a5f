/*
 * cmd_http: http-password USER, a line for linlid's http_password_file
 * (USER:HASH, the hash crypto_pwhash_str makes: Argon2id, salted, slow on
 * purpose).  Needs no daemon.  The password is read from the terminal
 * without echo (twice), or as one line from stdin when that is no
 * terminal; it is never printed, and wiped once hashed.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/i18n.h"

#define HTTP_USER_MAX 64  /* as linlid reads the file (daemon/http.c) */
#define HTTP_PASS_MAX 256 /* bytes of a password linlid takes */

/* One line of f into buf (without its newline), echo off if f is a
 * terminal.  -1 at the end of input or when the line is too long. */
static int read_line(FILE *f, char *buf, size_t size, bool tty)
{
	struct termios old, quiet;
	bool echo_off = tty && tcgetattr(fileno(f), &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(f), TCSAFLUSH, &quiet);
	}
	char *got = fgets(buf, (int)size, f);
	if (echo_off) {
		tcsetattr(fileno(f), TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (got == NULL)
		return -1;
	size_t n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == size - 1)
		return -1; /* no end of line within the bound */
	buf[n] = '\0';
	return 0;
}

static bool user_valid(const char *u)
{
	size_t n = strlen(u);
	if (n == 0 || n > HTTP_USER_MAX)
		return false;
	for (; *u; u++)
		if (*u == ':' || (unsigned char)*u <= ' ' || *u == 0x7f)
			return false;
	return true;
}

int cmd_http_password(ctl_t *ctl, int argc, char **argv)
{
	char hash[crypto_pwhash_STRBYTES];
	if (argc != 1)
		return ctl_usage(ctl, "http-password takes one user name");
	const char *user = argv[0];
	if (user[0] == '-')
		return ctl_usage(ctl, "unknown option '%s'", user);
	if (!user_valid(user))
		return ctl_fail(
		    "'%s' is not a user name: 1 to 64 characters, without ':' or spaces", user);
	if (sodium_init() < 0)
		return ctl_fail("cannot initialise libsodium");
	/* Room for one byte more than a password may have: a longer line is
	 * refused rather than cut. */
	char *pw = sodium_malloc(2 * (HTTP_PASS_MAX + 2));
	if (pw == NULL)
		return ctl_fail("out of memory");
	char *again = pw + HTTP_PASS_MAX + 2;
	bool tty = isatty(STDIN_FILENO);
	int rc = CTL_FAIL;
	if (tty)
		fprintf(stderr, _("Password for %s: "), user);
	if (read_line(stdin, pw, HTTP_PASS_MAX + 2, tty) != 0 || strlen(pw) > HTTP_PASS_MAX) {
		ctl_fail("no password read, or one longer than %d bytes", HTTP_PASS_MAX);
		goto out;
	}
	if (pw[0] == '\0') {
		ctl_fail("the password is empty");
		goto out;
	}
	if (tty) {
		fputs(_("Again: "), stderr);
		if (read_line(stdin, again, HTTP_PASS_MAX + 2, tty) != 0 ||
		    strcmp(pw, again) != 0) {
			ctl_fail("the two passwords differ");
			goto out;
		}
	}
	if (crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		ctl_fail("out of memory");
		goto out;
	}
	printf("%s:%s\n", user, hash);
	rc = CTL_OK;
out:
	sodium_free(pw); /* wipes it */
	return rc;
}
