/*
 * linkgate: the hub's link connections before they authenticate (see
 * linkgate.h for what is bounded and how).
 */
#include "daemon/linkgate.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <zmq.h>

#include "daemon/fdlimit.h"
#include "daemon/log.h"

#define NOFILE_LOW 4096  /* a hub below this is warned at start */
#define FDS_MIN    64    /* descriptors link connections need at least */
#define SETTLE_MS  1000  /* past handshake_ms, a live connection has authenticated */
#define LOG_MS     60000 /* a cause is logged at most this often */
#define RECENT_MS  60000 /* refusals this recent are a problem in status */
#define POLL_MS    100
#define EVENTS_MAX 1024 /* events taken per turn, between sweeps */
#define NIL        UINT32_MAX

enum { C_FREE, C_UNAUTH, C_CLOSING };
enum { WHY_PER_ADDRESS, WHY_TOTAL, WHY_NOT_ALLOWED, WHY_DESCRIPTORS, WHY_ACCEPT, WHY_N };

/* One connection the gate keeps a record of: in its handshake, or closed
 * by the gate and not yet by libzmq.  Authenticated ones have none. */
typedef struct {
	int fd;
	uint8_t state;
	uint8_t ip[ADDR_LEN];
	uint16_t port;
	uint32_t src;          /* its source's slot */
	uint32_t prev, next;   /* every connection in its handshake, oldest first */
	uint32_t sprev, snext; /* those of its source, oldest first */
	uint64_t since_ms;     /* accepted */
} gconn_t;

/* A source address (IPv6: its /64) with connections in their handshake. */
typedef struct {
	uint8_t key[ADDR_LEN];
	uint32_t n; /* 0: the slot is free */
	uint32_t head, tail;
} source_t;

