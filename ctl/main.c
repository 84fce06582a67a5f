/*
 * linlictl: the operator's command line for linlid.
 *
 * Global options, then a command looked up in one table; each command
 * lives in a cmd_*.c file and talks to the daemon through client.c and
 * prints through output.c.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "ctl/ctl.h"
#include "ctl/i18n.h"
#include "ctl/names.h"
#include "ctl/output.h"

#define DEFAULT_SOCKET "/run/linli/control.sock"

static int cmd_help(ctl_t *ctl, int argc, char **argv);

static const ctl_cmd_t commands[] = {
    {"KIND", "add", cmd_add, "ID FIELD=VALUE...",
     "linlictl service add zl-canteen name='Seniors canteen' category=elderly walk_minutes=5",
     N_("add a record")},
    {"KIND", "set", cmd_set, "ID FIELD=VALUE... [--force]",
     "linlictl household set hh-0102 phone=13800000000", N_("change some fields of a record")},
    {"KIND", "remove", cmd_remove, "ID [--force]", "linlictl event remove ev-2024-festival",
     N_("remove a record")},
    {"KIND", "show", cmd_show, "ID [--owner CODE]", "linlictl grid show zl-g2 --owner 350582006006",
     N_("print one record")},
    {"KIND", "list", cmd_list, "[--owner CODE] [FIELD=VALUE...]",
     "linlictl services list --owner 350582006006 category=medical", N_("list records")},
    {"history", NULL, cmd_history, "KIND ID [--owner CODE]", "linlictl history household hh-0102",
     N_("every change of a record the logs here hold: when, who, which fields from what to "
        "what")},
    {"import", NULL, cmd_import, "FILE.csv [--kind KIND] [--encoding ENC] [--dry-run] [--batch N]",
     "linlictl import households.csv --encoding gbk",
     N_("check a CSV file (UTF-8, or GBK with --encoding gbk; English or Chinese headers), then "
        "add or replace all its records in one transaction, or with --dry-run say what it "
        "would do")},
    {"export", NULL, cmd_export, "KIND [--owner CODE] [FIELD=VALUE...] [-o FILE] [--bom]",
     "linlictl export household -o households.csv --bom",
     N_("write records as CSV that import takes back (Chinese headers in a Chinese locale; "
        "--bom for Excel)")},
    {"status", NULL, cmd_status, "", "linlictl status", N_("what the daemon is doing")},
    {"reload", NULL, cmd_reload, "", "linlictl reload",
     N_("re-read the trust file (as SIGHUP does); the daemon's log says what changed")},
    {"verify", NULL, cmd_verify, "", "linlictl verify",
     N_("re-check every log's signatures and chain, and the records against them")},
    {"digest", NULL, cmd_digest, "", "linlictl digest",
     N_("per log held: head, records and a hash of them, to compare replicas")},
    {"restore", NULL, cmd_restore, "", "linlictl restore",
     N_("on a node with an empty database and its key: take its logs back from the hub")},
    {"stats", NULL, cmd_stats, "[--month YYYY-MM [--months N]] [--owner CODE]", "linlictl stats",
     N_("services, records and replication per community")},
    {"logs", NULL, cmd_logs, "", "linlictl logs",
     N_("the head of every log held (seq per owner and log)")},
    {"diverged", NULL, cmd_diverged, "", "linlictl diverged",
     N_("on a server whose log diverged (another server writes as its community): what the hub "
        "does not hold, as commands to enter it again")},
    {"trust", "add", cmd_trust_add, "CODE PUBKEY NAME",
     "linlictl trust add 350582006006 "
     "3679fc2f8d880d68d3cd857151c4170d3baf9e560f8ddcc707a81bb995a75e88 Zenglin",
     N_("trust an owner's key; a new key for a listed owner retires its old one")},
    {"trust", "revoke", cmd_trust_revoke, "CODE", "linlictl trust revoke 350582006003",
     N_("refuse an owner's new change sets and links; its history still verifies")},
    {"trust", "list", cmd_trust_list, "", "linlictl trust list",
     N_("list trusted keys: current, retired (history only) or revoked")},
    {"keygen", NULL, cmd_keygen, "[--data] FILE", "linlictl keygen --data /etc/linli/data_key",
     N_("make a new signing key, or with --data the key that seals the database (no daemon "
        "needed)")},
    {"backup", NULL, cmd_backup, "FILE", "linlictl backup /var/backups/linli/2025-11-03.mdb",
     N_("a checked, compacted copy of the running database; then says what else to keep")},
    {"pubkey", NULL, cmd_pubkey, "FILE", "linlictl pubkey /etc/linli/key",
     N_("print the public key of a signing key file, as keygen did (no daemon needed)")},
    {"http-password", NULL, cmd_http_password, "USER", "linlictl http-password staff",
     N_("print a line for linlid's http_password_file: USER and a hash of a password read "
        "without echo (or from stdin); no daemon needed")},
    {"help", NULL, cmd_help, "[KIND | COMMAND]", "linlictl help household",
     N_("print this, or the fields of a kind of record, or one command's help")},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

int ctl_fail(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("linlictl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, _(fmt), ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_FAIL;
}

static void print_synopsis(const ctl_t *ctl, const ctl_cmd_t *c, FILE *out)
{
	const char *word = strcmp(c->word, "KIND") == 0 && ctl->kind != LINLI_KIND_NONE
	                       ? linli_kind_name(ctl->kind)
	                       : c->word;
	fprintf(out, "linlictl [-s PATH] [--json] %s%s%s%s%s\n", word, c->verb ? " " : "",
	        c->verb ? c->verb : "", c->args[0] ? " " : "", c->args);
}

int ctl_usage(const ctl_t *ctl, const char *fmt, ...)
{
	va_list ap;
	fputs("linlictl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, _(fmt), ap);
	va_end(ap);
	fputc('\n', stderr);
	if (ctl->cmd != NULL) {
		fputs(_("usage: "), stderr);
		print_synopsis(ctl, ctl->cmd, stderr);
	}
	return CTL_USAGE;
}

void ctl_print_usage(const ctl_t *ctl, FILE *out)
{
	fputs(_("usage: linlictl [-s PATH] [--json] COMMAND [ARGS]\n"
	        "       linlictl KIND --help      the fields of a kind of record\n"
	        "       linlictl --version\n\ncommands:\n"),
	      out);
	for (const ctl_cmd_t *c = ctl->table; c->word != NULL; c++) {
		char head[96];
		snprintf(head, sizeof(head), "%s%s%s%s%s", c->word, c->verb ? " " : "",
		         c->verb ? c->verb : "", c->args[0] ? " " : "", c->args);
		fprintf(out, "  %-44s %s\n      %s\n", head, _(c->help), c->example);
	}
	fprintf(out,
	        _("\nKIND is service, partner, grid, household, request or event (plurals work "
	          "too);\n`linlictl KIND --help` lists its fields and the values they take.\n"
	          "options:\n"
	          "  -s PATH   control socket (default: $LINLI_CONTROL, else %s)\n"
	          "  --json    print JSON instead of text\n"
	          "environment: LINLI_USER, the user linlid runs as (default linli): linlictl "
	          "sends\n  only to a socket owned by root, you or that user, in directories no "
	          "one else\n  can change\n"
	          "exit status: 0 done, 1 failed (one line on stderr says why), 2 usage error\n"
	          "LANG=zh_CN.UTF-8 gives Chinese; see linlictl(8)\n"),
	        DEFAULT_SOCKET);
}

/* What field i of kind takes, and what help says beyond that. */
static void field_values(linli_kind_t kind, size_t i, char *buf, size_t len)
{
	const char *name = linli_field_name(kind, i);
	names_field_values(kind, i, buf, len);
	size_t off = strlen(buf);
	const char *note = names_field_note(kind, name);
	if (note != NULL && off < len)
		snprintf(buf + off, len - off, "; %s", note);
}

