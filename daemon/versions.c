/*
 * versions: schemas exchanged at HELLO, writes a hub cannot take refused,
 * relays a node cannot read held.
 */
#include "daemon/versions.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "daemon/snapshot.h"
#include "proto/schema.h"

#define META_HUB_SCHEMA "hub_schema"

/* Owner's public log stops for a node after seq: the change set after it
 * sets a field the node lacks (miss). */
typedef struct {
	char owner[LINLI_OWNER_MAX + 1];
	uint64_t seq;
	linli_field_ref_t miss;
	bool snapshot; /* its base was refused: seq is where the node stands (HELLO) */
} hold_t;

/* What the hub knows of one node's build. */
typedef struct {
	char owner[LINLI_OWNER_MAX + 1];
	uint32_t protocol; /* 0: no HELLO yet (the base schema is assumed) */
	linli_schema_t schema;
	bool lacks;      /* some field of ours: what we relay to it is checked */
	bool answer_due; /* its HELLO is answered with our schema */
	bool logged;     /* a hold was logged for this schema, with cause: */
	linli_field_ref_t logged_miss;
	hold_t holds[TRUST_MAX];
	size_t nholds;
} vpeer_t;

struct versions {
	linli_schema_t own;
	Linli__KindFields **msg; /* own, as messages carry it */
	size_t nmsg;

	/* node: the hub's build, as its last answer (or the store) said */
	uint32_t hub_protocol; /* 0: not heard (the base schema is assumed) */
	linli_schema_t hub;
	bool hub_lacks; /* it lacks fields of ours: local writes are checked */
	bool hub_dirty; /* learnt, not yet in the store */
	size_t held;    /* logs the hub holds for us, as its last HEAD said */
	char held_owner[LINLI_OWNER_MAX + 1];
	linli_field_ref_t held_miss;
	bool held_logged; /* a hold was logged, with cause: */
	linli_field_ref_t logged_miss;

	/* hub */
	vpeer_t peers[TRUST_MAX];
	size_t npeers;
};

static bool same_ref(linli_field_ref_t a, linli_field_ref_t b)
{
	return a.kind == b.kind && a.field == b.field;
}

/* The hub's schema from its message; a hub of protocol 1 knows the base. */
static int hub_from(struct versions *v, uint32_t protocol, Linli__KindFields *const *k, size_t n)
{
	linli_schema_t s;
	if (protocol < 2)
		linli_schema_base(&s);
	else if (linli_schema_from_msg(&s, k, n) != 0)
		return -1;
	v->hub = s;
	v->hub_protocol = protocol;
	v->hub_lacks = linli_schema_lacks(&v->hub, &v->own, NULL);
	return 0;
}

static int load_hub(linlid_t *d, struct versions *v)
{
	linli_txn_t *txn;
	const void *val;
	size_t len;
	if (store_read_begin(d->store, &txn) != 0)
		return -1;
	int rc = store_meta_get(txn, META_HUB_SCHEMA, &val, &len);
	if (rc == STORE_NOTFOUND) {
		store_abort(&txn);
		return 0; /* the base, until the hub says */
	}
	Linli__Cursors *c = rc == 0 ? linli__cursors__unpack(NULL, len, val) : NULL;
	store_abort(&txn);
	rc = c != NULL ? hub_from(v, c->protocol, c->schema, c->n_schema) : -1;
	if (c != NULL)
		linli__cursors__free_unpacked(c, NULL);
	if (rc != 0)
		log_warn("store: the hub's schema (meta %s) does not decode; assuming the base "
		         "schema until the hub answers",
		         META_HUB_SCHEMA);
	return 0;
}

struct versions *versions_new(linlid_t *d)
{
	struct versions *v = calloc(1, sizeof(*v));
	if (v == NULL) {
		log_err("out of memory");
		return NULL;
	}
	if (linli_schema_own(&v->own) != 0) {
		log_err("this build's schema has a record kind or field number past %d or %d: "
		        "linli cannot describe it to its peers",
		        LINLI_SCHEMA_KINDS - 1, LINLI_SCHEMA_FIELDS - 1);
		goto fail;
	}
	if (linli_schema_to_msg(&v->own, &v->msg, &v->nmsg) != 0) {
		log_err("out of memory");
		goto fail;
	}
	hub_from(v, 1, NULL, 0);
	if (d->cfg.role == ROLE_NODE && load_hub(d, v) != 0) {
		log_err("store %s: cannot read the hub's schema", d->cfg.state_dir);
		goto fail;
	}
	return v;
fail:
	versions_destroy(&v);
	return NULL;
}

