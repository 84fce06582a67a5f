/*
 * cmd_import: import FILE.csv [--kind KIND] [--batch N].
 *
 * All or nothing as far as the file goes: the whole file is read and every
 * row checked (and every bad row reported) before the first record is
 * sent, because an operator fixing a spreadsheet wants the full list of
 * problems at once and no half-imported state to clean up.  Each good
 * record is kept in its wire form (about the size of its CSV row), and
 * then sent in batches, a few requests in flight so the daemon never
 * waits for linlictl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/output.h"
#include "proto/changeset.h"
#include "proto/csv.h"
#include "proto/wire.h"

#define IMPORT_FILE_MAX (256u << 20)
#define IMPORT_BATCH    5000 /* records per request, at most (--batch) */
/* The daemon commits a request as change sets bounded by
 * LINLI_CS_MAX_BYTES; half of it leaves room for the envelope. */
#define IMPORT_BATCH_BYTES (LINLI_CS_MAX_BYTES / 2)
#define IMPORT_IN_FLIGHT   4 /* requests sent before the first reply is read */

/* The checked records in wire form, back to back. */
typedef struct {
	uint8_t *buf;
	size_t len, cap;
	size_t *end; /* end[i]: offset just past record i */
	size_t n, ncap;
} packed_t;

static void packed_free(packed_t *p)
{
	free(p->buf);
	free(p->end);
}

static int packed_add(packed_t *p, const linli_record_t *rec)
{
	size_t size = linli_record_packed_size(rec);
	if (p->n == p->ncap) {
		size_t ncap = p->ncap ? p->ncap * 2 : 1024;
		size_t *end = realloc(p->end, ncap * sizeof(*end));
		if (end == NULL)
			return -1;
		p->end = end;
		p->ncap = ncap;
	}
	if (p->len + size > p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1u << 20;
		while (cap < p->len + size)
			cap *= 2;
		uint8_t *buf = realloc(p->buf, cap);
		if (buf == NULL)
			return -1;
		p->buf = buf;
		p->cap = cap;
	}
	p->len += linli_record_pack(rec, p->buf + p->len);
	p->end[p->n++] = p->len;
	return 0;
}

typedef struct {
	const char *file;
	linli_kind_t kind;
	size_t ncols;
	size_t id_col;
	int field[LINLI_CSV_FIELDS_MAX]; /* field index of each column; -1 for id */
	size_t batch;                    /* records per request (--batch) */
} import_t;

