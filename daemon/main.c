/*
 * linlid: the linli sync daemon, as a community node or the subdistrict hub.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "daemon/auth.h"
#include "daemon/backup.h"
#include "daemon/import.h"
#include "daemon/claims.h"
#include "daemon/compact.h"
#include "daemon/fdlimit.h"
#include "daemon/http.h"
#include "daemon/linkgate.h"
#include "daemon/linkmon.h"
#include "daemon/linlid.h"
#include "daemon/log.h"
#include "daemon/monthly.h"
#include "daemon/quota.h"
#include "daemon/readers.h"
#include "daemon/refs.h"
#include "daemon/service.h"
#include "daemon/verifier.h"
#include "daemon/verify.h"
#include "daemon/versions.h"
#include "daemon/zmsg.h"
#include "proto/files.h"

#define HTTP_PUBLISH_MS 500

static volatile sig_atomic_t stop_signal, reload_signal;
static service_t *service; /* what systemd is told (service.h) */

static void on_stop(int sig)
{
	stop_signal = sig;
}

static void on_hup(int sig)
{
	(void)sig;
	reload_signal = 1;
}

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void exit_for_restart(void)
{
	fflush(stderr);
	/* _exit: no atexit work racing the ZeroMQ and verifier threads. */
	_exit(EXIT_FAILURE);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: linlid [-n] [-v] -c CONFIG\n"
	             "       linlid --version\n"
	             "  -c CONFIG  configuration file (linlid.conf(5))\n"
	             "  -n         check the configuration, the key files and the trust file,\n"
	             "             and exit; with -v print the settings\n"
	             "see linlid(8)\n");
}

static void version(void)
{
	int major, minor, patch;
	zmq_version(&major, &minor, &patch);
	printf("linlid %s (libzmq %d.%d.%d, LMDB %s, libsodium %s)\n", LINLI_VERSION, major, minor,
	       patch, store_lmdb_version(), sodium_version_string());
}

static void say_change(const char *line)
{
	log_info("trust list: %s", line);
}

/* What this daemon needs of its trust list; community: a hub needs a
 * community in it (not at a first start, when there is none yet). */
static trust_need_t need_of(const linlid_t *d, bool community)
{
	trust_need_t need = {.self = d->cfg.owner,
	                     .pub = linli_key_pub(d->key),
	                     .key_file = d->cfg.key_file,
	                     .hub = d->cfg.role == ROLE_HUB,
	                     .community = community};
	return need;
}

/* Puts in force a list that passed trust_check. */
static void use_trust(linlid_t *d, const trust_t *fresh, size_t *changes)
{
	*changes = trust_diff(&d->trust, fresh, say_change);
	d->trust = *fresh;
	/* What was refused may pass with the new list: try it again now. */
	backoff_retry_all(&d->backoffs);
	log_info("trust list reloaded: %zu owners from %s", d->trust.n, d->cfg.trust_file);
	if (d->cfg.role == ROLE_NODE && d->link != NULL)
		auth_client_reload(d, d->link);
}