void versions_destroy(struct versions **v)
{
	if (v == NULL || *v == NULL)
		return;
	free((*v)->msg);
	free(*v);
	*v = NULL;
}

/* --- node --- */

void versions_fill_hello(linlid_t *d, Linli__Hello *h)
{
	h->protocol = LINLI_PROTOCOL;
	h->n_schema = d->versions->nmsg;
	h->schema = d->versions->msg;
}

void versions_node_on_ack(linlid_t *d, const Linli__Cursors *c)
{
	struct versions *v = d->versions;
	if (c->protocol == 0)
		return; /* not the answer to a HELLO */
	linli_schema_t before = v->hub;
	uint32_t was = v->hub_protocol;
	if (hub_from(v, c->protocol, c->schema, c->n_schema) != 0) {
		log_warn("the hub's schema does not decode (%zu kinds): keeping the one it sent "
		         "before",
		         c->n_schema);
		v->hub = before;
		v->hub_protocol = was;
		v->hub_lacks = linli_schema_lacks(&v->hub, &v->own, NULL);
		return;
	}
	if (was == v->hub_protocol && linli_schema_equal(&before, &v->hub))
		return;
	v->hub_dirty = true;
	char lacks[200];
	linli_schema_diff_text(&v->hub, &v->own, lacks, sizeof(lacks));
	if (v->hub_lacks)
		log_warn("the hub runs an older linli (protocol %" PRIu32
		         ") without the fields %s: "
		         "records that set them are refused here until linli at the hub is "
		         "upgraded",
		         v->hub_protocol, lacks);
	else
		log_info("the hub runs linli protocol %" PRIu32 " and knows every record field "
		         "this one does",
		         v->hub_protocol);
}

void versions_node_tick(linlid_t *d)
{
	struct versions *v = d->versions;
	Linli__Cursors c = LINLI__CURSORS__INIT;
	Linli__KindFields **k;
	size_t n;
	linli_txn_t *txn;
	if (!v->hub_dirty || linli_schema_to_msg(&v->hub, &k, &n) != 0)
		return;
	c.protocol = v->hub_protocol;
	c.n_schema = n;
	c.schema = k;
	size_t len = linli__cursors__get_packed_size(&c);
	uint8_t *buf = malloc(len ? len : 1);
	if (buf != NULL) {
		linli__cursors__pack(&c, buf);
		/* Not saved: tried again at the next tick. */
		if (store_write_begin(d->store, NULL, &txn) == 0) {
			if (store_meta_put(txn, META_HUB_SCHEMA, buf, len) == 0 &&
			    store_commit(&txn) == 0)
				v->hub_dirty = false;
			store_abort(&txn);
		}
	}
	free(buf);
	free(k);
}

void versions_node_on_head(linlid_t *d, const Linli__Cursors *c)
{
	struct versions *v = d->versions;
	v->held = 0;
	for (size_t i = 0; i < c->n_cursors; i++) {
		const Linli__Cursor *k = c->cursors[i];
		if (!k->held || k->stream != LINLI__STREAM__PUBLIC)
			continue;
		if (v->held++ == 0) {
			snprintf(v->held_owner, sizeof(v->held_owner), "%s", k->owner);
			v->held_miss = (linli_field_ref_t){k->held_kind, k->held_field};
		}
		/* Its base is one of the things held: no use asking for it. */
		if (snap_active(d) && d->snap.stream == LINLI_STREAM_PUBLIC &&
		    strcmp(d->snap.owner, k->owner) == 0)
			snap_cancel(d, "the hub holds this log for this linli (an older one)");
	}
	if (v->held == 0 || (v->held_logged && same_ref(v->logged_miss, v->held_miss)))
		return;
	char what[96], others[48] = "";
	linli_field_ref_text(v->held_miss, what, sizeof(what));
	if (v->held > 1)
		snprintf(others, sizeof(others), " (and %zu other log%s)", v->held - 1,
		         v->held == 2 ? "" : "s");
	log_warn("the hub holds change sets of %s%s that this linli cannot read (%s): upgrade "
	         "linli on this server",
	         v->held_owner, others, what);
	v->held_logged = true;
	v->logged_miss = v->held_miss;
}

