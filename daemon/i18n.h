/*
 * i18n: the daemon's words in the operator's language.
 *
 * linlid runs as a service, usually with no LANG at all; the operator runs
 * linlictl in theirs (zh_CN.UTF-8) and sends its name with each request.
 * While the daemon answers that request, gettext answers in that locale on
 * the daemon's thread (uselocale), so the errors and problems it writes
 * into the reply come out as the operator reads them.  Everything else,
 * the log above all, stays English: admins grep it, and it is the same on
 * every server.  Status names and word values (up, accepted) stay the keys
 * linlictl and scripts read; linlictl labels them itself.
 *
 * Mark a reply's message with _() where it is written, or N_() for a
 * literal translated where it is used; control.c's fail() and
 * add_problem() translate their format themselves.
 */
#ifndef LINLID_I18N_H
#define LINLID_I18N_H

#include <libintl.h>

#include "proto/textdomain.h"

#define _(s)  gettext(s)
#define N_(s) (s)

/* Binds the "linli" text domain ($LINLI_LOCALEDIR, else "locale" beside
 * the binary in a build tree, else the LOCALEDIR it was built with); the
 * process's locale stays C, so English. */
void i18n_bind(void);

/* Until i18n_end, messages in lang ("zh_CN.UTF-8"): one of the locales
 * installed here, else English.  lang comes from a request: anything but
 * a plain locale name is ignored. */
void i18n_begin(const char *lang);
void i18n_end(void);

#endif
