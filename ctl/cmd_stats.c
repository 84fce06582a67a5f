/*
 * cmd_stats: stats [--month YYYY-MM [--months N]] [--owner CODE].
 *
 * Three tables for people, one row per community (and a "total" row when
 * the daemon reports several): how the "1+6+X" services are covered, what
 * records there are, and how far replication has got.  JSON carries every
 * Stats field by its proto name instead, for scripts to compute their own.
 * With --month, one table of what happened in each month (China time) up
 * to it instead, a row per community and month; JSON: Month objects.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/names.h"
#include "ctl/output.h"
#include "proto/stats.h"

#define NCAT 8 /* categories 1..8 */

/* "45s", "12m05s", "3h12m", "2d04h". */
static void duration(uint64_t s, char *buf, size_t len)
{
	typedef unsigned long long ull;
	if (s < 60)
		snprintf(buf, len, _("%llus"), (ull)s);
	else if (s < 3600)
		snprintf(buf, len, _("%llum%02llus"), (ull)(s / 60), (ull)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, _("%lluh%02llum"), (ull)(s / 3600), (ull)(s % 3600 / 60));
	else
		snprintf(buf, len, _("%llud%02lluh"), (ull)(s / 86400), (ull)(s % 86400 / 3600));
}

static uint64_t services(const Linli__Stats *s, int cat)
{
	return (size_t)cat < s->n_services ? s->services[cat] : 0;
}

static bool is_total(const Linli__Stats *s)
{
	return strcmp(s->owner, "total") == 0;
}

/* A row's name: the community's (Chinese in a Chinese locale), or "total". */
static const char *label(const Linli__Stats *s)
{
	return is_total(s) ? _("total") : names_owner(s->owner, s->name);
}

/* A category's name as a heading and in "missing". */
static const char *category(int k)
{
	return names_value(LINLI_KIND_SERVICE, "category", linli_category_name(k));
}

typedef char cell_t[96]; /* fits the longest "missing" list */

static int add_row(out_table_t *t, cell_t *cells, size_t n)
{
	const char *row[16];
	for (size_t i = 0; i < n; i++)
		row[i] = cells[i];
	return out_table_add(t, row);
}

static int service_table(const Linli__CtlReply *r, out_table_t *t)
{
	for (size_t i = 0; i < r->n_stats; i++) {
		const Linli__Stats *s = r->stats[i];
		cell_t c[NCAT + 3];
		uint64_t total = 0;
		size_t off = 0;
		snprintf(c[0], sizeof(c[0]), "%s", label(s));
		for (int k = 1; k <= NCAT; k++) {
			snprintf(c[k], sizeof(c[k]), "%" PRIu64, services(s, k));
			total += services(s, k);
		}
		snprintf(c[NCAT + 1], sizeof(c[0]), "%" PRIu64, total);
		/* The "1+6" are what every centre should have; X is optional. */
		c[NCAT + 2][0] = '\0';
		for (int k = 1; k < NCAT; k++)
			if (services(s, k) == 0 && off < sizeof(c[0]))
				off += (size_t)snprintf(c[NCAT + 2] + off, sizeof(c[0]) - off,
				                        "%s%s", off ? "," : "", category(k));
		if (off == 0)
			snprintf(c[NCAT + 2], sizeof(c[0]), "-");
		if (add_row(t, c, NCAT + 3) != 0)
			return -1;
	}
	return 0;
}

static int record_table(const Linli__CtlReply *r, out_table_t *t)
{
	for (size_t i = 0; i < r->n_stats; i++) {
		const Linli__Stats *s = r->stats[i];
		const uint64_t v[] = {
		    s->partners, s->items,   s->grids_l1, s->grids_l2,      s->households,
		    s->rented,   s->central, s->linked,   s->requests_open, s->requests_resolved};
		cell_t c[14];
		size_t n = 0;
		snprintf(c[n++], sizeof(c[0]), "%s", label(s));
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++)
			snprintf(c[n++], sizeof(c[0]), "%" PRIu64, v[k]);
		if (s->requests_resolved == 0)
			snprintf(c[n], sizeof(c[0]), "-");
		else
			duration(s->median_resolve_s, c[n], sizeof(c[0]));
		n++;
		snprintf(c[n++], sizeof(c[0]), "%" PRIu64, s->events);
		snprintf(c[n++], sizeof(c[0]), "%" PRIu64, s->participants);
		if (add_row(t, c, n) != 0)
			return -1;
	}
	return 0;
}

