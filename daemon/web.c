/*
 * web: the pages (web.h).
 *
 * Each page is written to a memory stream while the thread's locale is
 * the page's language (uselocale with a locale made once in web_init), so
 * gettext gives the words of that language on this thread alone: the
 * HTTP server's threads answer in Chinese and English at the same time.
 *
 * What a page shows comes from statsview (aggregates) and, for a
 * community, from the public kinds of its records; each figure a test
 * compares carries data-owner and data-k (and data-v when the text is
 * not the plain number), so a test reads the DOM against the JSON.
 */
#include "daemon/web.h"

#include <inttypes.h>
#include <libintl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/chart.h"
#include "daemon/html.h"
#include "daemon/log.h"
#include "proto/names.h"
#include "proto/record.h"
#include "proto/stats.h"
#include "proto/textdomain.h"

#define _(s)        gettext(s)
#define N_(s)       (s)
#define C_(ctx, s)  linli_pgettext(ctx, s)
#define NC_(ctx, s) (s)

#define ROWS_MAX     500 /* records of one kind on a community page */
#define TREND_MONTHS 24
#define CATS         (LINLI_CATEGORY_COUNT - 1) /* 1..8 */

static locale_t loc_zh = (locale_t)0, loc_en = (locale_t)0;

typedef enum { LANG_ZH, LANG_EN } lang_t;

/* One page being written. */
typedef struct {
	FILE *out;
	lang_t lang;
	const char *lang_q; /* "lang=en" when the language came from the link, else NULL */
	const web_req_t *q;
} page_t;

/* The pages' one style sheet, inline (http.c's CSP allows inline style). */
static const char style[] =
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"WenQuanYi Micro "
    "Hei\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;margin:0;color:#1a202c;"
    "background:#f7fafc}"
    "header{background:#9b2c2c;color:#fff;padding:.6em 1.2em;display:flex;flex-wrap:wrap;"
    "align-items:baseline;gap:1.5em}header h1{font-size:1.3em;margin:0}"
    "header a{color:#fff}nav a{margin-right:1em}"
    "main{padding:.5em 1.2em}section{background:#fff;border:1px solid #e2e8f0;"
    "border-radius:4px;padding:.4em .9em;margin:.8em 0}h2{font-size:1.1em}"
    "table{border-collapse:collapse;font-size:.9em}th,td{border-bottom:1px solid #e2e8f0;"
    "padding:.2em "
    ".6em;text-align:right}th:first-child,td.l{text-align:left}td.l,th{white-space:nowrap}"
    "tr.total td{font-weight:bold;border-top:2px solid #718096}"
    "td.miss{background:#fed7d7;color:#9b2c2c;text-align:center}"
    ".up{color:#276749}.down{color:#9b2c2c;font-weight:bold}.prob{color:#9b2c2c}"
    ".row{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}"
    ".wide{overflow-x:auto}.note{color:#4a5568;font-size:.85em}"
    "svg text{font-size:11px;fill:#2d3748}svg .lg{font-size:11px}"
    "svg .ax{stroke:#a0aec0}svg .ring{fill:none;stroke:#cbd5e0}"
    "svg .ring.r15{stroke:#2b6cb0;stroke-width:2;fill:#ebf8ff}"
    "svg .sec{stroke:#e2e8f0}svg .rl{font-size:10px;fill:#4a5568}"
    "footer{color:#718096;font-size:.8em;padding:1em 1.2em}";

int web_init(char *err, size_t errlen)
{
	linli_textdomain_bind();
	loc_en = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	if (loc_en == (locale_t)0) {
		snprintf(err, errlen, "web: cannot make the C locale for the English pages");
		return -1;
	}
	/* LC_MESSAGES picks the catalogue; the rest stays C ('.' in numbers). */
	loc_zh = newlocale(LC_MESSAGES_MASK | LC_CTYPE_MASK, "zh_CN.UTF-8", (locale_t)0);
	if (loc_zh == (locale_t)0)
		log_warn(
		    "web: the zh_CN.UTF-8 locale is not installed, so the pages are in English "
		    "only; install Debian's locales-all (or: apt-get install locales; add "
		    "'zh_CN.UTF-8 UTF-8' to /etc/locale.gen; locale-gen) and restart linlid");
	return 0;
}

void web_fini(void)
{
	if (loc_zh != (locale_t)0)
		freelocale(loc_zh);
	if (loc_en != (locale_t)0)
		freelocale(loc_en);
	loc_zh = loc_en = (locale_t)0;
}

/* --- language ----------------------------------------------------------- */

/* The q of "zh" or "en" (prim) in an Accept-Language value (RFC 9110,
 * 12.5.4): the highest q of a range that matches it ("zh", "zh-CN"), else
 * that of "*", else 0.  A q that does not parse counts as 1. */
