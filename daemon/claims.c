/*
 * claims: a community's word about the hub's own log, until proven.
 */
#include "daemon/claims.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "daemon/trust.h"

#define ASK_MS 500   /* one GIVE per claimant this often at most */
#define LOG_MS 60000 /* claims of one claimant logged this often at most */

typedef struct {
	char owner[LINLI_OWNER_MAX + 1]; /* the claimant ("": slot free) */
	uint64_t seq;                    /* the head it claims (0: no open claim) */
	uint64_t made_ms;                /* when this claim was made */
	uint64_t proven_ms;              /* its last proof (0: none yet) */
	uint64_t proven_to;              /* the change set that proof brought */
	uint64_t asked_ms;               /* last GIVE */
	/* Lines about this claimant: kept while its claims come and go. */
	uint64_t made_said_ms, made_unsaid, drop_said_ms, drop_unsaid;
} claim_t;

struct claims {
	uint64_t expiry_ms;
	uint64_t made, dropped;
	claim_t c[TRUST_MAX];
};

struct claims *claims_new(uint64_t expiry_ms)
{
	struct claims *c = calloc(1, sizeof(*c));
	if (c != NULL)
		c->expiry_ms = expiry_ms;
	return c;
}

void claims_destroy(struct claims **c)
{
	if (c == NULL)
		return;
	free(*c);
	*c = NULL;
}

/* The claimant's slot: its own, a free one, or the one without an open
 * claim heard from longest ago (a claimant since removed from the trust
 * list).  NULL if every slot holds an open claim. */
static claim_t *slot(struct claims *c, const char *claimant)
{
	claim_t *k = NULL;
	for (size_t i = 0; i < TRUST_MAX; i++) {
		claim_t *s = &c->c[i];
		if (strcmp(s->owner, claimant) == 0)
			return s;
		if (s->seq == 0 && (k == NULL || s->owner[0] == '\0' ||
		                    (k->owner[0] != '\0' && s->made_ms < k->made_ms)))
			k = s;
	}
	if (k != NULL) {
		memset(k, 0, sizeof(*k));
		snprintf(k->owner, sizeof(k->owner), "%s", claimant);
	}
	return k;
}

/* Whether to log now what happens to k (at most once per LOG_MS per kind
 * of line); *unsaid becomes the count of lines not logged before it. */
static bool say(uint64_t *said_ms, uint64_t *unsaid, uint64_t now, uint64_t *skipped)
{
	if (*said_ms != 0 && now - *said_ms < LOG_MS) {
		(*unsaid)++;
		return false;
	}
	*skipped = *unsaid;
	*said_ms = now;
	*unsaid = 0;
	return true;
}

/* " (N more ... since the last such line)", or "" when none were skipped. */
static const char *more(char *buf, size_t len, uint64_t skipped, const char *what)
{
	buf[0] = '\0';
	if (skipped > 0)
		snprintf(buf, len, " (%" PRIu64 " more %s since the last such line)", skipped,
		         what);
	return buf;
}

static void end(claim_t *k, uint64_t ours)
{
	if (k->proven_ms != 0)
		log_info("own public log taken back: %s said it holds it up to %" PRIu64
		         ", this database now holds up to %" PRIu64,
		         k->owner, k->seq, ours);
	k->seq = k->made_ms = k->proven_ms = k->proven_to = 0;
}

bool claims_said(struct claims *c, const char *claimant, uint64_t seq, uint64_t ours, uint64_t now)
{
	claim_t *k = slot(c, claimant);
	uint64_t skipped;
	char tail[80];
	if (k == NULL)
		return false;
	if (seq <= ours) {
		if (k->seq != 0)
			end(k, ours);
		return false;
	}
	if (k->seq == 0) {
		k->made_ms = now;
		c->made++;
		if (say(&k->made_said_ms, &k->made_unsaid, now, &skipped))
			log_warn("%s says it holds the subdistrict's own public log up to %" PRIu64
			         ", this database only up to %" PRIu64
			         ": not believed until it sends those change sets, signed by this "
			         "hub (asked for them); writes go on; the claim is dropped if not "
			         "proven within %" PRIu64 " s%s",
			         claimant, seq, ours, c->expiry_ms / 1000,
			         more(tail, sizeof(tail), skipped, "claims by it"));
	}
	k->seq = seq;
	if (k->asked_ms != 0 && now - k->asked_ms < ASK_MS)
		return false;
	k->asked_ms = now;
	return true;
}

