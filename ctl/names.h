/*
 * names: what linlictl shows for codes and the schema's words, in the
 * operator's language (gettext, i18n.h): communities under their Chinese
 * names, record kinds, fields and their choices (党群服务, 网格群, 是),
 * the names and word values of status lines.  JSON keeps the codes and
 * canonical words; only text for people goes through here.
 *
 * A field, choice or status line added to linli needs its entry in the
 * tables of names.c (and po/zh_CN.po); without one it shows as it is.
 */
#ifndef LINLICTL_NAMES_H
#define LINLICTL_NAMES_H

#include "proto/record.h"

/* An owner as shown: the Chinese name of one of the ten communities or the
 * subdistrict in a Chinese locale; else name (the trust file's), or the
 * code when name is empty. */
const char *names_owner(const char *code, const char *name);

/* "service" ... in the operator's language. */
const char *names_kind(linli_kind_t kind);
/* Field field ("id" included) of kind in the operator's language, and in
 * Chinese whatever the locale (NULL without one). */
const char *names_field(linli_kind_t kind, const char *field);
const char *names_field_zh(linli_kind_t kind, const char *field);
/* What help says of a field beyond its type ("required"), or NULL. */
const char *names_field_note(linli_kind_t kind, const char *field);

/* value (canonical: "elderly", "yes") of a choice or yes/no field as
 * shown, and in Chinese whatever the locale (NULL without one); any other
 * value as it is. */
const char *names_value(linli_kind_t kind, const char *field, const char *value);
const char *names_value_zh(linli_kind_t kind, const char *field, const char *value);
/* The canonical value of a choice or yes/no field given by its shown or
 * Chinese name (老有所养 -> elderly); value itself otherwise. */
const char *names_value_parse(linli_kind_t kind, const char *field, const char *value);

/* What field i of kind takes, in the operator's language: "one of:
 * party-mass 党群服务, childcare 幼有所育, ..." for a choice or yes/no
 * field (both names), else its type ("a number"). */
void names_field_values(linli_kind_t kind, size_t i, char *buf, size_t len);

/* The label of a status line "name=value", and its value when it is a word
 * linlictl knows (up, accepted, never; a trust list's current, revoked). */
const char *names_status(const char *name);
const char *names_status_value(const char *value);

#endif
