/*
 * history: every change of one record that the logs held here show, for
 * `linlictl history KIND ID`: when, who (the change set's author and
 * source), and the record after it; linlictl works out which fields
 * changed from what to what.
 *
 * As far back as the logs go: a compacted log starts after its
 * checkpoint, and then the record as of the checkpoint (from the base) is
 * the first entry.  A personal record's log is only at its own server and
 * the hub, so its history is only there.
 */
#ifndef LINLID_HISTORY_H
#define LINLID_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/linlid.h"

typedef struct {
	linli_record_t *record; /* after the change; for a removal, only its id */
	uint64_t seq;           /* of the change set; base: the checkpoint's */
	uint64_t time;          /* unix seconds, as the writer's clock said; base: 0 */
	bool remove, base;
	char author[LINLI_AUTHOR_MAX + 1];
	char source[LINLI_SOURCE_MAX + 1];
} history_entry_t;

typedef struct {
	char owner[LINLI_OWNER_MAX + 1];
	uint64_t log_from; /* the first change set of the log held here */
	history_entry_t *v;
	size_t n, cap;
} history_t;

/* The history of record (owner, kind, id) into *h (owner "": the owner
 * whose record or base holds id, looked up as show does; else ours).  0,
 * or -1 with why in err, in the operator's language (i18n.h): the log is
 * not held here, or says nothing of the record.  *h is the caller's to
 * free with history_free, also after a failure. */
int history_read(linlid_t *d, const char *owner, linli_kind_t kind, const char *id, history_t *h,
                 char *err, size_t errlen);
void history_free(history_t *h);

#endif