/* The fields of kind, their names in Chinese and English, and the values
 * they take: one table, aligned in any locale. */
static int print_fields(linli_kind_t kind, FILE *out)
{
	static const out_col_t cols[] = {
	    {"field", N_("field"), OUT_TEXT},
	    {"name", N_("name"), OUT_TEXT},
	    {"values", N_("values"), OUT_TEXT},
	};
	char values[1024];
	out_table_t *t = out_table_new(NULL, cols, 3, 0);
	if (t == NULL)
		return ctl_fail("out of memory");
	snprintf(values, sizeof(values), _("1-%d of A-Z a-z 0-9 . _ -, not beginning with '-'"),
	         LINLI_ID_MAX);
	const char *shown = names_field(kind, "id"), *zh = names_field_zh(kind, "id");
	const char *row[] = {"id", zh ? zh : strcmp(shown, "id") ? shown : "", values};
	int rc = out_table_add(t, row);
	for (size_t i = 0; rc == 0 && i < linli_field_count(kind); i++) {
		const char *name = linli_field_name(kind, i);
		shown = names_field(kind, name);
		zh = names_field_zh(kind, name);
		field_values(kind, i, values, sizeof(values));
		row[0] = name;
		row[1] = zh ? zh : strcmp(shown, name) ? shown : "";
		row[2] = values;
		rc = out_table_add(t, row);
	}
	if (rc == 0)
		out_table_print(t, out, false);
	out_table_destroy(&t);
	return rc == 0 ? CTL_OK : ctl_fail("out of memory");
}

