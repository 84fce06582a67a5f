/*
 * quota: per-community quotas at the hub, learnt and applied at the nodes
 * (see quota.h).
 */
#include "daemon/quota.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"

#define META_HUB_QUOTA "hub_quota"
#define KIB            1024ull
#define MIB            (1024ull * KIB)
#define GIB            (1024ull * MIB)

struct quota {
	/* node: the hub's last word on our quota and usage there */
	bool known;                 /* it said (now or before a restart); else the defaults */
	bool dirty;                 /* learnt, not yet in the store */
	uint64_t limit[3], used[3]; /* records, bytes, log bytes */

	/* hub: change sets refused per community, for status: each with why
	 * the last one was, until one of its change sets is applied again */
	char owner[TRUST_MAX][LINLI_OWNER_MAX + 1];
	uint64_t refused[TRUST_MAX];
	char why[TRUST_MAX][LINLI_ERR_MAX];
	size_t n;
};

static void from_msg(struct quota *q, const Linli__Quota *m)
{
	q->limit[0] = m->records, q->limit[1] = m->bytes, q->limit[2] = m->log_bytes;
	q->used[0] = m->used_records, q->used[1] = m->used_bytes, q->used[2] = m->used_log_bytes;
}

struct quota *quota_new(linlid_t *d)
{
	struct quota *q = calloc(1, sizeof(*q));
	linli_txn_t *txn;
	const void *val;
	size_t len;
	if (q == NULL) {
		log_err("out of memory");
		return NULL;
	}
	if (d->cfg.role != ROLE_NODE || store_read_begin(d->store, &txn) != 0)
		return q;
	if (store_meta_get(txn, META_HUB_QUOTA, &val, &len) == 0) {
		Linli__Quota *m = linli__quota__unpack(NULL, len, val);
		if (m != NULL && m->records > 0 && m->bytes > 0 && m->log_bytes > 0) {
			from_msg(q, m);
			q->known = true;
		} else {
			log_warn("store: the hub's quota (meta %s) does not decode; assuming the "
			         "defaults until the hub says",
			         META_HUB_QUOTA);
		}
		if (m != NULL)
			linli__quota__free_unpacked(m, NULL);
	}
	store_abort(&txn);
	return q;
}

void quota_destroy(struct quota **q)
{
	if (q == NULL || *q == NULL)
		return;
	free(*q);
	*q = NULL;
}

void quota_limits(const linlid_t *d, const char *owner, quota_limits_t *out)
{
	const struct quota *q = d->quota;
	if (d->cfg.role == ROLE_NODE) {
		if (q != NULL && q->known) {
			out->records = q->limit[0], out->bytes = q->limit[1];
			out->log_bytes = q->limit[2];
			return;
		}
		/* Until the hub says: the defaults (a node's settings hold them). */
	}
	out->records = d->cfg.quota_records;
	out->bytes = d->cfg.quota_bytes;
	out->log_bytes = d->cfg.quota_log_bytes;
	for (size_t i = 0; i < d->cfg.nquotas; i++) {
		const config_quota_t *c = &d->cfg.quotas[i];
		if (strcmp(c->owner, owner) != 0)
			continue;
		if (c->records)
			out->records = c->records;
		if (c->bytes)
			out->bytes = c->bytes;
		if (c->log_bytes)
			out->log_bytes = c->log_bytes;
	}
}

/* "4 MiB", "3.2 MiB", "812 KiB", "97 bytes". */
static const char *size_text(uint64_t v, char buf[32])
{
	static const struct {
		uint64_t unit;
		const char *name;
	} units[] = {{GIB, "GiB"}, {MIB, "MiB"}, {KIB, "KiB"}};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (v < units[i].unit)
			continue;
		if (v % units[i].unit == 0)
			snprintf(buf, 32, "%" PRIu64 " %s", v / units[i].unit, units[i].name);
		else
			snprintf(buf, 32, "%.1f %s", (double)v / (double)units[i].unit,
			         units[i].name);
		return buf;
	}
	snprintf(buf, 32, "%" PRIu64 " bytes", v);
	return buf;
}

