/*
 * service: sd_notify(3)'s protocol, written out here rather than linked
 * from libsystemd.  It is one datagram of "NAME=value" lines to the
 * AF_UNIX socket $NOTIFY_SOCKET names, a stable interface (systemd's
 * sd_notify(3) shows this standalone version), and libsystemd would bring
 * its own dependencies (gcrypt, lz4, lzma, zstd, libcap) into a daemon
 * that holds keys, and a build dependency into every `make`, for these
 * few lines.
 */
#include "daemon/service.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "daemon/linkmon.h"
#include "daemon/log.h"

#define STATUS_EVERY_MS 1000

struct service {
	int fd; /* -1: no service manager to tell */
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_ms; /* 0: no watchdog */
	uint64_t pinged_ms;   /* last WATCHDOG=1 */
	uint64_t status_ms;   /* when STATUS was last looked at */
	char status[256];     /* the STATUS last sent */
	bool send_failed;     /* a failure was logged (once) */
};

/* Sends one datagram.  The socket does not block: a service manager that
 * does not read (its buffer full) costs a lost message, never a stalled
 * loop; a lost WATCHDOG=1 is made up by the next one. */
static void send_text(service_t *s, const char *text)
{
	if (s == NULL || s->fd < 0)
		return;
	if (sendto(s->fd, text, strlen(text), MSG_NOSIGNAL, (struct sockaddr *)&s->addr,
	           s->addr_len) >= 0 ||
	    errno == EAGAIN || s->send_failed)
		return;
	s->send_failed = true;
	log_warn("NOTIFY_SOCKET: %s: systemd may not learn this daemon's state (said once)",
	         strerror(errno));
}

/* $NOTIFY_SOCKET: a path, or '@' for an abstract socket name. */
static int open_socket(service_t *s, const char *name)
{
	size_t len = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || len < 2 || len > sizeof(s->addr.sun_path)) {
		log_warn("NOTIFY_SOCKET=%s: not an AF_UNIX socket path or @name; systemd will "
		         "not be told when this daemon is ready",
		         name);
		return -1;
	}
	s->addr.sun_family = AF_UNIX;
	memcpy(s->addr.sun_path, name, len);
	if (name[0] == '@')
		s->addr.sun_path[0] = '\0';
	s->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0) {
		log_warn("NOTIFY_SOCKET: socket: %s; systemd will not be told when this daemon "
		         "is ready",
		         strerror(errno));
		return -1;
	}
	return 0;
}

/* $WATCHDOG_USEC, for this process if $WATCHDOG_PID is unset or ours. */
static uint64_t watchdog_ms(const char *usec, const char *pid)
{
	char *end;
	if (usec == NULL)
		return 0;
	errno = 0;
	unsigned long long us = strtoull(usec, &end, 10);
	if (errno != 0 || end == usec || *end != '\0' || us == 0) {
		log_warn("WATCHDOG_USEC=%s: not a number of microseconds; no watchdog", usec);
		return 0;
	}
	if (pid != NULL) {
		long long p = strtoll(pid, &end, 10);
		if (end == pid || *end != '\0' || p != (long long)getpid())
			return 0; /* meant for another process */
	}
	return us < 1000 ? 1 : (uint64_t)(us / 1000);
}