static unsigned accept_q(const char *accept, const char *prim)
{
	int best = -1, star = -1;
	size_t plen = strlen(prim);
	const char *p = accept;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		size_t tlen = strcspn(p, ";, \t");
		const char *tag = p;
		p += tlen;
		unsigned q = 1000;
		/* parameters up to the next comma */
		const char *end = p + strcspn(p, ",");
		for (const char *s = p; s < end; s++) {
			if ((s[0] != 'q' && s[0] != 'Q') || s[1] != '=')
				continue;
			s += 2;
			if (*s == '0') {
				q = 0;
				if (s[1] == '.')
					for (int k = 0, mul = 100;
					     k < 3 && s[2 + k] >= '0' && s[2 + k] <= '9';
					     k++, mul /= 10)
						q += (unsigned)(s[2 + k] - '0') * (unsigned)mul;
			}
			break;
		}
		p = end;
		if (tlen == 1 && tag[0] == '*')
			star = (int)q > star ? (int)q : star;
		else if (tlen >= plen && strncasecmp(tag, prim, plen) == 0 &&
		         (tlen == plen || tag[plen] == '-'))
			best = (int)q > best ? (int)q : best;
	}
	return best >= 0 ? (unsigned)best : star >= 0 ? (unsigned)star : 0;
}

static lang_t pick_lang(const web_req_t *q, const char **lang_q)
{
	*lang_q = NULL;
	if (q->query_lang != NULL && strcmp(q->query_lang, "en") == 0) {
		*lang_q = "lang=en";
		return LANG_EN;
	}
	if (q->query_lang != NULL && strcmp(q->query_lang, "zh") == 0) {
		*lang_q = "lang=zh";
		return LANG_ZH;
	}
	/* Chinese first: English only when ranked above Chinese. */
	if (q->accept_language != NULL &&
	    accept_q(q->accept_language, "en") > accept_q(q->accept_language, "zh"))
		return LANG_EN;
	return LANG_ZH;
}

/* --- bits of pages -------------------------------------------------------- */

static const char *owner_shown(const char *code, const char *name)
{
	if (strcmp(code, "total") == 0)
		return _("total");
	const char *n = linli_owner_name(code);
	return n != NULL ? n : name != NULL && name[0] ? name : code;
}

/* A link to path with the page's language kept when a link chose it;
 * extra ("month=2025-11") is added to the query. */
static void href(page_t *p, const char *path, const char *extra)
{
	fputs("href=\"", p->out);
	html_text(p->out, path);
	const char *sep = "?";
	if (extra != NULL) {
		fputs(sep, p->out);
		html_text(p->out, extra);
		sep = "&amp;";
	}
	if (p->lang_q != NULL)
		fprintf(p->out, "%s%s", sep, p->lang_q);
	fputs("\"", p->out);
}

static void page_head(page_t *p, const char *title, bool refresh)
{
	FILE *o = p->out;
	fprintf(o, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">",
	        p->lang == LANG_ZH ? "zh-CN" : "en");
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">", o);
	if (refresh)
		fputs("<meta http-equiv=\"refresh\" content=\"10\">", o);
	fputs("<title>", o);
	html_text(o, title);
	fputs(" · ", o);
	html_text(o, _("Lingyuan subdistrict"));
	fprintf(o, "</title><style>%s</style></head><body><header><h1>", style);
	html_text(o, _("Lingyuan subdistrict"));
	fputs("</h1><nav><a ", o);
	href(p, "/", NULL);
	fputs(">", o);
	html_text(o, _("Overview"));
	fputs("</a><a ", o);
	href(p, "/trends", NULL);
	fputs(">", o);
	html_text(o, _("Trends"));
	fputs("</a></nav><nav>", o);
	/* The other language, on this page. */
	const char *path = p->q->path != NULL && p->q->path[0] == '/' ? p->q->path : "/";
	fputs("<a lang=\"zh-CN\" href=\"", o);
	html_text(o, path);
	fputs("?lang=zh\">中文</a><a lang=\"en\" href=\"", o);
	html_text(o, path);
	fputs("?lang=en\">English</a></nav></header><main><h2>", o);
	html_text(o, title);
	fputs("</h2>", o);
}

static void page_foot(page_t *p)
{
	char when[32];
	time_t now = time(NULL) + 8 * 3600; /* China time: UTC+8, no summer time */
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(p->out, "</main><footer>linlid · %s ", when);
	html_text(p->out, _("(China time)"));
	fputs("</footer></body></html>\n", p->out);
}

/* A figure: <td data-owner data-k [data-v]>text</td>. */
static void cell_u(page_t *p, const char *owner, const char *k, uint64_t v)
{
	fputs("<td data-owner=\"", p->out);
	html_text(p->out, owner);
	fprintf(p->out, "\" data-k=\"%s\">%" PRIu64 "</td>", k, v);
}

/* A duration as people read it (45 min, 3.5 h, 2.0 d). */
static void duration(FILE *o, uint64_t s)
{
	if (s < 3600)
		fprintf(o, _("%" PRIu64 " min"), (s + 30) / 60);
	else if (s < 48 * 3600)
		fprintf(o, _("%.1f h"), (double)s / 3600);
	else
		fprintf(o, _("%.1f d"), (double)s / 86400);
}