int quota_check(const linlid_t *d, const char *owner, const store_owner_usage_t *before,
                const store_owner_usage_t *after, char *err, size_t errlen)
{
	quota_limits_t l;
	char a[32], b[32], what[96];
	const char *setting;
	bool hub = d->cfg.role == ROLE_HUB;
	/* The hub judges the communities' change sets, not its own; a node
	 * its own writes. */
	if (hub ? strcmp(owner, d->cfg.owner) == 0 : strcmp(owner, d->cfg.owner) != 0)
		return 0;
	quota_limits(d, owner, &l);
	/* Only a change that adds to a quantity past its bound is refused. */
	bool frees = after->records < before->records || after->record_bytes < before->record_bytes;
	uint64_t log_bound = frees ? 2 * l.log_bytes : l.log_bytes;
	if (after->records > l.records && after->records > before->records) {
		snprintf(what, sizeof(what), "%" PRIu64 " of %" PRIu64 " records", after->records,
		         l.records);
		setting = "quota_records";
	} else if (after->record_bytes > l.bytes && after->record_bytes > before->record_bytes) {
		snprintf(what, sizeof(what), "%s of %s of records",
		         size_text(after->record_bytes, a), size_text(l.bytes, b));
		setting = "quota_bytes";
	} else if (after->log_bytes > log_bound && after->log_bytes > before->log_bytes) {
		snprintf(what, sizeof(what), "%s of %s of log not compacted yet",
		         size_text(after->log_bytes, a), size_text(log_bound, b));
		setting = "quota_log_bytes";
	} else {
		return 0;
	}
	if (hub)
		snprintf(err, errlen,
		         "would put it over its quota: %s (%s); refused, with what follows it in "
		         "its log, until it frees space or the hub raises %s.%s",
		         what, setting, setting, owner);
	else if (strcmp(setting, "quota_log_bytes") != 0)
		snprintf(err, errlen,
		         "community %s would be over its quota at the hub: %s; remove records or "
		         "ask the subdistrict to raise %s",
		         owner, what, setting);
	else
		snprintf(err, errlen,
		         "community %s would be over its quota at the hub: %s; the hub compacts "
		         "it once it has this community's change sets (see hub_link and unacked "
		         "in linlictl status), or ask the subdistrict to raise %s",
		         owner, what, setting);
	return -1;
}

uint64_t quota_checkpoint_bytes(const linlid_t *d, uint64_t most)
{
	quota_limits_t l;
	quota_limits(d, d->cfg.owner, &l);
	return l.log_bytes / 4 < most ? l.log_bytes / 4 : most;
}

/* --- hub --- */

void quota_fill_ack(linlid_t *d, const char *owner, Linli__Cursors *c, Linli__Quota *q)
{
	quota_limits_t l;
	store_owner_usage_t u;
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return;
	int rc = store_owner_usage(txn, owner, &u);
	store_abort(&txn);
	if (rc != 0)
		return;
	quota_limits(d, owner, &l);
	linli__quota__init(q);
	q->records = l.records, q->bytes = l.bytes, q->log_bytes = l.log_bytes;
	q->used_records = u.records, q->used_bytes = u.record_bytes;
	q->used_log_bytes = u.log_bytes;
	c->quota = q;
}

void quota_refused(linlid_t *d, const char *owner, const char *why)
{
	struct quota *q = d->quota;
	size_t i = 0;
	while (i < q->n && strcmp(q->owner[i], owner) != 0)
		i++;
	if (i == q->n) {
		if (q->n == TRUST_MAX)
			return;
		snprintf(q->owner[q->n++], sizeof(q->owner[0]), "%s", owner);
	}
	q->refused[i]++;
	snprintf(q->why[i], sizeof(q->why[i]), "%s", why);
}

void quota_applied(linlid_t *d, const char *owner)
{
	struct quota *q = d->quota;
	for (size_t i = 0; i < q->n; i++)
		if (q->why[i][0] != '\0' && strcmp(q->owner[i], owner) == 0) {
			log_info("%s: its change sets are taken again (%" PRIu64
			         " refused for its quota since the start)",
			         owner, q->refused[i]);
			q->why[i][0] = '\0';
		}
}

/* --- node --- */

