/*
 * names: the owner codes' names (names.h).
 */
#include "proto/names.h"

#include <string.h>

#include "proto/stats.h"
#include "proto/textdomain.h"

/* Marks a msgid with its context for `make pot` (xgettext -kNC_:1c,2). */
#define NC_(ctx, s) (s)

/* The subdistrict and its ten communities (shared/DOMAIN.md). */
static const struct {
	const char *code, *name;
} owners[] = {
    {"350582006", NC_("community", "Lingyuan")},
    {"350582006001", NC_("community", "Linkou")},
    {"350582006002", NC_("community", "Zhangqian")},
    {"350582006003", NC_("community", "Linge")},
    {"350582006004", NC_("community", "Yingtang")},
    {"350582006005", NC_("community", "Xiaowutang")},
    {"350582006006", NC_("community", "Zenglin")},
    {"350582006007", NC_("community", "Lingshui")},
    {"350582006008", NC_("community", "Dashanhou")},
    {"350582006009", NC_("community", "Dabulin")},
    {"350582006010", NC_("community", "Xiaobulin")},
};

const char *linli_owner_msgid(const char *code)
{
	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
		if (strcmp(owners[i].code, code) == 0)
			return owners[i].name;
	return NULL;
}

const char *linli_owner_name(const char *code)
{
	const char *msgid = linli_owner_msgid(code);
	return msgid != NULL ? linli_pgettext("community", msgid) : NULL;
}

const char *linli_category_label(int category)
{
	const char *name = linli_category_name(category);
	return category > 0 && category < LINLI_CATEGORY_COUNT ? linli_pgettext("category", name)
	                                                       : name;
}
