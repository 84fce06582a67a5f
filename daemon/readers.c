/*
 * readers: LMDB readers of other processes (see readers.h).
 */
#include "daemon/readers.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"

struct readers {
	uint64_t next_ms;
	uint64_t cleared;
	bool failing; /* the last check failed: logged once */
	/* The long reader warned about (pid 0: none), to warn once and to say
	 * when it is over. */
	int warned_pid;
	uint64_t warned_txnid;
};

readers_t *readers_new(void)
{
	return calloc(1, sizeof(readers_t));
}

void readers_destroy(readers_t **r)
{
	if (r == NULL)
		return;
	free(*r);
	*r = NULL;
}

static void fmt_age(char *buf, size_t len, uint64_t ms)
{
	uint64_t s = ms / 1000u;
	if (s < 120)
		snprintf(buf, len, "%" PRIu64 " s", s);
	else if (s < 120 * 60)
		snprintf(buf, len, "%" PRIu64 " min", s / 60);
	else
		snprintf(buf, len, "%.1f h", (double)s / 3600.0);
}

/* Whether o has held a snapshot behind the latest for warn_ms, and why
 * that matters, in why. */
static bool long_reader(const store_reader_t *o, uint64_t warn_ms, char *why, size_t len)
{
	char age[32];
	if (o->pid == 0 || o->behind == 0 || o->age_ms < warn_ms)
		return false;
	fmt_age(age, sizeof(age), o->age_ms);
	snprintf(why, len,
	         "process %d has held an LMDB read transaction for %s, %" PRIu64
	         " commits behind: pages cannot be reused and the database file grows; a hung "
	         "backup (mdb_copy)? ending it is safe",
	         o->pid, age, o->behind);
	return true;
}

static void log_cleared(const store_cleared_t *c)
{
	char age[32], held[96] = "";
	for (size_t i = 0; i < c->n; i++) {
		const store_reader_t *x = &c->reader[i];
		if (x->txnid == 0) {
			log_info("cleared the idle LMDB reader slot of process %d, which died",
			         x->pid);
			continue;
		}
		fmt_age(age, sizeof(age), x->age_ms);
		if (x->behind > 0 && x->age_ms >= 1000)
			snprintf(held, sizeof(held),
			         " (%" PRIu64 " commits behind, held for at least %s)", x->behind,
			         age);
		else if (x->behind > 0)
			snprintf(held, sizeof(held), " (%" PRIu64 " commits behind)", x->behind);
		log_warn("cleared the LMDB reader slot of process %d, which died holding a read "
		         "transaction%s: the pages it held can be reused",
		         x->pid, held);
	}
	if (c->count > c->n)
		log_warn("cleared %u LMDB reader slot(s) of processes that died: the pages they "
		         "held can be reused",
		         c->count - (unsigned)c->n);
}

static bool among(const store_cleared_t *c, int pid)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->reader[i].pid == pid)
			return true;
	return false;
}

void readers_tick(readers_t *r, linli_store_t *store, uint64_t now, uint64_t warn_ms)
{
	store_cleared_t c;
	store_reader_t o;
	char why[LINLI_ERR_MAX];
	if (r == NULL || now < r->next_ms)
		return;
	r->next_ms = now + READERS_CHECK_MS;
	int rc = store_readers_check(store, &c);
	if (rc == 0)
		rc = store_oldest_reader(store, &o);
	if (rc != 0) {
		if (!r->failing)
			log_warn(
			    "store: cannot check LMDB's reader table: %s (dead readers are not "
			    "cleared until it can)",
			    store_strerror(rc));
		r->failing = true;
		return;
	}
	r->failing = false;
	r->cleared += c.count;
	log_cleared(&c);
	if (r->warned_pid != 0 && (o.pid != r->warned_pid || o.txnid != r->warned_txnid)) {
		if (!among(&c, r->warned_pid))
			log_info("process %d no longer holds its long LMDB read transaction",
			         r->warned_pid);
		r->warned_pid = 0;
	}
	if (r->warned_pid == 0 && long_reader(&o, warn_ms, why, sizeof(why))) {
		log_warn("%s", why);
		r->warned_pid = o.pid;
		r->warned_txnid = o.txnid;
	}
}

int readers_status(readers_t *r, linli_store_t *store, uint64_t warn_ms, readers_status_t *out)
{
	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return -1;
	out->cleared = r->cleared;
	if (store_oldest_reader(store, &out->oldest) != 0)
		return -1;
	long_reader(&out->oldest, warn_ms, out->problem, sizeof(out->problem));
	return 0;
}