int reload_trust(linlid_t *d, size_t *changes, char *err, size_t errlen)
{
	static trust_t fresh; /* large: not on the stack */
	char why[LINLI_ERR_MAX];
	trust_need_t need = need_of(d, true);
	*changes = 0;
	service_reloading(service);
	/* A list that would leave the daemon without what it needs is an
	 * operator's file half-edited, cut short or gone: keep the one in use
	 * (the links go on) and say why. */
	if (trust_load(&fresh, d->cfg.trust_file, why, sizeof(why)) != 0 ||
	    trust_check(&fresh, d->cfg.trust_file, &need, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s; the trust list in use stays", why);
		log_err("reload refused: %s", err);
		service_reloaded(service, d, now_ms());
		return -1;
	}
	use_trust(d, &fresh, changes);
	service_reloaded(service, d, now_ms());
	return 0;
}

int change_trust(linlid_t *d, const trust_change_t *c, size_t *changes, char *err, size_t errlen)
{
	static trust_t fresh; /* large: not on the stack */
	trust_need_t need = need_of(d, true);
	*changes = 0;
	if (trust_file_change(d->cfg.trust_file, c, &need, &fresh, err, errlen) != 0) {
		log_err("trust %s %s refused: %s", c->pub ? "add" : "revoke", c->owner, err);
		return -1;
	}
	use_trust(d, &fresh, changes);
	return 0;
}

/* Our own key must be the one the trust list gives for our owner code,
 * else every change set we sign would be refused everywhere.  trust_check
 * made sure the list has us, with our key among our keys. */
static int check_own_key(const linlid_t *d, char *err, size_t errlen)
{
	const trust_entry_t *me = trust_find(&d->trust, d->cfg.owner);
	if (memcmp(me->keys[0], linli_key_pub(d->key), LINLI_PUB_LEN) != 0) {
		snprintf(err, errlen,
		         "%s: the key in %s is not the one %s lists for %s: it is a retired key; "
		         "start with the new one",
		         d->cfg.owner, d->cfg.key_file, d->cfg.trust_file, d->cfg.owner);
		return -1;
	}
	if (me->revoked) {
		snprintf(err, errlen, "%s is revoked in the trust list %s", d->cfg.owner,
		         d->cfg.trust_file);
		return -1;
	}
	return 0;
}

/* Room for a reason that quotes up to three paths of the config. */
#define START_ERR_MAX (3 * CONFIG_PATH_MAX + LINLI_ERR_MAX)

/* A file linlid needs that is not there: said as such, with what makes it. */
static bool missing(const char *path)
{
	struct stat st;
	return lstat(path, &st) != 0 && errno == ENOENT;
}

/* The signing key and the trust list, checked against each other: what
 * start needs before it opens the store, and what -n checks. */
static int load_identity(linlid_t *d, char *err, size_t errlen)
{
	const config_t *c = &d->cfg;
	if (missing(c->key_file)) {
		snprintf(err, errlen, "key_file %s is missing: make one with `linlictl keygen %s`",
		         c->key_file, c->key_file);
		return -1;
	}
	if (linli_key_load(&d->key, c->key_file, err, errlen) != 0)
		return -1;
	if (missing(c->trust_file)) {
		if (c->role == ROLE_NODE)
			snprintf(err, errlen,
			         "trust_file %s is missing: a node needs a copy of the hub's trust "
			         "file before it starts (the hub's /etc/linli/trust)",
			         c->trust_file);
		else
			snprintf(err, errlen,
			         "trust_file %s is missing: make it with the hub's own line, \"%s "
			         "PUBKEY NAME\" (`linlictl pubkey %s` prints PUBKEY)",
			         c->trust_file, c->owner, c->key_file);
		return -1;
	}
	trust_need_t need = need_of(d, false);
	if (trust_load(&d->trust, c->trust_file, err, errlen) != 0 ||
	    trust_check(&d->trust, c->trust_file, &need, err, errlen) != 0)
		return -1;
	return check_own_key(d, err, errlen);
}

/* -n: the settings, then every file start reads before the store. */
static int check_config(linlid_t *d, const char *config, bool verbose)
{
	char err[START_ERR_MAX];
	uint8_t *key = NULL;
	if (linli_crypto_init() != 0) {
		fprintf(stderr, "linlid: libsodium failed to initialise\n");
		return 1;
	}
	int rc = load_identity(d, err, sizeof(err));
	if (rc == 0 && missing(d->cfg.data_key_file)) {
		snprintf(err, sizeof(err),
		         "data_key_file %s is missing: make one with `linlictl keygen --data %s`",
		         d->cfg.data_key_file, d->cfg.data_key_file);
		rc = -1;
	} else if (rc == 0 &&
	           (rc = linli_data_key_load(&key, d->cfg.data_key_file, err, sizeof(err))) == 0) {
		linli_secret_free(&key);
	}
	linli_key_destroy(&d->key);
	if (rc == 0 && d->cfg.http_password_file[0] != '\0')
		rc = http_passwords_check(d->cfg.http_password_file, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "linlid: %s: %s\n", config, err);
		return 1;
	}
	if (verbose)
		config_print(&d->cfg, stdout);
	else
		printf("linlid: %s: configuration ok\n", config);
	return 0;
}

static int is_community_log(const char *owner, int stream, const store_head_t *head, void *arg)
{
	(void)stream, (void)head;
	return strcmp(owner, arg) != 0;
}

/* A hub whose list names no community may be on its first start (the
 * README's: its own line, then `trust add`).  One whose database holds
 * communities' logs is not: that file lost them. */
