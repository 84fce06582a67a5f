/*
 * linlid: the state of one daemon, shared by its modules.
 *
 * One thread, one zmq_poll loop (main.c) over the hub link and the control
 * socket; signal handlers only set flags.  The store has one writer: this
 * loop.
 */
#ifndef LINLID_H
#define LINLID_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/backoff.h"
#include "daemon/config.h"
#include "daemon/trust.h"
#include "proto/changeset.h"
#include "proto/stats.h"
#include "store/store.h"

#define ZMQ_MSG_MAX  (LINLI_CS_MAX_BYTES + 4096) /* bound on one link frame */
#define WINDOW_MAX   1024                        /* most change sets in flight per log */
#define BATCH_BYTES  (4u << 20)                  /* message bytes applied in one transaction */
#define VERIFY_BYTES (8u << 20)                  /* change set bytes in the verifier at most */

/* One connection authenticated as an owner.  A community has one; two
 * that speak in turn are two servers with its key (a clone). */
#define PEER_CONNS 4
typedef struct {
	uint8_t rid[256]; /* its ZeroMQ routing id (rid_len 0: slot free) */
	size_t rid_len;
	char addr[64]; /* the remote address, as libzmq's Peer-Address gives it */
	unsigned no;   /* the hub's number for it, in log lines */
	uint64_t first_ms, last_ms;
	bool need_ack;      /* an ACK is owed to this connection after the batch */
	bool diverged_said; /* its divergence was counted and logged */
} conn_t;

/* What the hub knows of one owner's link. */
typedef struct {
	char owner[LINLI_OWNER_MAX + 1];
	uint8_t rid[256]; /* ZeroMQ routing id of its latest connection */
	size_t rid_len;
	uint64_t last_heard_ms;
	uint64_t head[3];     /* heads the owner last reported, by stream */
	uint64_t want_seq[3]; /* last WANT sent, to send it once per gap */
	uint64_t want_ms[3];
	uint64_t refused;        /* change sets of this owner refused */
	uint64_t refused_by[16]; /* of them, by reason: refused_t's fields in order */
	/* Replies owed once the current batch is committed. */
	bool need_ack, need_head;
	void *pull; /* Linli__Cursors of a PULL to serve, or NULL */
	/* The connection that made a signed restore claim: the only one its
	 * own logs are given back to. */
	uint8_t restore_rid[256];
	size_t restore_rid_len;
	conn_t conns[PEER_CONNS];
	unsigned history_conn;  /* the connection whose change set was applied last */
	uint64_t two_links_ms;  /* when two live links were last seen (0: never) */
	uint64_t two_links_log; /* when that was last logged */
	char two_links[200];    /* which two, for status */
	/* One community cannot take the hub from the others (hub.c): its
	 * change sets wait in a queue of its own, bounded, and the verifier
	 * takes the queues in turn; a community that keeps sending what is
	 * refused is ignored for a while. */
	struct verify_job *q_head, *q_tail; /* change sets waiting for the verifier */
	size_t q_jobs, q_bytes;
	size_t v_jobs;                    /* of them at the verifier, not applied yet */
	uint64_t q_dropped;               /* change sets dropped: its queue was full */
	uint64_t strikes_ms;              /* start of the current refusal window */
	uint32_t strikes;                 /* refusals in it */
	uint64_t ignore_until, ignore_ms; /* its messages are dropped until then; for how long */
	uint64_t lines_ms;                /* start of the current minute of refusal lines */
	uint32_t lines;                   /* refusal lines logged in it */
	uint64_t send_full_ms;            /* a reply to it found its queue full (0: never) */
} peer_t;

typedef struct {
	uint64_t bad_signature, unknown_owner, wrong_origin, malformed, replayed, gap, chain_broken,
	    fork, fenced;
	uint64_t unknown_key; /* links refused by the ZAP handler */
	uint64_t revoked;     /* messages from a revoked owner's link */
	uint64_t old_key;     /* change sets by a retired key after a newer one */
	uint64_t oversize;    /* messages over the bound of their type, before decoding */
	uint64_t queue_full;  /* change sets dropped: their community's queue was full */
	uint64_t control; /* control requests: malformed, not allowed, or failing ctlreq_check */
	uint64_t quota;   /* change sets that would put their community over its quota */
} refused_t;
/* A peer counts its refusals by reason, refused_t's fields in order. */
_Static_assert(sizeof(refused_t) == sizeof(((peer_t *)0)->refused_by), "refused_by: refused_t");

