/*
 * web: the pages subdistrict staff open (overview, a community, trends),
 * rendered on the server as HTML that needs no script, with every asset
 * (style, charts as inline SVG) in the page: the subdistrict's intranet
 * has no internet.  The words come from the gettext catalogue the CLI
 * uses (po/), Chinese unless the request asks for English.
 *
 * web_serve runs on the HTTP server's threads (daemon/http.c): it reads
 * the store in short read transactions and the links as the main loop
 * last published them, and shows aggregates and public records only: no
 * household, resident, phone, address, name of a person or request text.
 */
#ifndef LINLID_WEB_H
#define LINLID_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon/statsview.h"
#include "store/store.h"

/* One GET or HEAD, as daemon/http.c gives it.  Every pointer is owned by
 * the caller and valid for the call. */
typedef struct {
	const char *path;            /* the URL's path, decoded: "/community/350582006001" */
	const char *query_lang;      /* ?lang=zh|en, or NULL */
	const char *accept_language; /* the Accept-Language header (RFC 9110, 12.5.4), or NULL */
	const char *query_month;     /* ?month=YYYY-MM (trends: the last month shown), or NULL */
	linli_store_t *store;
	const links_t *links; /* the main loop's last published copy */
} web_req_t;

typedef struct {
	unsigned status;          /* 200, 400, 404, 500 */
	const char *content_type; /* a static string: "text/html; charset=utf-8" */
	const char *language;     /* Content-Language: "zh-CN" or "en" (static), or NULL */
	char *body;               /* malloc'd; the caller frees it */
	size_t len;
} web_reply_t;

/* Makes ready what web_serve shares between threads (the locales of the
 * pages' languages).  Main thread, before the server starts.  -1 with the
 * reason in err. */
int web_init(char *err, size_t errlen);
void web_fini(void);

/* Answers q: a page, or a 404 page for a path that is none.  0 with *r
 * filled (the caller frees r->body), -1 when out of memory. */
int web_serve(const web_req_t *q, web_reply_t *r);

#endif