service_t *service_new(void)
{
	service_t *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->fd = -1;
	const char *name = getenv("NOTIFY_SOCKET");
	if (name != NULL && name[0] != '\0' && open_socket(s, name) == 0)
		s->watchdog_ms = watchdog_ms(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"));
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return s;
}

void service_destroy(service_t **s)
{
	if (s == NULL || *s == NULL)
		return;
	if ((*s)->fd >= 0)
		close((*s)->fd);
	free(*s);
	*s = NULL;
}

uint64_t service_watchdog_ms(const service_t *s)
{
	return s ? s->watchdog_ms : 0;
}

static uint64_t seq_of(linli_txn_t *txn, const char *owner, int stream)
{
	store_head_t h = {0};
	if (txn != NULL)
		store_head_get(txn, owner, stream, &h);
	return h.seq;
}

/* "hub linked, 0 unacknowledged", as `linlictl status` counts them. */
static void node_status(linlid_t *d, uint64_t now, char *out, size_t len)
{
	linli_txn_t *txn = NULL;
	store_read_begin(d->store, &txn);
	uint64_t mine = seq_of(txn, d->cfg.owner, LINLI_STREAM_PUBLIC) +
	                seq_of(txn, d->cfg.owner, LINLI_STREAM_PERSONAL);
	store_abort(&txn);
	uint64_t acked = d->acked[LINLI_STREAM_PUBLIC] + d->acked[LINLI_STREAM_PERSONAL];
	bool up = d->hub_heard_ms && now - d->hub_heard_ms < 3u * (uint64_t)d->cfg.heartbeat_ms;
	const char *refusal = node_write_refusal(d);
	snprintf(out, len, "hub %s, %" PRIu64 " unacknowledged%s%s",
	         up                            ? "linked"
	         : linkmon_problem(d->linkmon) ? "link refused"
	                                       : "link down",
	         mine > acked ? mine - acked : 0, refusal ? "; writes refused: " : "",
	         refusal ? refusal : "");
}

/* "10 of 10 communities linked, 0 behind": the trusted communities (not
 * revoked), those heard within three heartbeats, and those whose node
 * reported more of its logs than the hub holds. */
static void hub_status(linlid_t *d, uint64_t now, char *out, size_t len)
{
	size_t all = 0, linked = 0, behind = 0;
	linli_txn_t *txn = NULL;
	store_read_begin(d->store, &txn);
	for (size_t i = 0; i < d->trust.n; i++) {
		const trust_entry_t *e = &d->trust.entries[i];
		if (e->revoked || strcmp(e->owner, d->cfg.owner) == 0)
			continue;
		all++;
		const peer_t *p = hub_peer(d, e->owner);
		if (p == NULL)
			continue;
		if (now - p->last_heard_ms < 3u * (uint64_t)d->cfg.heartbeat_ms)
			linked++;
		if (p->head[LINLI_STREAM_PUBLIC] > seq_of(txn, e->owner, LINLI_STREAM_PUBLIC) ||
		    p->head[LINLI_STREAM_PERSONAL] > seq_of(txn, e->owner, LINLI_STREAM_PERSONAL))
			behind++;
	}
	store_abort(&txn);
	const char *refusal = hub_write_refusal(d);
	snprintf(out, len, "%zu of %zu communities linked, %zu behind%s%s", linked, all, behind,
	         refusal ? "; writes refused: " : "", refusal ? refusal : "");
}

static void status_text(linlid_t *d, uint64_t now, char *out, size_t len)
{
	if (d->cfg.role == ROLE_HUB)
		hub_status(d, now, out, len);
	else
		node_status(d, now, out, len);
}

static void send_ready(service_t *s, linlid_t *d, uint64_t now)
{
	char msg[sizeof(s->status) + 32];
	status_text(d, now, s->status, sizeof(s->status));
	s->status_ms = now;
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", s->status);
	send_text(s, msg);
}

void service_ready(service_t *s, linlid_t *d, uint64_t now)
{
	if (s == NULL || s->fd < 0)
		return;
	send_ready(s, d, now);
	s->pinged_ms = now;
}

void service_reloading(service_t *s)
{
	struct timespec ts;
	char msg[64];
	if (s == NULL || s->fd < 0)
		return;
	/* MONOTONIC_USEC: when the reload began, as systemd 253's
	 * Type=notify-reload asks; older ones ignore it. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	         (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
	send_text(s, msg);
}

void service_reloaded(service_t *s, linlid_t *d, uint64_t now)
{
	if (s != NULL && s->fd >= 0)
		send_ready(s, d, now);
}

void service_stopping(service_t *s)
{
	send_text(s, "STOPPING=1\nSTATUS=stopping");
}

void service_tick(service_t *s, linlid_t *d, uint64_t now, bool healthy)
{
	if (s == NULL || s->fd < 0)
		return;
	if (s->watchdog_ms && healthy && now - s->pinged_ms >= s->watchdog_ms / 2) {
		send_text(s, "WATCHDOG=1");
		s->pinged_ms = now;
	}
	if (now - s->status_ms >= STATUS_EVERY_MS) {
		char text[sizeof(s->status)], msg[sizeof(s->status) + 16];
		s->status_ms = now;
		status_text(d, now, text, sizeof(text));
		if (strcmp(text, s->status) != 0) {
			memcpy(s->status, text, sizeof(text));
			snprintf(msg, sizeof(msg), "STATUS=%s", s->status);
			send_text(s, msg);
		}
	}
}