static int check_communities(linlid_t *d)
{
	linli_txn_t *txn;
	if (d->cfg.role != ROLE_HUB || d->trust.n > 1)
		return 0;
	int rc = store_read_begin(d->store, &txn);
	if (rc == 0) {
		rc = store_heads_each(txn, is_community_log, d->cfg.owner);
		store_abort(&txn);
	}
	if (rc < 0) {
		log_err("store %s: %s", d->cfg.state_dir, store_strerror(rc));
		return -1;
	}
	if (rc > 0) {
		log_err("%s: lists no community, but this hub's database holds communities' logs: "
		        "is it the right file? not starting",
		        d->cfg.trust_file);
		return -1;
	}
	log_warn("%s lists no community yet: add each with `linlictl trust add CODE PUBKEY NAME`",
	         d->cfg.trust_file);
	return 0;
}

/* meta "running" is set while a daemon has the store open and cleared on a
 * clean stop.  Found set at start, the last run ended by a crash, a kill
 * or a failed commit: the end of every log is checked before anything is
 * served (signatures, places, chain up to the head), in bounded time; a
 * commit is atomic, so what a crash leaves to doubt is the disk under the
 * last writes.  linlictl verify checks everything. */
#define CRASH_CHECK_TAIL 64
static int set_running(linlid_t *d, bool running)
{
	linli_txn_t *txn;
	uint8_t v = running;
	int rc = store_write_begin(d->store, NULL, &txn);
	if (rc == 0 && (rc = store_meta_put(txn, "running", &v, 1)) == 0)
		return store_commit(&txn);
	store_abort(&txn);
	return rc;
}

static int check_after_crash(linlid_t *d)
{
	linli_txn_t *txn;
	const void *val;
	size_t len;
	if (store_read_begin(d->store, &txn) != 0)
		return -1;
	bool unclean = store_meta_get(txn, "running", &val, &len) == 0 && len == 1 &&
	               *(const uint8_t *)val == 1;
	store_abort(&txn);
	if (!unclean)
		return 0;
	verify_result_t res;
	uint64_t t0 = now_ms();
	log_warn("the last run did not stop cleanly: checking the database before serving");
	if (verify_tails(d, CRASH_CHECK_TAIL, &res) != 0) {
		log_err("database check failed: %s; not serving (restore it: see linlictl restore)",
		        res.error);
		return -1;
	}
	log_info("database check: the last %" PRIu64 " change sets of %" PRIu64
	         " logs agree with their signatures and chains (%.2f s)",
	         res.change_sets, res.logs, (double)(now_ms() - t0) / 1000.0);
	return 0;
}

_Static_assert(STORE_KEY_LEN == LINLI_SECRET_LEN, "a data key is a secret");

/* The store, with the data key that seals its values.  The key is read
 * into locked memory, handed to the store (which keeps its own locked
 * copy) and wiped here at once; it is never logged. */
static int open_store(linlid_t *d)
{
	char err[LINLI_FILE_ERR_MAX];
	uint8_t *key = NULL;
	if (linli_data_key_load(&key, d->cfg.data_key_file, err, sizeof(err)) != 0) {
		bool missing = access(d->cfg.data_key_file, F_OK) != 0 && errno == ENOENT;
		log_err("%s%s", err,
		        missing ? " (make one with `linlictl keygen --data FILE`)" : "");
		return -1;
	}
	if (linli_key_is(d->key, key)) {
		linli_secret_free(&key);
		log_err("data key file %s holds the signing key of %s: make a data key of its own "
		        "with `linlictl keygen --data FILE` (signing keys are rotated, the data "
		        "must stay readable)",
		        d->cfg.data_key_file, d->cfg.key_file);
		return -1;
	}
	int rc = store_open(&d->store, d->cfg.state_dir, key);
	linli_secret_free(&key);
	if (rc == STORE_BADKEY)
		log_err("store %s: the data key in %s is not the one this database was made with; "
		        "start with that key: without it nothing in the database can be read",
		        d->cfg.state_dir, d->cfg.data_key_file);
	else if (rc != 0)
		log_err("store %s: %s", d->cfg.state_dir, store_strerror(rc));
	return rc == 0 ? 0 : -1;
}

