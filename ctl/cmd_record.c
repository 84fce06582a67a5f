/*
 * cmd_record: KIND add | set | remove | show | list.
 *
 * Fields are given as FIELD=VALUE in the text form of proto/record.h, and
 * checked here before anything is sent: a typo should be caught with the
 * argument quoted, not come back as a refusal from the daemon.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl/client.h"
#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/names.h"
#include "ctl/output.h"

/* linli_record_get of a repeated field joins up to LINLI_ITEMS_MAX items. */
#define VALUE_MAX ((size_t)LINLI_ITEMS_MAX * (LINLI_TEXT_MAX + 1))

void ctl_field_list(linli_kind_t kind, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < linli_field_count(kind) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		                        linli_field_name(kind, i));
}

/* An id to write under (linli_id_writable). */
static int check_id(const ctl_t *ctl, const char *id)
{
	if (id[0] == '-')
		return ctl_fail("'%s' is not a record id: an id never begins with '-', which reads "
		                "as an option (linlictl %s --help shows the fields)",
		                id, linli_kind_name(ctl->kind));
	if (!linli_id_valid(id))
		return ctl_fail("'%s' is not a record id (1-%d of A-Z a-z 0-9 . _ -)", id,
		                LINLI_ID_MAX);
	return CTL_OK;
}

/* The id of remove and show: argv[0], or after "--" one made before ids
 * could not begin with '-' (to see it, and to remove it). */
static int old_or_new_id(const ctl_t *ctl, int argc, char **argv, const char **id)
{
	if (argc == 2 && strcmp(argv[0], "--") == 0) {
		*id = argv[1];
		if (!linli_id_valid(*id))
			return ctl_fail("'%s' is not a record id (1-%d of A-Z a-z 0-9 . _ -)", *id,
			                LINLI_ID_MAX);
		return CTL_OK;
	}
	*id = argv[0];
	if ((*id)[0] == '-' && linli_id_valid(*id))
		return ctl_fail("'%s' is not a record id: an id never begins with '-', which reads "
		                "as an option; a record made so before: linlictl %s %s -- %s",
		                *id, linli_kind_name(ctl->kind), ctl->cmd->verb, *id);
	return check_id(ctl, *id);
}

/* The field named by "FIELD=VALUE": its index, or -1 after printing why. */
static int field_of(const ctl_t *ctl, const char *arg, const char **value, int *rc)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg) {
		*rc = ctl_usage(ctl, "'%s' is not FIELD=VALUE", arg);
		return -1;
	}
	char name[64];
	size_t n = (size_t)(eq - arg);
	int idx = -1;
	if (n < sizeof(name)) {
		memcpy(name, arg, n);
		name[n] = '\0';
		idx = linli_field_index(ctl->kind, name);
	}
	if (idx < 0) {
		char fields[512];
		ctl_field_list(ctl->kind, fields, sizeof(fields));
		/* The value is not repeated: it may be a resident's. */
		*rc = ctl_fail(
		    "a %s has no field '%.*s' (fields: %s; linlictl %s --help says more)",
		    linli_kind_name(ctl->kind), (int)n, arg, fields, linli_kind_name(ctl->kind));
		return -1;
	}
	/* A choice may be given by its shown or Chinese name (老有所养). */
	*value = names_value_parse(ctl->kind, linli_field_name(ctl->kind, (size_t)idx), eq + 1);
	return idx;
}

/* "what: why" for a value linli_record_set refused: what the field takes,
 * in the operator's language, for a number, time, flag or choice (the
 * value itself only for public kinds: a personal one may be a
 * resident's); else (text too long, not UTF-8) set's own reason. */
static int value_refused(const ctl_t *ctl, const char *what, int idx, const char *value,
                         const char *err)
{
	char takes[1024];
	linli_field_type_t type = linli_field_type(ctl->kind, (size_t)idx);
	if (type == LINLI_FIELD_TEXT || type == LINLI_FIELD_LIST)
		return ctl_fail("%s: %s", what, err);
	const char *field = names_field(ctl->kind, linli_field_name(ctl->kind, (size_t)idx));
	names_field_values(ctl->kind, (size_t)idx, takes, sizeof(takes));
	if (linli_kind_stream(ctl->kind) == LINLI_STREAM_PUBLIC)
		return ctl_fail("%s: %s does not take '%s'; it takes %s", what, field, value,
		                takes);
	return ctl_fail("%s: %s does not take that value; it takes %s", what, field, takes);
}

