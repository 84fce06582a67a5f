/*
 * client: one request, one reply over linlid's control socket.
 *
 * A ZeroMQ REQ socket connected to "ipc://" + path.  A REQ socket strictly
 * alternates send and receive, so a client is used by one command at a
 * time; after a timeout it is unusable and the command ends.
 */
#ifndef LINLICTL_CLIENT_H
#define LINLICTL_CLIENT_H

#include "proto/linli.pb-c.h"

#define CLIENT_TIMEOUT_MS 60000

typedef struct client client_t;

/* Connects to the daemon at path.  On failure prints "linlictl: reason"
 * and returns NULL. */
client_t *client_new(const char *path);
void client_destroy(client_t **c);

/* Sends req and waits for the reply.  Returns 0 with *reply set (the
 * caller frees it with client_reply_free) when the daemon said ok; else
 * prints "linlictl: reason" (the daemon's error, or what went wrong on the
 * way) and returns -1 with *reply NULL. */
int client_call(client_t *c, const Linli__CtlRequest *req, Linli__CtlReply **reply);
void client_reply_free(Linli__CtlReply **reply);

/* client_new + client_call + client_destroy, for one-shot commands. */
int client_call_once(const char *path, const Linli__CtlRequest *req, Linli__CtlReply **reply);

#endif
