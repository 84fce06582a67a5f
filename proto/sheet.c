/*
 * sheet: spreadsheets in and out (see sheet.h).
 */
#include "proto/sheet.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proto/linli.pb-c.h"

/* How a column is read besides its type. */
enum {
	FREE = 1,  /* free text: line breaks in a cell are joined by a space */
	PHONE = 2, /* a phone number */
	REF = 4,   /* an id of another record */
	DATE = 8,  /* a date as text (YYYY-MM-DD) */
};

typedef struct {
	linli_kind_t kind;
	const char *field; /* "id": the id column */
	const char *zh;    /* '|' between names; the first is what export writes */
	unsigned how;
} column_t;

/* The headers offices use, per kind.  A name appears once per kind. */
static const column_t columns[] = {
    {LINLI_KIND_SERVICE, "id", "编号|服务编号", REF},
    {LINLI_KIND_SERVICE, "name", "名称|服务名称|服务项目|项目名称", 0},
    {LINLI_KIND_SERVICE, "category", "类别|服务类别|分类|所属类别", 0},
    {LINLI_KIND_SERVICE, "provider", "提供方|服务提供方|提供单位|责任单位|运营单位", 0},
    {LINLI_KIND_SERVICE, "place", "地点|服务地点|场所|服务场所|位置", FREE},
    {LINLI_KIND_SERVICE, "hours", "开放时间|服务时间|时间", FREE},
    {LINLI_KIND_SERVICE, "walk_minutes", "步行分钟|步行时间|步行时长", 0},
    {LINLI_KIND_SERVICE, "status", "状态|服务状态", 0},

    {LINLI_KIND_PARTNER, "id", "编号|单位编号", REF},
    {LINLI_KIND_PARTNER, "name", "名称|单位名称|共建单位", 0},
    {LINLI_KIND_PARTNER, "kind", "类型|单位类型|性质", 0},
    {LINLI_KIND_PARTNER, "items", "认领项目|服务项目|项目|认领服务", 0},

    {LINLI_KIND_GRID, "id", "编号|网格编号", REF},
    {LINLI_KIND_GRID, "name", "名称|网格名称", 0},
    {LINLI_KIND_GRID, "level", "级别|网格级别|层级", 0},
    {LINLI_KIND_GRID, "parent", "上级网格|上级网格编号", REF},
    {LINLI_KIND_GRID, "worker", "网格员|网格员姓名", 0},

    {LINLI_KIND_HOUSEHOLD, "id", "户号|户编号|编号", REF},
    {LINLI_KIND_HOUSEHOLD, "grid", "所属网格|网格|网格编号", REF},
    {LINLI_KIND_HOUSEHOLD, "address", "住址|地址|家庭住址|门牌号|门牌", FREE},
    {LINLI_KIND_HOUSEHOLD, "head_name", "户主姓名|户主|姓名", 0},
    {LINLI_KIND_HOUSEHOLD, "phone", "联系电话|电话|手机|手机号|手机号码|联系方式", PHONE},
    {LINLI_KIND_HOUSEHOLD, "size", "人数|家庭人数|户人数|人口数", 0},
    {LINLI_KIND_HOUSEHOLD, "rented", "是否出租|出租|出租房", 0},
    {LINLI_KIND_HOUSEHOLD, "central", "党员中心户|是否中心户|中心户", 0},
    {LINLI_KIND_HOUSEHOLD, "linked_to", "联系中心户|所联中心户|挂钩中心户|联结中心户", REF},
    {LINLI_KIND_HOUSEHOLD, "registered_at", "登记时间|登记日期", 0},

    {LINLI_KIND_REQUEST, "id", "编号|诉求编号|工单号", REF},
    {LINLI_KIND_REQUEST, "channel", "渠道|诉求渠道|反映渠道|来源", 0},
    {LINLI_KIND_REQUEST, "category", "诉求类别|类别|问题类别|分类", 0},
    {LINLI_KIND_REQUEST, "text", "诉求内容|内容|诉求|问题描述", FREE},
    {LINLI_KIND_REQUEST, "status", "状态|办理状态|处理状态", 0},
    {LINLI_KIND_REQUEST, "opened_at", "受理时间|反映时间|提出时间|登记时间", 0},
    {LINLI_KIND_REQUEST, "resolved_at", "办结时间|解决时间|完成时间", 0},

    {LINLI_KIND_EVENT, "id", "编号|活动编号", REF},
    {LINLI_KIND_EVENT, "name", "名称|活动名称", 0},
    {LINLI_KIND_EVENT, "category", "类别|活动类别|分类", 0},
    {LINLI_KIND_EVENT, "date", "日期|活动日期|举办日期", DATE},
    {LINLI_KIND_EVENT, "partner", "共建单位|合作单位|承办单位", REF},
    {LINLI_KIND_EVENT, "participants", "参与人次|参与人数|参加人数|人数", 0},
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

/* The Chinese names of each choice; the first is what export writes. */
typedef struct {
	const ProtobufCEnumDescriptor *e;
	int value;
	const char *zh;
} choice_t;

static const choice_t choices[] = {
    {&linli__category__descriptor, LINLI__CATEGORY__PARTY_MASS, "党群服务|党群服务中心|党群"},
    {&linli__category__descriptor, LINLI__CATEGORY__CHILDCARE, "幼有所育|育幼|托育"},
    {&linli__category__descriptor, LINLI__CATEGORY__ELDERLY, "老有所养|养老"},
    {&linli__category__descriptor, LINLI__CATEGORY__MEDICAL, "病有所医|医疗|医疗卫生"},
    {&linli__category__descriptor, LINLI__CATEGORY__FOOD_SAFETY, "食有所安|食品安全"},
    {&linli__category__descriptor, LINLI__CATEGORY__LEISURE, "居有所乐|文体|休闲|文化娱乐"},
    {&linli__category__descriptor, LINLI__CATEGORY__AFFAIRS, "事有所办|办事|政务服务"},
    {&linli__category__descriptor, LINLI__CATEGORY__SPECIAL, "特色服务|特色"},
    {&linli__service__status__descriptor, LINLI__SERVICE__STATUS__OPEN, "开放|正常|运营"},
    {&linli__service__status__descriptor, LINLI__SERVICE__STATUS__PAUSED, "暂停|暂停服务"},
    {&linli__service__status__descriptor, LINLI__SERVICE__STATUS__CLOSED, "关闭|停用|已关闭"},
    {&linli__request__channel__descriptor, LINLI__REQUEST__CHANNEL__GRID_CHAT,
     "网格群|网格微信群|微信群"},
    {&linli__request__channel__descriptor, LINLI__REQUEST__CHANNEL__SUGGESTION_BOX,
     "意见箱|建议箱"},
    {&linli__request__channel__descriptor, LINLI__REQUEST__CHANNEL__MESSAGE_BOARD,
     "留言板|网上留言板|在线留言"},
    {&linli__request__channel__descriptor, LINLI__REQUEST__CHANNEL__MINI_PROGRAM,
     "监督小程序|小程序"},
    {&linli__request__channel__descriptor, LINLI__REQUEST__CHANNEL__HOTLINE,
     "预约热线|热线|热线电话"},
    {&linli__request__channel__descriptor, LINLI__REQUEST__CHANNEL__DUTY_ROOM,
     "轮值室|值班室|轮值值班室"},
    {&linli__request__status__descriptor, LINLI__REQUEST__STATUS__OPEN,
     "待办|未办结|办理中|处理中"},
    {&linli__request__status__descriptor, LINLI__REQUEST__STATUS__RESOLVED,
     "已办结|办结|已解决|已完成"},
};
#define NCHOICES (sizeof(choices) / sizeof(choices[0]))

static const char *const yes_zh = "是|有|√";
static const char *const no_zh = "否|无|×";

/* --- helpers --- */

static const ProtobufCMessageDescriptor *body_desc(linli_kind_t kind)
{
	if (kind <= LINLI_KIND_NONE || kind >= LINLI_KIND_COUNT)
		return NULL;
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field(&linli__record__descriptor, (unsigned)kind + 1);
	return f ? f->descriptor : NULL;
}

static const ProtobufCFieldDescriptor *field_desc(linli_kind_t kind, int field)
{
	const ProtobufCMessageDescriptor *d = body_desc(kind);
	return d && field >= 0 && (unsigned)field < d->n_fields ? &d->fields[field] : NULL;
}

static const column_t *column_of(linli_kind_t kind, int field)
{
	const char *name = field == SHEET_ID_COLUMN ? "id" : linli_field_name(kind, (size_t)field);
	for (size_t i = 0; name != NULL && i < NCOLUMNS; i++)
		if (columns[i].kind == kind && strcmp(columns[i].field, name) == 0)
			return &columns[i];
	return NULL;
}

/* Whether name is one of the '|'-separated names. */
static bool among(const char *names, const char *name, size_t len)
{
	for (const char *p = names; *p;) {
		const char *end = strchr(p, '|');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && memcmp(p, name, n) == 0)
			return true;
		p += n + (end != NULL);
	}
	return false;
}

