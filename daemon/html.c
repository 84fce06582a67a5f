/*
 * html: escaping (html.h).
 */
#include "daemon/html.h"

#include <string.h>

void html_text(FILE *out, const char *s)
{
	if (s == NULL)
		return;
	for (; *s != '\0'; s++) {
		size_t run = strcspn(s, "&<>\"'");
		fwrite(s, 1, run, out);
		s += run;
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default: /* the end */
			return;
		}
	}
}
