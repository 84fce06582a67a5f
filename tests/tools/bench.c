/*
 * linli-bench: the measurements of `make bench` that need a tight loop.
 *
 *   linli-bench floor DIR N [verify]
 *       N household records of ~150 bytes straight into a fresh store in DIR,
 *       synced commits of 1000; with verify, one Ed25519 verification of the
 *       batch's bytes per commit.  Prints "floor RECORDS SECONDS RATE".
 *   linli-bench latency NODE_SOCK HUB_SOCK OWNER SAMPLES
 *       adds one household at the node, then asks the hub until it has it;
 *       prints "latency P50_US P99_US MAX_US NODE_P50_US": the write-to-hub
 *       times, and the median time until the node acknowledged the write.
 *   linli-bench statsread SOCK N
 *       N stats requests; prints "statsread P50_US P99_US".
 *   linli-bench acks SECONDS INTERVAL_MS NODE_SOCK...
 *       for SECONDS, each node adds one household every INTERVAL_MS (the next
 *       once the last is acknowledged), and each is timed from the request
 *       until the node's status says the hub acknowledged it (acked_personal
 *       reaches log_personal; status asked every 5 ms).  Prints "acks N
 *       P50_US P99_US MAX_US UNACKED": UNACKED writes were still waiting 10 s
 *       after the end (counted in the figures with the time they waited).
 *   linli-bench wait SOCK TOTAL TIMEOUT_S
 *       polls the hub's statistics until it holds TOTAL households; prints
 *       "reached CLOCK_MONOTONIC_SECONDS".
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "proto/keys.h"
#include "proto/linli.pb-c.h"
#include "proto/record.h"
#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	qsort(v, n, sizeof(*v), cmp_double);
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

/* A household of about 150 bytes, as the benchmark workload has it. */
static linli_record_t *household(uint64_t i)
{
	char id[24], phone[24], name[40], err[LINLI_ERR_MAX], num[24];
	snprintf(id, sizeof(id), "%06" PRIu64, i);
	snprintf(phone, sizeof(phone), "138%08" PRIu64, i % 100000000);
	snprintf(name, sizeof(name), "陈志明%" PRIu64, i % 1000);
	linli_record_t *r = linli_record_new(LINLI_KIND_HOUSEHOLD, id);
	linli_record_set(r, "grid", "g1-2", err, sizeof(err));
	linli_record_set(r, "address", "福建省晋江市灵源街道曾林社区中心路128号3单元", err,
	                 sizeof(err));
	linli_record_set(r, "head_name", name, err, sizeof(err));
	linli_record_set(r, "phone", phone, err, sizeof(err));
	snprintf(num, sizeof(num), "%" PRIu64, 1 + i % 6);
	linli_record_set(r, "size", num, err, sizeof(err));
	linli_record_set(r, "rented", i % 3 ? "no" : "yes", err, sizeof(err));
	snprintf(num, sizeof(num), "%" PRIu64, 1761955200 + i);
	linli_record_set(r, "registered_at", num, err, sizeof(err));
	return r;
}