/* The first of '|'-separated names, into buf. */
static const char *first_name(const char *names, char *buf, size_t len)
{
	size_t n = strcspn(names, "|");
	if (n >= len)
		n = len - 1;
	memcpy(buf, names, n);
	buf[n] = '\0';
	return buf;
}

/* Bytes of a space at s: ASCII blanks, U+00A0 and U+3000 (full width). */
static size_t space_at(const char *s)
{
	if (*s == ' ' || *s == '\t')
		return 1;
	if (strncmp(s, "\xC2\xA0", 2) == 0)
		return 2;
	if (strncmp(s, "\xE3\x80\x80", 3) == 0)
		return 3;
	return 0;
}

/* s without spaces at either end: *start and its length. */
static size_t trim(const char *s, const char **start)
{
	size_t n = strlen(s), k;
	while ((k = space_at(s)) > 0)
		s += k, n -= k;
	while (n > 0) {
		if (s[n - 1] == ' ' || s[n - 1] == '\t')
			n--;
		else if (n >= 2 && memcmp(s + n - 2, "\xC2\xA0", 2) == 0)
			n -= 2;
		else if (n >= 3 && memcmp(s + n - 3, "\xE3\x80\x80", 3) == 0)
			n -= 3;
		else
			break;
	}
	*start = s;
	return n;
}

