/*
 * claims: what a community says about a log that is not its own, held
 * apart until that log's owner's signatures prove it.
 *
 * The one such statement that could change anything is a node's HELLO
 * saying it holds more of the hub's own public log than the hub's
 * database: the database was lost (README "When things go wrong"), or the
 * node says what is not so.  A claim alone changes nothing: the hub asks
 * the claimant for the change sets it lacks (GIVE) and takes each back
 * only if it verifies against the hub's own key (RELAY).  The first one
 * that this database lacked proves the claim: the database lost change
 * sets the hub signed, so the hub's writes wait until it holds as much as
 * the claim says (else its next change set would fork its own log).
 *
 * A claim ends when its claimant says less again or the hub holds as much,
 * and is dropped when no proof of it came within the expiry (claim_expiry_s)
 * of its making or of its last proof: a claimant that proves part of what
 * it says and no more holds the hub's writes that long at most.  Claims are
 * logged with who made them (a new claim once a minute per claimant, with
 * the count of those not logged; a drop likewise) and shown in status.
 * Fixed memory: one slot per claimant, as many as the trust list holds.
 */
#ifndef LINLID_CLAIMS_H
#define LINLID_CLAIMS_H

#include <stdbool.h>
#include <stdint.h>

struct claims;

/* An empty table whose claims expire after expiry_ms without proof.
 * NULL without memory. */
struct claims *claims_new(uint64_t expiry_ms);
/* Frees the table and sets *c to NULL; safe on NULL and twice. */
void claims_destroy(struct claims **c);

/* claimant (an owner code) says it holds the hub's own public log up to
 * seq, when the hub holds it up to ours (its head), at now (ms).  True if
 * the claimant should be asked for the change sets after ours (GIVE)
 * now: it claims more, and was not asked in the last half second. */
bool claims_said(struct claims *c, const char *claimant, uint64_t seq, uint64_t ours, uint64_t now);
/* claimant sent change set seq of the hub's own public log, verified with
 * the hub's key, and the hub applied it: this database lacked it, which
 * proves claimant's claim so far (one is made up to seq if it had none). */
void claims_proven(struct claims *c, const char *claimant, uint64_t seq, uint64_t now);
/* Ends the claims ours (the hub's head of its own public log) has reached
 * and drops those that expired; each logged. */
void claims_tick(struct claims *c, uint64_t ours, uint64_t now);
/* Whether any claim is open (claims_tick has work); false for NULL. */
bool claims_open(const struct claims *c);
/* The head a proven claim says the hub's own public log has past ours
 * (0: none); claimant (if not NULL) is set to who says so. */
uint64_t claims_behind(const struct claims *c, uint64_t ours, const char **claimant);

/* What status shows: "claims" (each open claim: claimant, head, proven or
 * not, when it is dropped), "claims_made" and "claims_dropped" (counts
 * since start); one name=value each through add. */
typedef void (*claims_status_fn)(void *arg, const char *name, const char *value);
void claims_status(const struct claims *c, uint64_t now, claims_status_fn add, void *arg);

#endif
