/*
 * zmsg: bounded multipart receive and send.
 */
#include "daemon/zmsg.h"

#include <errno.h>
#include <string.h>

int zmsg_recv(void *sock, zmsg_t *m)
{
	int more = 0;
	size_t moresz = sizeof(more);
	m->n = 0;
	m->truncated = false;
	do {
		zmq_msg_t scratch, *part = m->n < ZMSG_PARTS_MAX ? &m->part[m->n] : &scratch;
		zmq_msg_init(part);
		/* Only the first part may be absent; the rest of a message is atomic. */
		if (zmq_msg_recv(part, sock, m->n == 0 ? ZMQ_DONTWAIT : 0) < 0) {
			int e = errno;
			zmq_msg_close(part);
			zmsg_close(m);
			errno = e;
			return e == EAGAIN ? 0 : -1;
		}
		zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &moresz);
		if (part == &scratch) {
			zmq_msg_close(part);
			m->truncated = true;
		} else {
			m->n++;
		}
	} while (more);
	return 1;
}

void zmsg_close(zmsg_t *m)
{
	for (size_t i = 0; i < m->n; i++)
		zmq_msg_close(&m->part[i]);
	m->n = 0;
}

const uint8_t *zmsg_data(zmsg_t *m, size_t i)
{
	return zmq_msg_data(&m->part[i]);
}

size_t zmsg_size(zmsg_t *m, size_t i)
{
	return zmq_msg_size(&m->part[i]);
}

bool zmsg_is(zmsg_t *m, size_t i, const char *word)
{
	size_t n = strlen(word);
	return i < m->n && zmsg_size(m, i) == n && memcmp(zmsg_data(m, i), word, n) == 0;
}

bool zmsg_str(zmsg_t *m, size_t i, char *buf, size_t len)
{
	if (i >= m->n)
		return false;
	size_t n = zmsg_size(m, i);
	if (n >= len || memchr(zmsg_data(m, i), '\0', n) != NULL)
		return false;
	memcpy(buf, zmsg_data(m, i), n);
	buf[n] = '\0';
	return true;
}

int zsend(void *sock, size_t nparts, const void *const *data, const size_t *lens)
{
	for (size_t i = 0; i < nparts; i++) {
		int flags = ZMQ_DONTWAIT | (i + 1 < nparts ? ZMQ_SNDMORE : 0);
		/* After the first part the message is committed: later parts never
		 * see EAGAIN in libzmq, so a partial message cannot be left behind. */
		if (zmq_send(sock, data[i], lens[i], flags) < 0)
			return -1;
	}
	return 0;
}

int zsock_setup(void *sock, int heartbeat_ms, int64_t maxmsg)
{
	int zero = 0, one = 1, ivl = heartbeat_ms, timeout = heartbeat_ms * 5;
	int reconnect = 100, reconnect_max = 1000; /* a hub back is found within a second */
	/* The connect timeout: without it, a connect() made while the link is
	 * dead waits in the kernel through every SYN retransmission (1, 2, 4 ...
	 * 64 s apart, about two minutes in all) and zmq tries nothing else
	 * meanwhile, so a healed link finds its hub only at the next
	 * retransmission, up to a minute later.  Give up as a heartbeat does.
	 * IPv6: without it libzmq refuses [::] and [::1] ("No such device") and
	 * resolves names to IPv4 only; with it a listener on [::] takes IPv4
	 * too (dual stack), an IPv4 address still works (as ::ffff:a.b.c.d),
	 * and a machine without IPv6 falls back to IPv4. */
	if (zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_IPV6, &one, sizeof(one)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &maxmsg, sizeof(maxmsg)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_HEARTBEAT_IVL, &ivl, sizeof(ivl)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TIMEOUT, &timeout, sizeof(timeout)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_HEARTBEAT_TTL, &timeout, sizeof(timeout)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_CONNECT_TIMEOUT, &timeout, sizeof(timeout)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_RECONNECT_IVL, &reconnect, sizeof(reconnect)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_RECONNECT_IVL_MAX, &reconnect_max, sizeof(reconnect_max)) != 0)
		return -1;
	return 0;
}