static int check_builder(struct versions *v, linli_csb_t *b, char *err, size_t errlen)
{
	for (size_t i = 0; b != NULL && i < linli_csb_count(b); i++) {
		bool remove;
		const linli_record_t *rec = linli_csb_op(b, i, &remove);
		linli_field_ref_t miss;
		int rc = linli_schema_check_decoded(&v->hub, rec, &miss);
		if (rc < 0) {
			snprintf(err, errlen, "out of memory; nothing was written");
			return -1;
		}
		if (rc > 0) {
			char name[64];
			linli_field_ref_name(miss, name, sizeof(name));
			snprintf(err, errlen,
			         "%s %s: the hub runs an older linli: field %s is not accepted yet "
			         "(upgrade linli at the hub first, or leave %s empty); nothing was "
			         "written",
			         linli_kind_name(linli_record_kind(rec)), linli_record_id(rec),
			         name, name);
			return -1;
		}
	}
	return 0;
}

int versions_write_check(linlid_t *d, linli_csb_t *pub, linli_csb_t *pers, char *err, size_t errlen)
{
	struct versions *v = d->versions;
	if (d->cfg.role != ROLE_NODE || !v->hub_lacks)
		return 0;
	if (check_builder(v, pub, err, errlen) != 0 || check_builder(v, pers, err, errlen) != 0)
		return -1;
	return 0;
}

/* --- hub --- */

static vpeer_t *peer_find(const struct versions *v, const char *node)
{
	for (size_t i = 0; i < v->npeers; i++)
		if (strcmp(v->peers[i].owner, node) == 0)
			return (vpeer_t *)&v->peers[i];
	return NULL;
}

/* A node not heard since we started is taken to know the base schema
 * until its HELLO says (a change set of its own can come first). */
static vpeer_t *peer_get(struct versions *v, const char *node)
{
	vpeer_t *p = peer_find(v, node);
	if (p == NULL && v->npeers < TRUST_MAX) {
		p = &v->peers[v->npeers++];
		memset(p, 0, sizeof(*p));
		snprintf(p->owner, sizeof(p->owner), "%s", node);
		linli_schema_base(&p->schema);
		p->lacks = linli_schema_lacks(&p->schema, &v->own, NULL);
	}
	return p;
}

static hold_t *hold_find(vpeer_t *p, const char *owner)
{
	for (size_t i = 0; i < p->nholds; i++)
		if (strcmp(p->holds[i].owner, owner) == 0)
			return &p->holds[i];
	return NULL;
}

void versions_hub_on_hello(linlid_t *d, const char *node, const Linli__Hello *h)
{
	struct versions *v = d->versions;
	vpeer_t *p = peer_get(v, node);
	uint32_t protocol = h->protocol ? h->protocol : 1; /* 0: from before versions */
	linli_schema_t s;
	if (protocol < 2)
		linli_schema_base(&s); /* from before versions: it knows the base */
	else if (linli_schema_from_msg(&s, h->schema, h->n_schema) != 0)
		return; /* bounded by linkmsg_hello: cannot happen */
	if (p == NULL)
		return;
	if (p->protocol == protocol && linli_schema_equal(&p->schema, &s)) {
		p->answer_due = true;
		/* A snapshot hold stops where the node stands. */
		for (size_t i = 0; i < p->nholds; i++)
			for (size_t k = 0; p->holds[i].snapshot && k < h->n_have; k++)
				if (h->have[k]->stream == LINLI__STREAM__PUBLIC &&
				    strcmp(h->have[k]->owner, p->holds[i].owner) == 0)
					p->holds[i].seq = h->have[k]->seq;
		return;
	}
	bool had = p->nholds > 0, known = p->protocol != 0;
	p->protocol = protocol;
	p->schema = s;
	p->lacks = linli_schema_lacks(&s, &v->own, NULL);
	p->answer_due = true;
	p->nholds = 0; /* found again, if they still apply */
	p->logged = false;
	if (p->lacks) {
		char lacks[200];
		linli_schema_diff_text(&s, &v->own, lacks, sizeof(lacks));
		log_warn("%s runs linli protocol %" PRIu32 " without the fields %s: public change "
		         "sets that set them wait at the hub for it until linli there is upgraded",
		         node, p->protocol, lacks);
	} else if (known) {
		log_info("%s now runs linli protocol %" PRIu32 " and knows every record field the "
		         "hub does%s",
		         node, p->protocol, had ? ": what was held for it goes to it now" : "");
	}
}

