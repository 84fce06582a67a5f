/*
 * metrics: /metrics, the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), named
 * by its rules: a linli_ prefix, base units in the names (_seconds,
 * _bytes), _total on counters, linli_build_info.  Per community (label
 * community="CODE") the figures of `linlictl stats`, from one
 * statsview_read, so that they equal what `linlictl stats --json` says at
 * the same moment; no personal data and no record ids in any label.
 */
#ifndef LINLID_METRICS_H
#define LINLID_METRICS_H

#include <stddef.h>

#include "daemon/http.h"
#include "daemon/statsview.h"
#include "store/store.h"

/* The exposition of the statistics of l's owners in store (read in one
 * read transaction, on any thread), the HTTP counts c, the store's sizes
 * (its file state_dir/data.mdb) and the build's version.  0 with *body
 * (malloc'd, the caller frees it) of *len bytes; -1 when the store cannot
 * be read or memory is short (logged). */
int metrics_write(linli_store_t *store, const char *state_dir, const links_t *l,
                  const http_counts_t *c, const char *version, char **body, size_t *len);

#endif
