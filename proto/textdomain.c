/*
 * textdomain: where the translations are (see textdomain.h).
 */
#include "proto/textdomain.h"

#include <libintl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

static const char *locale_dir(char *buf, size_t len)
{
	const char *dir = getenv("LINLI_LOCALEDIR");
	if (dir != NULL && dir[0] != '\0')
		return dir;
	ssize_t n = readlink("/proc/self/exe", buf, len - sizeof("locale"));
	char *slash = n > 0 ? memrchr(buf, '/', (size_t)n) : NULL;
	if (slash != NULL) {
		/* A directory: beside an installed binary, /usr/bin/locale is
		 * the locale(1) program, and binding to it loses every word. */
		struct stat st;
		memcpy(slash + 1, "locale", sizeof("locale"));
		if (stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
			return buf;
	}
	return LOCALEDIR;
}

void linli_textdomain_bind(void)
{
	char buf[PATH_MAX];
	bindtextdomain(LINLI_TEXTDOMAIN, locale_dir(buf, sizeof(buf)));
	bind_textdomain_codeset(LINLI_TEXTDOMAIN, "UTF-8");
	textdomain(LINLI_TEXTDOMAIN);
}

const char *linli_pgettext(const char *ctx, const char *msgid)
{
	/* A .mo file keys a message with a context as "ctx\004msgid". */
	char key[256];
	size_t c = strlen(ctx), m = strlen(msgid);
	if (c + m + 2 > sizeof(key))
		return msgid;
	memcpy(key, ctx, c);
	key[c] = '\004';
	memcpy(key + c + 1, msgid, m + 1);
	const char *t = gettext(key);
	return t == key ? msgid : t;
}
