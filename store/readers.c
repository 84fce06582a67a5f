/*
 * store readers: the slots other processes hold in LMDB's reader table
 * (see store.h, "Readers of other processes").
 *
 * LMDB shows its reader table only as text: mdb_reader_list gives one line
 * "pid thread txnid" per slot in use, txnid "-" for a slot without a
 * transaction.  Parsing it is the one way to learn who reads from which
 * snapshot without reading the lock file's layout behind LMDB's back.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "store/internal.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int readers_init(linli_store_t *s)
{
	unsigned max;
	int rc = mdb_env_get_maxreaders(s->env, &max);
	if (rc != 0)
		return rc;
	s->slots = calloc(max, sizeof(*s->slots));
	s->prev = calloc(max, sizeof(*s->prev));
	if (s->slots == NULL || s->prev == NULL)
		return ENOMEM;
	s->maxslots = max;
	s->pid = (int)getpid();
	return 0;
}

void readers_free(linli_store_t *s)
{
	free(s->slots);
	free(s->prev);
	s->slots = s->prev = NULL;
}

/* One line of mdb_reader_list into s->prev, the listing being made.  The
 * header line and "(no active readers)" do not parse and are skipped. */
static int list_line(const char *msg, void *ctx)
{
	linli_store_t *s = ctx;
	char txn[24], *end;
	int pid;
	if (sscanf(msg, "%d %*s %23s", &pid, txn) != 2 || pid <= 0 || pid == s->pid ||
	    s->nprev == s->maxslots)
		return 0;
	reader_slot_t *r = &s->prev[s->nprev];
	if (strcmp(txn, "-") == 0) {
		r->txnid = READER_IDLE;
	} else {
		errno = 0;
		unsigned long long v = strtoull(txn, &end, 10);
		if (errno != 0 || *end != '\0' || v == READER_IDLE)
			return 0;
		r->txnid = v;
	}
	r->pid = pid;
	s->nprev++;
	return 0;
}

/* Lists the reader table into s->slots; the listing before goes to
 * s->prev.  A (pid, snapshot) listed before keeps its first_ms. */
static int refresh(linli_store_t *s, uint64_t now)
{
	s->nprev = 0;
	if (mdb_reader_list(s->env, list_line, s) < 0)
		return EINVAL;
	for (size_t i = 0; i < s->nprev; i++) {
		reader_slot_t *r = &s->prev[i];
		r->first_ms = now;
		for (size_t j = 0; j < s->nslots; j++)
			if (s->slots[j].pid == r->pid && s->slots[j].txnid == r->txnid) {
				r->first_ms = s->slots[j].first_ms;
				break;
			}
	}
	reader_slot_t *t = s->slots;
	s->slots = s->prev;
	s->prev = t;
	size_t n = s->nslots;
	s->nslots = s->nprev;
	s->nprev = n;
	return 0;
}

static store_reader_t describe(const reader_slot_t *r, const MDB_envinfo *info, uint64_t now)
{
	store_reader_t out = {.pid = r->pid, .age_ms = now - r->first_ms};
	if (r->txnid != READER_IDLE) {
		out.txnid = r->txnid;
		if ((uint64_t)info->me_last_txnid > r->txnid)
			out.behind = (uint64_t)info->me_last_txnid - r->txnid;
	}
	return out;
}

static bool listed(const linli_store_t *s, int pid)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i].pid == pid)
			return true;
	return false;
}

int readers_reap(linli_store_t *s)
{
	uint64_t now = mono_ms();
	MDB_envinfo info;
	int dead = 0, rc;
	if ((rc = refresh(s, now)) != 0 || (rc = mdb_reader_check(s->env, &dead)) != 0 || dead <= 0)
		return rc;
	s->cleared.count += (unsigned)dead;
	if ((rc = refresh(s, now)) != 0 || (rc = mdb_env_info(s->env, &info)) != 0)
		return rc;
	/* Listed before, gone now and not running: cleared.  (A reader that
	 * ended its transaction in between is still running.) */
	store_cleared_t *c = &s->cleared;
	for (size_t i = 0; i < s->nprev && c->n < STORE_CLEARED_MAX && c->n < c->count; i++) {
		const reader_slot_t *r = &s->prev[i];
		if (listed(s, r->pid) || kill(r->pid, 0) == 0 || errno != ESRCH)
			continue;
		c->reader[c->n++] = describe(r, &info, now);
	}
	return 0;
}

int store_readers_check(linli_store_t *store, store_cleared_t *out)
{
	if (store == NULL || out == NULL)
		return STORE_INVAL;
	memset(out, 0, sizeof(*out));
	int rc = readers_reap(store);
	if (rc != 0)
		return store_lmdb_err(rc);
	*out = store->cleared;
	memset(&store->cleared, 0, sizeof(store->cleared));
	return STORE_OK;
}

int store_oldest_reader(linli_store_t *store, store_reader_t *out)
{
	if (store == NULL || out == NULL)
		return STORE_INVAL;
	memset(out, 0, sizeof(*out));
	uint64_t now = mono_ms();
	MDB_envinfo info;
	int rc = refresh(store, now);
	if (rc == 0)
		rc = mdb_env_info(store->env, &info);
	if (rc != 0)
		return store_lmdb_err(rc);
	const reader_slot_t *oldest = NULL;
	for (size_t i = 0; i < store->nslots; i++) {
		const reader_slot_t *r = &store->slots[i];
		if (r->txnid != READER_IDLE &&
		    (oldest == NULL || r->first_ms < oldest->first_ms ||
		     (r->first_ms == oldest->first_ms && r->txnid < oldest->txnid)))
			oldest = r;
	}
	if (oldest != NULL)
		*out = describe(oldest, &info, now);
	return STORE_OK;
}