static int floor_run(const char *dir, uint64_t n, int verify)
{
	const size_t batch = 1000;
	linli_store_t *st;
	linli_key_t *key = NULL;
	char err[LINLI_ERR_MAX], keyfile[512];
	uint8_t pub[LINLI_PUB_LEN], data_key[STORE_KEY_LEN];
	/* Values sealed as the daemon seals them: the floor is the same store. */
	randombytes_buf(data_key, sizeof(data_key));
	if (store_open(&st, dir, data_key) != 0) {
		fprintf(stderr, "floor: cannot open a store in %s\n", dir);
		return 1;
	}
	snprintf(keyfile, sizeof(keyfile), "%s/bench.key", dir);
	if (linli_key_generate(keyfile, pub, err, sizeof(err)) != 0 ||
	    linli_key_load(&key, keyfile, err, sizeof(err)) != 0) {
		fprintf(stderr, "floor: %s\n", err);
		return 1;
	}
	/* Records are encoded before the clock starts: the floor is the disk. */
	uint8_t *vals = malloc(n * 256);
	size_t *off = malloc((n + 1) * sizeof(size_t));
	char(*ids)[16] = malloc(n * sizeof(*ids));
	off[0] = 0;
	for (uint64_t i = 0; i < n; i++) {
		linli_record_t *r = household(i);
		off[i + 1] = off[i] + linli_record_pack(r, vals + off[i]);
		snprintf(ids[i], sizeof(ids[i]), "%s", linli_record_id(r));
		linli_record_destroy(&r);
	}
	size_t total = off[n], nbatch = (n + batch - 1) / batch;
	uint8_t(*sigs)[64] = malloc(nbatch * 64 + 64);
	for (uint64_t i = 0; i < n; i += batch) {
		size_t m = n - i < batch ? n - i : batch;
		linli_key_sign(key, vals + off[i], off[i + m] - off[i], sigs[i / batch]);
	}
	double t0 = now_s();
	for (uint64_t i = 0; i < n; i += batch) {
		size_t m = n - i < batch ? n - i : batch;
		if (verify) {
			/* As the hub does: one signature over the batch's bytes. */
			if (linli_verify(pub, vals + off[i], off[i + m] - off[i],
			                 sigs[i / batch]) != 0) {
				fprintf(stderr, "floor: verification failed\n");
				return 1;
			}
		}
		linli_txn_t *txn;
		int rc = store_write_begin(st, NULL, &txn);
		for (size_t k = 0; rc == 0 && k < m; k++)
			rc = store_rec_put(txn, "350582006006", LINLI_KIND_HOUSEHOLD, ids[i + k],
			                   vals + off[i + k], off[i + k + 1] - off[i + k]);
		if (rc == 0)
			rc = store_commit(&txn);
		else
			store_abort(&txn);
		if (rc == STORE_MAPFULL && store_grow(st) == 0) {
			i -= batch; /* the whole batch again */
			continue;
		}
		if (rc != 0) {
			fprintf(stderr, "floor: %s\n", store_strerror(rc));
			return 1;
		}
	}
	double secs = now_s() - t0;
	printf("floor %" PRIu64 " %.3f %.0f %.0f\n", n, secs, (double)n / secs,
	       (double)total / (double)n);
	store_close(&st);
	linli_key_destroy(&key);
	free(vals);
	free(sigs);
	free(off);
	free(ids);
	return 0;
}

typedef struct {
	void *ctx, *sock;
} conn_t;

static int conn_open(conn_t *c, void *ctx, const char *path)
{
	char ep[600];
	int zero = 0;
	snprintf(ep, sizeof(ep), "ipc://%s", path);
	c->ctx = ctx;
	c->sock = zmq_socket(ctx, ZMQ_REQ);
	zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof(zero));
	return zmq_connect(c->sock, ep);
}

/* One request, one reply; NULL on failure. */
static Linli__CtlReply *call(conn_t *c, const Linli__CtlRequest *req)
{
	uint8_t buf[4096];
	size_t len = linli__ctl_request__get_packed_size(req);
	if (len > sizeof(buf))
		return NULL;
	linli__ctl_request__pack(req, buf);
	if (zmq_send(c->sock, buf, len, 0) < 0)
		return NULL;
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, c->sock, 0) < 0)
		return NULL;
	Linli__CtlReply *r = linli__ctl_reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
	zmq_msg_close(&msg);
	return r;
}

/* The grid the workload's households name (refused without it), made if
 * it is not there yet. */
static int grid_there(conn_t *c)
{
	char err[LINLI_ERR_MAX];
	linli_record_t *g = linli_record_new(LINLI_KIND_GRID, "g1-2");
	Linli__CtlRequest add = LINLI__CTL_REQUEST__INIT;
	linli_record_set(g, "name", "曾林第二网格", err, sizeof(err));
	linli_record_set(g, "level", "1", err, sizeof(err));
	add.verb = "add";
	add.kind = "grid";
	add.record = g;
	Linli__CtlReply *r = call(c, &add);
	int rc = r != NULL && (r->ok || strstr(r->error, "already exists") != NULL) ? 0 : 1;
	if (rc != 0)
		fprintf(stderr, "grid g1-2: %s\n", r ? r->error : "no reply");
	if (r != NULL)
		linli__ctl_reply__free_unpacked(r, NULL);
	linli_record_destroy(&g);
	return rc;
}