static int read_file(const char *path, char **data, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ctl_fail("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return ctl_fail("%s: %s", path,
		                S_ISDIR(st.st_mode) ? "is a directory" : "cannot stat");
	}
	/* The size of a regular file is a hint (it may grow); a pipe gives
	 * none.  Read until EOF either way, never past the limit. */
	size_t cap = S_ISREG(st.st_mode) && (uint64_t)st.st_size <= IMPORT_FILE_MAX
	                 ? (size_t)st.st_size + 1
	                 : 1u << 20;
	size_t n = 0;
	char *buf = malloc(cap);
	int e = 0;
	while (buf != NULL) {
		if (n == cap) {
			if (cap > IMPORT_FILE_MAX) {
				e = EFBIG;
				break;
			}
			size_t grown_cap =
			    cap * 2 > IMPORT_FILE_MAX + 1 ? IMPORT_FILE_MAX + 1 : cap * 2;
			char *grown = realloc(buf, grown_cap);
			if (grown == NULL) {
				e = ENOMEM;
				break;
			}
			buf = grown;
			cap = grown_cap;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			e = r < 0 ? errno : 0;
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	if (buf == NULL || e != 0) {
		free(buf);
		if (e == EFBIG)
			return ctl_fail("%s: larger than %u MiB; split it into several files", path,
			                IMPORT_FILE_MAX >> 20);
		return ctl_fail("%s: %s", path, strerror(e ? e : ENOMEM));
	}
	*data = buf;
	*len = n;
	return CTL_OK;
}

/* households.csv -> household: the base name without ".csv"; the
 * plural is accepted by linli_kind_parse. */
static linli_kind_t kind_of_file(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	char name[32];
	if (n > 4 && strcasecmp(base + n - 4, ".csv") == 0)
		n -= 4;
	if (n == 0 || n >= sizeof(name))
		return LINLI_KIND_NONE;
	memcpy(name, base, n);
	name[n] = '\0';
	return linli_kind_parse(name);
}

/* Prints "FILE:LINE: reason" with the reason made printable: it may quote
 * bytes of the file. */
static void report(const import_t *im, size_t line, const char *reason)
{
	char *clean = out_clean(reason, 0, NULL);
	fflush(stdout);
	fprintf(stderr, "%s:%zu: %s\n", im->file, line, clean ? clean : "(out of memory)");
	free(clean);
}

static int read_header(import_t *im, linli_csv_t *csv)
{
	linli_csv_row_t row;
	char fields[512], why[LINLI_ERR_MAX + 600];
	int rc = linli_csv_next(csv, &row);
	if (rc == 0)
		return ctl_fail(
		    "%s: empty file; the first row must name the columns, one of them id",
		    im->file);
	if (rc < 0) {
		report(im, linli_csv_error_line(csv), linli_csv_error(csv));
		return ctl_fail("%s: cannot read the header row", im->file);
	}
	bool have_id = false, seen[LINLI_CSV_FIELDS_MAX] = {false};
	ctl_field_list(im->kind, fields, sizeof(fields));
	im->ncols = row.nfields;
	for (size_t j = 0; j < row.nfields; j++) {
		const char *name = row.fields[j];
		int idx = strcmp(name, "id") == 0 ? -1 : linli_field_index(im->kind, name);
		if (idx < 0 && strcmp(name, "id") != 0) {
			snprintf(why, sizeof(why), "unknown column '%s' for %s (columns: id, %s)",
			         name, linli_kind_name(im->kind), fields);
		} else if (idx < 0 ? have_id : seen[idx]) {
			snprintf(why, sizeof(why), "column '%s' appears twice", name);
		} else {
			if (idx < 0) {
				have_id = true;
				im->id_col = j;
			} else {
				seen[idx] = true;
			}
			im->field[j] = idx;
			continue;
		}
		report(im, row.line, why);
		return ctl_fail("%s: bad header; nothing imported", im->file);
	}
	if (!have_id) {
		snprintf(why, sizeof(why), "no id column (columns: id, %s)", fields);
		report(im, row.line, why);
		return ctl_fail("%s: bad header; nothing imported", im->file);
	}
	return CTL_OK;
}

/* The record of one data row, or NULL with the reason in err. */
static linli_record_t *row_record(const import_t *im, const linli_csv_row_t *row, char *err,
                                  size_t errlen)
{
	char why[LINLI_ERR_MAX];
	if (row->nfields != im->ncols) {
		snprintf(err, errlen, "%zu fields where the header has %zu", row->nfields,
		         im->ncols);
		return NULL;
	}
	const char *id = row->fields[im->id_col];
	if (id[0] == '\0') {
		snprintf(err, errlen, "no id");
		return NULL;
	}
	linli_record_t *rec = linli_record_new(im->kind, id);
	if (rec == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t j = 0; j < row->nfields; j++) {
		/* An empty cell leaves the field unset. */
		if (j == im->id_col || row->fields[j][0] == '\0')
			continue;
		if (linli_record_set_field(rec, (size_t)im->field[j], row->fields[j], why,
		                           sizeof(why)) != 0) {
			snprintf(err, errlen, "%s", why);
			linli_record_destroy(&rec);
			return NULL;
		}
	}
	if (linli_record_check(rec, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		linli_record_destroy(&rec);
	}
	return rec;
}

/* The ids seen so far, to report duplicates with the line of the first. */
typedef struct {
	struct slot {
		size_t off; /* into arena, + 1; 0 = empty */
		size_t line;
	} * slots;
	size_t cap, n;
	char *arena;
	size_t alen, acap;
} idset_t;

static uint64_t hash(const char *s)
{
	uint64_t h = 14695981039346656037ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int idset_grow(idset_t *set)
{
	size_t cap = set->cap ? set->cap * 2 : 1024;
	struct slot *slots = calloc(cap, sizeof(*slots));
	if (slots == NULL)
		return -1;
	for (size_t i = 0; i < set->cap; i++) {
		if (set->slots[i].off == 0)
			continue;
		size_t k = hash(set->arena + set->slots[i].off - 1) & (cap - 1);
		while (slots[k].off != 0)
			k = (k + 1) & (cap - 1);
		slots[k] = set->slots[i];
	}
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return 0;
}

/* 1 if id is new, 0 if seen before (*first = its line), -1 out of memory. */
static int idset_add(idset_t *set, const char *id, size_t line, size_t *first)
{
	if ((set->n + 1) * 2 > set->cap && idset_grow(set) != 0)
		return -1;
	size_t k = hash(id) & (set->cap - 1);
	for (; set->slots[k].off != 0; k = (k + 1) & (set->cap - 1)) {
		if (strcmp(set->arena + set->slots[k].off - 1, id) == 0) {
			*first = set->slots[k].line;
			return 0;
		}
	}
	size_t len = strlen(id) + 1;
	if (set->alen + len > set->acap) {
		size_t acap = set->acap ? set->acap * 2 : 64 * 1024;
		while (acap < set->alen + len)
			acap *= 2;
		char *grown = realloc(set->arena, acap);
		if (grown == NULL)
			return -1;
		set->arena = grown;
		set->acap = acap;
	}
	memcpy(set->arena + set->alen, id, len);
	set->slots[k].off = set->alen + 1;
	set->slots[k].line = line;
	set->alen += len;
	set->n++;
	return 1;
}

/* Pass 1: every row after the header; reports each bad one and keeps the
 * good ones in out. */
static int check_rows(const import_t *im, linli_csv_t *csv, size_t *good, packed_t *out)
{
	linli_csv_row_t row;
	char err[LINLI_ERR_MAX + 64];
	idset_t ids = {0};
	size_t bad = 0, first;
	int rc;
	*good = 0;
	while ((rc = linli_csv_next(csv, &row)) != 0) {
		if (rc < 0) {
			report(im, linli_csv_error_line(csv), linli_csv_error(csv));
			bad++;
			continue;
		}
		linli_record_t *rec = row_record(im, &row, err, sizeof(err));
		if (rec == NULL) {
			report(im, row.line, err);
			bad++;
			continue;
		}
		int added = idset_add(&ids, linli_record_id(rec), row.line, &first);
		if (added < 0) {
			linli_record_destroy(&rec);
			break;
		}
		if (added == 0) {
			snprintf(err, sizeof(err), "duplicate id '%s' (first on line %zu)",
			         linli_record_id(rec), first);
			report(im, row.line, err);
			bad++;
		} else if (bad == 0 && packed_add(out, rec) != 0) {
			linli_record_destroy(&rec);
			rc = -1;
			break;
		} else {
			(*good)++;
		}
		linli_record_destroy(&rec);
	}
	free(ids.slots);
	free(ids.arena);
	if (rc != 0)
		return ctl_fail("%s: out of memory checking ids", im->file);
	if (bad > 0)
		return ctl_fail("%s: %zu bad row%s; nothing imported", im->file, bad,
		                bad == 1 ? "" : "s");
	if (*good == 0)
		return ctl_fail("%s: no records after the header", im->file);
	return CTL_OK;
}

/* Request i: the verb and kind, then records first..last-1 as repeated
 * field 7 (CtlRequest.records), copied from their wire form as is. */
static uint8_t *batch_request(const import_t *im, const packed_t *p, size_t first, size_t last,
                              size_t *len)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	req.verb = (char *)"import";
	req.kind = (char *)linli_kind_name(im->kind);
	size_t head = linli__ctl_request__get_packed_size(&req);
	size_t start = first ? p->end[first - 1] : 0;
	uint8_t *buf = malloc(head + p->end[last - 1] - start + (last - first) * 11);
	if (buf == NULL)
		return NULL;
	size_t n = linli__ctl_request__pack(&req, buf);
	for (size_t i = first; i < last; i++) {
		size_t from = i ? p->end[i - 1] : 0;
		n += linli_wire_put_field(buf + n, 7, p->buf + from, p->end[i] - from);
	}
	*len = n;
	return buf;
}

/* The value of name in a reply's "name=value" lines, or NULL. */
static const char *reply_value(const Linli__CtlReply *reply, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < reply->n_status; i++)
		if (strncmp(reply->status[i], name, len) == 0 && reply->status[i][len] == '=')
			return reply->status[i] + len + 1;
	return NULL;
}

static uint64_t reply_u64(const Linli__CtlReply *reply, const char *name)
{
	const char *v = reply_value(reply, name);
	return v ? strtoull(v, NULL, 10) : 0;
}

/* Asks the daemon about the ids of records first..last-1 (verb quota):
 * how many exist and their bytes, added to *existing and *bytes.  The
 * reply, kept in *reply (freed first), also has the quota lines. */
static int quota_lookup(client_t *c, const import_t *im, const packed_t *p, size_t first,
                        size_t last, uint64_t *existing, uint64_t *bytes, Linli__CtlReply **reply)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	linli_record_t **ids = calloc(last - first, sizeof(*ids));
	int rc = ids ? CTL_OK : ctl_fail("out of memory");
	for (size_t i = first; rc == CTL_OK && i < last; i++) {
		size_t from = i ? p->end[i - 1] : 0;
		linli_record_t *rec = linli_record_unpack(p->buf + from, p->end[i] - from);
		if (rec == NULL || (ids[i - first] = linli_record_new(im->kind, rec->id)) == NULL)
			rc = ctl_fail("out of memory");
		linli_record_destroy(&rec);
	}
	client_reply_free(reply);
	req.verb = (char *)"quota";
	req.kind = (char *)linli_kind_name(im->kind);
	req.n_records = last - first;
	req.records = ids;
	if (rc == CTL_OK && client_call(c, &req, reply) != 0)
		rc = CTL_FAIL;
	if (rc == CTL_OK) {
		*existing += reply_u64(*reply, "existing");
		*bytes += reply_u64(*reply, "existing_bytes");
	}
	for (size_t i = 0; ids && i < last - first; i++)
		linli_record_destroy(&ids[i]);
	free(ids);
	return rc;
}

