/*
 * cmd_status: status, reload, verify, digest and restore.  The daemon answers "name=value" strings,
 * so what it reports can grow without a new linlictl.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/names.h"
#include "ctl/output.h"

/* The value of name in a status reply, or NULL. */
static const char *status_value(const Linli__CtlReply *reply, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < reply->n_status; i++)
		if (strncmp(reply->status[i], name, len) == 0 && reply->status[i][len] == '=')
			return reply->status[i] + len + 1;
	return NULL;
}

/* Sends verb and prints the reply's "name=value" lines: as they are in
 * JSON, labelled in the operator's language as text. */
static int pairs_command(ctl_t *ctl, int argc, char **argv, const char *verb)
{
	if (argc > 0)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[0]);
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply;
	req.verb = (char *)verb;
	if (client_call_once(ctl->socket, &req, &reply) != 0)
		return CTL_FAIL;
	size_t n = reply->n_status;
	const char **names = calloc(n + 1, sizeof(char *)),
	           **values = calloc(n + 1, sizeof(char *));
	char **copies = calloc(n + 1, sizeof(char *));
	int rc = CTL_OK;
	for (size_t i = 0; names && values && copies && i < n; i++) {
		/* Split a copy at the first '=': values may contain '='. */
		if ((copies[i] = strdup(reply->status[i])) == NULL)
			break;
		char *eq = strchr(copies[i], '=');
		names[i] = copies[i];
		values[i] = "";
		if (eq != NULL) {
			*eq = '\0';
			values[i] = eq + 1;
		}
		if (ctl->json)
			continue;
		const char *owner = status_value(reply, "owner");
		if (strcmp(names[i], "name") == 0 && owner != NULL)
			values[i] = names_owner(owner, values[i]);
		else
			values[i] = names_status_value(values[i]);
		names[i] = names_status(names[i]);
	}
	if (names == NULL || values == NULL || copies == NULL || (n > 0 && copies[n - 1] == NULL))
		rc = ctl_fail("out of memory");
	else
		out_pairs(stdout, names, values, n, ctl->json);
	for (size_t i = 0; copies != NULL && i < n; i++)
		free(copies[i]);
	free(copies);
	free(names);
	free(values);
	client_reply_free(&reply);
	return rc;
}

int cmd_status(ctl_t *ctl, int argc, char **argv)
{
	return pairs_command(ctl, argc, argv, "status");
}

/* The daemon re-reads its trust file (as on SIGHUP) and says how many
 * owners it trusts and how many changed; its log says which. */
int cmd_reload(ctl_t *ctl, int argc, char **argv)
{
	return pairs_command(ctl, argc, argv, "reload");
}

/* The daemon re-checks every log and record; a failure names the first bad
 * place and exits 1. */
int cmd_verify(ctl_t *ctl, int argc, char **argv)
{
	return pairs_command(ctl, argc, argv, "verify");
}

/* Per log held: "seq records digest"; equal lines mean equal replicas. */
int cmd_digest(ctl_t *ctl, int argc, char **argv)
{
	return pairs_command(ctl, argc, argv, "digest");
}

#define RESTORE_STALL_S 60 /* no progress this long: give up waiting */

/* Starts the restore, then follows it in status until it ends. */
int cmd_restore(ctl_t *ctl, int argc, char **argv)
{
	if (argc > 0)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[0]);
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply;
	req.verb = "restore";
	if (client_call_once(ctl->socket, &req, &reply) != 0)
		return CTL_FAIL;
	client_reply_free(&reply);
	req.verb = "status";
	char last[64] = "";
	time_t moved = time(NULL);
	for (;;) {
		struct timespec pause = {0, 200 * 1000 * 1000};
		nanosleep(&pause, NULL);
		if (client_call_once(ctl->socket, &req, &reply) != 0)
			return CTL_FAIL;
		const char *state = status_value(reply, "restore"),
		           *progress = status_value(reply, "restore_progress");
		int rc = -1;
		if (state == NULL) {
			rc = ctl_fail("restore: the daemon does not report it");
		} else if (strcmp(state, "done") == 0) {
			printf(_("restored: %s change sets, generation %s\n"),
			       progress ? progress : "?",
			       status_value(reply, "epoch") ? status_value(reply, "epoch") : "?");
			rc = CTL_OK;
		} else if (strcmp(state, "failed") == 0) {
			const char *why = status_value(reply, "restore_error");
			rc = ctl_fail("restore failed: %s", why ? why : "no reason given");
		} else if (progress && strcmp(progress, last) != 0) {
			snprintf(last, sizeof(last), "%s", progress);
			moved = time(NULL);
			if (!ctl->json)
				fprintf(stderr, _("restore: %s change sets\n"), progress);
		} else if (time(NULL) - moved > RESTORE_STALL_S) {
			rc = ctl_fail("restore: no progress for %d s (is the hub reachable? see "
			              "linlictl status)",
			              RESTORE_STALL_S);
		}
		client_reply_free(&reply);
		if (rc >= 0)
			return rc;
	}
}
