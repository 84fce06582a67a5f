/*
 * Until daemon/monthly.c (branch monthly) is merged: statsview_months
 * says the monthly statistics are not in this build.  A weak definition,
 * so monthly.c's own replaces it; remove this file with that merge.
 */
#include <stdio.h>

#include "daemon/statsview.h"

__attribute__((weak)) int statsview_months(linli_store_t *store, const links_t *l,
                                           const char *owner, const char *last, unsigned count,
                                           Linli__Month ***months, size_t *n, char *err,
                                           size_t errlen)
{
	(void)store, (void)l, (void)owner, (void)last, (void)count;
	*months = NULL;
	*n = 0;
	snprintf(err, errlen, "the monthly statistics are not in this build");
	return -1;
}

__attribute__((weak)) void statsview_months_free(Linli__Month **months, size_t n)
{
	(void)months, (void)n;
}