/* A record of the command's kind with every FIELD=VALUE of argv set;
 * given[i] (if not NULL) marks the fields named. */
static int build(const ctl_t *ctl, const char *id, int argc, char **argv, bool *given,
                 linli_record_t **out)
{
	char err[LINLI_ERR_MAX];
	int rc = CTL_OK;
	linli_record_t *rec = linli_record_new(ctl->kind, id);
	if (rec == NULL)
		return ctl_fail("out of memory");
	for (int i = 0; i < argc; i++) {
		const char *value;
		int idx = field_of(ctl, argv[i], &value, &rc);
		if (idx < 0)
			goto fail;
		if (linli_record_set(rec, linli_field_name(ctl->kind, (size_t)idx), value, err,
		                     sizeof(err)) != 0) {
			char what[LINLI_ID_MAX + 32];
			snprintf(what, sizeof(what), "%s %s", linli_kind_name(ctl->kind), id);
			rc = value_refused(ctl, what, idx, value, err);
			goto fail;
		}
		if (given != NULL)
			given[idx] = true;
	}
	*out = rec;
	return CTL_OK;
fail:
	linli_record_destroy(&rec);
	return rc;
}

static Linli__CtlRequest request(const ctl_t *ctl, const char *verb)
{
	Linli__CtlRequest req = LINLI__CTL_REQUEST__INIT;
	req.verb = (char *)verb;
	req.kind = (char *)linli_kind_name(ctl->kind);
	return req;
}

/* Sends a request that changes something (req->verb) and says it was
 * done, and what it left naming nothing (--force), as the daemon says it
 * in the operator's language. */
static int call_done(const ctl_t *ctl, const Linli__CtlRequest *req, const char *id)
{
	Linli__CtlReply *reply;
	if (client_call_once(ctl->socket, req, &reply) != 0)
		return CTL_FAIL;
	if (ctl->json) {
		fputs("{\"ok\":true", stdout);
		if (reply->n_dangling > 0) {
			fputs(",\"dangling\":[", stdout);
			for (size_t i = 0; i < reply->n_dangling; i++) {
				fputs(i ? "," : "", stdout);
				linli_json_string(stdout, reply->dangling[i]);
			}
			fputc(']', stdout);
		}
		puts("}");
	} else {
		if (strcmp(req->verb, "add") == 0)
			printf(_("added %s %s\n"), names_kind(ctl->kind), id);
		else if (strcmp(req->verb, "set") == 0)
			printf(_("updated %s %s\n"), names_kind(ctl->kind), id);
		else
			printf(_("removed %s %s\n"), names_kind(ctl->kind), id);
		for (size_t i = 0; i < reply->n_dangling; i++) {
			char *line = out_clean(reply->dangling[i], 0, NULL);
			printf(_("left dangling: %s\n"), line ? line : "?");
			free(line);
		}
	}
	client_reply_free(&reply);
	return CTL_OK;
}

/* Takes "--force" out of argv (before a "--"): whether it was there. */
static bool take_force(int *argc, char **argv)
{
	bool force = false;
	int n = 0;
	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[n++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--force") == 0)
			force = true;
		else
			argv[n++] = argv[i];
	}
	*argc = n;
	return force;
}

int cmd_add(ctl_t *ctl, int argc, char **argv)
{
	char err[LINLI_ERR_MAX];
	linli_record_t *rec = NULL;
	if (argc < 1)
		return ctl_usage(ctl, "add needs an id");
	int rc = check_id(ctl, argv[0]);
	if (rc == CTL_OK)
		rc = build(ctl, argv[0], argc - 1, argv + 1, NULL, &rec);
	if (rc != CTL_OK)
		return rc;
	if (linli_record_validate(rec, err, sizeof(err)) != 0) {
		rc = ctl_fail("%s %s: %s", linli_kind_name(ctl->kind), argv[0], err);
	} else {
		Linli__CtlRequest req = request(ctl, "add");
		req.record = rec;
		rc = call_done(ctl, &req, argv[0]);
	}
	linli_record_destroy(&rec);
	return rc;
}

