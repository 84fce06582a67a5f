/* Translations of what linlictl says, with GNU gettext (gettext(3)).
 *
 * Wrap every message a person reads in _("..."); a string in a static
 * table that is translated where it is printed is marked N_("...").
 * The catalogue is po/<lang>.po, compiled to <localedir>/<lang>/
 * LC_MESSAGES/linli.mo by `make` (msgfmt), installed by `make install`. */
#ifndef LINLI_CTL_I18N_H
#define LINLI_CTL_I18N_H

#include <libintl.h>

#define LINLI_TEXTDOMAIN "linli"

#define _(s)  gettext(s)
#define N_(s) (s)

/* Sets the locale from the environment (LANG, LC_ALL, LC_MESSAGES) and
 * binds the "linli" text domain to $LINLI_LOCALEDIR when set (a build
 * tree: build/locale), else to the LOCALEDIR the binary was built with.
 * Nothing to undo; failures leave English. */
void i18n_init(void);

#endif