static bool ends_with(const char *s, size_t n, const char *tail)
{
	size_t t = strlen(tail);
	return n >= t && memcmp(s + n - t, tail, t) == 0;
}

/* --- headers --- */

int sheet_column(linli_kind_t kind, const char *header)
{
	char name[128];
	const char *s;
	size_t n = trim(header, &s);
	/* A required column's mark, and a unit at the end: *人数(人) */
	if (n > 0 && s[0] == '*')
		s++, n--;
	else if (n >= 3 && strncmp(s, "＊", 3) == 0)
		s += 3, n -= 3;
	if (n > 0 && (s[n - 1] == ')' || ends_with(s, n, "）"))) {
		for (size_t i = 0; i < n; i++)
			if (s[i] == '(' || strncmp(s + i, "（", 3) == 0) {
				n = i;
				break;
			}
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(name))
		return SHEET_UNKNOWN;
	/* English: any case, '-' or ' ' for '_'. */
	for (size_t i = 0; i < n; i++)
		name[i] = s[i] == '-' || s[i] == ' ' ? '_' : (char)tolower((unsigned char)s[i]);
	name[n] = '\0';
	if (strcmp(name, "id") == 0)
		return SHEET_ID_COLUMN;
	int idx = linli_field_index(kind, name);
	if (idx >= 0)
		return idx;
	for (size_t i = 0; i < NCOLUMNS; i++) {
		if (columns[i].kind != kind || !among(columns[i].zh, s, n))
			continue;
		if (strcmp(columns[i].field, "id") == 0)
			return SHEET_ID_COLUMN;
		idx = linli_field_index(kind, columns[i].field);
		return idx >= 0 ? idx : SHEET_UNKNOWN;
	}
	return SHEET_UNKNOWN;
}

const char *sheet_header(linli_kind_t kind, int field, bool zh)
{
	static char buf[64];
	const column_t *c = column_of(kind, field);
	if (zh && c != NULL)
		return first_name(c->zh, buf, sizeof(buf));
	return field == SHEET_ID_COLUMN ? "id" : linli_field_name(kind, (size_t)field);
}

/* --- dates --- */

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Reads 1..max digits at *p; -1 if there are none. */
static int digits(const char **p, int max)
{
	int v = 0, n = 0;
	while (n < max && isdigit((unsigned char)**p)) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n ? v : -1;
}

static bool eat(const char **p, const char *word)
{
	size_t n = strlen(word);
	if (strncmp(*p, word, n) != 0)
		return false;
	*p += n;
	return true;
}