int cmd_set(ctl_t *ctl, int argc, char **argv)
{
	size_t nf = linli_field_count(ctl->kind);
	bool given[64] = {false};
	char *names[64];
	linli_record_t *rec = NULL;
	bool force = take_force(&argc, argv);
	if (argc < 1)
		return ctl_usage(ctl, "set needs an id");
	if (argc < 2)
		return ctl_usage(ctl, "set needs FIELD=VALUE");
	if (nf > sizeof(given) / sizeof(given[0]))
		return ctl_fail("%s has too many fields", linli_kind_name(ctl->kind));
	int rc = check_id(ctl, argv[0]);
	if (rc == CTL_OK)
		rc = build(ctl, argv[0], argc - 1, argv + 1, given, &rec);
	if (rc != CTL_OK)
		return rc;
	/* No linli_record_validate: the record is partial by design, the
	 * daemon checks the merged result. */
	Linli__CtlRequest req = request(ctl, "set");
	req.record = rec;
	req.fields = names;
	req.force = force;
	for (size_t i = 0; i < nf; i++)
		if (given[i])
			names[req.n_fields++] = (char *)linli_field_name(ctl->kind, i);
	rc = call_done(ctl, &req, argv[0]);
	linli_record_destroy(&rec);
	return rc;
}

int cmd_remove(ctl_t *ctl, int argc, char **argv)
{
	const char *id;
	bool force = take_force(&argc, argv);
	if (argc != 1 && !(argc == 2 && strcmp(argv[0], "--") == 0))
		return ctl_usage(ctl, "remove takes exactly one id");
	int rc = old_or_new_id(ctl, argc, argv, &id);
	if (rc != CTL_OK)
		return rc;
	linli_record_t *rec = linli_record_new(ctl->kind, id);
	if (rec == NULL)
		return ctl_fail("out of memory");
	Linli__CtlRequest req = request(ctl, "remove");
	req.record = rec;
	req.force = force;
	rc = call_done(ctl, &req, id);
	linli_record_destroy(&rec);
	return rc;
}

/* --owner CODE among argv; everything else goes to rest[] (argv order). */
static int split_args(const ctl_t *ctl, int argc, char **argv, const char **owner, char **rest,
                      int *nrest)
{
	*nrest = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			/* The rest is not options: an id made before ids could
			 * not begin with '-'. */
			while (i < argc)
				rest[(*nrest)++] = argv[i++];
			break;
		}
		int m = ctl_option(ctl, argc, argv, &i, "--owner", owner);
		if (m < 0)
			return CTL_USAGE;
		if (m > 0)
			continue;
		if (argv[i][0] == '-' && argv[i][1] == '-' && strcmp(argv[i], "--json") == 0)
			return ctl_usage(ctl,
			                 "unknown option '%s' (global options go before the "
			                 "command)",
			                 argv[i]);
		if (argv[i][0] == '-' && argv[i][1] == '-')
			return ctl_usage(ctl, "unknown option '%s'", argv[i]);
		rest[(*nrest)++] = argv[i];
	}
	return ctl_check_owner(*owner);
}

/* The entries of a reply that hold a record of the command's kind. */
static bool usable(const ctl_t *ctl, const Linli__Entry *e)
{
	return e != NULL && e->record != NULL && linli_record_kind(e->record) == ctl->kind;
}

static int print_record(const ctl_t *ctl, const Linli__Entry *e)
{
	if (ctl->json) {
		linli_record_json(e->record, e->owner, stdout);
		putchar('\n');
		return CTL_OK;
	}
	size_t nf = linli_field_count(ctl->kind), n = nf + 2;
	const char **names = calloc(n, sizeof(char *));
	char **values = calloc(n, sizeof(char *)), *buf = malloc(VALUE_MAX);
	int rc = CTL_FAIL;
	if (names == NULL || values == NULL || buf == NULL)
		goto done;
	names[0] = names_field(ctl->kind, "owner");
	names[1] = names_field(ctl->kind, "id");
	values[0] = strdup(e->owner);
	values[1] = strdup(linli_record_id(e->record));
	for (size_t i = 0; i < nf; i++) {
		const char *field = linli_field_name(ctl->kind, i);
		names[i + 2] = names_field(ctl->kind, field);
		linli_record_get(e->record, i, buf, VALUE_MAX);
		values[i + 2] = strdup(names_value(ctl->kind, field, buf));
	}
	for (size_t i = 0; i < n; i++)
		if (values[i] == NULL)
			goto done;
	out_pairs(stdout, names, (const char *const *)values, n, false);
	rc = CTL_OK;
done:
	if (rc != CTL_OK)
		ctl_fail("out of memory");
	for (size_t i = 0; values != NULL && i < n; i++)
		free(values[i]);
	free(values);
	free(names);
	free(buf);
	return rc;
}

