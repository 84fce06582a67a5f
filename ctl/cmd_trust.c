/*
 * cmd_trust: trust add CODE PUBKEY NAME | trust revoke CODE | trust list.
 *
 * The trust list says whose signed change sets the daemon accepts, so the
 * key is checked here as well: a mistyped key would otherwise only show as
 * every change set of that community being refused.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/names.h"
#include "ctl/output.h"
#include "proto/keys.h"

#define NAME_MAX_BYTES 128

/* Sends a change of the trust list; says done (what, e.g. "revoked
 * CODE") once the daemon has it. */
static int send_change(ctl_t *ctl, const char *verb, Linli__TrustEntry *entry, const char *what)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply;
	req.verb = (char *)verb;
	req.trust = entry;
	if (client_call_once(ctl->socket, &req, &reply) != 0)
		return CTL_FAIL;
	client_reply_free(&reply);
	if (ctl->json)
		puts("{\"ok\":true}");
	else
		puts(what);
	return CTL_OK;
}

int cmd_trust_add(ctl_t *ctl, int argc, char **argv)
{
	uint8_t pub[LINLI_PUB_LEN];
	if (argc != 3)
		return ctl_usage(ctl, "trust add takes CODE PUBKEY NAME");
	const char *owner = argv[0], *pubkey = argv[1], *name = argv[2];
	if (ctl_check_owner(owner) != CTL_OK)
		return CTL_FAIL;
	if (strlen(pubkey) != 2 * LINLI_PUB_LEN || linli_unhex(pubkey, pub, sizeof(pub)) != 0)
		return ctl_fail("'%s' is not a public key (%d hex digits, as keygen prints)",
		                pubkey, 2 * LINLI_PUB_LEN);
	if (name[0] == '\0' || !linli_text_valid(name, NAME_MAX_BYTES))
		return ctl_fail("'%s' is not a name (1-%d bytes of UTF-8 text)", name,
		                NAME_MAX_BYTES);

	Linli__TrustEntry entry = LINLI__TRUST_ENTRY__INIT;
	char hex[2 * LINLI_PUB_LEN + 1], what[64 + 2 * LINLI_PUB_LEN];
	/* Sent in lower case whatever the operator typed. */
	linli_hex(pub, sizeof(pub), hex);
	entry.owner = (char *)owner;
	entry.pubkey = hex;
	entry.name = (char *)name;
	snprintf(what, sizeof(what), _("trusted %s %s"), owner, hex);
	return send_change(ctl, "trust-add", &entry, what);
}

int cmd_trust_list(ctl_t *ctl, int argc, char **argv)
{
	static const out_col_t cols[] = {
	    {"owner", N_("owner"), OUT_TEXT},
	    {"name", N_("name"), OUT_TEXT},
	    {"status", N_("status"), OUT_TEXT},
	    {"pubkey", N_("pubkey"), OUT_TEXT},
	};
	if (argc > 0)
		return ctl_usage(ctl, "unexpected argument '%s'", argv[0]);
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply;
	req.verb = (char *)"trust-list";
	if (client_call_once(ctl->socket, &req, &reply) != 0)
		return CTL_FAIL;
	int rc = CTL_OK;
	out_table_t *t = out_table_new(NULL, cols, 4, 0);
	for (size_t i = 0; t != NULL && i < reply->n_trust; i++) {
		const Linli__TrustEntry *e = reply->trust[i];
		/* Text shows names and statuses in the operator's language;
		 * JSON what the daemon said. */
		const char *row[] = {e->owner, ctl->json ? e->name : names_owner(e->owner, e->name),
		                     ctl->json ? e->status : names_status_value(e->status),
		                     e->pubkey};
		if (out_table_add(t, row) != 0)
			out_table_destroy(&t);
	}
	if (t == NULL)
		rc = ctl_fail("out of memory");
	else
		out_table_print(t, stdout, ctl->json);
	out_table_destroy(&t);
	client_reply_free(&reply);
	return rc;
}

int cmd_trust_revoke(ctl_t *ctl, int argc, char **argv)
{
	if (argc != 1)
		return ctl_usage(ctl, "trust revoke takes CODE");
	if (ctl_check_owner(argv[0]) != CTL_OK)
		return CTL_FAIL;
	Linli__TrustEntry entry = LINLI__TRUST_ENTRY__INIT;
	char what[64];
	entry.owner = argv[0];
	snprintf(what, sizeof(what), _("revoked %s"), argv[0]);
	return send_change(ctl, "trust-revoke", &entry, what);
}
