/*
 * ctlreq: a control request (CtlRequest from linlictl) decoded and checked
 * before anything of the daemon's state is read.
 *
 * Every check that needs no store is here, in the order the daemon makes
 * them, so a request is refused with the same message whatever state the
 * daemon is in; control.c does the rest.
 */
#ifndef LINLID_CTLREQ_H
#define LINLID_CTLREQ_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "proto/arena.h"
#include "proto/linli.pb-c.h"

#define CTLREQ_FILTERS_MAX 16

typedef enum {
	CTL_ADD,
	CTL_SET,
	CTL_REMOVE,
	CTL_IMPORT,
	CTL_SHOW,
	CTL_LIST,
	CTL_STATS,
	CTL_LOGS,
	CTL_VERIFY,
	CTL_DIGEST,
	CTL_RESTORE,
	CTL_STATUS,
	CTL_TRUST_ADD,
	CTL_TRUST_REVOKE,
	CTL_TRUST_LIST,
	CTL_RELOAD,
	CTL_DIVERGED,
	CTL_BACKUP,
	CTL_BACKUP_STATUS,
	CTL_HISTORY,
	CTL_QUOTA,
} ctl_verb_t;

/* What the checks found out. */
typedef struct {
	ctl_verb_t verb;
	linli_kind_t kind;              /* of the verbs on records */
	int fields[CTLREQ_FILTERS_MAX]; /* show, list: each filter's field index */
} ctlreq_t;

/* Decodes raw into a new arena that bounds its memory (*arena, which the
 * request lives in: destroy it after use).  NULL if it does not decode. */
Linli__CtlRequest *ctlreq_decode(const uint8_t *raw, size_t len, linli_arena_t **arena);

/* 0 with *out filled, or -1 with the reason in err ("import: record 3
 * (h001): size: 0 is not between 1 and 99"). */
int ctlreq_check(const Linli__CtlRequest *q, const config_t *cfg, ctlreq_t *out, char *err,
                 size_t errlen);

/* The records of an accepted import as linlictl encoded them (field 7 of
 * raw), each n_records long, to go into the change set as they are
 * instead of encoded again: 0 if each holds exactly its decoded record. */
int ctlreq_import_wire(const Linli__CtlRequest *q, const uint8_t *raw, size_t len,
                       const uint8_t **wire, size_t *wire_len);

#endif