static void time_cell(page_t *p, const char *owner, uint64_t t)
{
	fputs("<td data-owner=\"", p->out);
	html_text(p->out, owner);
	fprintf(p->out, "\" data-k=\"last_heard\" data-v=\"%" PRIu64 "\">", t);
	if (t == 0) {
		html_text(p->out, _("never"));
	} else {
		char buf[32];
		time_t c = (time_t)t + 8 * 3600;
		struct tm tm;
		gmtime_r(&c, &tm);
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
		fputs(buf, p->out);
	}
	fputs("</td>", p->out);
}

/* --- overview ----------------------------------------------------------- */

static const struct {
	const char *key, *words;
} problem_words[] = {
    {"never-heard", NC_("problem", "never heard from")},
    {"silent", NC_("problem", "silent for over an hour")},
    {"behind", NC_("problem", "the hub lacks change sets it has")},
    {"two-links", NC_("problem", "two servers speak as it")},
    {"ignored", NC_("problem", "ignored for a while: it sends refused messages")},
    {"queue-full", NC_("problem", "change sets dropped: its queue was full")},
    {"revoked", NC_("problem", "its keys are revoked")},
};

static const char *problem_shown(const char *key)
{
	for (size_t i = 0; i < sizeof(problem_words) / sizeof(problem_words[0]); i++)
		if (strcmp(problem_words[i].key, key) == 0)
			return C_("problem", problem_words[i].words);
	return key;
}

static uint64_t behind_of(const Linli__Stats *s)
{
	uint64_t b = 0;
	if (s->head_public > s->seq_public)
		b += s->head_public - s->seq_public;
	if (s->head_personal > s->seq_personal)
		b += s->head_personal - s->seq_personal;
	return b;
}

static bool is_total(const Linli__Stats *s)
{
	return strcmp(s->owner, "total") == 0;
}

static void th(page_t *p, const char *words)
{
	fputs("<th>", p->out);
	html_text(p->out, words);
	fputs("</th>", p->out);
}

/* At the hub, its own owner (the subdistrict) is no community: it has no
 * link to show, and a row of figures only when it holds records. */
static bool is_hub_self(const page_t *p, const Linli__Stats *s)
{
	const links_t *l = p->q->links;
	return l->hub && l->n > 0 && strcmp(s->owner, l->v[l->n - 1].owner) == 0;
}

static bool shown(const page_t *p, const Linli__Stats *s)
{
	if (!is_hub_self(p, s))
		return true;
	uint64_t any =
	    s->partners + s->households + s->requests_open + s->requests_resolved + s->events;
	for (size_t k = 0; k < s->n_services; k++)
		any += s->services[k];
	return any > 0;
}

/* The first cell of a row: the community, a link to its page. */
static void owner_cell(page_t *p, const Linli__Stats *s)
{
	fputs("<td class=\"l\">", p->out);
	if (is_total(s)) {
		html_text(p->out, _("total"));
	} else {
		char path[64];
		snprintf(path, sizeof(path), "/community/%s", s->owner);
		fputs("<a ", p->out);
		href(p, path, NULL);
		fputs(">", p->out);
		html_text(p->out, owner_shown(s->owner, s->name));
		fputs("</a>", p->out);
	}
	fputs("</td>", p->out);
}

static void row_open(page_t *p, const Linli__Stats *s)
{
	fputs(is_total(s) ? "<tr class=\"total\">" : "<tr>", p->out);
	owner_cell(p, s);
}

static void links_table(page_t *p, Linli__Stats **st, size_t n)
{
	FILE *o = p->out;
	uint64_t now = (uint64_t)time(NULL);
	fputs("<section><h2>", o);
	html_text(o, _("Links"));
	fputs("</h2><table><tr>", o);
	th(p, _("community"));
	th(p, _("link"));
	th(p, _("last heard (China time)"));
	th(p, _("seconds since"));
	th(p, _("change sets behind"));
	th(p, _("change sets refused"));
	th(p, _("problems"));
	fputs("</tr>", o);
	for (size_t i = 0; i < n; i++) {
		const Linli__Stats *s = st[i];
		if (is_total(s) || is_hub_self(p, s))
			continue;
		row_open(p, s);
		fprintf(o,
		        "<td data-owner=\"%s\" data-k=\"linked_now\" data-v=\"%d\" class=\"%s\">",
		        s->owner, s->linked_now ? 1 : 0, s->linked_now ? "up" : "down");
		html_text(o, s->linked_now ? C_("link", "up") : C_("link", "down"));
		fputs("</td>", o);
		time_cell(p, s->owner, s->last_heard);
		if (s->last_heard == 0)
			fprintf(o, "<td data-owner=\"%s\" data-k=\"silent_s\" data-v=\"\">-</td>",
			        s->owner);
		else
			cell_u(p, s->owner, "silent_s",
			       now > s->last_heard ? now - s->last_heard : 0);
		cell_u(p, s->owner, "behind", behind_of(s));
		cell_u(p, s->owner, "refused", s->refused);
		fprintf(o, "<td class=\"l prob\" data-owner=\"%s\" data-k=\"problems\" data-v=\"",
		        s->owner);
		for (size_t k = 0; k < s->n_problems; k++)
			fprintf(o, "%s%s", k ? " " : "", s->problems[k]);
		fputs("\">", o);
		for (size_t k = 0; k < s->n_problems; k++) {
			if (k)
				fputs("; ", o);
			html_text(o, problem_shown(s->problems[k]));
		}
		fputs("</td></tr>", o);
	}
	fputs("</table></section>", o);
}

