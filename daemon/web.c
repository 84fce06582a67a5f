/*
 * web: the pages (web.h).  A stand-in until the pages arrive (branch web):
 * every path is a 404, so the server's bounds can be tested on their own.
 */
#include "daemon/web.h"

#include <stdlib.h>
#include <string.h>

int web_init(char *err, size_t errlen)
{
	(void)err, (void)errlen;
	return 0;
}

void web_fini(void)
{
}

int web_serve(const web_req_t *q, web_reply_t *r)
{
	static const char page[] = "<!DOCTYPE html><title>404</title><p>No such page.</p>\n";
	(void)q;
	r->status = 404;
	r->content_type = "text/html; charset=utf-8";
	r->language = NULL;
	r->len = sizeof(page) - 1;
	r->body = malloc(r->len);
	if (r->body == NULL)
		return -1;
	memcpy(r->body, page, r->len);
	return 0;
}
