/* Translations of what linlictl says, with GNU gettext (gettext(3)).
 *
 * Wrap every message a person reads in _("..."); a string in a static
 * table that is translated where it is printed is marked N_("...").  A
 * word that means different things in different places has a context:
 * C_("household", "grid") looks up "grid" as a field of a household, and
 * NC_ marks one in a table.  ctl_fail and ctl_usage translate their format
 * themselves (`make pot` knows them as keywords): their callers pass the
 * English literal.
 * The catalogue is po/<lang>.po, compiled to <localedir>/<lang>/
 * LC_MESSAGES/linli.mo by `make` (msgfmt), installed by `make install`. */
#ifndef LINLI_CTL_I18N_H
#define LINLI_CTL_I18N_H

#include <libintl.h>

#include "proto/textdomain.h"

#define _(s)        gettext(s)
#define N_(s)       (s)
#define C_(ctx, s)  linli_pgettext(ctx, s)
#define NC_(ctx, s) (s)

/* Sets the locale from the environment (LANG, LC_ALL, LC_MESSAGES) and
 * binds the "linli" text domain (linli_textdomain_bind, proto/textdomain.h).
 * Says on stderr when a Chinese locale is asked for but not installed.
 * Nothing to undo; failures leave English. */
void i18n_init(void);

/* The same in Chinese whatever the locale (help shows the Chinese names
 * beside the English ones): NULL when zh_CN.UTF-8 is not installed or has
 * no translation. */
const char *i18n_zh(const char *ctx, const char *msgid);

/* The locale name of messages ("zh_CN.UTF-8"), what linlictl asks the
 * daemon to answer in; "" for C and POSIX. */
const char *i18n_lang(void);

#endif