/* "2025-11-3", "2025/11/03", "2025.11.3" or "2025年11月3日", then
 * optionally (a space, 'T' or nothing after 日) "9:10[:05]" or
 * "9时10分[5秒]"; *has_time says whether a time was given. */
static int parse_date(const char *s, int *ymd, int *hms, bool *has_time)
{
	const char *p = s;
	int y = digits(&p, 4);
	if (y < 1000 || p - s != 4)
		return -1;
	bool zh = false;
	char sep = *p;
	if (sep == '-' || sep == '/' || sep == '.')
		p++;
	else if (eat(&p, "年"))
		zh = true;
	else
		return -1;
	int m = digits(&p, 2);
	if (m < 0 || (zh ? !eat(&p, "月") : *p++ != sep))
		return -1;
	int d = digits(&p, 2);
	if (d < 0 || (zh && !eat(&p, "日") && !eat(&p, "号")))
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > month_days(y, m))
		return -1;
	ymd[0] = y, ymd[1] = m, ymd[2] = d;
	hms[0] = hms[1] = hms[2] = 0;
	*has_time = false;
	while (*p == ' ' || *p == 'T')
		p++;
	if (*p == '\0')
		return 0;
	int h = digits(&p, 2), mi, sec = 0;
	if (h < 0)
		return -1;
	if (*p == ':') {
		p++;
		if ((mi = digits(&p, 2)) < 0)
			return -1;
		if (*p == ':') {
			p++;
			if ((sec = digits(&p, 2)) < 0)
				return -1;
		}
	} else if (eat(&p, "时") || eat(&p, "点")) {
		mi = *p ? digits(&p, 2) : 0;
		if (mi < 0 || (*p && !eat(&p, "分")))
			return -1;
		if (*p) {
			if ((sec = digits(&p, 2)) < 0 || !eat(&p, "秒"))
				return -1;
		}
	} else {
		return -1;
	}
	if (*p == 'Z')
		p++; /* UTC, as linli wrote times once */
	if (*p != '\0' || h > 23 || mi > 59 || sec > 59)
		return -1;
	hms[0] = h, hms[1] = mi, hms[2] = sec;
	*has_time = true;
	return 0;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* A number as Excel shows a date it takes for a number: days, maybe with
 * a fraction of a day ("45964", "45964.375"). */
static bool excel_serial(const char *s)
{
	size_t n = strcspn(s, ".");
	if (n == 0 || n > 6 || !all_digits(s, n))
		return false;
	return s[n] == '\0' || (s[n + 1] != '\0' && all_digits(s + n + 1, strlen(s + n + 1)));
}

void sheet_serial_date(const char *cell, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!excel_serial(cell))
		return;
	/* Day 1 is 1900-01-01 and Excel counts a 29 February 1900 that never
	 * was, so from day 61 on the days count from 1899-12-30. */
	long days = strtol(cell, NULL, 10);
	if (days < 61)
		return;
	int y = 1899, m = 12, d = 30;
	days += d;
	while (days > month_days(y, m)) {
		days -= month_days(y, m);
		if (++m == 13)
			m = 1, y++;
	}
	snprintf(buf, len, "%04d-%02d-%02d", y, m, (int)days);
}

/* A date (DATE) or a time field (*_at, unix seconds in the record). */
static sheet_problem_t date_cell(const char *s, bool time, char *out, size_t outlen)
{
	int ymd[3], hms[3];
	bool has_time;
	size_t n = strlen(s);
	if (excel_serial(s))
		return SHEET_EXCEL_SERIAL;
	if (n == 8 && all_digits(s, n))
		return SHEET_DIGITS8;
	if (all_digits(s, n)) {
		/* Unix seconds, as linli wrote them before it wrote dates. */
		if (!time || n < 9)
			return SHEET_BAD_DATE;
		snprintf(out, outlen, "%s", s);
		return SHEET_OK;
	}
	if (parse_date(s, ymd, hms, &has_time) != 0)
		return SHEET_BAD_DATE;
	if (!time) {
		/* A date cell Excel shows with a time: midnight only. */
		if (hms[0] || hms[1] || hms[2])
			return SHEET_BAD_DATE;
		snprintf(out, outlen, "%04d-%02d-%02d", ymd[0], ymd[1], ymd[2]);
	} else {
		snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d:%02d", ymd[0], ymd[1], ymd[2],
		         hms[0], hms[1], hms[2]);
	}
	return SHEET_OK;
}

/* --- other cells --- */

