/*
 * i18n: gettext per request (see i18n.h).
 */
#include "daemon/i18n.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/textdomain.h"

#define LANG_MAX 64

/* The last locale asked for, kept: operators ask in one language. */
static char cached_name[LANG_MAX + 1];
static locale_t cached = (locale_t)0;
static locale_t previous = (locale_t)0;

void i18n_bind(void)
{
	linli_textdomain_bind();
}

/* "zh_CN.UTF-8", "en_US.utf8@euro": no path, nothing glibc would read as
 * a file name. */
static int plain_name(const char *lang)
{
	size_t n = strlen(lang);
	if (n == 0 || n > LANG_MAX || lang[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = lang[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-' || c == '@'))
			return 0;
	}
	return 1;
}

void i18n_begin(const char *lang)
{
	previous = (locale_t)0;
	if (lang == NULL || !plain_name(lang) || strcmp(lang, "C") == 0 ||
	    strcmp(lang, "POSIX") == 0)
		return;
	if (cached == (locale_t)0 || strcmp(cached_name, lang) != 0) {
		locale_t l = newlocale(LC_MESSAGES_MASK, lang, (locale_t)0);
		if (l == (locale_t)0)
			return; /* not installed here: English */
		if (cached != (locale_t)0)
			freelocale(cached);
		cached = l;
		snprintf(cached_name, sizeof(cached_name), "%s", lang);
	}
	previous = uselocale(cached);
}

void i18n_end(void)
{
	if (previous != (locale_t)0)
		uselocale(previous);
	previous = (locale_t)0;
}