static void coverage_table(page_t *p, Linli__Stats **st, size_t n)
{
	FILE *o = p->out;
	fputs("<section><h2>", o);
	html_text(o, _("1+6+X coverage: services by category"));
	fputs("</h2><div class=\"wide\"><table><tr>", o);
	th(p, _("community"));
	for (int k = 1; k <= CATS; k++)
		th(p, linli_category_label(k));
	fputs("</tr>", o);
	for (size_t i = 0; i < n; i++) {
		const Linli__Stats *s = st[i];
		if (!shown(p, s))
			continue;
		row_open(p, s);
		for (int k = 1; k <= CATS; k++) {
			uint64_t v = (size_t)k < s->n_services ? s->services[k] : 0;
			fprintf(o,
			        "<td data-owner=\"%s\" data-k=\"services.%s\" data-v=\"%" PRIu64
			        "\"%s>",
			        s->owner, linli_category_name(k), v,
			        v == 0 ? " class=\"miss\"" : "");
			if (v == 0) {
				fputs("<span title=\"", o);
				html_text(o, _("missing"));
				fputs("\">0 ✗</span>", o);
			} else {
				fprintf(o, "%" PRIu64, v);
			}
			fputs("</td>", o);
		}
		fputs("</tr>", o);
	}
	fputs("</table></div><p class=\"note\">", o);
	html_text(o, _("✗: the community has no service of that category."));
	fputs("</p></section>", o);
}

/* A table of figures, then a bar chart of one or two of them. */
typedef struct {
	const char *k; /* the JSON field */
	const char *words;
} col_t;

static uint64_t field_u(const Linli__Stats *s, const char *k)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(&linli__stats__descriptor, k);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_UINT64 || f->label == PROTOBUF_C_LABEL_REPEATED)
		return 0;
	return *(const uint64_t *)((const char *)s + f->offset);
}

static void figure_section(page_t *p, Linli__Stats **st, size_t n, const char *title,
                           const col_t *cols, size_t ncols, const char *const *chart_k,
                           size_t n_chart, bool requests)
{
	FILE *o = p->out;
	fputs("<section><h2>", o);
	html_text(o, title);
	fputs("</h2><div class=\"row\"><table><tr>", o);
	th(p, _("community"));
	for (size_t c = 0; c < ncols; c++)
		th(p, cols[c].words);
	if (requests) {
		th(p, _("resolution rate"));
		th(p, _("median time to resolve"));
	}
	fputs("</tr>", o);
	for (size_t i = 0; i < n; i++) {
		const Linli__Stats *s = st[i];
		if (!shown(p, s))
			continue;
		row_open(p, s);
		for (size_t c = 0; c < ncols; c++)
			cell_u(p, s->owner, cols[c].k, field_u(s, cols[c].k));
		if (requests) {
			uint64_t all = s->requests_open + s->requests_resolved;
			/* per mille, so the page and a test round alike */
			uint64_t pm = all ? (s->requests_resolved * 1000 + all / 2) / all : 0;
			fprintf(
			    o,
			    "<td data-owner=\"%s\" data-k=\"resolution_permille\" data-v=\"%" PRIu64
			    "\">",
			    s->owner, pm);
			if (all)
				fprintf(o, "%" PRIu64 ".%" PRIu64 "%%", pm / 10, pm % 10);
			else
				fputs("-", o);
			fprintf(o,
			        "</td><td data-owner=\"%s\" data-k=\"median_resolve_s\" "
			        "data-v=\"%" PRIu64 "\">",
			        s->owner, s->median_resolve_s);
			if (s->requests_resolved)
				duration(o, s->median_resolve_s);
			else
				fputs("-", o);
			fputs("</td>", o);
		}
		fputs("</tr>", o);
	}
	fputs("</table>", o);
	chart_bar_t bars[TRUST_MAX + 1];
	size_t nb = 0;
	for (size_t i = 0; i < n && nb < TRUST_MAX + 1; i++) {
		if (is_total(st[i]) || !shown(p, st[i]))
			continue;
		bars[nb].label = owner_shown(st[i]->owner, st[i]->name);
		for (size_t c = 0; c < n_chart; c++)
			bars[nb].value[c] = field_u(st[i], chart_k[c]);
		nb++;
	}
	const char *series[CHART_SERIES_MAX];
	for (size_t c = 0; c < n_chart; c++)
		for (size_t k = 0; k < ncols; k++)
			if (strcmp(cols[k].k, chart_k[c]) == 0)
				series[c] = cols[k].words;
	chart_bars(o, title, bars, nb, series, n_chart);
	fputs("</div></section>", o);
}

