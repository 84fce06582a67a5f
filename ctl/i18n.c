/*
 * i18n: gettext set-up for linlictl (see i18n.h).
 */
#include "ctl/i18n.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proto/textdomain.h"

void i18n_init(void)
{
	if (setlocale(LC_ALL, "") == NULL) {
		/* Asked for Chinese on a machine without the locale: say why
		 * everything is English, and how to get it. */
		const char *want = getenv("LC_ALL");
		if (want == NULL || want[0] == '\0')
			want = getenv("LC_MESSAGES");
		if (want == NULL || want[0] == '\0')
			want = getenv("LANG");
		if (want != NULL && strncmp(want, "zh", 2) == 0)
			fprintf(stderr,
			        "linlictl: the locale %s is not installed, so messages are in "
			        "English (as root: apt-get install locales; add \"%s UTF-8\" to "
			        "/etc/locale.gen; locale-gen)\n",
			        want, want);
	}
	linli_textdomain_bind();
}

const char *i18n_zh(const char *ctx, const char *msgid)
{
	static locale_t zh;
	static int tried;
	if (!tried) {
		tried = 1;
		zh = newlocale(LC_MESSAGES_MASK, "zh_CN.UTF-8", (locale_t)0);
	}
	if (zh == (locale_t)0)
		return NULL;
	/* Only this thread's messages switch, and only for the look-up. */
	locale_t old = uselocale(zh);
	const char *t = linli_pgettext(ctx, msgid);
	uselocale(old);
	return t == msgid ? NULL : t;
}

const char *i18n_lang(void)
{
	const char *l = setlocale(LC_MESSAGES, NULL);
	if (l == NULL || strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0)
		return "";
	return l;
}