void claims_proven(struct claims *c, const char *claimant, uint64_t seq, uint64_t now)
{
	claim_t *k = slot(c, claimant);
	if (k == NULL)
		return;
	if (k->seq == 0) {
		k->made_ms = now; /* change sets sent unasked: a claim up to the last */
		c->made++;
	}
	if (k->proven_ms == 0)
		log_warn("%s sent change set %" PRIu64 " of the subdistrict's own public log, "
		         "signed by this hub, which this database lacked (it was lost, or is an "
		         "old copy): its claim to hold up to %" PRIu64
		         " is proven so far, and this hub's writes wait until it holds as much",
		         claimant, seq, k->seq > seq ? k->seq : seq);
	if (seq > k->seq)
		k->seq = seq;
	k->proven_ms = now;
	k->proven_to = seq;
}

void claims_tick(struct claims *c, uint64_t ours, uint64_t now)
{
	for (size_t i = 0; i < TRUST_MAX; i++) {
		claim_t *k = &c->c[i];
		uint64_t last = k->proven_ms ? k->proven_ms : k->made_ms, skipped;
		char tail[80];
		if (k->seq == 0)
			continue;
		if (k->seq <= ours) {
			end(k, ours);
			continue;
		}
		if (now - last < c->expiry_ms)
			continue;
		c->dropped++;
		if (say(&k->drop_said_ms, &k->drop_unsaid, now, &skipped)) {
			if (k->proven_ms != 0)
				log_warn(
				    "%s said it holds the subdistrict's own public log up to "
				    "%" PRIu64 ", but sent nothing past %" PRIu64 " for %" PRIu64
				    " s: claim dropped, this hub writes again%s",
				    k->owner, k->seq, k->proven_to, c->expiry_ms / 1000,
				    more(tail, sizeof(tail), skipped, "of its claims dropped"));
			else
				log_warn(
				    "%s said it holds the subdistrict's own public log up to "
				    "%" PRIu64 " (this database: %" PRIu64
				    "), and sent none of those change sets within %" PRIu64
				    " s: claim dropped as not proven%s",
				    k->owner, k->seq, ours, c->expiry_ms / 1000,
				    more(tail, sizeof(tail), skipped, "of its claims dropped"));
		}
		k->seq = k->made_ms = k->proven_ms = k->proven_to = 0;
	}
}

bool claims_open(const struct claims *c)
{
	for (size_t i = 0; c != NULL && i < TRUST_MAX; i++)
		if (c->c[i].seq != 0)
			return true;
	return false;
}

uint64_t claims_behind(const struct claims *c, uint64_t ours, const char **claimant)
{
	uint64_t most = 0;
	for (size_t i = 0; i < TRUST_MAX; i++) {
		const claim_t *k = &c->c[i];
		if (k->proven_ms != 0 && k->seq > ours && k->seq > most) {
			most = k->seq;
			if (claimant != NULL)
				*claimant = k->owner;
		}
	}
	return most;
}

void claims_status(const struct claims *c, uint64_t now, claims_status_fn add, void *arg)
{
	char line[1024] = "", n[32];
	size_t off = 0;
	for (size_t i = 0; i < TRUST_MAX && off < sizeof(line); i++) {
		const claim_t *k = &c->c[i];
		uint64_t last = k->proven_ms ? k->proven_ms : k->made_ms;
		uint64_t left =
		    now - last < c->expiry_ms ? (c->expiry_ms - (now - last)) / 1000 : 0;
		if (k->seq == 0)
			continue;
		int w =
		    k->proven_ms != 0
		        ? snprintf(line + off, sizeof(line) - off,
		                   "%s%s up to %" PRIu64 ", proven up to %" PRIu64
		                   " (dropped in %" PRIu64 " s without more)",
		                   off ? "; " : "", k->owner, k->seq, k->proven_to, left)
		        : snprintf(line + off, sizeof(line) - off,
		                   "%s%s up to %" PRIu64 ", not proven (dropped in %" PRIu64 " s)",
		                   off ? "; " : "", k->owner, k->seq, left);
		if (w < 0)
			break;
		off += (size_t)w;
	}
	if (off > 0)
		add(arg, "claims", line);
	snprintf(n, sizeof(n), "%" PRIu64, c->made);
	add(arg, "claims_made", n);
	snprintf(n, sizeof(n), "%" PRIu64, c->dropped);
	add(arg, "claims_dropped", n);
}