static int overview(page_t *p, web_reply_t *r)
{
	Linli__Stats **st = NULL;
	size_t n = 0;
	char err[LINLI_ERR_MAX];
	page_head(p, p->q->links->hub ? _("The ten communities") : _("This community"), true);
	if (statsview_read(p->q->store, p->q->links, NULL, &st, &n, err, sizeof(err)) != 0) {
		fputs("<p class=\"prob\">", p->out);
		html_text(p->out, _("The statistics cannot be read now:"));
		fputs(" ", p->out);
		html_text(p->out, err);
		fputs("</p>", p->out);
		r->status = 500;
		page_foot(p);
		return 0;
	}
	links_table(p, st, n);
	coverage_table(p, st, n);
	const col_t hh[] = {
	    {"households", _("households")},
	    {"rented", _("rented")},
	    {"central", _("central")},
	    {"linked", _("linked to a central one")},
	};
	const char *hh_chart[] = {"households"};
	figure_section(p, st, n, _("Households"), hh, 4, hh_chart, 1, false);
	const col_t rq[] = {
	    {"requests_open", _("open")},
	    {"requests_resolved", _("resolved")},
	};
	const char *rq_chart[] = {"requests_resolved", "requests_open"};
	figure_section(p, st, n, _("Residents' requests"), rq, 2, rq_chart, 2, true);
	const col_t ev[] = {
	    {"events", _("events")},
	    {"participants", _("participants")},
	    {"partners", _("partners")},
	    {"items", _("items claimed")},
	};
	const char *ev_chart[] = {"participants"};
	figure_section(p, st, n, _("Events and partners"), ev, 4, ev_chart, 1, false);
	statsview_free(st, n);
	page_foot(p);
	return 0;
}

/* --- a community ---------------------------------------------------------- */

typedef struct {
	linli_record_t *rec[ROWS_MAX];
	size_t n;
	bool cut;     /* more than ROWS_MAX */
	size_t nread; /* values that did not decode are left out */
} rows_t;

static int collect(const char *owner, int kind, const char *id, const void *val, size_t len,
                   void *arg)
{
	rows_t *rows = arg;
	(void)owner;
	(void)id;
	/* Personal kinds never reach a page, whatever the caller asked. */
	if (linli_kind_stream((linli_kind_t)kind) != LINLI_STREAM_PUBLIC)
		return 0;
	if (rows->n == ROWS_MAX) {
		rows->cut = true;
		return 1;
	}
	linli_record_t *rec = linli_record_unpack(val, len);
	if (rec == NULL || linli_record_kind(rec) != (linli_kind_t)kind) {
		linli_record_destroy(&rec);
		return 0;
	}
	rows->rec[rows->n++] = rec;
	return 0;
}

static void rows_free(rows_t *rows)
{
	for (size_t i = 0; i < rows->n; i++)
		linli_record_destroy(&rows->rec[i]);
	rows->n = 0;
}

static void cut_note(page_t *p, const rows_t *rows)
{
	if (!rows->cut)
		return;
	fputs("<p class=\"note\">", p->out);
	fprintf(p->out, _("Only the first %u are shown."), ROWS_MAX);
	fputs("</p>", p->out);
}

static void td_text(page_t *p, const char *s)
{
	fputs("<td class=\"l\">", p->out);
	html_text(p->out, s);
	fputs("</td>", p->out);
}

static int by_walk(const void *a, const void *b)
{
	const linli_record_t *x = *(linli_record_t *const *)a, *y = *(linli_record_t *const *)b;
	return (x->service->walk_minutes > y->service->walk_minutes) -
	       (x->service->walk_minutes < y->service->walk_minutes);
}

static int by_date_desc(const void *a, const void *b)
{
	const linli_record_t *x = *(linli_record_t *const *)a, *y = *(linli_record_t *const *)b;
	return strcmp(y->event->date ? y->event->date : "", x->event->date ? x->event->date : "");
}

static const char *service_status(int st)
{
	switch (st) {
	case LINLI__SERVICE__STATUS__OPEN:
		return C_("service status", "open");
	case LINLI__SERVICE__STATUS__PAUSED:
		return C_("service status", "paused");
	case LINLI__SERVICE__STATUS__CLOSED:
		return C_("service status", "closed");
	default:
		return "";
	}
}