/* A node taking its own logs back from the hub (linlictl restore). */
typedef enum {
	RESTORE_NONE,
	RESTORE_CLAIMED,  /* signed claim sent, waiting for the hub's heads */
	RESTORE_FETCHING, /* taking change sets until we reach those heads */
	RESTORE_DONE,
	RESTORE_FAILED,
} restore_state_t;

typedef struct {
	restore_state_t state;
	uint64_t epoch;         /* the generation claimed */
	uint64_t target[3];     /* the hub's heads of our logs, by stream */
	uint64_t checkpoint[3]; /* where the hub's copies start */
	bool step;              /* the hub answered a FETCH: look where we are */
	uint64_t asked_ms;      /* last RESTORE or FETCH sent */
	uint64_t started_ms;
	char error[LINLI_ERR_MAX];
} restore_t;

/* A snapshot being taken: a log's base, chunk by chunk (compact.c). */
typedef struct {
	bool active;
	char owner[LINLI_OWNER_MAX + 1];
	int stream;
	uint8_t rid[256]; /* hub: the node it comes from */
	size_t rid_len;
	uint8_t ckpt[LINLI_STATEMENT_MAX]; /* its signed checkpoint, from the first chunk */
	size_t ckpt_len;
	uint8_t sig[LINLI_SIG_LEN];
	uint64_t seq; /* that checkpoint's; 0 until the first chunk */
	uint64_t records;
	int after_kind; /* the last record staged */
	char after_id[LINLI_ID_MAX + 1];
	uint64_t asked_ms, started_ms, moved_ms; /* moved: the last chunk staged */
} snap_t;

typedef struct linlid {
	config_t cfg;
	trust_t trust;
	linli_store_t *store;
	struct readers *readers; /* other processes' LMDB readers (readers.c) */
	linli_key_t *key;
	void *zctx;
	void *link;    /* node: DEALER to the hub; hub: ROUTER for nodes */
	void *control; /* ROUTER on the control socket */
	int lock_fd;   /* flock on state_dir/linlid.lock, held while running */
	uint64_t started_ms;

	/* node */
	uint64_t sent[3], acked[3]; /* by stream: highest sent, acknowledged */
	/* Bytes of each change set in flight, by seq % WINDOW_MAX: the window
	 * is bounded in bytes too, so what waits in the hub's queue is. */
	uint32_t sizes[3][WINDOW_MAX];
	bool synced;              /* the hub told us where it is */
	bool behind_hub;          /* the hub has more of our log than we do */
	uint64_t ack_progress_ms; /* last time acked advanced or a window opened */
	uint64_t hub_heard_ms;
	uint64_t next_hello_ms;
	uint64_t pull_ms;          /* a PULL is outstanding since (0: none) */
	uint64_t hub_heads_behind; /* public change sets the hub has and we lack */
	uint64_t epoch;            /* our database generation (epoch_load) */
	uint64_t hub_epoch;        /* our generation as the hub last said */
	bool joined; /* this database has met the hub, or was restored: writes may begin */
	bool fenced; /* the hub knows a later generation of this database */
	bool clock_known;
	int64_t clock_offset_ms; /* our clock minus the hub's */
	restore_t restore;
	uint64_t hub_checkpoint[3]; /* where the hub's copy of our logs starts */
	/* Another server writes as this community (a cloned server): our logs
	 * differ from the hub's from these seqs on (0: that log agrees).  Kept
	 * in the store (meta "diverged"), so a restart does not forget it. */
	bool diverged;
	uint64_t diverged_from[3];
	/* Where the change sets start to differ: after lo (the same at the
	 * hub), at hi at the latest; narrowed by asking the hub (PROBE). */
	uint64_t diverged_lo[3], diverged_hi[3];
	char diverged_why[LINLI_ERR_MAX];
	uint64_t offer_ms; /* last CKPT sent */

	/* both: compaction (compact.c) */
	snap_t snap;
	uint64_t snapshots_taken, snapshots_refused, folds;
	char fold_stuck[LINLI_ERR_MAX]; /* a fold whose digest did not match: not retried */

	uint8_t hub_key[LINLI_PUB_LEN]; /* the hub's CURVE key the link uses */
	struct linkmon *linkmon;        /* node: the link's handshakes (linkmon.h) */
	struct linkgate *linkgate;      /* hub: the link's connections before they authenticate */

	/* both: refused work waits before it is tried again (keys
	 * "relay/OWNER", "own", "snap/OWNER/STREAM"), and repeated refusals
	 * are logged once per cause and interval (keys of `said`). */
	backoff_set_t backoffs, said;
	char hub_refusal[LINLI_ERR_MAX]; /* node: the hub's last ERR since our acks moved */

	/* hub */
	void *zap; /* REP: the ZAP handler (auth.c) */
	peer_t peers[TRUST_MAX];
	size_t npeers;
	refused_t refused;
	uint64_t duplicates;
	uint64_t divergences;      /* connections whose owner's log differs from ours */
	uint64_t two_links;        /* times two live links of one owner were seen */
	unsigned conns_seen;       /* connections numbered so far */
	bool public_advanced;      /* a public log moved in this batch: tell the nodes */
	bool batch_full;           /* the store map filled up during this batch */
	struct verifier *verifier; /* signatures checked on a second thread */
	size_t verifying;          /* bytes handed to the verifier and not applied yet */
	size_t verify_jobs;        /* change sets handed to the verifier and not applied yet */
	size_t queued;             /* change set bytes in the communities' queues */
	size_t next_queue;         /* the peer whose queue the verifier takes from next */
	const char *msg_from;      /* the sender of the message being handled, or NULL */
	uint64_t links_slowed;     /* times a community's messages were ignored for a while */
	uint64_t ignored;          /* messages dropped while their community was ignored */
	/* What nodes say of the hub's own public log beyond its database (it
	 * was wiped?): believed once proven by change sets it signed (claims.h). */
	struct claims *claims;

	/* both: the builds at either end of the link (versions.c) */
	struct versions *versions;
	struct backup *backup;   /* linlictl backup (backup.c); NULL until the first */
	struct imports *imports; /* staged linlictl imports (import.c); NULL until the first */
	/* both: what each community may hold at the hub (quota.c) */
	struct quota *quota;
	struct http *http; /* the HTTP endpoint (http.h); NULL: http_listen off */
} linlid_t;

