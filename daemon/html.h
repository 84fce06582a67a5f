/*
 * html: text from records and the trust file written into a page
 * (daemon/web.c) so that it reads as text and never as markup.
 */
#ifndef LINLID_HTML_H
#define LINLID_HTML_H

#include <stdio.h>

/* Writes s (UTF-8; NULL writes nothing) to out with & < > " ' as
 * character references: safe in element content and in a quoted
 * attribute value alike. */
void html_text(FILE *out, const char *s);

#endif