/* 1.38E+10, 1.3800000001e10: what Excel shows of a long number. */
static bool scientific(const char *s)
{
	const char *p = s;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	if (*p != 'E' && *p != 'e')
		return false;
	p++;
	if (*p == '+' || *p == '-')
		p++;
	return all_digits(p, strlen(p));
}

/* Mobile: 1[3-9] and 9 more digits.  Landline: 0, an area code (010 and
 * 02X take 3 digits, the others 4) and 7 or 8 digits, written AREA-NUMBER;
 * or the 7 or 8 digits alone. */
static sheet_problem_t phone_cell(const char *s, char *out, size_t outlen)
{
	char d[32];
	size_t n = 0;
	if (scientific(s))
		return SHEET_SCIENTIFIC;
	for (const char *p = s; *p;) {
		size_t k = space_at(p);
		if (k == 0 && (*p == '-' || *p == '(' || *p == ')'))
			k = 1;
		else if (k == 0 && (strncmp(p, "（", 3) == 0 || strncmp(p, "）", 3) == 0 ||
		                    strncmp(p, "－", 3) == 0))
			k = 3;
		if (k > 0) {
			p += k;
			continue;
		}
		if (n == 0 && *p == '+') {
			d[n++] = *p++;
			continue;
		}
		if (!isdigit((unsigned char)*p) || n + 1 >= sizeof(d))
			return SHEET_BAD_PHONE;
		d[n++] = *p++;
	}
	d[n] = '\0';
	const char *num = d;
	if (strncmp(num, "+86", 3) == 0)
		num += 3;
	else if (strncmp(num, "0086", 4) == 0)
		num += 4;
	else if (strncmp(num, "86", 2) == 0 && strlen(num) == 13)
		num += 2;
	n = strlen(num);
	if (num[0] == '+' || n == 0)
		return SHEET_BAD_PHONE;
	if (n == 11 && num[0] == '1' && num[1] >= '3' && num[1] <= '9') {
		snprintf(out, outlen, "%s", num);
		return SHEET_OK;
	}
	if (num[0] == '0') {
		size_t area = num[1] == '1' || num[1] == '2' ? 3 : 4;
		if (n < area + 7 || n > area + 8 || num[1] == '0')
			return SHEET_BAD_PHONE;
		snprintf(out, outlen, "%.*s-%s", (int)area, num, num + area);
		return SHEET_OK;
	}
	if ((n == 7 || n == 8) && num[0] != '1') {
		snprintf(out, outlen, "%s", num);
		return SHEET_OK;
	}
	return SHEET_BAD_PHONE;
}

/* A whole number, maybe with thousands separators, ".0" or a unit. */
static sheet_problem_t number_cell(linli_kind_t kind, const char *field, const char *s, char *out,
                                   size_t outlen)
{
	static const char *const units[] = {"人", "分钟", "户", "个", "级"};
	size_t n = strlen(s), o = 0;
	if (kind == LINLI_KIND_GRID && strcmp(field, "level") == 0) {
		if (strcmp(s, "一级") == 0 || strcmp(s, "一") == 0)
			s = "1", n = 1;
		else if (strcmp(s, "二级") == 0 || strcmp(s, "二") == 0)
			s = "2", n = 1;
	}
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
		if (ends_with(s, n, units[u])) {
			n -= strlen(units[u]);
			break;
		}
	if (n >= 2 && s[n - 2] == '.' && s[n - 1] == '0')
		n -= 2;
	if (scientific(s))
		return SHEET_SCIENTIFIC;
	for (size_t i = 0; i < n; i++) {
		/* 1,234: a comma after a digit with three digits after it. */
		if (s[i] == ',' && o > 0 && i + 3 < n && all_digits(s + i + 1, 3) &&
		    (i + 4 == n || s[i + 4] == ','))
			continue;
		if (!isdigit((unsigned char)s[i]) || o + 1 >= outlen)
			return SHEET_BAD_NUMBER;
		out[o++] = s[i];
	}
	out[o] = '\0';
	return o > 0 ? SHEET_OK : SHEET_BAD_NUMBER;
}

