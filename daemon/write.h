/*
 * write: who a local write is made by, and what it may break.
 *
 * write_commit (linlid.h) signs an operator's change into change sets.
 * Each change set says who made it (the operator's user name, and for an
 * import the file's name: proto/changeset.h), and is checked before its
 * commit so that the references between records hold (refs.h).  The
 * control socket says both for the writes of one request.
 */
#ifndef LINLID_WRITE_H
#define LINLID_WRITE_H

#include <stdbool.h>

#include "daemon/refs.h"

typedef struct {
	const char *author; /* the operator's user name; "" if unknown */
	const char *source; /* the file an import came from; "" for none */
	bool force;         /* it may leave what names a record dangling */
	refs_left_t left;   /* after a write with force: what it left so */
} write_as_t;

/* The writes until write_as(NULL) are made as w says (borrowed: w must
 * stay until then); without one a write names no author. */
void write_as(write_as_t *w);

#endif