/* One full add of each kind, for its help (index: linli_kind_t). */
static const char *const kind_examples[LINLI_KIND_COUNT] = {
    NULL,
    "linlictl service add zl-canteen name=长者助餐点 category=elderly provider=曾林社区 "
    "walk_minutes=5 status=open",
    "linlictl partner add zl-p01 name=晋江市科协 kind=群团组织 items='科普讲座;青少年科技课'",
    "linlictl grid add zl-g2 name=第二网格 level=2 parent=zl-g1 worker=王芳",
    "linlictl household add zl-h0102 grid=zl-g2 address='曾林 12 号' head_name=陈明 "
    "phone=13800000000 size=4 rented=no",
    "linlictl request add zl-r001 channel=grid-chat category=路灯 text=路灯坏了 status=open "
    "opened_at='2025-11-03 08:00'",
    "linlictl event add zl-e001 name=邻里节 category=leisure date=2025-11-08 participants=120",
};

/* linlictl KIND --help, linlictl KIND VERB --help, linlictl help KIND:
 * the commands on that kind (or the one), its fields and an example. */
static int print_kind_help(ctl_t *ctl, linli_kind_t kind, const ctl_cmd_t *only, FILE *out)
{
	const char *kname = linli_kind_name(kind), *zh = i18n_zh("kind", kname);
	ctl->kind = kind;
	fprintf(out, _("%s (%s): its commands, and its fields as FIELD=VALUE and CSV columns\n\n"),
	        kname, zh ? zh : names_kind(kind));
	int width = 0;
	for (int pass = 0; pass < 2; pass++)
		for (const ctl_cmd_t *c = ctl->table; c->word != NULL; c++) {
			if (strcmp(c->word, "KIND") != 0 || (only != NULL && c != only))
				continue;
			char head[96];
			int n = snprintf(head, sizeof(head), "linlictl %s %s %s", kname, c->verb,
			                 c->args);
			if (pass == 0 && n > width)
				width = n;
			else if (pass == 1)
				fprintf(out, "  %-*s  %s\n", width, head, _(c->help));
		}
	fputc('\n', out);
	int rc = print_fields(kind, out);
	fprintf(out, _("\nexample:\n  %s\n"), kind_examples[kind]);
	return rc;
}

/* The help of one command that is not on records. */
static void print_command_help(const ctl_t *ctl, const ctl_cmd_t *c, FILE *out)
{
	fputs(_("usage: "), out);
	print_synopsis(ctl, c, out);
	fprintf(out, "  %s\n", _(c->help));
	fprintf(out, _("example:\n  %s\n"), c->example);
}

/* Help for argv (a kind, or a command's words), to out. */
static int help_for(ctl_t *ctl, int argc, char **argv, FILE *out)
{
	linli_kind_t kind = argc > 0 ? linli_kind_parse(argv[0]) : LINLI_KIND_NONE;
	if (kind != LINLI_KIND_NONE) {
		const ctl_cmd_t *only = NULL;
		for (const ctl_cmd_t *c = ctl->table; argc > 1 && c->word != NULL; c++)
			if (strcmp(c->word, "KIND") == 0 && strcmp(c->verb, argv[1]) == 0)
				only = c;
		return print_kind_help(ctl, kind, only, out);
	}
	for (const ctl_cmd_t *c = ctl->table; argc > 0 && c->word != NULL; c++) {
		if (strcmp(c->word, argv[0]) != 0 || strcmp(c->word, "help") == 0)
			continue;
		if (c->verb != NULL && (argc < 2 || strcmp(c->verb, argv[1]) != 0))
			continue;
		print_command_help(ctl, c, out);
		return CTL_OK;
	}
	ctl_print_usage(ctl, out);
	return CTL_OK;
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* Whether a command's arguments ask for help: --help or -h before "--".
 * Then nothing else is done, whatever the other arguments say (`service
 * add --help name=x` once added a service "--help"). */
static bool wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (is_help(argv[i]))
			return true;
	return false;
}