static int replication_table(const Linli__CtlReply *r, out_table_t *t)
{
	uint64_t now = (uint64_t)time(NULL);
	for (size_t i = 0; i < r->n_stats; i++) {
		const Linli__Stats *s = r->stats[i];
		cell_t c[7];
		/* The total has no code; its name says what it is. */
		snprintf(c[0], sizeof(c[0]), "%s", is_total(s) ? "-" : s->owner);
		snprintf(c[1], sizeof(c[0]), "%s", label(s));
		snprintf(c[2], sizeof(c[0]), "%" PRIu64, s->seq_public);
		snprintf(c[3], sizeof(c[0]), "%" PRIu64, s->seq_personal);
		/* A head of 0 means the owner never told us how far it is. */
		uint64_t head = s->head_public + s->head_personal,
		         have = s->seq_public + s->seq_personal;
		if (head == 0)
			snprintf(c[4], sizeof(c[0]), "-");
		else
			snprintf(c[4], sizeof(c[0]), "%" PRIu64, head > have ? head - have : 0);
		if (is_total(s)) {
			snprintf(c[5], sizeof(c[0]), "-");
		} else if (s->last_heard == 0) {
			snprintf(c[5], sizeof(c[0]), "%s", _("never"));
		} else {
			char d[32];
			duration(now > s->last_heard ? now - s->last_heard : 0, d, sizeof(d));
			snprintf(c[5], sizeof(c[0]), _("%s ago"), d);
		}
		snprintf(c[6], sizeof(c[0]), "%" PRIu64, s->refused);
		if (add_row(t, c, 7) != 0)
			return -1;
	}
	return 0;
}

static int print_tables(const Linli__CtlReply *r)
{
	out_col_t scols[NCAT + 3] = {{"name", N_("name"), OUT_TEXT}};
	for (int k = 1; k <= NCAT; k++)
		scols[k] = (out_col_t){linli_category_name(k), category(k), OUT_NUMBER};
	scols[NCAT + 1] = (out_col_t){"total", N_("total"), OUT_NUMBER};
	scols[NCAT + 2] = (out_col_t){"missing", N_("missing"), OUT_TEXT};
	static const out_col_t rcols[] = {
	    {"name", N_("name"), OUT_TEXT},
	    {"partners", N_("partners"), OUT_NUMBER},
	    {"items", N_("items"), OUT_NUMBER},
	    {"grids_l1", N_("grids L1"), OUT_NUMBER},
	    {"grids_l2", N_("grids L2"), OUT_NUMBER},
	    {"households", N_("households"), OUT_NUMBER},
	    {"rented", N_("rented"), OUT_NUMBER},
	    {"central", N_("central"), OUT_NUMBER},
	    {"linked", N_("linked"), OUT_NUMBER},
	    {"requests_open", N_("req open"), OUT_NUMBER},
	    {"requests_resolved", N_("req resolved"), OUT_NUMBER},
	    {"median_resolve", N_("median resolve"), OUT_NUMBER},
	    {"events", N_("events"), OUT_NUMBER},
	    {"participants", N_("participants"), OUT_NUMBER},
	};
	static const out_col_t pcols[] = {
	    {"owner", N_("owner"), OUT_TEXT},
	    {"name", N_("name"), OUT_TEXT},
	    {"seq_public", N_("seq public"), OUT_NUMBER},
	    {"seq_personal", N_("seq personal"), OUT_NUMBER},
	    {"behind", N_("behind"), OUT_NUMBER},
	    {"last_heard", N_("last heard"), OUT_NUMBER},
	    {"refused", N_("refused"), OUT_NUMBER},
	};
	out_table_t *ts = out_table_new(_("Services by 1+6+X category"), scols, NCAT + 3, 0);
	out_table_t *tr = out_table_new(_("Records"), rcols, sizeof(rcols) / sizeof(rcols[0]), 0);
	out_table_t *tp =
	    out_table_new(_("Replication"), pcols, sizeof(pcols) / sizeof(pcols[0]), 0);
	int rc = CTL_OK;
	if (ts == NULL || tr == NULL || tp == NULL || service_table(r, ts) != 0 ||
	    record_table(r, tr) != 0 || replication_table(r, tp) != 0) {
		rc = ctl_fail("out of memory");
	} else {
		out_table_print(ts, stdout, false);
		putchar('\n');
		out_table_print(tr, stdout, false);
		putchar('\n');
		out_table_print(tp, stdout, false);
	}
	out_table_destroy(&ts);
	out_table_destroy(&tr);
	out_table_destroy(&tp);
	return rc;
}

/* A month row's name: a Month carries the owner's code alone, so the
 * name comes from the stats reply (the trust list's), as in the other
 * tables. */
static const char *month_label(const Linli__Month *m, const Linli__CtlReply *names)
{
	if (strcmp(m->owner, "total") == 0)
		return _("total");
	for (size_t i = 0; names != NULL && i < names->n_stats; i++)
		if (strcmp(names->stats[i]->owner, m->owner) == 0)
			return label(names->stats[i]);
	return names_owner(m->owner, NULL);
}