static sheet_problem_t yesno_cell(const char *s, char *out, size_t outlen)
{
	static const char *const yes[] = {"yes", "true", "1", "y"};
	static const char *const no[] = {"no", "false", "0", "n"};
	size_t n = strlen(s);
	bool y = among(yes_zh, s, n), f = among(no_zh, s, n);
	for (size_t i = 0; i < 4; i++) {
		y = y || strcasecmp(s, yes[i]) == 0;
		f = f || strcasecmp(s, no[i]) == 0;
	}
	if (!y && !f)
		return SHEET_BAD_YESNO;
	snprintf(out, outlen, "%s", y ? "yes" : "no");
	return SHEET_OK;
}

/* The text form of an enum value: "food-safety". */
static void choice_name(const ProtobufCEnumValue *v, char *buf, size_t len)
{
	size_t j = 0;
	for (; v->name[j] && j + 1 < len; j++)
		buf[j] = (char)tolower((unsigned char)(v->name[j] == '_' ? '-' : v->name[j]));
	buf[j] = '\0';
}

static sheet_problem_t choice_cell(const ProtobufCEnumDescriptor *e, const char *s, char *out,
                                   size_t outlen)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < NCHOICES; i++)
		if (choices[i].e == e && among(choices[i].zh, s, n)) {
			const ProtobufCEnumValue *v =
			    protobuf_c_enum_descriptor_get_value(e, choices[i].value);
			if (v == NULL)
				break;
			choice_name(v, out, outlen);
			return SHEET_OK;
		}
	/* The English names as record.c reads them. */
	char norm[64];
	if (n == 0 || n >= sizeof(norm))
		return SHEET_BAD_CHOICE;
	for (size_t i = 0; i <= n; i++)
		norm[i] = s[i] == '-' ? '_' : (char)toupper((unsigned char)s[i]);
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(e, norm);
	if (v == NULL || v->value == 0)
		return SHEET_BAD_CHOICE;
	snprintf(out, outlen, "%s", s);
	return SHEET_OK;
}

/* A line break at p: its length (CRLF, LF or CR), else 0. */
static size_t break_at(const char *p)
{
	if (p[0] == '\r')
		return p[1] == '\n' ? 2 : 1;
	return p[0] == '\n' ? 1 : 0;
}

/* Items: split at ';' if the cell has one, else at '；', else at '、'
 * (an item may hold the others); line breaks always split. */