int ctl_option(const ctl_t *ctl, int argc, char **argv, int *i, const char *name,
               const char **value)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		ctl_usage(ctl, "option %s needs a value", name);
		return -1;
	}
	*value = argv[++*i];
	return 1;
}

int ctl_check_owner(const char *owner)
{
	if (owner != NULL && !linli_owner_valid(owner))
		return ctl_fail("'%s' is not an owner code (9 or 12 digits, like 350582006006)",
		                owner);
	return CTL_OK;
}

static int cmd_help(ctl_t *ctl, int argc, char **argv)
{
	return help_for(ctl, argc, argv, stdout);
}

/* Finds the command for argv[0] (and argv[1]); sets *words to how many
 * words it took.  NULL when nothing matches. */
static const ctl_cmd_t *find(ctl_t *ctl, int argc, char **argv, int *words, bool *word_known)
{
	*word_known = false;
	linli_kind_t kind = linli_kind_parse(argv[0]);
	for (const ctl_cmd_t *c = commands; c->word != NULL; c++) {
		bool match = strcmp(c->word, "KIND") == 0 ? kind != LINLI_KIND_NONE
		                                          : strcmp(c->word, argv[0]) == 0;
		if (!match)
			continue;
		*word_known = true;
		if (c->verb == NULL) {
			*words = 1;
			return c;
		}
		if (argc > 1 && strcmp(c->verb, argv[1]) == 0) {
			ctl->kind = kind;
			*words = 2;
			return c;
		}
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"socket", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	ctl_t ctl = {.table = commands};
	int opt;

	out_init();
	i18n_init();
	/* '+': stop at the command, whose own arguments may look like options. */
	while ((opt = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			ctl.socket = optarg;
			break;
		case 'j':
			ctl.json = true;
			break;
		case 'h':
			ctl_print_usage(&ctl, stdout);
			return CTL_OK;
		case 'V': {
			int major, minor, patch;
			zmq_version(&major, &minor, &patch);
			printf("linlictl %s (libzmq %d.%d.%d)\n", LINLI_VERSION, major, minor,
			       patch);
			return CTL_OK;
		}
		default:
			ctl_print_usage(&ctl, stderr);
			return CTL_USAGE;
		}
	}
	if (ctl.socket == NULL)
		ctl.socket = getenv("LINLI_CONTROL");
	if (ctl.socket == NULL || ctl.socket[0] == '\0')
		ctl.socket = DEFAULT_SOCKET;
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		fputs(_("linlictl: no command given\n"), stderr);
		ctl_print_usage(&ctl, stderr);
		return CTL_USAGE;
	}

	int words;
	bool known;
	const ctl_cmd_t *cmd = find(&ctl, argc, argv, &words, &known);
	if ((cmd != NULL && wants_help(argc - words, argv + words)) ||
	    (cmd == NULL && known && argc > 1 && (is_help(argv[1]) || !strcmp(argv[1], "help")))) {
		/* KIND --help, KIND VERB ... --help, COMMAND --help. */
		int rc = help_for(&ctl, argc, argv, stdout);
		return fflush(stdout) == 0 && rc == CTL_OK ? CTL_OK : CTL_FAIL;
	}
	if (cmd == NULL) {
		linli_kind_t kind = linli_kind_parse(argv[0]);
		if (known && argc > 1)
			fprintf(stderr, _("linlictl: unknown %s command '%s'\n"), argv[0], argv[1]);
		else if (known)
			fprintf(stderr, _("linlictl: '%s' needs a command after it\n"), argv[0]);
		else
			fprintf(stderr, _("linlictl: unknown command '%s'\n"), argv[0]);
		if (kind != LINLI_KIND_NONE)
			print_kind_help(&ctl, kind, NULL, stderr);
		else
			ctl_print_usage(&ctl, stderr);
		return CTL_USAGE;
	}
	ctl.cmd = cmd;
	int rc = cmd->run(&ctl, argc - words, argv + words);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("linlictl: stdout");
		return CTL_FAIL;
	}
	return rc;
}
