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
#include "ctl/output.h"

#define DEFAULT_SOCKET "/run/linli/control.sock"

static int cmd_help(ctl_t *ctl, int argc, char **argv);

static const ctl_cmd_t commands[] = {
    {"KIND", "add", cmd_add, "ID FIELD=VALUE...",
     "linlictl service add zl-canteen name='Seniors canteen' category=elderly walk_minutes=5",
     "add a record"},
    {"KIND", "set", cmd_set, "ID FIELD=VALUE...",
     "linlictl household set hh-0102 phone=13800000000", "change some fields of a record"},
    {"KIND", "remove", cmd_remove, "ID", "linlictl event remove ev-2024-festival",
     "remove a record"},
    {"KIND", "show", cmd_show, "ID [--owner CODE]", "linlictl grid show zl-g2 --owner 350582006006",
     "print one record"},
    {"KIND", "list", cmd_list, "[--owner CODE] [FIELD=VALUE...]",
     "linlictl services list --owner 350582006006 category=medical", "list records"},
    {"import", NULL, cmd_import, "FILE.csv [--kind KIND] [--encoding ENC] [--dry-run] [--batch N]",
     "linlictl import households.csv --encoding gbk",
     "check a CSV file (UTF-8, or GBK with --encoding gbk; English or Chinese headers), then "
     "add or replace all its records in one transaction, or with --dry-run say what it would "
     "do"},
    {"export", NULL, cmd_export, "KIND [--owner CODE] [FIELD=VALUE...] [-o FILE] [--bom]",
     "linlictl export household -o households.csv --bom",
     "write records as CSV that import takes back (Chinese headers in a Chinese locale; --bom "
     "for Excel)"},
    {"status", NULL, cmd_status, "", "linlictl status", "what the daemon is doing"},
    {"reload", NULL, cmd_reload, "", "linlictl reload",
     "re-read the trust file (as SIGHUP does); the daemon's log says what changed"},
    {"verify", NULL, cmd_verify, "", "linlictl verify",
     "re-check every log's signatures and chain, and the records against them"},
    {"digest", NULL, cmd_digest, "", "linlictl digest",
     "per log held: head, records and a hash of them, to compare replicas"},
    {"restore", NULL, cmd_restore, "", "linlictl restore",
     "on a node with an empty database and its key: take its logs back from the hub"},
    {"stats", NULL, cmd_stats, "[--owner CODE]", "linlictl stats",
     "services, records and replication per community"},
    {"logs", NULL, cmd_logs, "", "linlictl logs",
     "the head of every log held (seq per owner and log)"},
    {"diverged", NULL, cmd_diverged, "", "linlictl diverged",
     "on a server whose log diverged (another server writes as its community): what the hub "
     "does not hold, as commands to enter it again"},
    {"trust", "add", cmd_trust_add, "CODE PUBKEY NAME",
     "linlictl trust add 350582006006 "
     "3679fc2f8d880d68d3cd857151c4170d3baf9e560f8ddcc707a81bb995a75e88 Zenglin",
     "trust an owner's key; a new key for a listed owner retires its old one"},
    {"trust", "revoke", cmd_trust_revoke, "CODE", "linlictl trust revoke 350582006003",
     "refuse an owner's new change sets and links; its history still verifies"},
    {"trust", "list", cmd_trust_list, "", "linlictl trust list",
     "list trusted keys: current, retired (history only) or revoked"},
    {"keygen", NULL, cmd_keygen, "[--data] FILE", "linlictl keygen --data /etc/linli/data_key",
     "make a new signing key, or with --data the key that seals the database (no daemon "
     "needed)"},
    {"backup", NULL, cmd_backup, "FILE", "linlictl backup /var/backups/linli/2025-11-03.mdb",
     "a checked, compacted copy of the running database; then says what else to keep"},
    {"pubkey", NULL, cmd_pubkey, "FILE", "linlictl pubkey /etc/linli/key",
     "print the public key of a signing key file, as keygen did (no daemon needed)"},
    {"help", NULL, cmd_help, "", "linlictl help", "print this"},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

int ctl_fail(const char *fmt, ...)
{
	va_list ap;
	fflush(stdout);
	fputs("linlictl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
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
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (ctl->cmd != NULL) {
		fputs("usage: ", stderr);
		print_synopsis(ctl, ctl->cmd, stderr);
	}
	return CTL_USAGE;
}

void ctl_print_usage(const ctl_t *ctl, FILE *out)
{
	fputs("usage: linlictl [-s PATH] [--json] COMMAND [ARGS]\n"
	      "       linlictl --version\n\ncommands:\n",
	      out);
	for (const ctl_cmd_t *c = ctl->table; c->word != NULL; c++) {
		char head[96];
		snprintf(head, sizeof(head), "%s%s%s%s%s", c->word, c->verb ? " " : "",
		         c->verb ? c->verb : "", c->args[0] ? " " : "", c->args);
		fprintf(out, "  %-44s %s\n      %s\n", head, c->help, c->example);
	}
	fputs("\nKIND is service, partner, grid, household, request or event (plurals work too).\n"
	      "FIELD names are those of linli.proto; `linlictl KIND list` shows them as columns.\n"
	      "options:\n"
	      "  -s PATH   control socket (default: $LINLI_CONTROL, else " DEFAULT_SOCKET ")\n"
	      "  --json    print JSON instead of text\n"
	      "exit status: 0 done, 1 failed (one line on stderr says why), 2 usage error\n"
	      "see linlictl(8)\n",
	      out);
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
	(void)argc;
	(void)argv;
	ctl_print_usage(ctl, stdout);
	return CTL_OK;
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
	if (cmd == NULL) {
		if (known && argc > 1)
			fprintf(stderr, "linlictl: unknown %s command '%s'\n", argv[0], argv[1]);
		else if (known)
			fprintf(stderr, "linlictl: '%s' needs a command after it\n", argv[0]);
		else
			fprintf(stderr, "linlictl: unknown command '%s'\n", argv[0]);
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