void versions_fill_answer(linlid_t *d, const char *node, Linli__Cursors *c)
{
	vpeer_t *p = peer_find(d->versions, node);
	if (p == NULL || !p->answer_due)
		return;
	p->answer_due = false;
	c->protocol = LINLI_PROTOCOL;
	c->n_schema = d->versions->nmsg;
	c->schema = d->versions->msg;
}

/* Holds owner's log for p from seq on (or its base: snapshot), and says
 * so once per cause. */
static void hold(vpeer_t *p, const char *owner, uint64_t seq, linli_field_ref_t miss, bool snapshot)
{
	hold_t *h = hold_find(p, owner);
	if (h == NULL) {
		if (p->nholds == TRUST_MAX)
			return;
		h = &p->holds[p->nholds++];
		snprintf(h->owner, sizeof(h->owner), "%s", owner);
	}
	h->seq = seq;
	h->miss = miss;
	h->snapshot = snapshot;
	/* Before its HELLO it may turn out to read it all: said once it is known. */
	if (p->protocol == 0 || (p->logged && same_ref(p->logged_miss, miss)))
		return;
	char what[96];
	linli_field_ref_text(miss, what, sizeof(what));
	if (snapshot)
		log_warn("%s runs an older linli: the snapshot of %s's public log it asks for is "
		         "held for it (%s): upgrade it",
		         p->owner, owner, what);
	else
		log_warn("%s runs an older linli: public change set %" PRIu64 " of %s and those "
		         "after it are held for it (%s): upgrade it",
		         p->owner, seq + 1, owner, what);
	p->logged = true;
	p->logged_miss = miss;
}

bool versions_may_relay(linlid_t *d, const char *node, const char *owner, uint64_t seq,
                        const uint8_t *frame, size_t len)
{
	vpeer_t *p = peer_get(d->versions, node);
	if (p == NULL || !p->lacks)
		return true;
	const hold_t *h = hold_find(p, owner);
	if (h != NULL)
		return seq <= h->seq;
	linli_field_ref_t miss;
	/* A stored change set that does not parse here is the node's to refuse. */
	if (linli_schema_check_cs(&p->schema, frame, len, &miss) != 1)
		return true;
	hold(p, owner, seq - 1, miss, false);
	return false;
}

bool versions_holds(const linlid_t *d, const char *node)
{
	const vpeer_t *p = peer_find(d->versions, node);
	return p != NULL && p->nholds > 0;
}

void versions_head(const linlid_t *d, const char *node, Linli__Cursor *c, size_t n)
{
	vpeer_t *p = peer_find(d->versions, node);
	for (size_t i = 0; p != NULL && i < n; i++) {
		const hold_t *h = hold_find(p, c[i].owner);
		if (h == NULL || c[i].stream != LINLI__STREAM__PUBLIC)
			continue;
		if (h->seq < c[i].seq)
			c[i].seq = h->seq;
		c[i].held = true;
		c[i].held_kind = h->miss.kind;
		c[i].held_field = h->miss.field;
	}
}

