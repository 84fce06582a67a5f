/* The "linli" gettext text domain, bound for linlictl and linlid alike
 * (bindtextdomain(3)).  The catalogues are po/LANG.po compiled to
 * DIR/LANG/LC_MESSAGES/linli.mo. */
#ifndef LINLI_TEXTDOMAIN_H
#define LINLI_TEXTDOMAIN_H

#define LINLI_TEXTDOMAIN "linli"

/* Binds the domain, in UTF-8, and makes it the default, to the first of:
 * $LINLI_LOCALEDIR; "locale" beside the running binary (a build tree:
 * build/linlictl and build/locale, so a binary run where make built it
 * speaks the operator's language before `make install`); LOCALEDIR, where
 * `make install` put the catalogues.  Nothing to undo; a failure leaves
 * English. */
void linli_textdomain_bind(void);

/* msgid in context ctx (gettext's msgctxt), translated in the current
 * locale; msgid itself when there is none (or ctx and msgid together are
 * over 254 bytes).  The text is gettext's or msgid: never to be freed. */
const char *linli_pgettext(const char *ctx, const char *msgid);

#endif