static int latency_run(const char *node, const char *hub, const char *owner, int samples)
{
	void *ctx = zmq_ctx_new();
	conn_t n, h;
	double *v = calloc((size_t)samples, sizeof(double));
	double *w = calloc((size_t)samples, sizeof(double)); /* until the node acknowledged */
	if (conn_open(&n, ctx, node) != 0 || conn_open(&h, ctx, hub) != 0 || grid_there(&n) != 0)
		return 1;
	for (int i = 0; i < samples; i++) {
		char id[32];
		snprintf(id, sizeof(id), "lat%d-%06d", (int)getpid(), i);
		linli_record_t *rec = household(900000 + (uint64_t)i);
		free(rec->id);
		rec->id = strdup(id);
		Linli__CtlRequest add = LINLI__CTL_REQUEST__INIT, show = LINLI__CTL_REQUEST__INIT;
		add.verb = "add";
		add.kind = "household";
		add.record = rec;
		show.verb = "show";
		show.kind = "household";
		show.owner = (char *)owner;
		show.record = rec;
		double t0 = now_s();
		Linli__CtlReply *r = call(&n, &add);
		if (r == NULL || !r->ok) {
			fprintf(stderr, "latency: add failed: %s\n", r ? r->error : "no reply");
			return 1;
		}
		linli__ctl_reply__free_unpacked(r, NULL);
		w[i] = (now_s() - t0) * 1e6;
		for (;;) {
			r = call(&h, &show);
			if (r == NULL)
				return 1;
			int found = r->ok;
			linli__ctl_reply__free_unpacked(r, NULL);
			if (found)
				break;
			if (now_s() - t0 > 10) {
				fprintf(stderr, "latency: %s not at the hub after 10 s\n", id);
				return 1;
			}
		}
		v[i] = (now_s() - t0) * 1e6;
		linli_record_destroy(&rec);
		struct timespec pause = {0, 5 * 1000 * 1000}; /* an otherwise idle system */
		nanosleep(&pause, NULL);
	}
	double p50 = pct(v, (size_t)samples, 0.5), p99 = pct(v, (size_t)samples, 0.99);
	printf("latency %.0f %.0f %.0f %.0f\n", p50, p99, v[samples - 1],
	       pct(w, (size_t)samples, 0.5));
	free(v);
	free(w);
	zmq_close(n.sock);
	zmq_close(h.sock);
	zmq_ctx_term(ctx);
	return 0;
}

static int statsread_run(const char *sock, int count)
{
	void *ctx = zmq_ctx_new();
	conn_t c;
	double *v = calloc((size_t)count, sizeof(double));
	if (conn_open(&c, ctx, sock) != 0)
		return 1;
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	req.verb = "stats";
	for (int i = 0; i < count; i++) {
		double t0 = now_s();
		Linli__CtlReply *r = call(&c, &req);
		v[i] = (now_s() - t0) * 1e6;
		if (r == NULL || !r->ok)
			return 1;
		linli__ctl_reply__free_unpacked(r, NULL);
	}
	printf("statsread %.0f %.0f\n", pct(v, (size_t)count, 0.5), pct(v, (size_t)count, 0.99));
	free(v);
	zmq_close(c.sock);
	zmq_ctx_term(ctx);
	return 0;
}

/* The value of name=... in a status reply, or -1. */
static long long status_value(const Linli__CtlReply *r, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < r->n_status; i++)
		if (strncmp(r->status[i], name, n) == 0 && r->status[i][n] == '=')
			return atoll(r->status[i] + n + 1);
	return -1;
}

#define ACKS_NODES 64

/* One request without waiting for its reply; -1 on failure. */
static int ask(conn_t *c, const Linli__CtlRequest *req)
{
	uint8_t buf[4096];
	size_t len = linli__ctl_request__get_packed_size(req);
	if (len > sizeof(buf))
		return -1;
	linli__ctl_request__pack(req, buf);
	return zmq_send(c->sock, buf, len, 0) < 0 ? -1 : 0;
}

/* The reply waiting on c; NULL on failure. */
static Linli__CtlReply *answer(conn_t *c)
{
	zmq_msg_t msg;
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, c->sock, 0) < 0)
		return NULL;
	Linli__CtlReply *r = linli__ctl_reply__unpack(NULL, zmq_msg_size(&msg), zmq_msg_data(&msg));
	zmq_msg_close(&msg);
	return r;
}

/* The nodes are asked side by side (a request out to each at once), so
 * that a slow node does not delay the timing of the others. */