static void items_cell(const char *s, char *out, size_t outlen)
{
	const char *sep = strchr(s, ';') ? ";" : strstr(s, "；") ? "；" : "、";
	size_t seplen = strlen(sep), o = 0;
	for (const char *p = s; *p && o + 1 < outlen;) {
		size_t k = break_at(p);
		if (k == 0 && strncmp(p, sep, seplen) == 0)
			k = seplen;
		if (k > 0) {
			out[o++] = ';';
			p += k;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

/* Free text: each line break, with the spaces around it, becomes one
 * space (a record's text holds no line breaks). */
static void join_lines(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	for (const char *p = s; *p && o + 1 < outlen;) {
		if (break_at(p) == 0) {
			out[o++] = *p++;
			continue;
		}
		while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
			o--;
		for (size_t k; (k = break_at(p)) > 0 || (k = space_at(p)) > 0;)
			p += k;
		out[o++] = ' ';
	}
	out[o] = '\0';
}

/* The problem a cell of field f has when it is too long to be its type. */
static sheet_problem_t too_long(const ProtobufCFieldDescriptor *f, unsigned how)
{
	if (how & PHONE)
		return SHEET_BAD_PHONE;
	if (how & DATE)
		return SHEET_BAD_DATE;
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_UINT32:
		return SHEET_BAD_NUMBER;
	case PROTOBUF_C_TYPE_BOOL:
		return SHEET_BAD_YESNO;
	case PROTOBUF_C_TYPE_ENUM:
		return SHEET_BAD_CHOICE;
	default:
		return SHEET_OK;
	}
}

sheet_problem_t sheet_cell(linli_kind_t kind, int field, const char *cell, char *out, size_t outlen)
{
	const column_t *c = column_of(kind, field);
	const ProtobufCFieldDescriptor *f = field_desc(kind, field);
	unsigned how = c ? c->how : 0;
	const char *s;
	size_t n = trim(cell, &s);
	if (outlen < n + SHEET_CELL_GROWTH)
		return SHEET_BAD_NUMBER; /* the caller's buffer is too small */
	/* The trimmed cell; what follows rewrites it in place (never longer)
	 * or reads a copy of it. */
	/* ="0595..." : Excel's text, as export for Excel writes digits. */
	if (n >= 3 && s[0] == '=' && s[1] == '"' && s[n - 1] == '"' &&
	    memchr(s + 2, '"', n - 3) == NULL)
		s += 2, n -= 3;
	memmove(out, s, n);
	out[n] = '\0';
	if (n == 0)
		return SHEET_OK;
	bool breaks = strpbrk(out, "\r\n") != NULL;
	if (f != NULL && f->label == PROTOBUF_C_LABEL_REPEATED) {
		items_cell(out, out, n + 1);
		return SHEET_OK;
	}
	if (breaks && !(how & FREE))
		return SHEET_LINE_BREAK;
	if (breaks) {
		join_lines(out, out, n + 1);
		return SHEET_OK;
	}
	if (field == SHEET_ID_COLUMN || (how & REF))
		return scientific(out) ? SHEET_SCIENTIFIC : SHEET_OK;
	if (f == NULL)
		return SHEET_OK;
	char copy[128];
	if (n >= sizeof(copy))
		return too_long(f, how);
	memcpy(copy, out, n + 1);
	if (how & PHONE)
		return phone_cell(copy, out, outlen);
	if (how & DATE)
		return date_cell(copy, false, out, outlen);
	switch (f->type) {
	case PROTOBUF_C_TYPE_UINT64: {
		size_t len = strlen(f->name);
		if (len > 3 && strcmp(f->name + len - 3, "_at") == 0)
			return date_cell(copy, true, out, outlen);
		return number_cell(kind, f->name, copy, out, outlen);
	}
	case PROTOBUF_C_TYPE_UINT32:
		return number_cell(kind, f->name, copy, out, outlen);
	case PROTOBUF_C_TYPE_BOOL:
		return yesno_cell(copy, out, outlen);
	case PROTOBUF_C_TYPE_ENUM:
		return choice_cell(f->descriptor, copy, out, outlen);
	default:
		return SHEET_OK;
	}
}

/* --- export --- */

size_t sheet_value(const linli_record_t *rec, size_t i, bool zh, char *buf, size_t len)
{
	linli_kind_t kind = linli_record_kind(rec);
	const ProtobufCFieldDescriptor *f = field_desc(kind, (int)i);
	size_t n = linli_record_get(rec, i, buf, len);
	if (f == NULL || n == 0)
		return n;
	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		/* One item that import would cut at its ； or 、. */
		if (strchr(buf, ';') == NULL && (strstr(buf, "；") || strstr(buf, "、")) &&
		    n + 2 <= len) {
			buf[n++] = ';';
			buf[n] = '\0';
		}
		return n;
	}
	if (!zh)
		return n;
	const char *names = NULL;
	if (f->type == PROTOBUF_C_TYPE_BOOL) {
		names = strcmp(buf, "yes") == 0 ? yes_zh : no_zh;
	} else if (f->type == PROTOBUF_C_TYPE_ENUM) {
		/* The choice whose name linli_record_get wrote. */
		char name[64];
		for (size_t k = 0; k < NCHOICES && names == NULL; k++) {
			const ProtobufCEnumValue *v = choices[k].e == f->descriptor
			                                  ? protobuf_c_enum_descriptor_get_value(
			                                        f->descriptor, choices[k].value)
			                                  : NULL;
			if (v != NULL &&
			    (choice_name(v, name, sizeof(name)), strcmp(name, buf) == 0))
				names = choices[k].zh;
		}
	}
	if (names == NULL)
		return n;
	first_name(names, buf, len);
	return strlen(buf);
}

bool sheet_excel_number(const char *cell)
{
	size_t n = strlen(cell);
	return all_digits(cell, n) && (n >= 11 || (n > 1 && cell[0] == '0'));
}

void sheet_choices(linli_kind_t kind, size_t field, char *buf, size_t len)
{
	const ProtobufCFieldDescriptor *f = field_desc(kind, (int)field);
	size_t off = 0;
	char name[64], zh[64];
	buf[0] = '\0';
	if (f == NULL)
		return;
	if (f->type == PROTOBUF_C_TYPE_BOOL) {
		snprintf(buf, len, "yes %s, no %s", first_name(yes_zh, zh, sizeof(zh)),
		         first_name(no_zh, name, sizeof(name)));
		return;
	}
	if (f->type != PROTOBUF_C_TYPE_ENUM)
		return;
	const ProtobufCEnumDescriptor *e = f->descriptor;
	for (unsigned k = 0; k < e->n_values && off < len; k++) {
		if (e->values[k].value == 0)
			continue;
		choice_name(&e->values[k], name, sizeof(name));
		zh[0] = '\0';
		for (size_t c = 0; c < NCHOICES; c++)
			if (choices[c].e == e && choices[c].value == e->values[k].value)
				first_name(choices[c].zh, zh, sizeof(zh));
		off += (size_t)snprintf(buf + off, len - off, "%s%s%s%s", off ? ", " : "", name,
		                        zh[0] ? " " : "", zh);
	}
}

/* --- encodings --- */

bool sheet_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			p++;
			continue;
		}
		if ((c & 0xE0) == 0xC0)
			n = 2, cp = c & 0x1F;
		else if ((c & 0xF0) == 0xE0)
			n = 3, cp = c & 0x0F;
		else if ((c & 0xF8) == 0xF0)
			n = 4, cp = c & 0x07;
		else
			goto bad;
		if ((size_t)(end - p) < n)
			goto bad;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto bad;
		p += n;
	}
	return true;
