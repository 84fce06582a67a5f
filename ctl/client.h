/*
 * client: one request, one reply over linlid's control socket.
 *
 * A ZeroMQ DEALER socket connected to "ipc://" + path, framing requests as
 * a REQ socket would (an empty delimiter, then the request), so several
 * requests can be in flight; the daemon answers them in order.  After a
 * timeout a client is unusable and the command ends.
 */
#ifndef LINLICTL_CLIENT_H
#define LINLICTL_CLIENT_H

#include "proto/linli.pb-c.h"

#define CLIENT_TIMEOUT_MS 60000

typedef struct client client_t;

/* Connects to the daemon at path, once sure the socket is linlid's: owned
 * by root, this user or linlid's user (LINLI_USER, default linli), in
 * directories no one else could have changed (proto/files.h); else
 * nothing is sent.  On failure prints "linlictl: reason" and returns NULL. */
client_t *client_new(const char *path);
void client_destroy(client_t **c);

/* Sends req and waits for the reply.  Returns 0 with *reply set (the
 * caller frees it with client_reply_free) when the daemon said ok; else
 * prints "linlictl: reason" (the daemon's error, or what went wrong on the
 * way) and returns -1 with *reply NULL. */
int client_call(client_t *c, const Linli__CtlRequest *req, Linli__CtlReply **reply);
void client_reply_free(Linli__CtlReply **reply);
/* How long to wait for each reply from now on (CLIENT_TIMEOUT_MS until
 * set): longer for a request that takes long, such as an import's commit. */
void client_set_timeout(client_t *c, int ms);

/* Pipelining: client_send queues a request (client_send_raw one packed
 * already) and client_recv takes the next reply; the daemon answers in
 * order.  Both print "linlictl: reason" and return -1 on failure. */
int client_send(client_t *c, const Linli__CtlRequest *req);
int client_send_raw(client_t *c, const void *buf, size_t len);
int client_recv(client_t *c, Linli__CtlReply **reply);

/* client_new + client_call + client_destroy, for one-shot commands. */
int client_call_once(const char *path, const Linli__CtlRequest *req, Linli__CtlReply **reply);

#endif
