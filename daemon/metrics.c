/*
 * metrics: the Prometheus exposition (metrics.h).
 */
#include "daemon/metrics.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/log.h"
#include "proto/stats.h"

/* A label value as the format wants it: \, " and newline escaped. */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', f);
		if (*v == '\n') {
			fputs("\\n", f);
			continue;
		}
		fputc(*v, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static bool is_total(const Linli__Stats *s)
{
	return strcmp(s->owner, "total") == 0;
}

/* One gauge or counter with a value per community. */
typedef uint64_t (*field_fn)(const Linli__Stats *s);

static void per_community(FILE *f, Linli__Stats **st, size_t n, const char *name, const char *type,
                          const char *help, field_fn get)
{
	family(f, name, type, help);
	for (size_t i = 0; i < n; i++)
		if (!is_total(st[i]))
			fprintf(f, "%s{community=\"%s\"} %" PRIu64 "\n", name, st[i]->owner,
			        get(st[i]));
}

#define FIELD(fn, expr)                                                                            \
	static uint64_t fn(const Linli__Stats *s)                                                  \
	{                                                                                          \
		return (expr);                                                                     \
	}
FIELD(last_heard, s->last_heard)
FIELD(linked_now, s->linked_now ? 1u : 0u)
FIELD(refused, s->refused)
FIELD(behind, s->head_public + s->head_personal > s->seq_public + s->seq_personal
                  ? s->head_public + s->head_personal - s->seq_public - s->seq_personal
                  : 0)
FIELD(households, s->households)
FIELD(rented, s->rented)
FIELD(central, s->central)
FIELD(linked, s->linked)
FIELD(partners, s->partners)
FIELD(items, s->items)
FIELD(events, s->events)
FIELD(participants, s->participants)
FIELD(median_resolve, s->median_resolve_s)

/* Time to resolve: a histogram, not a summary, so that communities add up
 * (sum by (le)) and any quantile can be asked of the total. */
static void resolve_histogram(FILE *f, Linli__Stats **st, size_t n)
{
	static const uint64_t bounds[LINLI_RESOLVE_NBOUNDS] = LINLI_RESOLVE_BOUNDS;
	family(f, "linli_request_resolve_seconds", "histogram",
	       "Time from a request's opening to its resolution, of the resolved requests.");
	for (size_t i = 0; i < n; i++) {
		const Linli__Stats *s = st[i];
		if (is_total(s) || s->n_resolve_buckets != LINLI_RESOLVE_NBOUNDS + 1)
			continue;
		for (size_t b = 0; b < LINLI_RESOLVE_NBOUNDS; b++)
			fprintf(
			    f,
			    "linli_request_resolve_seconds_bucket{community=\"%s\",le=\"%" PRIu64
			    "\"} %" PRIu64 "\n",
			    s->owner, bounds[b], s->resolve_buckets[b]);
		uint64_t all = s->resolve_buckets[LINLI_RESOLVE_NBOUNDS];
		fprintf(
		    f,
		    "linli_request_resolve_seconds_bucket{community=\"%s\",le=\"+Inf\"} %" PRIu64
		    "\n"
		    "linli_request_resolve_seconds_sum{community=\"%s\"} %" PRIu64 "\n"
		    "linli_request_resolve_seconds_count{community=\"%s\"} %" PRIu64 "\n",
		    s->owner, all, s->owner, s->resolve_sum_s, s->owner, all);
	}
}

static void communities(FILE *f, Linli__Stats **st, size_t n)
{
	per_community(f, st, n, "linli_last_heard_timestamp_seconds", "gauge",
	              "When the community's server was last heard (unix time; 0: never).",
	              last_heard);
	per_community(f, st, n, "linli_community_linked", "gauge",
	              "1 while an authenticated link of the community is up.", linked_now);
	family(f, "linli_change_sets_applied_total", "counter",
	       "Change sets of the community's log held here (its head seq), by stream.");
	for (size_t i = 0; i < n; i++)
		if (!is_total(st[i]))
			fprintf(
			    f,
			    "linli_change_sets_applied_total{community=\"%s\",stream=\"public\"} "
			    "%" PRIu64 "\n"
			    "linli_change_sets_applied_total{community=\"%s\",stream=\"personal\"} "
			    "%" PRIu64 "\n",
			    st[i]->owner, st[i]->seq_public, st[i]->owner, st[i]->seq_personal);
	per_community(f, st, n, "linli_change_sets_behind", "gauge",
	              "Change sets the community reported and this server lacks.", behind);
	per_community(f, st, n, "linli_change_sets_refused_total", "counter",
	              "Change sets of the community refused here.", refused);
	family(f, "linli_services", "gauge", "Services of the community by 1+6+X category.");
	for (size_t i = 0; i < n; i++)
		for (int k = 1; k < LINLI_CATEGORY_COUNT && !is_total(st[i]); k++)
			fprintf(f, "linli_services{community=\"%s\",category=\"%s\"} %" PRIu64 "\n",
			        st[i]->owner, linli_category_name(k),
			        (size_t)k < st[i]->n_services ? st[i]->services[k] : 0);
	per_community(f, st, n, "linli_partners", "gauge", "Partner organisations.", partners);
	per_community(f, st, n, "linli_partner_items", "gauge", "Items partners claimed.", items);
	per_community(f, st, n, "linli_households", "gauge", "Households.", households);
	per_community(f, st, n, "linli_households_rented", "gauge", "Households that rent.",
	              rented);
	per_community(f, st, n, "linli_households_central", "gauge",
	              "Households registered centrally.", central);
	per_community(f, st, n, "linli_households_linked", "gauge",
	              "Households linked to a central household.", linked);
	family(f, "linli_requests", "gauge", "Residents' requests by status.");
	for (size_t i = 0; i < n; i++)
		if (!is_total(st[i]))
			fprintf(f,
			        "linli_requests{community=\"%s\",status=\"open\"} %" PRIu64 "\n"
			        "linli_requests{community=\"%s\",status=\"resolved\"} %" PRIu64
			        "\n",
			        st[i]->owner, st[i]->requests_open, st[i]->owner,
			        st[i]->requests_resolved);
	per_community(f, st, n, "linli_request_resolve_median_seconds", "gauge",
	              "Median time from a request's opening to its resolution.", median_resolve);
	resolve_histogram(f, st, n);
	per_community(f, st, n, "linli_events", "gauge", "Events held.", events);
	per_community(f, st, n, "linli_event_participants", "gauge", "Participants of the events.",
	              participants);
	family(f, "linli_community_problem", "gauge",
	       "1 for each problem the community's link has now (linlictl status).");
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < st[i]->n_problems && !is_total(st[i]); k++)
			fprintf(f, "linli_community_problem{community=\"%s\",problem=\"%s\"} 1\n",
			        st[i]->owner, st[i]->problems[k]);
}