/* Before anything is sent: whether the whole file fits in the community's
 * quota at the hub, as its daemon judges (verb quota with the usage the
 * import would leave).  The daemon judges every change set again before it
 * commits it; this keeps an import that does not fit from stopping half
 * way. */
static int quota_fits(const ctl_t *ctl, const import_t *im, const packed_t *p)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	Linli__CtlReply *reply = NULL;
	Linli__Quota after = LINLI__QUOTA__INIT;
	uint64_t existing = 0, bytes = 0;
	int rc = CTL_OK;
	client_t *c = client_new(ctl->socket);
	if (c == NULL)
		return CTL_FAIL;
	for (size_t first = 0; rc == CTL_OK && first < p->n; first += LINLI_CS_MAX_OPS)
		rc = quota_lookup(c, im, p, first,
		                  p->n - first > LINLI_CS_MAX_OPS ? first + LINLI_CS_MAX_OPS : p->n,
		                  &existing, &bytes, &reply);
	/* Only a node has a quota (the hub's own records have none). */
	if (rc != CTL_OK || reply_value(reply, "quota_used_records") == NULL)
		goto out;
	/* Its log grows by the records and each change set's envelope (the
	 * ops' headers, the change set's, the signature): over-counted. */
	size_t requests = p->len / IMPORT_BATCH_BYTES + p->n / im->batch + 1;
	uint64_t used = reply_u64(reply, "quota_used");
	after.used_records = reply_u64(reply, "quota_used_records") + p->n - existing;
	after.used_bytes = used + p->len > bytes ? used + p->len - bytes : 0;
	after.used_log_bytes =
	    reply_u64(reply, "quota_used_log") + p->len + 16 * p->n + 512 * requests;
	req.verb = (char *)"quota";
	req.kind = (char *)linli_kind_name(im->kind);
	req.quota = &after;
	client_reply_free(&reply);
	if (client_call(c, &req, &reply) != 0)
		rc = CTL_FAIL;
	else if (reply_value(reply, "over") != NULL)
		rc = ctl_fail("%s: %s; nothing was imported", im->file, reply_value(reply, "over"));
