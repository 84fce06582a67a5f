/*
 * auth: encrypted, authenticated links between the nodes and the hub.
 *
 * Every link is ZeroMQ CURVE with the daemons' own keys in their X25519
 * form (keys.h says why one key serves both).  The hub is the CURVE
 * server; it answers libzmq's ZAP requests (RFC 27) itself against the
 * trust list, so only an owner listed there, not revoked, opens a link,
 * and the owner code becomes the link's User-Id, which every message
 * carries: the hub takes the sender from it, never from what the message
 * says.
 */
#ifndef LINLID_AUTH_H
#define LINLID_AUTH_H

#include <stdbool.h>

#include "daemon/linlid.h"
#include "daemon/zmsg.h"

/* Hub: binds the ZAP handler (d->zap) and makes sock a CURVE server that
 * must ask it; call before sock binds.  -1 (logged) if authentication
 * cannot be put in force: then the hub must not start. */
int auth_server(linlid_t *d, void *sock);
/* Answers the ZAP requests waiting on d->zap. */
void auth_on_request(linlid_t *d);
/* Node: makes sock a CURVE client of the hub whose key the trust list
 * gives (see auth_hub_owner); -1 (logged) if it gives none. */
int auth_client(linlid_t *d, void *sock);
/* Node, after the trust list was reloaded: if the hub's key changed,
 * reconnects sock with the new one; if not, and the hub refused the last
 * handshakes, tries again at once (the operator may have fixed that). */
void auth_client_reload(linlid_t *d, void *sock);
/* The owner code a message's link was authenticated as, or NULL. */
const char *auth_sender(zmsg_t *m);

#endif
