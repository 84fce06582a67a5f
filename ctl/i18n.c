#include "ctl/i18n.h"

#include <locale.h>
#include <stdlib.h>

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif

void i18n_init(void)
{
	const char *dir = getenv("LINLI_LOCALEDIR");
	setlocale(LC_ALL, "");
	bindtextdomain(LINLI_TEXTDOMAIN, dir && dir[0] ? dir : LOCALEDIR);
	bind_textdomain_codeset(LINLI_TEXTDOMAIN, "UTF-8");
	textdomain(LINLI_TEXTDOMAIN);
}