void quota_node_on_ack(linlid_t *d, const Linli__Cursors *c)
{
	struct quota *q = d->quota;
	const Linli__Quota *m = c->quota;
	if (m == NULL || m->records == 0 || m->bytes == 0 || m->log_bytes == 0)
		return; /* an older hub, or not an ACK with it */
	bool changed = !q->known || q->limit[0] != m->records || q->limit[1] != m->bytes ||
	               q->limit[2] != m->log_bytes;
	from_msg(q, m);
	q->known = true;
	if (!changed)
		return;
	q->dirty = true;
	char b[32], l[32];
	log_info("quota at the hub: %" PRIu64 " records, %s of records, %s of log not compacted "
	         "yet",
	         m->records, size_text(m->bytes, b), size_text(m->log_bytes, l));
}

void quota_node_tick(linlid_t *d)
{
	struct quota *q = d->quota;
	linli_txn_t *txn;
	uint8_t buf[64];
	if (!q->dirty)
		return;
	Linli__Quota m = LINLI__QUOTA__INIT;
	m.records = q->limit[0], m.bytes = q->limit[1], m.log_bytes = q->limit[2];
	m.used_records = q->used[0], m.used_bytes = q->used[1], m.used_log_bytes = q->used[2];
	size_t len = linli__quota__pack(&m, buf);
	/* Not saved: tried again at the next tick. */
	if (store_write_begin(d->store, NULL, &txn) == 0) {
		if (store_meta_put(txn, META_HUB_QUOTA, buf, len) == 0 && store_commit(&txn) == 0)
			q->dirty = false;
		store_abort(&txn);
	}
}

/* --- status --- */

static void add_u64(quota_status_fn add, void *arg, const char *name, uint64_t v)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	add(arg, name, buf);
}

/* Where usage u stands against l: "" if under every bound, else the
 * first one it is at or over ("1600 of 1500 records"), in *setting. */
static bool over_text(const store_owner_usage_t *u, const quota_limits_t *l, char *buf, size_t len,
                      const char **setting)
{
	char a[32], b[32];
	if (u->records >= l->records) {
		snprintf(buf, len, "%" PRIu64 " of %" PRIu64 " records", u->records, l->records);
		*setting = "quota_records";
	} else if (u->record_bytes >= l->bytes) {
		snprintf(buf, len, "%s of %s of records", size_text(u->record_bytes, a),
		         size_text(l->bytes, b));
		*setting = "quota_bytes";
	} else if (u->log_bytes >= l->log_bytes) {
		snprintf(buf, len, "%s of %s of log not compacted yet", size_text(u->log_bytes, a),
		         size_text(l->log_bytes, b));
		*setting = "quota_log_bytes";
	} else {
		return false;
	}
	return true;
}

static bool is_over(const store_owner_usage_t *u, const quota_limits_t *l)
{
	return u->records > l->records || u->record_bytes > l->bytes || u->log_bytes > l->log_bytes;
}

static void node_status(linlid_t *d, linli_txn_t *txn, quota_status_fn add, void *arg)
{
	const struct quota *q = d->quota;
	quota_limits_t l;
	store_owner_usage_t u;
	char text[512], why[160], b[32], g[32];
	const char *setting;
	quota_limits(d, d->cfg.owner, &l);
	if (store_owner_usage(txn, d->cfg.owner, &u) != 0)
		return;
	add_u64(add, arg, "quota_records", l.records);
	add_u64(add, arg, "quota_used_records", u.records);
	add_u64(add, arg, "quota_bytes", l.bytes);
	add_u64(add, arg, "quota_used", u.record_bytes);
	add_u64(add, arg, "quota_log_bytes", l.log_bytes);
	add_u64(add, arg, "quota_used_log", u.log_bytes);
	if (q->known)
		snprintf(text, sizeof(text), "%" PRIu64 " records, %s of records, %s of log",
		         q->used[0], size_text(q->used[1], b), size_text(q->used[2], g));
	else
		snprintf(text, sizeof(text), "unknown (the defaults apply until the hub says)");
	add(arg, "quota_at_hub", text);
	if (!over_text(&u, &l, why, sizeof(why), &setting))
		return;
	bool log = strcmp(setting, "quota_log_bytes") == 0;
	snprintf(text, sizeof(text),
	         "community %s is %s its quota at the hub: %s: writes that add to it are "
	         "refused (removals go through); %s or ask the subdistrict to raise %s",
	         d->cfg.owner, is_over(&u, &l) ? "over" : "at", why,
	         log ? "they wait until the hub has compacted this community's log (is "
	               "hub_link up?),"
	             : "remove records",
	         setting);
	add(arg, "problem", text);
}

