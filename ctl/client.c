/*
 * client: one request, one reply over linlid's control socket (see client.h).
 */
#include "ctl/client.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/output.h"
#include "proto/files.h"

/* Connecting is done by the daemon's I/O thread whatever its main loop is
 * busy with, so a short wait to connect tells a stale socket file from a
 * busy daemon; the reply itself may take long (a big import commits). */
#define CONNECT_TIMEOUT_MS 5000
#define DAEMON_USER        "linli" /* linlid's user, unless LINLI_USER says */

struct client {
	void *ctx;
	void *sock;
	void *monitor;  /* tells when the daemon's end of the connection closes */
	int timeout_ms; /* for a reply */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Whether the socket at path may have a request: a record sent to an
 * impostor's socket is a resident's data given away.  ZeroMQ's ipc gives a
 * client no peer credentials, but the file tells as much: a socket file is
 * owned by the user that bound it, and when no one else could have
 * changed its directory or any above it (files.h) the file in it is still
 * that one.  Owners trusted: root, the user running linlictl, and linlid's
 * user: LINLI_USER, else linli (the README's and the units' account). */
static int socket_check(const char *path)
{
	char err[LINLI_FILE_ERR_MAX], who[96];
	const char *name = getenv("LINLI_USER");
	if (name == NULL || name[0] == '\0')
		name = DAEMON_USER;
	struct passwd *pw = getpwnam(name);
	uid_t daemon = pw ? pw->pw_uid : LINLI_NO_UID;
	struct stat st;
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			ctl_fail("no daemon at %s (is linlid running?)", path);
		else
			ctl_fail("%s: %s", path, strerror(errno));
		return -1;
	}
	if (linli_path_check("control socket", path, false, daemon, err, sizeof(err)) != 0) {
		ctl_fail(
		    "%s; nothing sent (linlictl talks to linlid only through a socket that root, "
		    "you or linlid's user %s alone could have put there)",
		    err, name);
		return -1;
	}
	if (S_ISLNK(st.st_mode)) {
		ctl_fail(
		    "control socket %s: is a symbolic link; nothing sent: give the socket's own "
		    "path",
		    path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		ctl_fail("%s is not a socket", path);
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != daemon) {
		struct passwd *owner = getpwuid(st.st_uid);
		if (owner != NULL)
			snprintf(who, sizeof(who), "%.64s (uid %lu)", owner->pw_name,
			         (unsigned long)st.st_uid);
		else
			snprintf(who, sizeof(who), "uid %lu", (unsigned long)st.st_uid);
		ctl_fail(
		    "control socket %s: owned by %s, not root, you or linlid's user %s: it may "
		    "be an impostor's; nothing sent.  Ask who made it; if linlid runs as that "
		    "user here, set LINLI_USER to its name",
		    path, who, name);
		return -1;
	}
	return 0;
}

client_t *client_new(const char *path)
{
	if (strlen(path) >= sizeof(((client_t *)0)->path)) {
		ctl_fail("control socket path '%s' is too long (at most %zu bytes)", path,
		         sizeof(((client_t *)0)->path) - 1);
		return NULL;
	}
	if (socket_check(path) != 0)
		return NULL;
	/* ZeroMQ retries a refused connect silently; say it now instead. */
	if (access(path, R_OK | W_OK) != 0) {
		ctl_fail("%s: %s (linlictl needs write access to the control socket)", path,
		         strerror(errno));
		return NULL;
	}

	client_t *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ctl_fail("out of memory");
		return NULL;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->timeout_ms = CLIENT_TIMEOUT_MS;
	char endpoint[sizeof(c->path) + 8];
	snprintf(endpoint, sizeof(endpoint), "ipc://%s", path);
	/* Linger 0: nothing we sent matters once we give up on the reply.
	 * Immediate: a send waits for a real connection, so a socket file
	 * nobody listens on shows as a connect failure, not a 60 s silence. */
	int linger = 0, rcvtimeo = CLIENT_TIMEOUT_MS, sndtimeo = CONNECT_TIMEOUT_MS, immediate = 1;
	if ((c->ctx = zmq_ctx_new()) == NULL ||
	    (c->sock = zmq_socket(c->ctx, ZMQ_DEALER)) == NULL ||
	    zmq_setsockopt(c->sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_RCVTIMEO, &rcvtimeo, sizeof(rcvtimeo)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_SNDTIMEO, &sndtimeo, sizeof(sndtimeo)) != 0 ||
	    zmq_setsockopt(c->sock, ZMQ_IMMEDIATE, &immediate, sizeof(immediate)) != 0 ||
	    zmq_socket_monitor(c->sock, "inproc://linlictl-monitor", ZMQ_EVENT_DISCONNECTED) != 0 ||
	    (c->monitor = zmq_socket(c->ctx, ZMQ_PAIR)) == NULL ||
	    zmq_setsockopt(c->monitor, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_connect(c->monitor, "inproc://linlictl-monitor") != 0 ||
	    zmq_connect(c->sock, endpoint) != 0) {
		ctl_fail("cannot connect to %s: %s", path, zmq_strerror(zmq_errno()));
		client_destroy(&c);
		return NULL;
	}
	return c;
}

void client_destroy(client_t **c)
{
	if (c == NULL || *c == NULL)
		return;
	if ((*c)->monitor != NULL)
		zmq_close((*c)->monitor);
	if ((*c)->sock != NULL)
		zmq_close((*c)->sock);
	if ((*c)->ctx != NULL)
		zmq_ctx_term((*c)->ctx);
	free(*c);
	*c = NULL;
}

void client_reply_free(Linli__CtlReply **reply)
{
	if (reply == NULL || *reply == NULL)
		return;
	linli__ctl_reply__free_unpacked(*reply, NULL);
	*reply = NULL;
}

int client_send_raw(client_t *c, const void *buf, size_t len)
{
	int rc;
	/* The empty frame is the envelope delimiter a REQ socket would add: the
	 * daemon answers REQ and pipelining DEALER clients alike. */
	while ((rc = zmq_send(c->sock, "", 0, ZMQ_SNDMORE)) < 0 && zmq_errno() == EINTR)
		;
	if (rc >= 0)
		while ((rc = zmq_send(c->sock, buf, len, 0)) < 0 && zmq_errno() == EINTR)
			;
	if (rc < 0) {
		if (zmq_errno() == EAGAIN)
			ctl_fail("cannot connect to linlid at %s within %d s (is linlid running?)",
			         c->path, CONNECT_TIMEOUT_MS / 1000);
		else
			ctl_fail("sending to linlid at %s: %s", c->path, zmq_strerror(zmq_errno()));
		return -1;
	}
	return 0;
}

int client_send(client_t *c, const Linli__CtlRequest *req)
{
	/* The daemon answers in the operator's language (daemon/i18n.h). */
	Linli__CtlRequest q = *req;
	q.lang = (char *)i18n_lang();
	size_t len = linli__ctl_request__get_packed_size(&q);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf == NULL)
		return ctl_fail("out of memory packing a %zu-byte request", len), -1;
	linli__ctl_request__pack(&q, buf);
	int rc = client_send_raw(c, buf, len);
	free(buf);
	return rc;
}

/* Waits for the reply, or for the daemon to go away: a killed daemon
 * never answers, and saying so beats a silent minute. */
static int wait_reply(client_t *c)
{
	zmq_pollitem_t items[] = {{c->sock, 0, ZMQ_POLLIN, 0}, {c->monitor, 0, ZMQ_POLLIN, 0}};
	int n;
	while ((n = zmq_poll(items, 2, c->timeout_ms)) < 0 && zmq_errno() == EINTR)
		;
	if (n > 0 && (items[0].revents & ZMQ_POLLIN))
		return 0;
	if (n > 0)
		ctl_fail("linlid at %s went away before answering; the change may or may not "
		         "have been made (look with show or list)",
		         c->path);
	else
		ctl_fail("no reply from linlid at %s within %d s", c->path, c->timeout_ms / 1000);
	return -1;
}

/* Receives the next reply (delimiter and one frame); the caller closes msg. */
static int recv_reply(client_t *c, zmq_msg_t *msg)
{
	int rc;
	if (wait_reply(c) != 0)
		return -1;
	for (int part = 0; part < 2; part++) {
		if (part == 1) {
			zmq_msg_close(msg);
			zmq_msg_init(msg);
		}
		while ((rc = zmq_msg_recv(msg, c->sock, 0)) < 0 && zmq_errno() == EINTR)
			;
		if (rc < 0) {
			ctl_fail("receiving from linlid at %s: %s", c->path,
			         zmq_strerror(zmq_errno()));
			return -1;
		}
		if (part == 0 && (zmq_msg_size(msg) != 0 || !zmq_msg_more(msg))) {
			ctl_fail("reply from linlid at %s is not a control reply", c->path);
			return -1;
		}
	}
	if (zmq_msg_more(msg)) {
		ctl_fail("reply from linlid at %s has more than one frame", c->path);
		return -1;
	}
	return 0;
}

void client_set_timeout(client_t *c, int ms)
{
	c->timeout_ms = ms;
}

int client_call(client_t *c, const Linli__CtlRequest *req, Linli__CtlReply **reply)
{
	*reply = NULL;
	if (client_send(c, req) != 0)
		return -1;
	return client_recv(c, reply);
}

int client_recv(client_t *c, Linli__CtlReply **reply)
{
	*reply = NULL;
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	if (recv_reply(c, &msg) != 0) {
		zmq_msg_close(&msg);
		return -1;
	}
	Linli__CtlReply *r = linli__ctl_reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
	zmq_msg_close(&msg);
	if (r == NULL) {
		ctl_fail("reply from linlid at %s is not a control reply", c->path);
		return -1;
	}
	if (!r->ok) {
		char *why = out_clean(
		    r->error[0] ? r->error : _("request refused (no reason given)"), 0, NULL);
		ctl_fail("%s", why ? why : _("request refused (no reason given)"));
		free(why);
		client_reply_free(&r);
		return -1;
	}
	*reply = r;
	return 0;
}

int client_call_once(const char *path, const Linli__CtlRequest *req, Linli__CtlReply **reply)
{
	*reply = NULL;
	client_t *c = client_new(path);
	if (c == NULL)
		return -1;
	int rc = client_call(c, req, reply);
	client_destroy(&c);
	return rc;
}
