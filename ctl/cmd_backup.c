/*
 * cmd_backup: backup FILE.  The daemon copies its database to FILE on a
 * thread of its own and checks the copy; linlictl starts it, asks how it
 * goes until it is done, and then says what else to keep: a backup is
 * sealed with the data key, which must be kept too, and apart.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/names.h"
#include "ctl/output.h"

#define BACKUP_STALL_S 600 /* no progress this long: give up waiting */

static const char *value(const Linli__CtlReply *reply, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < reply->n_status; i++)
		if (strncmp(reply->status[i], name, len) == 0 && reply->status[i][len] == '=')
			return reply->status[i] + len + 1;
	return "?";
}

/* Text for people in their language, JSON in English. */
static const char *say(const ctl_t *ctl, const char *msgid) __attribute__((format_arg(2)));

static const char *say(const ctl_t *ctl, const char *msgid)
{
	return ctl->json ? msgid : _(msgid);
}

static void print_done(const ctl_t *ctl, const Linli__CtlReply *reply)
{
	char apart[PATH_MAX + 160], too[3 * PATH_MAX];
	snprintf(apart, sizeof(apart),
	         say(ctl, N_("the data key %s: without it this backup cannot be read; keep a copy "
	                     "of it on other media than the backups")),
	         value(reply, "data_key_file"));
	snprintf(too, sizeof(too),
	         say(ctl, N_("%s (this server's signing key, also apart), %s, linlid.conf")),
	         value(reply, "key_file"), value(reply, "trust_file"));
	const char *names[] = {"backup",     "bytes",    "seconds", "checked",
	                       "keep_apart", "keep_too", "restore"};
	for (size_t i = 0; !ctl->json && i < sizeof(names) / sizeof(names[0]); i++)
		names[i] = names_status(names[i]);
	const char *values[] = {
	    value(reply, "backup"),
	    value(reply, "bytes"),
	    value(reply, "seconds"),
	    value(reply, "checked"),
	    apart,
	    too,
	    say(ctl, N_("stop linlid, put the file as data.mdb into an empty state directory, "
	                "start linlid (linlictl(8), RESTORING A BACKUP)")),
	};
	out_pairs(stdout, names, values, sizeof(names) / sizeof(names[0]), ctl->json);
}

int cmd_backup(ctl_t *ctl, int argc, char **argv)
{
	char path[PATH_MAX], cwd[PATH_MAX];
	if (argc != 1)
		return ctl_usage(ctl, "backup takes one file name");
	if (argv[0][0] == '-')
		return ctl_usage(ctl, "unknown option '%s'", argv[0]);
	/* The daemon runs elsewhere: it needs the whole path. */
	if (argv[0][0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL)
		return ctl_fail("the current directory: %s", strerror(errno));
	if (snprintf(path, sizeof(path), "%s%s%s", argv[0][0] == '/' ? "" : cwd,
	             argv[0][0] == '/' ? "" : "/", argv[0]) >= (int)sizeof(path))
		return ctl_fail("%s: path too long", argv[0]);

	client_t *c = client_new(ctl->socket);
	if (c == NULL)
		return CTL_FAIL;
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply = NULL;
	req.verb = "backup";
	req.path = path;
	int rc = client_call(c, &req, &reply) == 0 ? CTL_OK : CTL_FAIL;
	client_reply_free(&reply);
	req.verb = "backup-status";
	char last[32] = "";
	time_t moved = time(NULL);
	while (rc == CTL_OK) {
		struct timespec pause = {0, 200 * 1000 * 1000};
		nanosleep(&pause, NULL);
		if (client_call(c, &req, &reply) != 0) {
			rc = CTL_FAIL;
			break;
		}
		if (strcmp(value(reply, "state"), "done") == 0) {
			print_done(ctl, reply);
			client_reply_free(&reply);
			break;
		}
		if (strcmp(value(reply, "bytes"), last) != 0) {
			snprintf(last, sizeof(last), "%s", value(reply, "bytes"));
			moved = time(NULL);
		} else if (time(NULL) - moved > BACKUP_STALL_S) {
			rc = ctl_fail("backup: no progress for %d s; linlid's log says how it ends",
			              BACKUP_STALL_S);
		}
		client_reply_free(&reply);
	}
	client_destroy(&c);
	return rc;
}