/* One row per community and month: what was opened, resolved and held. */
static int print_months(const Linli__CtlReply *r, const Linli__CtlReply *names)
{
	static const out_col_t cols[] = {
	    {"name", N_("name"), OUT_TEXT},
	    {"month", N_("month"), OUT_TEXT},
	    {"requests_opened", N_("req opened"), OUT_NUMBER},
	    {"requests_resolved", N_("req resolved"), OUT_NUMBER},
	    {"median_resolve", N_("median resolve"), OUT_NUMBER},
	    {"events", N_("events"), OUT_NUMBER},
	    {"participants", N_("participants"), OUT_NUMBER},
	};
	out_table_t *t =
	    out_table_new(_("Months (China time)"), cols, sizeof(cols) / sizeof(cols[0]), 0);
	int rc = t == NULL ? -1 : 0;
	for (size_t i = 0; rc == 0 && i < r->n_months; i++) {
		const Linli__Month *m = r->months[i];
		cell_t c[7];
		snprintf(c[0], sizeof(c[0]), "%s", month_label(m, names));
		snprintf(c[1], sizeof(c[0]), "%s", m->month);
		snprintf(c[2], sizeof(c[0]), "%" PRIu64, m->requests_opened);
		snprintf(c[3], sizeof(c[0]), "%" PRIu64, m->requests_resolved);
		if (m->requests_resolved == 0)
			snprintf(c[4], sizeof(c[0]), "-");
		else
			duration(m->median_resolve_s, c[4], sizeof(c[0]));
		snprintf(c[5], sizeof(c[0]), "%" PRIu64, m->events);
		snprintf(c[6], sizeof(c[0]), "%" PRIu64, m->participants);
		rc = add_row(t, c, 7);
	}
	if (rc != 0) {
		out_table_destroy(&t);
		return ctl_fail("out of memory");
	}
	out_table_print(t, stdout, false);
	out_table_destroy(&t);
	return CTL_OK;
}

/* The JSON array of the reply's months (or stats), one object a line. */
static void print_json(const Linli__CtlReply *r, bool months)
{
	size_t n = months ? r->n_months : r->n_stats;
	fputc('[', stdout);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n" : "\n", stdout);
		linli_stats_json(stdout, months ? &r->months[i]->base : &r->stats[i]->base);
	}
	fputs(n ? "\n]\n" : "]\n", stdout);
}

/* The months' table, with the owners' names from a stats request without
 * a month (if that fails, codes are shown). */
static int print_months_named(const ctl_t *ctl, const Linli__CtlRequest *q,
                              const Linli__CtlReply *r)
{
	Linli__CtlRequest req = *q;
	Linli__CtlReply *names = NULL;
	req.month = (char *)"";
	req.months = 0;
	if (client_call_once(ctl->socket, &req, &names) != 0)
		names = NULL;
	int rc = print_months(r, names);
	client_reply_free(&names);
	return rc;
}

int cmd_stats(ctl_t *ctl, int argc, char **argv)
{
	const char *owner = NULL, *month = NULL, *months = NULL;
	for (int i = 0; i < argc; i++) {
		int m = ctl_option(ctl, argc, argv, &i, "--owner", &owner);
		if (m == 0)
			m = ctl_option(ctl, argc, argv, &i, "--months", &months);
		if (m == 0)
			m = ctl_option(ctl, argc, argv, &i, "--month", &month);
		if (m < 0)
			return CTL_USAGE;
		if (m == 0)
			return ctl_usage(ctl, "unexpected argument '%s'", argv[i]);
	}
	if (ctl_check_owner(owner) != CTL_OK)
		return CTL_FAIL;
	uint32_t mon;
	unsigned count = 1;
	if (month != NULL && linli_month_parse(month, &mon) != 0)
		return ctl_fail("'%s' is not a month: expected YYYY-MM, like 2025-04", month);
	if (months != NULL) {
		char *end;
		unsigned long v = strtoul(months, &end, 10);
		if (month == NULL)
			return ctl_usage(ctl, "--months needs --month");
		if (months[0] < '0' || months[0] > '9' || *end != '\0' || v < 1 || v > 36)
			return ctl_fail("'%s' months: expected a number from 1 to 36", months);
		count = (unsigned)v;
	}
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply;
	req.verb = (char *)"stats";
	req.owner = (char *)(owner ? owner : "");
	req.month = (char *)(month ? month : "");
	req.months = month ? count : 0;
	if (client_call_once(ctl->socket, &req, &reply) != 0)
		return CTL_FAIL;
	int rc = CTL_OK;
	if (month != NULL) {
		if (ctl->json)
			print_json(reply, true);
		else if (reply->n_months == 0)
			rc = ctl_fail("linlid reported no statistics");
		else
			rc = print_months_named(ctl, &req, reply);
	} else if (ctl->json) {
		print_json(reply, false);
	} else if (reply->n_stats == 0) {
		rc = owner ? ctl_fail("linlid reported no statistics for %s", owner)
		           : ctl_fail("linlid reported no statistics");
	} else {
		rc = print_tables(reply);
	}
	client_reply_free(&reply);
	return rc;
}