static void services_section(page_t *p, const char *code, rows_t *sv)
{
	FILE *o = p->out;
	qsort(sv->rec, sv->n, sizeof(sv->rec[0]), by_walk);
	chart_dot_t dots[ROWS_MAX];
	size_t within[CATS + 1] = {0}, count[CATS + 1] = {0};
	for (size_t i = 0; i < sv->n; i++) {
		const Linli__Service *s = sv->rec[i]->service;
		dots[i].minutes = s->walk_minutes;
		dots[i].category = (int)s->category;
		if (s->category >= 1 && s->category <= CATS) {
			count[s->category]++;
			within[s->category] += s->walk_minutes <= 15;
		}
	}
	const char *sectors[CATS];
	for (int k = 1; k <= CATS; k++)
		sectors[k - 1] = linli_category_label(k);
	fputs("<section><h2>", o);
	html_text(o, _("The 15-minute circle: services by category"));
	fputs("</h2><div class=\"row\">", o);
	chart_circle(o, _("Services by walking minutes, in the sector of their category"), dots,
	             sv->n, sectors);
	fputs("<table><tr>", o);
	th(p, _("category"));
	th(p, _("services"));
	th(p, _("within 15 minutes' walk"));
	fputs("</tr>", o);
	for (int k = 1; k <= CATS; k++) {
		fprintf(o, "<tr><td class=\"l\">");
		html_text(o, linli_category_label(k));
		fprintf(o, "</td><td data-owner=\"%s\" data-k=\"services.%s\"%s>%zu</td>", code,
		        linli_category_name(k), count[k] ? "" : " class=\"miss\"", count[k]);
		fprintf(o, "<td data-owner=\"%s\" data-k=\"within15.%s\">%zu</td></tr>", code,
		        linli_category_name(k), within[k]);
	}
	fputs("</table></div>", o);
	for (int k = 1; k <= CATS; k++) {
		if (count[k] == 0)
			continue;
		fputs("<h3>", o);
		html_text(o, linli_category_label(k));
		fputs("</h3><table><tr>", o);
		th(p, _("service"));
		th(p, _("provider"));
		th(p, _("place"));
		th(p, _("hours"));
		th(p, _("walking minutes"));
		th(p, _("status"));
		fputs("</tr>", o);
		for (size_t i = 0; i < sv->n; i++) {
			const Linli__Service *s = sv->rec[i]->service;
			if ((int)s->category != k)
				continue;
			fputs("<tr>", o);
			td_text(p, s->name);
			td_text(p, s->provider);
			td_text(p, s->place);
			td_text(p, s->hours);
			fprintf(o, "<td>%" PRIu32 "</td>", s->walk_minutes);
			td_text(p, service_status(s->status));
			fputs("</tr>", o);
		}
		fputs("</table>", o);
	}
	cut_note(p, sv);
	fputs("</section>", o);
}

static void partners_section(page_t *p, const char *code, const rows_t *pt)
{
	FILE *o = p->out;
	size_t items = 0;
	fputs("<section><h2>", o);
	html_text(o, _("Partners and the items they claimed"));
	fputs("</h2><table><tr>", o);
	th(p, _("partner"));
	th(p, _("kind"));
	th(p, _("items claimed"));
	fputs("</tr>", o);
	for (size_t i = 0; i < pt->n; i++) {
		const Linli__Partner *s = pt->rec[i]->partner;
		fputs("<tr>", o);
		td_text(p, s->name);
		td_text(p, s->kind);
		fputs("<td class=\"l\">", o);
		for (size_t k = 0; k < s->n_items; k++) {
			if (k)
				fputs(_("; "), o);
			html_text(o, s->items[k]);
		}
		fputs("</td></tr>", o);
		items += s->n_items;
	}
	fputs("</table><p>", o);
	html_text(o, _("partners"));
	fprintf(o, ": <span data-owner=\"%s\" data-k=\"partners\">%zu</span> · ", code, pt->n);
	html_text(o, _("items claimed"));
	fprintf(o, ": <span data-owner=\"%s\" data-k=\"items\">%zu</span></p>", code, items);
	cut_note(p, pt);
	fputs("</section>", o);
}

static const char *partner_name(const rows_t *pt, const char *id)
{
	for (size_t i = 0; id != NULL && id[0] && i < pt->n; i++)
		if (strcmp(linli_record_id(pt->rec[i]), id) == 0)
			return pt->rec[i]->partner->name;
	return id;
}

static void events_section(page_t *p, const char *code, rows_t *ev, const rows_t *pt)
{
	FILE *o = p->out;
	uint64_t people = 0;
	qsort(ev->rec, ev->n, sizeof(ev->rec[0]), by_date_desc);
	fputs("<section><h2>", o);
	html_text(o, _("Recent events"));
	fputs("</h2><table><tr>", o);
	th(p, _("date"));
	th(p, _("event"));
	th(p, _("category"));
	th(p, _("partner"));
	th(p, _("participants"));
	fputs("</tr>", o);
	for (size_t i = 0; i < ev->n; i++) {
		const Linli__Event *e = ev->rec[i]->event;
		fputs("<tr>", o);
		td_text(p, e->date);
		td_text(p, e->name);
		td_text(p, e->category >= 1 && e->category <= CATS
		               ? linli_category_label((int)e->category)
		               : "");
		td_text(p, partner_name(pt, e->partner));
		fprintf(o, "<td>%" PRIu32 "</td></tr>", e->participants);
		people += e->participants;
	}
	fputs("</table><p>", o);
	html_text(o, _("events"));
	fprintf(o, ": <span data-owner=\"%s\" data-k=\"events\">%zu</span> · ", code, ev->n);
	html_text(o, _("participants"));
	fprintf(o, ": <span data-owner=\"%s\" data-k=\"participants\">%" PRIu64 "</span></p>", code,
	        people);
	cut_note(p, ev);
	fputs("</section>", o);
}