/* The HTTP endpoint, on threads of its own (http.h), unless it is off. */
static int start_http(linlid_t *d)
{
	char err[START_ERR_MAX];
	if (strcmp(d->cfg.http_listen, "off") == 0)
		return 0;
	http_conf_t hc = {.listen = d->cfg.http_listen,
	                  .allow = &d->cfg.http_allow,
	                  .password_file = d->cfg.http_password_file,
	                  .version = LINLI_VERSION,
	                  .store = d->store,
	                  .state_dir = d->cfg.state_dir};
	if (http_start(&d->http, &hc, err, sizeof(err)) != 0) {
		log_err("%s; not starting", err);
		return -1;
	}
	return 0;
}

static int start(linlid_t *d)
{
	char err[START_ERR_MAX];
	if (linli_crypto_init() != 0) {
		log_err("libsodium failed to initialise");
		return -1;
	}
	/* Every link connection takes a descriptor (linkgate.h). */
	fdlimit_raise();
	if (mkdir(d->cfg.state_dir, 0700) != 0 && errno != EEXIST) {
		log_err("state_dir %s: %s", d->cfg.state_dir, strerror(errno));
		return -1;
	}
	/* Made or found, it must be ours alone, and every directory above it
	 * (files.h): a state directory another user can change is a database
	 * they can swap. */
	if (linli_path_check("state_dir", d->cfg.state_dir, true, LINLI_NO_UID, err, sizeof(err)) !=
	    0) {
		log_err("%s; not starting", err);
		return -1;
	}
	/* One daemon per state directory: a second one would take over the
	 * control socket and write the same logs with its own idea of them. */
	char lock[CONFIG_PATH_MAX + 16];
	snprintf(lock, sizeof(lock), "%s/linlid.lock", d->cfg.state_dir);
	d->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lock_fd < 0 || flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		log_err("state_dir %s: %s", d->cfg.state_dir,
		        errno == EWOULDBLOCK ? "another linlid is running with it"
		                             : strerror(errno));
		return -1;
	}
	if (load_identity(d, err, sizeof(err)) != 0) {
		log_err("%s; not starting", err);
		return -1;
	}
	if (open_store(d) != 0 || check_communities(d) != 0)
		return -1;
	if ((d->readers = readers_new()) == NULL) {
		log_err("out of memory");
		return -1;
	}
	if (check_after_crash(d) != 0 || refs_open(d) != 0 ||
	    monthly_open(d->store, d->cfg.state_dir) != 0)
		return -1;
	int rc = set_running(d, true);
	if (rc != 0)
		log_warn("store %s: %s (a crash now is noticed only by linlictl verify)",
		         d->cfg.state_dir, store_strerror(rc));
	if ((d->versions = versions_new(d)) == NULL || (d->quota = quota_new(d)) == NULL)
		return -1;
	d->zctx = zmq_ctx_new();
	if (d->zctx == NULL || control_start(d) != 0)
		return -1;
	if ((d->cfg.role == ROLE_HUB ? hub_start(d) : node_start(d)) != 0)
		return -1;
	return start_http(d);
}

/* served: start succeeded, so the store is as good as it was found. */
static void stop(linlid_t *d, bool served)
{
	http_destroy(&d->http); /* its threads read the store */
	hub_stop(d);
	backup_destroy(&d->backup); /* it reads the store */
	import_destroy(&d->imports);
	verifier_destroy(&d->verifier);
	linkmon_destroy(&d->linkmon);
	linkgate_destroy(&d->linkgate);
	claims_destroy(&d->claims);
	if (d->link)
		zmq_close(d->link);
	if (d->zap)
		zmq_close(d->zap);
	if (d->control) {
		zmq_close(d->control);
		unlink(d->cfg.control);
	}
	if (d->zctx)
		zmq_ctx_term(d->zctx);
	if (served && set_running(d, false) != 0)
		log_warn(
		    "store: the clean stop is not recorded; the next start checks the database");
	store_close(&d->store);
	readers_destroy(&d->readers);
	linli_key_destroy(&d->key);
	versions_destroy(&d->versions);
	quota_destroy(&d->quota);
}

