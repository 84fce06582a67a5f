/*
 * names: the names people read for the subdistrict's owner codes, one
 * table for linlictl (ctl/names.c) and linlid's pages (daemon/web.c).
 * The English name is the msgid in context "community" of the "linli"
 * catalogue (po/), the Chinese one its translation; which one a call
 * gives follows the calling thread's locale (gettext, uselocale).
 */
#ifndef LINLI_NAMES_H
#define LINLI_NAMES_H

/* The English name of code, the subdistrict or one of its ten
 * communities ("Zenglin"); NULL for any other code.  Static. */
const char *linli_owner_msgid(const char *code);

/* The name of code in the current locale's language (曾林 under
 * zh_CN.UTF-8, Zenglin under C); NULL for a code not in the table.
 * Static or the catalogue's: never to be freed. */
const char *linli_owner_name(const char *code);

/* Category k (1..8, proto/stats.h linli_category_name) in the current
 * locale's language (老有所养, or "elderly"); "none" outside 1..8. */
const char *linli_category_label(int category);

#endif