int cmd_show(ctl_t *ctl, int argc, char **argv)
{
	const char *owner = NULL;
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	int nrest, rc = rest ? split_args(ctl, argc, argv, &owner, rest, &nrest) : CTL_FAIL;
	const char *id = NULL;
	if (rc == CTL_OK && nrest != 1 && !(nrest == 2 && strcmp(rest[0], "--") == 0))
		rc = ctl_usage(ctl, "show takes exactly one id");
	if (rc == CTL_OK)
		rc = old_or_new_id(ctl, nrest, rest, &id);
	if (rc != CTL_OK) {
		free(rest);
		return rc;
	}
	linli_record_t *rec = linli_record_new(ctl->kind, id);
	Linli__CtlRequest req = request(ctl, "show");
	Linli__CtlReply *reply = NULL;
	req.record = rec;
	req.owner = (char *)(owner ? owner : "");
	if (rec == NULL)
		rc = ctl_fail("out of memory");
	else if (client_call_once(ctl->socket, &req, &reply) != 0)
		rc = CTL_FAIL;
	else if (reply->n_entries == 0 || !usable(ctl, reply->entries[0]))
		rc = owner ? ctl_fail("no %s '%s' of %s", names_kind(ctl->kind), id,
		                      names_owner(owner, owner))
		           : ctl_fail("no %s '%s'", names_kind(ctl->kind), id);
	else
		rc = print_record(ctl, reply->entries[0]);
	client_reply_free(&reply);
	linli_record_destroy(&rec);
	free(rest);
	return rc;
}

/* A list as it comes, a page at a time: JSON objects, or a table whose
 * columns the first page with rows sets. */
typedef struct {
	const ctl_t *ctl;
	size_t printed; /* records */
	size_t *widths; /* of the table's columns; zeros until set */
} list_out_t;

static int print_list(void *arg, const Linli__CtlReply *reply)
{
	list_out_t *l = arg;
	const ctl_t *ctl = l->ctl;
	if (ctl->json) {
		for (size_t i = 0; i < reply->n_entries; i++) {
			if (!usable(ctl, reply->entries[i]))
				continue;
			fputs(l->printed++ ? ",\n" : "\n", stdout);
			linli_record_json(reply->entries[i]->record, reply->entries[i]->owner,
			                  stdout);
		}
		return CTL_OK;
	}
	size_t nf = linli_field_count(ctl->kind), n = nf + 2;
	out_col_t *cols = calloc(n, sizeof(*cols));
	char **cells = calloc(n, sizeof(char *)), *buf = malloc(VALUE_MAX);
	out_table_t *t = NULL;
	int rc = CTL_FAIL;
	if (cols == NULL || cells == NULL || buf == NULL)
		goto done;
	cols[0] = (out_col_t){"owner", names_field(ctl->kind, "owner"), OUT_TEXT};
	cols[1] = (out_col_t){"id", names_field(ctl->kind, "id"), OUT_TEXT};
	for (size_t i = 0; i < nf; i++) {
		const char *field = linli_field_name(ctl->kind, i);
		cols[i + 2] = (out_col_t){field, names_field(ctl->kind, field), OUT_TEXT};
	}
	if ((t = out_table_new(NULL, cols, n, OUT_CELL_MAX)) == NULL)
		goto done;
	for (size_t r = 0; r < reply->n_entries; r++) {
		const Linli__Entry *e = reply->entries[r];
		if (!usable(ctl, e))
			continue;
		cells[0] = strdup(e->owner);
		cells[1] = strdup(linli_record_id(e->record));
		for (size_t i = 0; i < nf; i++) {
			linli_record_get(e->record, i, buf, VALUE_MAX);
			cells[i + 2] =
			    strdup(names_value(ctl->kind, linli_field_name(ctl->kind, i), buf));
		}
		bool ok = true;
		for (size_t i = 0; i < n; i++)
			ok = ok && cells[i] != NULL;
		if (ok)
			ok = out_table_add(t, (const char *const *)cells) == 0;
		for (size_t i = 0; i < n; i++) {
			free(cells[i]);
			cells[i] = NULL;
		}
		if (!ok)
			goto done;
	}
	/* A page without rows prints nothing, but the header of a list of
	 * none (an empty reply at the end). */
	if (out_table_rows(t) > 0 || (l->printed == 0 && reply->n_entries == 0 && !reply->more))
		out_table_print_page(t, stdout, l->widths);
	l->printed += out_table_rows(t);
	rc = CTL_OK;
done:
	if (rc != CTL_OK)
		ctl_fail("out of memory");
	out_table_destroy(&t);
	free(cols);
	free(cells);
	free(buf);
	return rc;
}

