/*
 * linkmsg: the messages of the hub link (node.c lists them) decoded and
 * bounded before anything of the daemon's state is looked up.  Each takes
 * the whole message, checks its number of parts and decodes its last part;
 * NULL if malformed.  The result is the caller's, to free with its
 * linli__*__free_unpacked.
 */
#ifndef LINLID_LINKMSG_H
#define LINLID_LINKMSG_H

#include <stddef.h>

#include "daemon/zmsg.h"
#include "proto/linli.pb-c.h"

/* At the hub: rid HELLO <Hello>. */
Linli__Hello *linkmsg_hello(zmsg_t *m);
/* Any Cursors message of nparts parts with at most max cursors. */
Linli__Cursors *linkmsg_cursors(zmsg_t *m, size_t nparts, size_t max);
/* At the hub: rid RESTORE <claim> <sig>; the claim is at most
 * LINLI_STATEMENT_MAX bytes and names a valid owner. */
Linli__RestoreClaim *linkmsg_claim(zmsg_t *m);

#endif