out:
	client_reply_free(&reply);
	client_destroy(&c);
	return rc;
}

/* Pass 2: the checked records in requests of at most im->batch records and
 * IMPORT_BATCH_BYTES bytes, IMPORT_IN_FLIGHT at a time.  Each request is
 * one change set, committed before its reply comes. */
static int send_rows(const ctl_t *ctl, const import_t *im, const packed_t *p)
{
	size_t acked = 0, inflight = 0, next = 0;
	size_t counts[IMPORT_IN_FLIGHT + 1], head = 0; /* records of each request in flight */
	int rc = CTL_OK;
	client_t *c = client_new(ctl->socket);
	if (c == NULL)
		return CTL_FAIL;
	while (acked < p->n) {
		if (next < p->n && inflight < IMPORT_IN_FLIGHT) {
			size_t last = next, start = next ? p->end[next - 1] : 0;
			while (last < p->n && last - next < im->batch &&
			       (last == next || p->end[last] - start <= IMPORT_BATCH_BYTES))
				last++;
			size_t len;
			uint8_t *buf = batch_request(im, p, next, last, &len);
			if (buf == NULL) {
				rc = ctl_fail("out of memory");
				break;
			}
			int sent_ok = client_send_raw(c, buf, len);
			free(buf);
			if (sent_ok != 0) {
				rc = CTL_FAIL;
				break;
			}
			counts[(head + inflight) % (IMPORT_IN_FLIGHT + 1)] = last - next;
			inflight++;
			next = last;
			continue;
		}
		Linli__CtlReply *reply;
		if (client_recv(c, &reply) != 0) {
			rc = CTL_FAIL;
			break;
		}
		client_reply_free(&reply);
		acked += counts[head];
		head = (head + 1) % (IMPORT_IN_FLIGHT + 1);
		inflight--;
		if (acked < p->n || p->n > im->batch) {
			fflush(stdout);
			fprintf(stderr, "imported %zu/%zu\n", acked, p->n);
		}
	}
	if (rc == CTL_OK) {
		if (ctl->json)
			printf("{\"ok\":true,\"imported\":%zu}\n", acked);
		else
			printf("imported %zu %s records from %s\n", acked,
			       linli_kind_name(im->kind), im->file);
	} else if (acked > 0) {
		ctl_fail("%s: %zu of %zu records were imported before that", im->file, acked, p->n);
	}
	client_destroy(&c);
	return rc;
}

