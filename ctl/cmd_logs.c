/*
 * cmd_logs: logs.  The head of every log the daemon holds, which is what
 * replicas compare to see whether they agree, and the checkpoint it was
 * trimmed to (its change sets start after it; 0: none trimmed).
 */
#include <inttypes.h>
#include <stdio.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/output.h"

int cmd_logs(ctl_t *ctl, int argc, char **argv)
{
	static const out_col_t cols[] = {
	    {"owner", N_("owner"), OUT_TEXT},
	    {"stream", N_("log"), OUT_TEXT},
	    {"seq", N_("seq"), OUT_NUMBER},
	    {"checkpoint", N_("from"), OUT_NUMBER},
	};
	if (argc > 0)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[0]);
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply;
	req.verb = (char *)"logs";
	if (client_call_once(ctl->socket, &req, &reply) != 0)
		return CTL_FAIL;
	out_table_t *t = out_table_new(NULL, cols, 4, 0);
	int rc = t ? CTL_OK : ctl_fail("out of memory");
	for (size_t i = 0; rc == CTL_OK && i < reply->n_logs; i++) {
		const Linli__Cursor *c = reply->logs[i];
		char seq[24], from[24];
		snprintf(seq, sizeof(seq), "%" PRIu64, c->seq);
		snprintf(from, sizeof(from), "%" PRIu64, c->checkpoint);
		const char *stream = c->stream == LINLI__STREAM__PUBLIC ? NC_("log", "public")
		                                                        : NC_("log", "personal");
		const char *cells[] = {c->owner, ctl->json ? stream : C_("log", stream), seq, from};
		if (out_table_add(t, cells) != 0)
			rc = ctl_fail("out of memory");
	}
	if (rc == CTL_OK)
		out_table_print(t, stdout, ctl->json);
	out_table_destroy(&t);
	client_reply_free(&reply);
	return rc;
}