uint64_t now_ms(void);
uint64_t unix_ms(void); /* the wall clock, for what is compared across machines */
/* Ends the process with a failure status at once, for systemd to restart
 * it: after a failed commit nothing more may be acknowledged, and the
 * fresh start reopens the database at its last good commit. */
void exit_for_restart(void) __attribute__((noreturn));

/* Re-reads the trust file: in force for the next message and connection;
 * logs what changed (*changes lines).  -1 with the reason in err (the old
 * list stays). */
int reload_trust(linlid_t *d, size_t *changes, char *err, size_t errlen);
/* trust add / trust revoke: c made to the trust file as it is on disk
 * (trust_file_change), then in force as after a reload.  -1 with the
 * reason in err (the file and the list in use as they were). */
int change_trust(linlid_t *d, const trust_change_t *c, size_t *changes, char *err, size_t errlen);

/* apply.c: changes to the store shared by both roles. */
/* Whether change set seq of e's log stream, signed by key `signer` of e
 * (0: its current key), may follow the entry before it: a retired key
 * signs nothing after a newer key has (the key of a community that rotated
 * may have been lost).  0 if it may, -1 if not. */
int signer_check(linli_txn_t *txn, const trust_entry_t *e, int stream, uint64_t seq, int signer);
/* The keys that check owner's change sets: its trust entry, or, for our
 * own logs while the trust list lacks us, our key alone (put in *tmp).
 * NULL if there are none. */
const trust_entry_t *owner_keys(const linlid_t *d, const char *owner, trust_entry_t *tmp);
/* An owner's statistics as last committed (zeros if none). */
int counts_load(linli_txn_t *txn, const char *owner, linli_counts_t *out);
int counts_save(linli_txn_t *txn, const char *owner, const linli_counts_t *c);
/* Puts (or removes) one record of owner with its statistics: counts in
 * *counts (the caller loads and saves them), medians in the store.  wire
 * is rec's encoding if the caller has it (else NULL). */
int apply_record(linli_txn_t *txn, const char *owner, bool remove, const linli_record_t *rec,
                 const uint8_t *wire, size_t wire_len, linli_counts_t *counts);
/* Appends a change set to its log and applies its ops (op_at(ops, i)
 * gives op i), with their statistics, in txn. */