int cmd_import(ctl_t *ctl, int argc, char **argv)
{
	const char *file = NULL, *kind = NULL, *batch = NULL;
	for (int i = 0; i < argc; i++) {
		int m = ctl_option(ctl, argc, argv, &i, "--kind", &kind);
		if (m == 0)
			m = ctl_option(ctl, argc, argv, &i, "--batch", &batch);
		if (m < 0)
			return CTL_USAGE;
		if (m > 0)
			continue;
		if (argv[i][0] == '-' && argv[i][1] == '-')
			return ctl_usage(ctl, "unknown option '%s'", argv[i]);
		if (file != NULL)
			return ctl_usage(ctl, "import takes one file ('%s' and '%s' given)", file,
			                 argv[i]);
		file = argv[i];
	}
	if (file == NULL)
		return ctl_usage(ctl, "import needs a CSV file");

	import_t im = {.file = file, .batch = IMPORT_BATCH};
	if (batch != NULL) {
		char *end;
		unsigned long b = strtoul(batch, &end, 10);
		if (*end != '\0' || b < 1 || b > IMPORT_BATCH)
			return ctl_usage(ctl, "--batch '%s' is not a number from 1 to %d", batch,
			                 IMPORT_BATCH);
		im.batch = b;
	}
	if (kind != NULL && (im.kind = linli_kind_parse(kind)) == LINLI_KIND_NONE)
		return ctl_fail("unknown kind '%s' (service, partner, grid, household, request, "
		                "event)",
		                kind);
	if (kind == NULL && (im.kind = kind_of_file(file)) == LINLI_KIND_NONE)
		return ctl_fail("%s: cannot tell the kind from the file name; name it like "
		                "households.csv or give --kind KIND",
		                file);

	char *data = NULL;
	size_t len = 0, good = 0;
	packed_t packed = {0};
	int rc = read_file(file, &data, &len);
	if (rc != CTL_OK)
		return rc;
	linli_csv_t *csv = linli_csv_new(data, len);
	if (csv == NULL)
		rc = ctl_fail("out of memory");
	if (rc == CTL_OK)
		rc = read_header(&im, csv);
	if (rc == CTL_OK)
		rc = check_rows(&im, csv, &good, &packed);
	linli_csv_destroy(&csv);
	free(data);
	if (rc == CTL_OK)
		rc = quota_fits(ctl, &im, &packed);
	if (rc == CTL_OK)
		rc = send_rows(ctl, &im, &packed);
	packed_free(&packed);
	return rc;
}