static void hub_status(linlid_t *d, linli_txn_t *txn, quota_status_fn add, void *arg)
{
	const struct quota *q = d->quota;
	char text[512], name[32];
	add_u64(add, arg, "quota_records", d->cfg.quota_records);
	add_u64(add, arg, "quota_bytes", d->cfg.quota_bytes);
	add_u64(add, arg, "quota_log_bytes", d->cfg.quota_log_bytes);
	add_u64(add, arg, "refused_quota", d->refused.quota);
	for (size_t i = 0; i < d->trust.n; i++) {
		const char *owner = d->trust.entries[i].owner;
		quota_limits_t l;
		store_owner_usage_t u;
		if (strcmp(owner, d->cfg.owner) == 0 || store_owner_usage(txn, owner, &u) != 0)
			continue;
		quota_limits(d, owner, &l);
		snprintf(name, sizeof(name), "quota.%s", owner);
		snprintf(text, sizeof(text),
		         "records %" PRIu64 "/%" PRIu64 " bytes %" PRIu64 "/%" PRIu64
		         " log %" PRIu64 "/%" PRIu64,
		         u.records, l.records, u.record_bytes, l.bytes, u.log_bytes, l.log_bytes);
		add(arg, name, text);
		/* A community whose log waits at a change set refused for its
		 * quota, until one is taken again. */
		for (size_t k = 0; k < q->n; k++)
			if (q->why[k][0] != '\0' && strcmp(q->owner[k], owner) == 0) {
				snprintf(text, sizeof(text),
				         "%s: %" PRIu64
				         " change sets refused for its quota since the "
				         "start; the last one %s",
				         owner, q->refused[k], q->why[k]);
				add(arg, "problem", text);
			}
	}
}

void quota_status(linlid_t *d, quota_status_fn add, void *arg)
{
	linli_txn_t *txn;
	if (d->quota == NULL || store_read_begin(d->store, &txn) != 0)
		return;
	if (d->cfg.role == ROLE_NODE)
		node_status(d, txn, add, arg);
	else
		hub_status(d, txn, add, arg);
	store_abort(&txn);
}

/* --- linlictl import asks --- */

int quota_ctl(linlid_t *d, const Linli__CtlRequest *q, linli_kind_t kind, quota_status_fn add,
              void *arg, char *err, size_t errlen)
{
	linli_txn_t *txn;
	uint64_t existing = 0, bytes = 0;
	char why[LINLI_ERR_MAX];
	if (store_read_begin(d->store, &txn) != 0) {
		snprintf(err, errlen, "store read failed");
		return -1;
	}
	for (size_t i = 0; i < q->n_records; i++) {
		size_t len;
		int rc = store_rec_len(txn, d->cfg.owner, (int)kind, q->records[i]->id, &len);
		if (rc == 0) {
			existing++;
			bytes += len;
		} else if (rc != STORE_NOTFOUND) {
			store_abort(&txn);
			snprintf(err, errlen, "%s %s: %s", linli_kind_name(kind), q->records[i]->id,
			         store_strerror(rc));
			return -1;
		}
	}
	add_u64(add, arg, "existing", existing);
	add_u64(add, arg, "existing_bytes", bytes);
	store_owner_usage_t before;
	if (q->quota != NULL && store_owner_usage(txn, d->cfg.owner, &before) == 0) {
		store_owner_usage_t after = {q->quota->used_records, q->quota->used_bytes,
		                             q->quota->used_log_bytes};
		if (quota_check(d, d->cfg.owner, &before, &after, why, sizeof(why)) != 0)
			add(arg, "over", why);
	}
	store_abort(&txn);
	quota_status(d, add, arg);
	return 0;
}