bad:
	if (bad_offset != NULL)
		*bad_offset = (size_t)(p - (const unsigned char *)s);
	return false;
}

static size_t line_of(const char *data, size_t off)
{
	size_t line = 1;
	for (size_t i = 0; i < off; i++)
		line += data[i] == '\n';
	return line;
}

/* Converts with cd; the output is dropped when out is NULL (a trial). */
static int convert(iconv_t cd, const char *data, size_t len, char **out, size_t *outlen,
                   size_t *bad_line)
{
	/* GB18030 to UTF-8 takes at most 1.5 times the bytes; other encodings
	 * may take more, and the buffer grows. */
	size_t cap = out ? len + len / 2 + 16 : 64 * 1024, used = 0;
	char *buf = malloc(cap + 1), *in = (char *)data;
	size_t inleft = len;
	if (buf == NULL)
		return -3;
	for (;;) {
		char *o = buf + used;
		size_t oleft = cap - used;
		size_t r = iconv(cd, &in, &inleft, &o, &oleft);
		used = out ? (size_t)(o - buf) : 0;
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			if (out == NULL)
				continue; /* a trial: the output is not kept */
			char *grown = cap < SIZE_MAX / 4 ? realloc(buf, cap * 2 + 1) : NULL;
			if (grown == NULL) {
				free(buf);
				return -3;
			}
			buf = grown;
			cap *= 2;
			continue;
		}
		if (bad_line != NULL)
			*bad_line = line_of(data, (size_t)(in - data));
		free(buf);
		return -2;
	}
	if (out == NULL) {
		free(buf);
		return 0;
	}
	buf[used] = '\0';
	*out = buf;
	*outlen = used;
	return 0;
}

static const char *iconv_name(const char *encoding)
{
	static const char *const gb[] = {"gbk", "gb2312", "cp936", "gb18030", "gb-18030", "936"};
	for (size_t i = 0; i < sizeof(gb) / sizeof(gb[0]); i++)
		if (strcasecmp(encoding, gb[i]) == 0)
			return "GB18030";
	return encoding;
}

int sheet_convert(const char *encoding, const char *data, size_t len, char **out, size_t *outlen,
                  size_t *bad_line)
{
	iconv_t cd = iconv_open("UTF-8", iconv_name(encoding));
	if (cd == (iconv_t)-1)
		return -1;
	int rc = convert(cd, data, len, out, outlen, bad_line);
	iconv_close(cd);
	return rc;
}

sheet_encoding_t sheet_detect(const char *data, size_t len, size_t *bad_line)
{
	size_t off;
	if (bad_line != NULL)
		*bad_line = 0;
	if (len >= 2 &&
	    ((data[0] == '\xFF' && data[1] == '\xFE') || (data[0] == '\xFE' && data[1] == '\xFF')))
		return SHEET_ENC_UTF16;
	if (sheet_utf8_valid(data, len, &off))
		return SHEET_ENC_UTF8;
	if (bad_line != NULL)
		*bad_line = line_of(data, off);
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	if (cd == (iconv_t)-1)
		return SHEET_ENC_UNKNOWN;
	int rc = convert(cd, data, len, NULL, NULL, NULL);
	iconv_close(cd);
	return rc == 0 ? SHEET_ENC_GBK : SHEET_ENC_UNKNOWN;
}