static int community(page_t *p, const char *code, web_reply_t *r)
{
	const links_t *l = p->q->links;
	const link_view_t *v = NULL;
	for (size_t i = 0; i < l->n && v == NULL; i++)
		if (strcmp(l->v[i].owner, code) == 0)
			v = &l->v[i];
	if (v == NULL)
		return 1; /* not one of ours: 404 */
	char title[256];
	snprintf(title, sizeof(title), "%s (%s)", owner_shown(v->owner, v->name), v->owner);
	page_head(p, title, false);
	/* One short read transaction for the three public kinds; the rows
	 * are copies, rendered after it ends. */
	static const int kinds[3] = {LINLI_KIND_SERVICE, LINLI_KIND_PARTNER, LINLI_KIND_EVENT};
	rows_t *rows = calloc(3, sizeof(*rows));
	linli_txn_t *txn = NULL;
	if (rows == NULL)
		return -1;
	int rc = store_read_begin(p->q->store, &txn);
	for (int k = 0; rc == 0 && k < 3; k++)
		rc = store_rec_each(txn, code, kinds[k], collect, &rows[k]) < 0 ? -1 : 0;
	store_abort(&txn);
	if (rc != 0) {
		fputs("<p class=\"prob\">", p->out);
		html_text(p->out, _("The records cannot be read now."));
		fputs("</p>", p->out);
		r->status = 500;
	} else {
		services_section(p, code, &rows[0]);
		partners_section(p, code, &rows[1]);
		events_section(p, code, &rows[2], &rows[1]);
	}
	for (int k = 0; k < 3; k++)
		rows_free(&rows[k]);
	free(rows);
	page_foot(p);
	return 0;
}

/* --- trends --------------------------------------------------------------- */

static bool month_valid(const char *m)
{
	return strlen(m) == 7 && m[0] >= '1' && m[0] <= '2' && m[1] >= '0' && m[1] <= '9' &&
	       m[2] >= '0' && m[2] <= '9' && m[3] >= '0' && m[3] <= '9' && m[4] == '-' &&
	       ((m[5] == '0' && m[6] >= '1' && m[6] <= '9') ||
	        (m[5] == '1' && m[6] >= '0' && m[6] <= '2'));
}

static uint64_t month_u(const Linli__Month *m, const char *k)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(&linli__month__descriptor, k);
	if (f == NULL || f->type != PROTOBUF_C_TYPE_UINT64)
		return 0;
	return *(const uint64_t *)((const char *)m + f->offset);
}

static void month_form(page_t *p, const char *last)
{
	FILE *o = p->out;
	fputs("<form method=\"get\" action=\"/trends\"><label>", o);
	html_text(o, _("the last month shown"));
	fputs(" <input type=\"month\" name=\"month\" value=\"", o);
	html_text(o, last);
	fputs("\"></label>", o);
	if (p->lang_q != NULL)
		fprintf(o, "<input type=\"hidden\" name=\"lang\" value=\"%s\">",
		        p->lang == LANG_EN ? "en" : "zh");
	fputs(" <button type=\"submit\">", o);
	html_text(o, _("show"));
	fputs("</button></form>", o);
}

/* One measure: the chart of the total (or of the one owner), then a
 * table owner x month with a sparkline per owner. */
static void trend_section(page_t *p, Linli__Month **m, size_t n, size_t per, const char *title,
                          const char *const *ks, const char *const *series, size_t nk)
{
	FILE *o = p->out;
	size_t owners = n / per;
	Linli__Month **last = m + (owners - 1) * per; /* "total", or the one owner */
	const char *labels[MONTHS_MAX];
	uint64_t vals[CHART_SERIES_MAX][MONTHS_MAX];
	const uint64_t *vp[CHART_SERIES_MAX];
	for (size_t i = 0; i < per; i++) {
		labels[i] = last[i]->month;
		for (size_t k = 0; k < nk; k++)
			vals[k][i] = month_u(last[i], ks[k]);
	}
	for (size_t k = 0; k < nk; k++)
		vp[k] = vals[k];
	fputs("<section><h2>", o);
	html_text(o, title);
	fputs("</h2>", o);
	chart_columns(o, title, labels, vp, series, nk, per);
	for (size_t k = 0; k < nk; k++) {
		fputs("<div class=\"wide\"><table><tr>", o);
		th(p, _("community"));
		fputs("<th>", o);
		html_text(o, series[k]);
		fputs("</th>", o);
		for (size_t i = 0; i < per; i++) {
			fputs("<th>", o);
			html_text(o, labels[i] + (strlen(labels[i]) == 7 ? 2 : 0));
			fputs("</th>", o);
		}
		fputs("</tr>", o);
		for (size_t w = 0; w < owners; w++) {
			Linli__Month **row = m + w * per;
			bool total = strcmp(row[0]->owner, "total") == 0;
			uint64_t spark[MONTHS_MAX];
			fputs(total ? "<tr class=\"total\">" : "<tr>", o);
			fputs("<td class=\"l\">", o);
			html_text(o, owner_shown(row[0]->owner, NULL));
			fputs("</td><td>", o);
			for (size_t i = 0; i < per; i++)
				spark[i] = month_u(row[i], ks[k]);
			chart_spark(o, series[k], spark, per);
			fputs("</td>", o);
			for (size_t i = 0; i < per; i++) {
				fputs("<td data-owner=\"", o);
				html_text(o, row[i]->owner);
				fputs("\" data-month=\"", o);
				html_text(o, row[i]->month);
				if (strcmp(ks[k], "median_resolve_s") != 0) {
					fprintf(o, "\" data-k=\"%s\">%" PRIu64 "</td>", ks[k],
					        spark[i]);
					continue;
				}
				fprintf(o, "\" data-k=\"%s\" data-v=\"%" PRIu64 "\">", ks[k],
				        spark[i]);
				if (month_u(row[i], "requests_resolved") > 0)
					duration(o, spark[i]);
				else
					fputs("-", o);
				fputs("</td>", o);
			}
			fputs("</tr>", o);
		}
		fputs("</table></div>", o);
	}
	fputs("</section>", o);
}