static int acks_run(double seconds, int interval_ms, int nnodes, char **socks)
{
	enum { IDLE, ADDING, WAITING, ASKING } state[ACKS_NODES];
	void *ctx = zmq_ctx_new();
	conn_t c[ACKS_NODES];
	double t0[ACKS_NODES], next[ACKS_NODES], asked[ACKS_NODES];
	size_t cap = (size_t)(seconds * 1000 / (interval_ms > 0 ? interval_ms : 1) + 2) *
	             (size_t)nnodes,
	       n = 0, unacked = 0;
	double *v = calloc(cap, sizeof(double));
	if (nnodes > ACKS_NODES || v == NULL)
		return 2;
	for (int k = 0; k < nnodes; k++) {
		if (conn_open(&c[k], ctx, socks[k]) != 0 || grid_there(&c[k]) != 0)
			return 1;
		state[k] = IDLE;
		next[k] = asked[k] = 0;
	}
	Linli__CtlRequest status = LINLI__CTL_REQUEST__INIT;
	status.verb = "status";
	double start = now_s(), end = start + seconds;
	for (uint64_t w = 0;; w++) {
		double now = now_s();
		bool busy = false;
		zmq_pollitem_t items[ACKS_NODES];
		for (int k = 0; k < nnodes; k++) {
			if (state[k] == IDLE && now < end && now >= next[k] && n + unacked < cap) {
				char id[40];
				snprintf(id, sizeof(id), "ack%d-%d-%06llu", (int)getpid(), k,
				         (unsigned long long)w);
				linli_record_t *rec = household(800000 + w);
				free(rec->id);
				rec->id = strdup(id);
				Linli__CtlRequest add = LINLI__CTL_REQUEST__INIT;
				add.verb = "add";
				add.kind = "household";
				add.record = rec;
				t0[k] = now;
				next[k] = now + interval_ms / 1000.0;
				int rc = ask(&c[k], &add);
				linli_record_destroy(&rec);
				if (rc != 0)
					return 1;
				state[k] = ADDING;
			} else if (state[k] == WAITING && now - asked[k] >= 0.005) {
				if (ask(&c[k], &status) != 0)
					return 1;
				asked[k] = now;
				state[k] = ASKING;
			}
			busy |= state[k] != IDLE;
			items[k] = (zmq_pollitem_t){c[k].sock, 0, ZMQ_POLLIN, 0};
		}
		if (now >= end && !busy)
			break;
		if (zmq_poll(items, nnodes, 1) < 0)
			return 1;
		for (int k = 0; k < nnodes; k++) {
			if (!(items[k].revents & ZMQ_POLLIN))
				continue;
			Linli__CtlReply *r = answer(&c[k]);
			double t = now_s();
			if (r == NULL || (state[k] == ADDING && !r->ok)) {
				fprintf(stderr, "acks: %s at %s failed: %s\n",
				        state[k] == ADDING ? "add" : "status", socks[k],
				        r ? r->error : "no reply");
				return 1;
			}
			if (state[k] == ADDING) {
				state[k] = WAITING;
			} else {
				long long acked = status_value(r, "acked_personal"),
				          head = status_value(r, "log_personal");
				state[k] = WAITING;
				if ((acked >= 0 && acked >= head) || t > end + 10) {
					unacked += acked < 0 || acked < head;
					v[n++] = (t - t0[k]) * 1e6;
					state[k] = IDLE;
				}
			}
			linli__ctl_reply__free_unpacked(r, NULL);
		}
		if (now > end + 30) {
			fprintf(stderr, "acks: a node does not answer\n");
			return 1;
		}
	}
	if (n == 0) {
		fprintf(stderr, "acks: no write was made\n");
		return 1;
	}
	double p50 = pct(v, n, 0.5), p99 = pct(v, n, 0.99);
	printf("acks %zu %.0f %.0f %.0f %zu\n", n, p50, p99, v[n - 1], unacked);
	for (int k = 0; k < nnodes; k++)
		zmq_close(c[k].sock);
	zmq_ctx_term(ctx);
	free(v);
	return 0;
}

static int wait_run(const char *sock, uint64_t total, double timeout)
{
	void *ctx = zmq_ctx_new();
	conn_t c;
	if (conn_open(&c, ctx, sock) != 0)
		return 1;
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	req.verb = "stats";
	double t0 = now_s();
	while (now_s() - t0 < timeout) {
		Linli__CtlReply *r = call(&c, &req);
		if (r == NULL || !r->ok || r->n_stats == 0)
			return 1;
		uint64_t have = r->stats[r->n_stats - 1]->households;
		linli__ctl_reply__free_unpacked(r, NULL);
		if (have >= total) {
			printf("reached %.6f\n", now_s());
			zmq_close(c.sock);
			zmq_ctx_term(ctx);
			return 0;
		}
		struct timespec pause = {0, 10 * 1000 * 1000};
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "wait: the hub did not reach %" PRIu64 " households in %.0f s\n", total,
	        timeout);
	return 1;
}

int main(int argc, char **argv)
{
	if (linli_crypto_init() != 0)
		return 1;
	if (argc >= 4 && strcmp(argv[1], "floor") == 0)
		return floor_run(argv[2], strtoull(argv[3], NULL, 10),
		                 argc > 4 && strcmp(argv[4], "verify") == 0);
	if (argc == 6 && strcmp(argv[1], "latency") == 0)
		return latency_run(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (argc == 4 && strcmp(argv[1], "statsread") == 0)
		return statsread_run(argv[2], atoi(argv[3]));
	if (argc >= 5 && strcmp(argv[1], "acks") == 0)
		return acks_run(atof(argv[2]), atoi(argv[3]), argc - 4, argv + 4);
	if (argc == 5 && strcmp(argv[1], "wait") == 0)
		return wait_run(argv[2], strtoull(argv[3], NULL, 10), atof(argv[4]));
	fprintf(stderr, "usage: see tests/tools/bench.c\n");
	return 2;
}