/* The hub's refusals of each community's change sets, by reason: what
 * linli_change_sets_refused_total sums. */
static void community_refusals(FILE *f, const links_t *l)
{
	if (!l->hub)
		return;
	family(f, "linli_community_refused_total", "counter",
	       "Change sets of the community refused here, by reason.");
	for (size_t i = 0; i + 1 < l->n; i++) /* the last is the hub itself */
		for (size_t k = 0; k < LINKS_REASONS; k++)
			fprintf(
			    f,
			    "linli_community_refused_total{community=\"%s\",reason=\"%s\"} %" PRIu64
			    "\n",
			    l->v[i].owner, statsview_reason(k), l->v[i].refused_by[k]);
}

int metrics_write(linli_store_t *store, const char *state_dir, const links_t *l,
                  const http_counts_t *c, const char *version, char **body, size_t *len)
{
	Linli__Stats **st;
	size_t n;
	char err[LINLI_ERR_MAX], path[4200];
	uint64_t used = 0, mapsize = 0;
	struct stat fst;
	if (statsview_read(store, l, NULL, &st, &n, err, sizeof(err)) != 0) {
		log_warn("http: /metrics: %s", err);
		return -1;
	}
	FILE *f = open_memstream(body, len);
	if (f == NULL) {
		statsview_free(st, n);
		return -1;
	}
	family(f, "linli_build_info", "gauge", "The linlid build and role; always 1.");
	fputs("linli_build_info{version=\"", f);
	label_value(f, version);
	fprintf(f, "\",role=\"%s\"} 1\n", l->hub ? "hub" : "node");
	communities(f, st, n);
	statsview_free(st, n);
	community_refusals(f, l);

	family(f, "linli_refused_total", "counter",
	       "Change sets, links and requests refused here, by reason (linlictl status).");
	for (size_t i = 0; i < l->nrefusals; i++)
		fprintf(f, "linli_refused_total{reason=\"%s\"} %" PRIu64 "\n",
		        l->refusals[i].reason, l->refusals[i].count);
	family(f, "linli_http_refused_total", "counter", "HTTP requests and connections refused.");
	for (int r = 0; r < HTTP_REFUSED_COUNT; r++)
		fprintf(f, "linli_http_refused_total{reason=\"%s\"} %" PRIu64 "\n",
		        http_refused_key(r), c->refused[r]);
	family(f, "linli_http_requests_total", "counter", "HTTP requests answered.");
	fprintf(f, "linli_http_requests_total %" PRIu64 "\n", c->requests);
	family(f, "linli_http_connections", "gauge", "HTTP connections open.");
	fprintf(f, "linli_http_connections %" PRIu64 "\n", c->conns);

	store_usage(store, &used, &mapsize);
	snprintf(path, sizeof(path), "%s/data.mdb", state_dir);
	family(f, "linli_store_file_bytes", "gauge", "Size of the database file.");
	fprintf(f, "linli_store_file_bytes %" PRIu64 "\n",
	        stat(path, &fst) == 0 ? (uint64_t)fst.st_size : 0);
	family(f, "linli_store_map_bytes", "gauge", "Size of the database's memory map.");
	fprintf(f, "linli_store_map_bytes %" PRIu64 "\n", mapsize);
	family(f, "linli_store_used_bytes", "gauge", "Bytes of the map in use.");
	fprintf(f, "linli_store_used_bytes %" PRIu64 "\n", used);
	return fclose(f) == 0 ? 0 : -1;
}