typedef const linli_record_t *(*op_at_fn)(const void *ops, size_t i, bool *remove);
int apply_change(linli_txn_t *txn, const char *owner, int stream, uint64_t seq,
                 const uint8_t hash[LINLI_HASH_LEN], const uint8_t *frame, size_t frame_len,
                 const uint8_t sig[LINLI_SIG_LEN], const void *ops, size_t nops, op_at_fn op_at);
/* Applies every op of a verified change set and appends it to its log. */
int apply_cs(linli_txn_t *txn, const linli_cs_t *cs, const uint8_t hash[LINLI_HASH_LEN],
             const uint8_t *frame, size_t frame_len, const uint8_t sig[LINLI_SIG_LEN]);
/* An owner's database generation (meta "epoch/OWNER"; 0 if none): a
 * restore raises it, and change sets of an older one are refused. */
int epoch_load(linli_txn_t *txn, const char *owner, uint64_t *out);
int epoch_save(linli_txn_t *txn, const char *owner, uint64_t epoch);
/* The chain hash of change set seq of a log as txn holds it: 0, or
 * STORE_NOTFOUND if the log does not hold it (past its head, or trimmed
 * away), or another store error. */
int log_hash_at(linli_txn_t *txn, const char *owner, int stream, uint64_t seq,
                uint8_t hash[LINLI_HASH_LEN]);
/* Entry seq of a log, split into the signed frame and its signature
 * (valid until txn ends or forgets); a store error if it is missing
 * (STORE_NOTFOUND), fails its check (STORE_CORRUPT) or is too short. */
int log_entry_get(linli_txn_t *txn, const char *owner, int stream, uint64_t seq,
                  const uint8_t **frame, size_t *frame_len, const uint8_t **sig);

/* write.c: local writes (from linlictl) as signed change sets. */
/* Signs the public and personal ops given and commits them with their
 * effects in one transaction.  The builders are emptied. */
int write_commit(linlid_t *d, linli_csb_t *pub, linli_csb_t *pers, char *err, size_t errlen);
/* A write of many change sets of one of our logs in one transaction (an
 * import): all of them are committed, or none.  fill(arg, txn, b) puts the
 * next change set's ops into b, reading txn if it likes (to leave out
 * records stored as they are already): 1 if it put some, 0 when there are
 * no more, or a store error; rewind(arg) starts it again from the first
 * (after a full map the transaction starts over).  room: bytes the
 * records may take in the store, made room for first.  *last_seq gets the
 * seq of the last change set written (0: none).  -1 with the reason in err. */
typedef struct {
	int (*fill)(void *arg, linli_txn_t *txn, linli_csb_t *b);
	void (*rewind)(void *arg);
	void *arg;
} write_many_t;
int write_commit_many(linlid_t *d, int stream, const write_many_t *w, uint64_t room,
                      uint64_t *last_seq, char *err, size_t errlen);

/* node.c */
int node_start(linlid_t *d);
/* Why a write must be refused now (NULL: it may go ahead). */
const char *node_write_refusal(const linlid_t *d);
const char *hub_write_refusal(const linlid_t *d);
/* Starts taking our logs back from the hub into this empty database. */
int node_restore_start(linlid_t *d, char *err, size_t errlen);
void node_on_link(linlid_t *d);
void node_tick(linlid_t *d);
void node_after_write(linlid_t *d);

/* hub.c */
int hub_start(linlid_t *d);
void hub_on_link(linlid_t *d);
/* Whether the hub takes more messages now (the verifier is not full). */
bool hub_wants_link(const linlid_t *d);
/* Applies the change sets the verifier has finished, as one batch. */
void hub_on_verified(linlid_t *d);
void hub_after_write(linlid_t *d);
/* The hub's periodic work (main.c calls it every 100 ms). */
void hub_tick(linlid_t *d);
const peer_t *hub_peer(const linlid_t *d, const char *owner);
/* Frees the change sets still waiting in the communities' queues. */
void hub_stop(linlid_t *d);
/* The hub's flood counters and, per community ignored now, a problem,
 * through add(arg, name, value) (name "problem" for a problem). */
void hub_flood_status(const linlid_t *d, void (*add)(void *, const char *, const char *),
                      void *arg);

/* control.c */
int control_start(linlid_t *d);
void control_on_request(linlid_t *d);

#endif