static void run(linlid_t *d)
{
	static links_t links; /* large: not on the stack */
	uint64_t next_tick = 0, next_publish = 0, verifier_moved = now_ms();
	while (!stop_signal) {
		bool link = d->cfg.role == ROLE_NODE || hub_wants_link(d);
		zmq_pollitem_t items[] = {
		    {d->link, 0, link ? ZMQ_POLLIN : 0, 0},
		    {d->control, 0, ZMQ_POLLIN, 0},
		    {d->zap, 0, d->zap ? ZMQ_POLLIN : 0, 0},
		    {d->verifier ? verifier_socket(d->verifier) : NULL, 0, ZMQ_POLLIN, 0},
		    {NULL, 0, 0, 0},
		};
		int nitems = d->verifier ? 4 : 3, mon = -1;
		if (d->linkmon) {
			mon = nitems++;
			items[mon] = (zmq_pollitem_t){linkmon_socket(d->linkmon), 0, ZMQ_POLLIN, 0};
		}
		int n = zmq_poll(items, nitems, 100);
		if (n < 0 && errno != EINTR) {
			log_err("zmq_poll: %s", zmq_strerror(errno));
			break;
		}
		if (reload_signal) {
			char err[LINLI_ERR_MAX + 64]; /* the reason and what follows */
			size_t changes;
			reload_signal = 0;
			log_info("SIGHUP: reloading the trust list");
			reload_trust(d, &changes, err, sizeof(err));
		}
		if (n > 0 && (items[0].revents & ZMQ_POLLIN))
			d->cfg.role == ROLE_HUB ? hub_on_link(d) : node_on_link(d);
		if (n > 0 && (items[1].revents & ZMQ_POLLIN))
			control_on_request(d);
		if (n > 0 && (items[2].revents & ZMQ_POLLIN))
			auth_on_request(d);
		if (n > 0 && d->verifier && (items[3].revents & ZMQ_POLLIN))
			hub_on_verified(d);
		uint64_t now = now_ms();
		if (n > 0 && mon >= 0 && (items[mon].revents & ZMQ_POLLIN))
			linkmon_on_event(d->linkmon, now);
		if (now >= next_tick) {
			if (d->cfg.role == ROLE_NODE)
				node_tick(d);
			else
				hub_tick(d);
			readers_tick(d->readers, d->store, now,
			             (uint64_t)d->cfg.reader_warn_s * 1000u);
			linkmon_tick(d->linkmon, now);
			import_expire(d, now);
			next_tick = now + 100;
		}
		/* What the pages and /metrics show of the links: a copy, so their
		 * threads never wait for this loop nor it for them. */
		if (d->http != NULL && now >= next_publish) {
			links_take(d, &links);
			http_publish(d->http, &links);
			next_publish = now + HTTP_PUBLISH_MS;
		}
		/* Healthy: this loop went round, and the verifier thread has
		 * nothing to do or gave work back within the watchdog interval
		 * (a wedged thread leaves the hub taking no change sets). */
		if (d->verifying == 0 || (n > 0 && d->verifier && (items[3].revents & ZMQ_POLLIN)))
			verifier_moved = now;
		service_tick(service, d, now, now - verifier_moved < service_watchdog_ms(service));
	}
}

int main(int argc, char **argv)
{
	static linlid_t daemon; /* large (peer table): not on the stack */
	const char *config = NULL;
	bool check = false, verbose = false;
	char err[LINLI_FILE_ERR_MAX];
	int opt;

	static const struct option longopts[] = {
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	while ((opt = getopt_long(argc, argv, "c:nvh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'V':
			version();
			return 0;
		case 'c':
			config = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (config == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	linlid_t *d = &daemon;
	if (config_load(&d->cfg, config, err, sizeof(err)) != 0) {
		fprintf(stderr, "linlid: %s\n", err);
		return 1;
	}
	if (check)
		return check_config(d, config, verbose);
	log_detect_journal();
	log_set_level(d->cfg.log_level);
	setvbuf(stderr, NULL, _IOLBF, 0);
	/* Before start: it edits the environment, which is not safe once
	 * libzmq's threads run. */
	if ((service = service_new()) == NULL) {
		log_err("out of memory");
		return EXIT_FAILURE;
	}

	struct sigaction sa = {0};
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	d->started_ms = now_ms();
	int rc = EXIT_SUCCESS;
	bool served = start(d) == 0;
	if (!served) {
		rc = EXIT_FAILURE;
	} else {
		log_info("%s %s (%s) started, state in %s",
		         d->cfg.role == ROLE_HUB ? "hub" : "node", d->cfg.owner, d->cfg.name,
		         d->cfg.state_dir);
		service_ready(service, d, now_ms());
		run(d);
		log_info("stopping on signal %d", (int)stop_signal);
		service_stopping(service);
	}
	stop(d, served);
	service_destroy(&service);
	return rc;
}