struct linkgate {
	void *sock; /* the hub's ROUTER: not ours */
	void *pair; /* its monitor's events: the thread's */
	pthread_t thread;
	bool running;
	atomic_bool stop;
	pthread_mutex_t lock; /* everything below */
	int handshake_ms, unauth_max, per_address, fd_reserve;
	addrset_t allow;
	uint64_t nofile;
	uint32_t *slot; /* by descriptor: its record's index + 1; 0: none */
	size_t nslots;
	gconn_t *pool;
	uint32_t pool_cap, free_list;
	uint32_t head, tail; /* connections in their handshake, oldest first */
	source_t *src;
	uint32_t src_cap; /* a power of two, twice unauth_max at least */
	linkgate_stats_t st;
	uint64_t said_ms[WHY_N], unsaid[WHY_N];
	uint64_t reserve_seen;                        /* fdlimit_refused() as last logged */
	uint64_t recent_from_ms, recent_ms, recent_n; /* refusals since recent_from_ms */
	char recent_addr[ADDR_TEXT];
	int recent_why;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* --- sources: open addressing, linear probing, backward-shift removal --- */

static uint32_t hash16(const uint8_t key[ADDR_LEN])
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < ADDR_LEN; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

/* The key an address counts under: itself, or for IPv6 its /64 (one
 * machine has a /64 to take addresses from). */
static void source_key(const uint8_t ip[ADDR_LEN], uint8_t key[ADDR_LEN])
{
	static const uint8_t v4[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memcpy(key, ip, ADDR_LEN);
	if (memcmp(ip, v4, sizeof(v4)) != 0)
		memset(key + 8, 0, 8);
}

static uint32_t source_find(linkgate_t *g, const uint8_t key[ADDR_LEN])
{
	uint32_t mask = g->src_cap - 1, i = hash16(key) & mask;
	while (g->src[i].n != 0 && memcmp(g->src[i].key, key, ADDR_LEN) != 0)
		i = (i + 1) & mask;
	return i; /* its slot, or the free one it goes into */
}

static void source_remove(linkgate_t *g, uint32_t i)
{
	uint32_t mask = g->src_cap - 1;
	for (uint32_t j = (i + 1) & mask; g->src[j].n != 0; j = (j + 1) & mask) {
		uint32_t home = hash16(g->src[j].key) & mask;
		/* j stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		g->src[i] = g->src[j];
		for (uint32_t c = g->src[i].head; c != NIL; c = g->pool[c].snext)
			g->pool[c].src = i;
		i = j;
	}
	g->src[i].n = 0;
}

/* --- records --- */

static uint32_t record_new(linkgate_t *g)
{
	if (g->free_list == NIL) {
		uint32_t cap = g->pool_cap * 2;
		gconn_t *pool = realloc(g->pool, (size_t)cap * sizeof(*pool));
		if (pool == NULL)
			return NIL;
		for (uint32_t i = g->pool_cap; i < cap; i++) {
			pool[i].state = C_FREE;
			pool[i].next = i + 1 < cap ? i + 1 : NIL;
		}
		g->pool = pool;
		g->free_list = g->pool_cap;
		g->pool_cap = cap;
	}
	uint32_t c = g->free_list;
	g->free_list = g->pool[c].next;
	memset(&g->pool[c], 0, sizeof(g->pool[c]));
	return c;
}

static void record_free(linkgate_t *g, uint32_t c)
{
	if ((size_t)g->pool[c].fd < g->nslots && g->slot[g->pool[c].fd] == c + 1)
		g->slot[g->pool[c].fd] = 0;
	g->pool[c].state = C_FREE;
	g->pool[c].next = g->free_list;
	g->free_list = c;
}

/* c enters its handshake: last in both lists. */
static void unauth_add(linkgate_t *g, uint32_t c)
{
	gconn_t *e = &g->pool[c];
	uint8_t key[ADDR_LEN];
	source_key(e->ip, key);
	uint32_t s = source_find(g, key);
	if (g->src[s].n == 0) {
		memcpy(g->src[s].key, key, ADDR_LEN);
		g->src[s].head = g->src[s].tail = NIL;
	}
	e->state = C_UNAUTH;
	e->src = s;
	e->next = e->snext = NIL;
	e->prev = g->tail;
	e->sprev = g->src[s].tail;
	if (g->tail != NIL)
		g->pool[g->tail].next = c;
	else
		g->head = c;
	g->tail = c;
	if (g->src[s].tail != NIL)
		g->pool[g->src[s].tail].snext = c;
	else
		g->src[s].head = c;
	g->src[s].tail = c;
	g->src[s].n++;
	g->st.unauth++;
}

/* c leaves its handshake (authenticated, closed or refused). */
static void unauth_remove(linkgate_t *g, uint32_t c)
{
	gconn_t *e = &g->pool[c];
	source_t *s = &g->src[e->src];
	if (e->prev != NIL)
		g->pool[e->prev].next = e->next;
	else
		g->head = e->next;
	if (e->next != NIL)
		g->pool[e->next].prev = e->prev;
	else
		g->tail = e->prev;
	if (e->sprev != NIL)
		g->pool[e->sprev].snext = e->snext;
	else
		s->head = e->snext;
	if (e->snext != NIL)
		g->pool[e->snext].sprev = e->sprev;
	else
		s->tail = e->sprev;
	if (--s->n == 0)
		source_remove(g, e->src);
	g->st.unauth--;
	e->state = C_CLOSING;
}

/* The connection in its handshake to close when there are too many: the
 * oldest of the source that holds the most (the oldest of those on a tie). */
static uint32_t busiest(linkgate_t *g)
{
	uint32_t best = NIL;
	for (uint32_t i = 0; i < g->src_cap; i++) {
		const source_t *s = &g->src[i];
		if (s->n == 0)
			continue;
		if (best == NIL || s->n > g->src[g->pool[best].src].n ||
		    (s->n == g->src[g->pool[best].src].n &&
		     g->pool[s->head].since_ms < g->pool[best].since_ms))
			best = s->head;
	}
	return best;
}

/* --- refusals --- */

static void say(linkgate_t *g, int why, const char *addr, uint64_t n, uint64_t now, const char *fmt,
                ...) __attribute__((format(printf, 6, 7)));

/* Notes n refusals of cause why, the last from addr ("" if unknown), and
 * logs the cause once a minute with a count of the others. */
static void say(linkgate_t *g, int why, const char *addr, uint64_t n, uint64_t now, const char *fmt,
                ...)
{
	if (now - g->recent_ms >= RECENT_MS || g->recent_n == 0) {
		g->recent_from_ms = now;
		g->recent_n = 0;
	}
	g->recent_n += n;
	g->recent_ms = now;
	g->recent_why = why;
	snprintf(g->recent_addr, sizeof(g->recent_addr), "%s", addr);
	if (g->said_ms[why] != 0 && now - g->said_ms[why] < LOG_MS) {
		g->unsaid[why] += n;
		return;
	}
	g->unsaid[why] += n - 1;
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (g->unsaid[why] > 0)
		log_warn("%s (%" PRIu64 " more for this cause since the last such line)", text,
		         g->unsaid[why]);
	else
		log_warn("%s", text);
	g->said_ms[why] = now;
	g->unsaid[why] = 0;
}

/* Whether c's descriptor still is c's connection: libzmq may have closed
 * it, and given the number again, since the events read so far. */
static bool still_there(const gconn_t *e)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	uint8_t ip[ADDR_LEN];
	uint16_t port;
	return getpeername(e->fd, (struct sockaddr *)&ss, &len) == 0 &&
	       addr_of((struct sockaddr *)&ss, ip, &port) == 0 && port == e->port &&
	       memcmp(ip, e->ip, ADDR_LEN) == 0;
}

/* Closes c's connection; libzmq sees it end and closes the descriptor. */
static void refuse(linkgate_t *g, uint32_t c)
{
	gconn_t *e = &g->pool[c];
	if (e->state == C_UNAUTH)
		unauth_remove(g, c);
	e->state = C_CLOSING;
	if (still_there(e))
		shutdown(e->fd, SHUT_RDWR);
}

/* --- events --- */

static void on_accepted(linkgate_t *g, int fd, uint64_t now)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[ADDR_TEXT] = "";
	g->st.conns++;
	if (fd < 0 || (size_t)fd >= g->nslots)
		return;         /* fdlimit refuses those at accept: the reserve starts below */
	if (g->slot[fd] != 0) { /* a record whose end was never seen */
		uint32_t old = g->slot[fd] - 1;
		if (g->pool[old].state == C_UNAUTH)
			unauth_remove(g, old);
		record_free(g, old);
	}
	uint32_t c = record_new(g);
	if (c == NIL) {
		g->st.refused_descriptors++;
		shutdown(fd, SHUT_RDWR);
		say(g, WHY_DESCRIPTORS, "", 1, now, "refused a link connection: out of memory");
		return;
	}
	gconn_t *e = &g->pool[c];
	e->fd = fd;
	e->since_ms = now;
	e->state = C_CLOSING; /* until it is known to be in its handshake */
	g->slot[fd] = c + 1;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    addr_of((struct sockaddr *)&ss, e->ip, &e->port) != 0)
		return; /* gone already: its end follows */
	addr_text(e->ip, addr);
	if (g->allow.n > 0 && !addrset_has(&g->allow, e->ip)) {
		g->st.refused_not_allowed++;
		refuse(g, c);
		say(g, WHY_NOT_ALLOWED, addr, 1, now,
		    "refused a link connection from %s: not in allow_from", addr);
		return;
	}
	unauth_add(g, c);
	source_t *s = &g->src[e->src];
	if (s->n > (uint32_t)g->per_address) {
		uint32_t n = s->n;
		g->st.refused_unauth++;
		refuse(g, s->head);
		say(g, WHY_PER_ADDRESS, addr, 1, now,
		    "closed a link connection from %s before it authenticated: %" PRIu32
		    " of its connections were in their handshake (unauth_per_address %d)",
		    addr, n, g->per_address);
	} else if (g->st.unauth > (uint64_t)g->unauth_max) {
		uint32_t victim = busiest(g), n = g->src[g->pool[victim].src].n;
		char vaddr[ADDR_TEXT];
		addr_text(g->pool[victim].ip, vaddr);
		g->st.refused_unauth++;
		refuse(g, victim);
		say(g, WHY_TOTAL, vaddr, 1, now,
		    "closed a link connection from %s before it authenticated: %" PRIu64
		    " connections were in their handshake (unauth_max %d), %" PRIu32
		    " of them from %s, the most",
		    vaddr, g->st.unauth + 1, g->unauth_max, n, vaddr);
	}
}

static void on_disconnected(linkgate_t *g, int fd)
{
	if (g->st.conns > 0)
		g->st.conns--;
	if (fd < 0 || (size_t)fd >= g->nslots || g->slot[fd] == 0)
		return; /* an authenticated connection */
	uint32_t c = g->slot[fd] - 1;
	if (g->pool[c].state == C_UNAUTH) {
		unauth_remove(g, c);
		g->st.unfinished++;
	}
	record_free(g, c);
}

static void on_accept_failed(linkgate_t *g, int err, uint64_t now)
{
	if (err != EMFILE && err != ENFILE)
		return; /* the peer left before the accept: nothing held */
	g->st.accept_failed++;
	say(g, WHY_ACCEPT, "", 1, now,
	    "the hub's link could not accept a connection: %s (open-file limit %" PRIu64 ")",
	    strerror(err), g->nofile);
}

/* Connections still open past the handshake's time have authenticated. */
static void sweep(linkgate_t *g, uint64_t now)
{
	uint64_t done = (uint64_t)g->handshake_ms + SETTLE_MS;
	while (g->head != NIL && now - g->pool[g->head].since_ms >= done) {
		uint32_t c = g->head;
		unauth_remove(g, c);
		record_free(g, c);
	}
}

/* Connections fdlimit closed at accept since the last look: said as the
 * gate's own refusals are. */
static void reserve_said(linkgate_t *g, uint64_t now)
{
	uint64_t n = fdlimit_refused();
	if (n == g->reserve_seen)
		return;
	g->st.refused_descriptors += n - g->reserve_seen;
	say(g, WHY_DESCRIPTORS, "", n - g->reserve_seen, now,
	    "refused a link connection: it got one of the last %d descriptors below the "
	    "open-file limit %" PRIu64 ", kept for the control socket and the store "
	    "(fd_reserve); raise LimitNOFILE= in the unit",
	    g->fd_reserve, g->nofile);
	g->reserve_seen = n;
}

static void *run(void *arg)
{
	linkgate_t *g = arg;
	while (!atomic_load(&g->stop)) {
		zmq_pollitem_t item = {g->pair, 0, ZMQ_POLLIN, 0};
		if (zmq_poll(&item, 1, POLL_MS) < 0 && zmq_errno() != EINTR) {
			log_err("link gate: zmq_poll: %s; connections are no longer bounded",
			        zmq_strerror(zmq_errno()));
			break;
		}
		zmsg_t m;
		for (int i = 0; i < EVENTS_MAX && zmsg_recv(g->pair, &m) == 1; i++) {
			/* Part 0: the event (16 bits) and its value (32 bits), in
			 * this machine's byte order. */
			uint16_t event;
			uint32_t value;
			if (m.n >= 1 && zmsg_size(&m, 0) == 6) {
				memcpy(&event, zmsg_data(&m, 0), sizeof(event));
				memcpy(&value, zmsg_data(&m, 0) + 2, sizeof(value));
				uint64_t now = mono_ms();
				pthread_mutex_lock(&g->lock);
				if (event == ZMQ_EVENT_ACCEPTED)
					on_accepted(g, (int)value, now);
				else if (event == ZMQ_EVENT_DISCONNECTED)
					on_disconnected(g, (int)value);
				else if (event == ZMQ_EVENT_ACCEPT_FAILED)
					on_accept_failed(g, (int)value, now);
				pthread_mutex_unlock(&g->lock);
			}
			zmsg_close(&m);
		}
		pthread_mutex_lock(&g->lock);
		sweep(g, mono_ms());
		reserve_said(g, mono_ms());
		pthread_mutex_unlock(&g->lock);
	}
	return NULL;
}

linkgate_t *linkgate_new(void *zctx, void *sock, const linkgate_opts_t *o)
{
	char inproc[64];
	int zero = 0;
	linkgate_t *g = calloc(1, sizeof(*g));
	if (g == NULL || pthread_mutex_init(&g->lock, NULL) != 0) {
		free(g);
		log_err("link gate: out of memory");
		return NULL;
	}
	g->sock = sock;
	g->handshake_ms = o->handshake_ms;
	g->unauth_max = o->unauth_max;
	g->per_address = o->unauth_per_address;
	g->fd_reserve = o->fd_reserve;
	if (o->allow != NULL)
		g->allow = *o->allow;
	g->head = g->tail = NIL;
	g->nofile = fdlimit_get();
	g->st.nofile = g->nofile;
	g->st.fd_reserve = g->fd_reserve;
	if (g->nofile < (uint64_t)g->fd_reserve + FDS_MIN) {
		log_err("open files: the limit %" PRIu64 " leaves fewer than %d descriptors for "
		        "link connections after fd_reserve %d: raise LimitNOFILE= in the unit or "
		        "lower fd_reserve; not starting",
		        g->nofile, FDS_MIN, g->fd_reserve);
		goto fail;
	}
	if (g->nofile < NOFILE_LOW)
		log_warn("open files: the limit %" PRIu64
		         " is low for a hub: set LimitNOFILE=65536 "
		         "in its unit (deploy/linlid-hub.service)",
		         g->nofile);
	/* Half of what the reserve leaves at most: connections in their
	 * handshake are closed as they come, but a burst of them outruns the
	 * gate's thread by some before it is seen (the reserve stops it). */
	uint64_t room = (g->nofile - (uint64_t)g->fd_reserve) / 2;
	if ((uint64_t)g->unauth_max > room) {
		log_warn("unauth_max %d is more than the open-file limit %" PRIu64
		         " leaves after fd_reserve %d: %" PRIu64
		         " in force (raise LimitNOFILE= in the unit)",
		         g->unauth_max, g->nofile, g->fd_reserve, room);
		g->unauth_max = (int)room;
	}
	if (g->per_address > g->unauth_max)
		g->per_address = g->unauth_max;
	g->nslots = g->nofile < FDLIMIT_MAX ? (size_t)g->nofile : FDLIMIT_MAX;
	g->src_cap = 64;
	while (g->src_cap < 2u * ((uint32_t)g->unauth_max + 1))
		g->src_cap *= 2;
	g->pool_cap = g->src_cap; /* grows by doubling when full */
	/* slot is large and sparse: calloc's untouched pages cost nothing. */
	if ((g->slot = calloc(g->nslots, sizeof(*g->slot))) == NULL ||
	    (g->src = calloc(g->src_cap, sizeof(*g->src))) == NULL ||
	    (g->pool = calloc(g->pool_cap, sizeof(*g->pool))) == NULL) {
		log_err("link gate: out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i < g->pool_cap; i++)
		g->pool[i].next = i + 1 < g->pool_cap ? i + 1 : NIL;
	g->free_list = 0;
	/* A handshake not done in this time is ended by libzmq (the default,
	 * 30 s, let an idle connection hold its descriptor that long). */
	snprintf(inproc, sizeof(inproc), "inproc://linkgate-%p", (void *)g);
	if (zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &o->handshake_ms, sizeof(o->handshake_ms)) !=
	        0 ||
	    zmq_socket_monitor(sock, inproc,
	                       ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED |
	                           ZMQ_EVENT_DISCONNECTED) != 0 ||
	    (g->pair = zmq_socket(zctx, ZMQ_PAIR)) == NULL ||
	    zmq_setsockopt(g->pair, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_connect(g->pair, inproc) != 0) {
		log_err("link gate: watching the hub's link: %s", zmq_strerror(zmq_errno()));
		goto fail;
	}
	if (pthread_create(&g->thread, NULL, run, g) != 0) {
		log_err("link gate: cannot start its thread");
		goto fail;
	}
	g->running = true;
	fdlimit_reserve((int)(g->nofile < FDLIMIT_MAX ? g->nofile : FDLIMIT_MAX) - g->fd_reserve);
	return g;
fail:
	linkgate_destroy(&g);
	return NULL;
}

void linkgate_destroy(linkgate_t **gp)
{
	if (gp == NULL || *gp == NULL)
		return;
	linkgate_t *g = *gp;
	/* The monitor first: libzmq's I/O thread blocks on a full monitor
	 * socket, and the thread keeps reading it until it stops. */
	fdlimit_reserve(0);
	if (g->sock != NULL)
		zmq_socket_monitor(g->sock, NULL, 0);
	if (g->running) {
		atomic_store(&g->stop, true);
		pthread_join(g->thread, NULL);
	}
	if (g->pair != NULL)
		zmq_close(g->pair);
	pthread_mutex_destroy(&g->lock);
	free(g->slot);
	free(g->src);
	free(g->pool);
	free(g);
	*gp = NULL;
}

void linkgate_heard(linkgate_t *g, zmsg_t *m)
{
	if (g == NULL || m->n < 2)
		return;
	/* Part 1 came off the wire (part 0 is the ROUTER's): it names the
	 * descriptor it came on. */
	int fd = zmq_msg_get(&m->part[1], ZMQ_SRCFD);
	if (fd < 0 || (size_t)fd >= g->nslots)
		return;
	pthread_mutex_lock(&g->lock);
	/* A message read late may come from a connection closed since, whose
	 * descriptor a new connection has now: that one is then taken for
	 * authenticated, and libzmq still ends its handshake in time. */
	uint32_t c = g->slot[fd];
	if (c != 0 && g->pool[c - 1].state == C_UNAUTH) {
		unauth_remove(g, c - 1);
		record_free(g, c - 1);
	}
	pthread_mutex_unlock(&g->lock);
}

/* Descriptors open in this process (0 if they cannot be counted: reading
 * the directory takes one). */
static uint64_t fds_open(void)
{
	uint64_t n = 0;
	DIR *dir = opendir("/proc/self/fd");
	if (dir == NULL)
		return 0;
	for (struct dirent *e; (e = readdir(dir)) != NULL;)
		n += e->d_name[0] != '.';
	closedir(dir);
	return n > 0 ? n - 1 : 0; /* less the directory's own */
}

void linkgate_stats(linkgate_t *g, linkgate_stats_t *out)
{
	memset(out, 0, sizeof(*out));
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	*out = g->st;
	pthread_mutex_unlock(&g->lock);
	out->fds_open = fds_open();
}

const char *linkgate_problem(linkgate_t *g, char *buf, size_t len)
{
	static const char *const causes[WHY_N] = {
	    [WHY_PER_ADDRESS] = "too many connections from that address in their handshake",
	    [WHY_TOTAL] = "too many connections in their handshake",
	    [WHY_NOT_ALLOWED] = "not in allow_from",
	    [WHY_DESCRIPTORS] = "no descriptors left but the reserve",
	    [WHY_ACCEPT] = "no descriptor left to accept it",
	};
	if (g == NULL)
		return NULL;
	uint64_t now = mono_ms();
	pthread_mutex_lock(&g->lock);
	bool recent = g->recent_n > 0 && now - g->recent_ms < RECENT_MS;
	if (recent)
		snprintf(
		    buf, len,
		    "%" PRIu64 " link connections refused or closed before they authenticated in "
		    "the last %" PRIu64 " s (the last%s%s: %s): someone holds connections to the "
		    "hub's port open%s",
		    g->recent_n, (now - g->recent_from_ms) / 1000u + 1,
		    g->recent_addr[0] ? " from " : "", g->recent_addr, causes[g->recent_why],
		    g->allow.n > 0 ? "" : "; allow_from limits who may connect");
	pthread_mutex_unlock(&g->lock);
	return recent ? buf : NULL;
}
