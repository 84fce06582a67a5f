/*
 * ctl: what every linlictl command shares: the global options, the command
 * table entry being run, and the two ways a command ends badly.
 *
 * Exit codes: 0 success, 1 a one-line "linlictl: reason" on stderr, 2 a
 * usage error (the command's synopsis follows the reason).
 */
#ifndef LINLICTL_CTL_H
#define LINLICTL_CTL_H

#include <stdbool.h>

#include "proto/linli.pb-c.h"
#include "proto/record.h"

#define CTL_OK    0
#define CTL_FAIL  1
#define CTL_USAGE 2

typedef struct ctl ctl_t;

typedef struct {
	const char *word; /* first word; "KIND" matches any record kind */
	const char *verb; /* second word, or NULL */
	int (*run)(ctl_t *ctl, int argc, char **argv); /* argv[0] is the first argument */
	const char *args;                              /* synopsis after the words */
	const char *example;                           /* one full command line */
	const char *help;                              /* one line */
} ctl_cmd_t;

struct ctl {
	const char *socket; /* control socket path */
	bool json;
	linli_kind_t kind;      /* for KIND commands */
	const ctl_cmd_t *cmd;   /* the command being run */
	const ctl_cmd_t *table; /* every command, ending with a NULL word */
};

/* Prints "linlictl: reason" and returns CTL_FAIL. */
int ctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "linlictl: reason" and the synopsis of the running command,
 * returns CTL_USAGE. */
int ctl_usage(const ctl_t *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the synopsis and example of every command to out. */
void ctl_print_usage(const ctl_t *ctl, FILE *out);

/* Command options that take a value, "--owner CODE" or "--owner=CODE":
 * returns 1 and sets *value when argv[*i] is option name (advancing *i past
 * a separate value), 0 when it is not, -1 after printing the usage error
 * when the value is missing. */
int ctl_option(const ctl_t *ctl, int argc, char **argv, int *i, const char *name,
               const char **value);
/* "--owner CODE" values: an owner code, checked. */
int ctl_check_owner(const char *owner);

/* FIELD=VALUE filters of the command's kind (args[0..n)) into filters
 * and ptrs (n each), values in the text form the daemon compares; the
 * caller frees each filters[i].value.  CTL_OK, or after printing why. */
int ctl_filters(const ctl_t *ctl, int n, char **args, Linli__Filter *filters, Linli__Filter **ptrs);

/* Records in a list: a page at a time from the daemon (LIST_PAGE records
 * at most, the daemon may send fewer), so that a list of any length takes
 * memory for one page.  page(arg, reply) gets each reply; a non-zero
 * return stops.  CTL_OK, or CTL_FAIL after printing why. */
#define LIST_PAGE 5000
int ctl_list_pages(const ctl_t *ctl, const char *owner, Linli__Filter **filters, size_t nfilters,
                   int (*page)(void *arg, const Linli__CtlReply *reply), void *arg);

/* "a, b, c": the fields of kind, for error messages. */
void ctl_field_list(linli_kind_t kind, char *buf, size_t len);

/* The commands, one group per file. */
int cmd_add(ctl_t *ctl, int argc, char **argv);
int cmd_set(ctl_t *ctl, int argc, char **argv);
int cmd_remove(ctl_t *ctl, int argc, char **argv);
int cmd_show(ctl_t *ctl, int argc, char **argv);
int cmd_list(ctl_t *ctl, int argc, char **argv);
int cmd_import(ctl_t *ctl, int argc, char **argv);
int cmd_history(ctl_t *ctl, int argc, char **argv);
int cmd_status(ctl_t *ctl, int argc, char **argv);
int cmd_reload(ctl_t *ctl, int argc, char **argv);
int cmd_verify(ctl_t *ctl, int argc, char **argv);
int cmd_digest(ctl_t *ctl, int argc, char **argv);
int cmd_restore(ctl_t *ctl, int argc, char **argv);
int cmd_stats(ctl_t *ctl, int argc, char **argv);
int cmd_logs(ctl_t *ctl, int argc, char **argv);
int cmd_diverged(ctl_t *ctl, int argc, char **argv);
int cmd_trust_add(ctl_t *ctl, int argc, char **argv);
int cmd_trust_list(ctl_t *ctl, int argc, char **argv);
int cmd_trust_revoke(ctl_t *ctl, int argc, char **argv);
int cmd_keygen(ctl_t *ctl, int argc, char **argv);
int cmd_pubkey(ctl_t *ctl, int argc, char **argv);
int cmd_http_password(ctl_t *ctl, int argc, char **argv);
int cmd_backup(ctl_t *ctl, int argc, char **argv);
int cmd_export(ctl_t *ctl, int argc, char **argv);

#endif