int versions_snap_check(linlid_t *d, const char *node, const char *owner, int stream,
                        const ProtobufCBinaryData *records, size_t n, char *err, size_t errlen)
{
	vpeer_t *p = peer_get(d->versions, node);
	linli_field_ref_t miss;
	if (d->cfg.role != ROLE_HUB || p == NULL || !p->lacks || stream != LINLI_STREAM_PUBLIC ||
	    strcmp(node, owner) == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (linli_schema_check_record(&p->schema, records[i].data, records[i].len, &miss) ==
		    1) {
			char what[96];
			linli_field_ref_text(miss, what, sizeof(what));
			snprintf(err, errlen,
			         "snapshot of %s's public log held for %s: it holds records its "
			         "linli cannot read (%s); upgrade linli there",
			         owner, node, what);
			hold(p, owner, 0, miss, true);
			return 1;
		}
	return 0;
}

/* --- status --- */

/* A change set of ours the hub has not acknowledged because it lacks a
 * field it sets (written before the hub went back to an older linli). */
static void own_log_waits(linlid_t *d, versions_status_fn add, void *arg)
{
	static const int streams[] = {LINLI_STREAM_PUBLIC, LINLI_STREAM_PERSONAL};
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return;
	for (int i = 0; i < 2; i++) {
		int s = streams[i];
		store_head_t head;
		const uint8_t *frame, *sig;
		size_t len;
		linli_field_ref_t miss;
		uint64_t seq = d->acked[s] + 1;
		if (store_head_get(txn, d->cfg.owner, s, &head) != 0 || seq > head.seq ||
		    log_entry_get(txn, d->cfg.owner, s, seq, &frame, &len, &sig) != 0 ||
		    linli_schema_check_cs(&d->versions->hub, frame, len, &miss) != 1)
			continue;
		char what[96], value[256];
		linli_field_ref_text(miss, what, sizeof(what));
		snprintf(value, sizeof(value),
		         "change set %" PRIu64 " of this community's %s log sets %s, which the "
		         "hub's linli does not know: it and those after it wait until linli at the "
		         "hub is upgraded",
		         seq, linli_stream_name(s), what);
		add(arg, "problem", value);
	}
	store_abort(&txn);
}

/* The hub's schema next to ours. */
static const char *hub_relation(const struct versions *v)
{
	bool we_lack = linli_schema_lacks(&v->own, &v->hub, NULL);
	if (v->hub_protocol == 0)
		return "unknown"; /* the base schema is assumed */
	if (v->hub_lacks)
		return we_lack ? "different" : "older";
	return we_lack ? "newer" : "same";
}

void versions_status(linlid_t *d, versions_status_fn add, void *arg)
{
	struct versions *v = d->versions;
	char value[256], what[96];
	if (d->cfg.role == ROLE_NODE) {
		add(arg, "hub_schema", hub_relation(v));
		if (v->hub_lacks) {
			linli_schema_diff_text(&v->hub, &v->own, value, sizeof(value));
			add(arg, "hub_lacks", value);
		}
		snprintf(value, sizeof(value), "%zu", v->held);
		add(arg, "relay_held", value);
		if (v->hub_lacks)
			own_log_waits(d, add, arg);
		if (v->held > 0) {
			linli_field_ref_text(v->held_miss, what, sizeof(what));
			snprintf(value, sizeof(value),
			         "the hub holds change sets this linli cannot read (%s): upgrade "
			         "linli on this server",
			         what);
			add(arg, "problem", value);
		}
		return;
	}
	size_t older = 0;
	for (size_t i = 0; i < v->npeers; i++)
		older += v->peers[i].protocol != 0 && v->peers[i].lacks;
	snprintf(value, sizeof(value), "%zu", older);
	add(arg, "nodes_older", value);
	linli_txn_t *txn;
	if (store_read_begin(d->store, &txn) != 0)
		return;
	for (size_t i = 0; i < v->npeers; i++) {
		const vpeer_t *p = &v->peers[i];
		uint64_t held = 0;
		if (p->nholds == 0 || p->protocol == 0)
			continue; /* none, or not known yet: its HELLO comes within a heartbeat */
		for (size_t k = 0; k < p->nholds; k++) {
			const hold_t *h = &p->holds[k];
			store_head_t head;
			if (store_head_get(txn, h->owner, LINLI_STREAM_PUBLIC, &head) == 0 &&
			    head.seq > h->seq)
				held += head.seq - h->seq;
		}
		linli_field_ref_text(p->holds[0].miss, what, sizeof(what));
		snprintf(value, sizeof(value),
		         "%s runs an older linli: %" PRIu64
		         " public change set%s held for it (%s): "
		         "upgrade it",
		         p->owner, held, held == 1 ? "" : "s", what);
		add(arg, "problem", value);
	}
	store_abort(&txn);
}