int ctl_list_pages(const ctl_t *ctl, const char *owner, Linli__Filter **filters, size_t nfilters,
                   int (*page)(void *arg, const Linli__CtlReply *reply), void *arg)
{
	Linli__CtlRequest req = request(ctl, "list");
	char after_owner[LINLI_OWNER_MAX + 1] = "", after_id[LINLI_ID_MAX + 1] = "";
	int rc = CTL_OK;
	req.owner = (char *)(owner ? owner : "");
	req.filters = filters;
	req.n_filters = nfilters;
	req.page = LIST_PAGE;
	client_t *c = client_new(ctl->socket);
	if (c == NULL)
		return CTL_FAIL;
	for (bool more = true; more && rc == CTL_OK;) {
		Linli__CtlReply *reply;
		req.after_owner = after_owner;
		req.after_id = after_id;
		if (client_call(c, &req, &reply) != 0) {
			rc = CTL_FAIL;
			break;
		}
		/* A daemon that does not page (an older one) sends one reply. */
		more = reply->more && reply->next_id[0] != '\0' &&
		       (strcmp(reply->next_owner, after_owner) != 0 ||
		        strcmp(reply->next_id, after_id) != 0);
		reply->more = more;
		rc = page(arg, reply);
		snprintf(after_owner, sizeof(after_owner), "%s", reply->next_owner);
		snprintf(after_id, sizeof(after_id), "%s", reply->next_id);
		client_reply_free(&reply);
	}
	client_destroy(&c);
	return rc;
}

/* FIELD=VALUE filters, values in the canonical text form linli_record_get
 * writes ("food-safety", "2024-05-01 00:00:00"), which is what the daemon
 * compares them with. */
static int build_filters(const ctl_t *ctl, int n, char **args, Linli__Filter *filters,
                         Linli__Filter **ptrs)
{
	char err[LINLI_ERR_MAX], *buf = malloc(VALUE_MAX);
	linli_record_t *scratch = linli_record_new(ctl->kind, "filter");
	int rc = CTL_OK;
	if (buf == NULL || scratch == NULL) {
		rc = ctl_fail("out of memory");
		goto done;
	}
	for (int i = 0; i < n; i++) {
		const char *value;
		int idx = field_of(ctl, args[i], &value, &rc);
		if (idx < 0)
			goto done;
		const char *name = linli_field_name(ctl->kind, (size_t)idx);
		if (linli_record_set(scratch, name, value, err, sizeof(err)) != 0) {
			rc = value_refused(ctl, _("filter"), idx, value, err);
			goto done;
		}
		linli_record_get(scratch, (size_t)idx, buf, VALUE_MAX);
		linli__filter__init(&filters[i]);
		filters[i].field = (char *)name;
		if ((filters[i].value = strdup(buf)) == NULL) {
			rc = ctl_fail("out of memory");
			goto done;
		}
		ptrs[i] = &filters[i];
	}
done:
	linli_record_destroy(&scratch);
	free(buf);
	return rc;
}

int ctl_filters(const ctl_t *ctl, int n, char **args, Linli__Filter *filters, Linli__Filter **ptrs)
{
	return build_filters(ctl, n, args, filters, ptrs);
}

int cmd_list(ctl_t *ctl, int argc, char **argv)
{
	const char *owner = NULL;
	int nrest = 0, rc;
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	Linli__Filter *filters = calloc((size_t)argc + 1, sizeof(*filters));
	Linli__Filter **ptrs = calloc((size_t)argc + 1, sizeof(*ptrs));
	list_out_t l = {.ctl = ctl};
	l.widths = calloc(linli_field_count(ctl->kind) + 2, sizeof(size_t));
	if (rest == NULL || filters == NULL || ptrs == NULL || l.widths == NULL)
		rc = ctl_fail("out of memory");
	else
		rc = split_args(ctl, argc, argv, &owner, rest, &nrest);
	if (rc == CTL_OK)
		rc = build_filters(ctl, nrest, rest, filters, ptrs);
	if (rc == CTL_OK) {
		if (ctl->json)
			fputc('[', stdout);
		rc = ctl_list_pages(ctl, owner, ptrs, (size_t)nrest, print_list, &l);
		if (ctl->json && rc == CTL_OK)
			fputs("\n]\n", stdout);
	}
	free(l.widths);
	for (int i = 0; filters != NULL && i < nrest; i++)
		free(filters[i].value);
	free(filters);
	free(ptrs);
	free(rest);
	return rc;
}
