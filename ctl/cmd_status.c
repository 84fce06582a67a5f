/*
 * cmd_status: status and verify.  The daemon answers "name=value" strings,
 * so what it reports can grow without a new linlictl.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/output.h"

/* Sends verb and prints the reply's "name=value" lines. */
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

/* The daemon re-checks every log and record; a failure names the first bad
 * place and exits 1. */
int cmd_verify(ctl_t *ctl, int argc, char **argv)
{
	return pairs_command(ctl, argc, argv, "verify");
}