static int trends(page_t *p, web_reply_t *r)
{
	const char *last = p->q->query_month;
	if (last != NULL && last[0] == '\0')
		last = NULL;
	page_head(p, _("Monthly trends"), false);
	if (last != NULL && !month_valid(last)) {
		fputs("<p class=\"prob\">", p->out);
		html_text(p->out, _("The month must be YYYY-MM, as 2026-11."));
		fputs("</p>", p->out);
		month_form(p, "");
		r->status = 400;
		page_foot(p);
		return 0;
	}
	Linli__Month **m = NULL;
	size_t n = 0;
	char err[LINLI_ERR_MAX];
	if (statsview_months(p->q->store, p->q->links, NULL, last, TREND_MONTHS, &m, &n, err,
	                     sizeof(err)) != 0) {
		fputs("<p class=\"prob\">", p->out);
		html_text(p->out, _("The monthly statistics cannot be read now:"));
		fputs(" ", p->out);
		html_text(p->out, err);
		fputs("</p>", p->out);
		r->status = 500;
		page_foot(p);
		return 0;
	}
	if (n < TREND_MONTHS || n % TREND_MONTHS != 0) {
		statsview_months_free(m, n);
		r->status = 500;
		page_foot(p);
		return 0;
	}
	month_form(p, m[TREND_MONTHS - 1]->month);
	const char *rq_k[] = {"requests_opened", "requests_resolved"};
	const char *rq_s[] = {_("opened"), _("resolved")};
	trend_section(p, m, n, TREND_MONTHS, _("Residents' requests opened and resolved"), rq_k,
	              rq_s, 2);
	const char *md_k[] = {"median_resolve_s"};
	const char *md_s[] = {_("median time to resolve")};
	trend_section(p, m, n, TREND_MONTHS, _("Median time to resolve"), md_k, md_s, 1);
	const char *ev_k[] = {"events", "participants"};
	const char *ev_s[] = {_("events"), _("participants")};
	trend_section(p, m, n, TREND_MONTHS, _("Events"), ev_k, ev_s, 1);
	trend_section(p, m, n, TREND_MONTHS, _("Participants"), ev_k + 1, ev_s + 1, 1);
	statsview_months_free(m, n);
	page_foot(p);
	return 0;
}

/* --- the door ------------------------------------------------------------- */

static void not_found(page_t *p, web_reply_t *r)
{
	r->status = 404;
	page_head(p, _("No such page"), false);
	fputs("<p>", p->out);
	html_text(p->out, _("There is no page at this address."));
	fputs(" <a ", p->out);
	href(p, "/", NULL);
	fputs(">", p->out);
	html_text(p->out, _("Back to the overview"));
	fputs("</a></p>", p->out);
	page_foot(p);
}

int web_serve(const web_req_t *q, web_reply_t *r)
{
	page_t p = {.q = q};
	char *buf = NULL;
	size_t len = 0;
	memset(r, 0, sizeof(*r));
	p.lang = pick_lang(q, &p.lang_q);
	if (p.lang == LANG_ZH && loc_zh == (locale_t)0)
		p.lang = LANG_EN; /* no Chinese here (web_init said so) */
	p.out = open_memstream(&buf, &len);
	if (p.out == NULL)
		return -1;
	locale_t prev = (locale_t)0;
	locale_t use = p.lang == LANG_ZH ? loc_zh : loc_en;
	if (use != (locale_t)0)
		prev = uselocale(use);
	r->status = 200;
	const char *path = q->path != NULL ? q->path : "";
	int rc = 1;
	if (strcmp(path, "/") == 0)
		rc = overview(&p, r);
	else if (strcmp(path, "/trends") == 0)
		rc = trends(&p, r);
	else if (strncmp(path, "/community/", 11) == 0)
		rc = community(&p, path + 11, r);
	if (rc > 0)
		not_found(&p, r);
	if (prev != (locale_t)0)
		uselocale(prev);
	bool bad = ferror(p.out) != 0;
	if (fclose(p.out) != 0 || bad || rc < 0) {
		free(buf);
		return -1;
	}
	r->body = buf;
	r->len = len;
	r->content_type = "text/html; charset=utf-8";
	r->language = p.lang == LANG_ZH ? "zh-CN" : "en";
	return 0;
}
