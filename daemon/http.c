/*
 * http: the HTTP endpoint on libmicrohttpd's threads (http.h).
 */
#include "daemon/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sched.h>
#include <time.h>

#include "daemon/backoff.h"
#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/pagecache.h"
#include "daemon/web.h"
#include "proto/files.h"
#include "proto/stats.h"

/* Bounds.  A few threads are plenty for a subdistrict's staff and a
 * scraper; each runs its own epoll loop over its share of the connections,
 * so one slow answer holds up only that share. */
#define THREADS        4
#define CONNS_MAX      512         /* open connections in all */
#define PER_ADDRESS    32          /* of them from one address (loopback: no bound, a proxy's) */
#define IDLE_S         15          /* a connection that sends nothing this long is closed */
#define MEMORY_BYTES   (64u << 10) /* libmicrohttpd's pool per connection: its own bound */
#define HEAD_MAX       8192        /* bytes of URL and headers we answer (431 beyond) */
#define ADDR_SLOTS     1024        /* addresses with connections or wrong passwords, tracked */
#define PUBLISH_MISSES 8           /* http_publish: skips in a row before it waits */

/* Passwords.  crypto_pwhash is slow on purpose (tens of milliseconds and
 * 64 MiB each): one check runs at a time, a request that cannot get its
 * turn within VERIFY_WAIT_MS gets 503, an address with ATTEMPTS_MAX wrong
 * ones in a minute gets 429 until the minute is over, and a verified
 * credential is remembered (a keyed hash of it, never the password) for
 * CACHE_MS, so a browser's next requests cost a hash, not a check. */
#define USERS_MAX      64
#define USER_MAX       64
#define PASS_MAX       256
#define CACHE_SLOTS    64
#define CACHE_MS       (10u * 60u * 1000u)
#define ATTEMPTS_MAX   10
#define ATTEMPTS_MS    60000u
#define VERIFY_WAIT_MS 2000
#define PWFILE_MAX     (64u << 10)

/* Every answer: nothing cached (the figures move), no sniffing, and a
 * policy that lets the page do nothing but show itself: its inline style
 * and charts (SVG inline, images as data: URLs), no script, no fetch. */
#define CSP "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"

typedef struct {
	uint8_t ip[ADDR_LEN];
	uint32_t conns;    /* open now */
	uint32_t fails;    /* wrong passwords since fails_ms */
	uint64_t fails_ms; /* start of the current minute of them */
	bool used;
} addr_slot_t;

typedef struct {
	char name[USER_MAX + 1];
	char hash[crypto_pwhash_STRBYTES];
} user_t;

typedef struct {
	uint8_t tag[crypto_generichash_BYTES]; /* keyed hash of "user\0password" */
	uint64_t until_ms;                     /* 0: free */
} cached_t;

struct http {
	struct MHD_Daemon *mhd;
	linli_store_t *store;
	pagecache_t *pages; /* the pages of the last second (not /metrics, not the API) */
	char version[64];
	char state_dir[CONFIG_PATH_MAX];
	addrset_t allow;
	user_t *users; /* NULL: no password asked */
	size_t nusers;
	uint8_t cache_key[crypto_generichash_KEYBYTES];
	pthread_mutex_t verify_lock; /* one crypto_pwhash check at a time */
	/* The links as last published.  A lock of their own, which the main
	 * loop only tries (http_publish): a server thread holding it may be
	 * waiting for the processor (SCHED_IDLE), and replication must not
	 * wait for it. */
	pthread_mutex_t links_lock;
	links_t *links;
	bool have_links;
	unsigned publish_missed; /* publishes skipped in a row (main thread only) */
	pthread_mutex_t lock;    /* what follows */
	addr_slot_t addrs[ADDR_SLOTS];
	atomic_uint_fast64_t conns; /* changed under lock; read without it by http_counts */
	cached_t cache[CACHE_SLOTS];
	backoff_set_t said; /* refusal lines, once a minute per reason */
	atomic_uint_fast64_t refused[HTTP_REFUSED_COUNT];
	atomic_uint_fast64_t requests;
	char start_msg[256]; /* libmicrohttpd's last word while starting */
};

static const char *const refused_keys[HTTP_REFUSED_COUNT] = {
    "not_allowed", "password", "attempts", "method", "body", "too_large", "conns", "busy",
};

/* Why, as the log line says it. */
static const char *const refused_why[HTTP_REFUSED_COUNT] = {
    "not in http_allow",
    "no or wrong password",
    "too many wrong passwords from this address in a minute",
    "not GET or HEAD",
    "a request with a body",
    "URL and headers over 8192 bytes",
    "too many connections (512 in all, 32 per address but loopback)",
    "busy checking another password",
};

const char *http_refused_key(int r)
{
	return r >= 0 && r < HTTP_REFUSED_COUNT ? refused_keys[r] : NULL;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool loopback(const uint8_t ip[ADDR_LEN])
{
	static const uint8_t v6[ADDR_LEN] = {[15] = 1};
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
	return memcmp(ip, v6, ADDR_LEN) == 0 || (memcmp(ip, mapped, 12) == 0 && ip[12] == 127);
}

/* The slot of ip (a free one taken if make), or NULL.  Under h->lock. */
static addr_slot_t *addr_slot(struct http *h, const uint8_t ip[ADDR_LEN], bool make, uint64_t now)
{
	addr_slot_t *free_slot = NULL;
	for (size_t i = 0; i < ADDR_SLOTS; i++) {
		addr_slot_t *s = &h->addrs[i];
		if (s->used && memcmp(s->ip, ip, ADDR_LEN) == 0)
			return s;
		bool idle = !s->used ||
		            (s->conns == 0 && (s->fails == 0 || now - s->fails_ms >= ATTEMPTS_MS));
		if (idle && free_slot == NULL)
			free_slot = s;
	}
	if (!make || free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	memcpy(free_slot->ip, ip, ADDR_LEN);
	free_slot->used = true;
	return free_slot;
}

/* Counts a refusal of reason r from ip and logs it, once a minute per
 * reason (with how many were not logged since).  Never the password. */
static void note_refusal(struct http *h, int r, const uint8_t ip[ADDR_LEN])
{
	char who[ADDR_TEXT], key[40];
	bool say;
	atomic_fetch_add(&h->refused[r], 1);
	snprintf(key, sizeof(key), "http/%s", refused_keys[r]);
	pthread_mutex_lock(&h->lock);
	backoff_t *b = backoff_refused(&h->said, key, refused_why[r], mono_ms(), &say);
	uint64_t skipped = b->skipped;
	pthread_mutex_unlock(&h->lock);
	if (!say)
		return;
	addr_text(ip, who);
	if (skipped > 0)
		log_warn("http: refused a request from %s: %s (and %" PRIu64
		         " more like it since the last line)",
		         who, refused_why[r], skipped);
	else
		log_warn("http: refused a request from %s: %s", who, refused_why[r]);
}

static const char *const problem_pages[] = {
    [HTTP_REFUSED_NOT_ALLOWED] = "403 Forbidden: this address may not use this server\n",
    [HTTP_REFUSED_PASSWORD] = "401 Unauthorized: a user name and password are needed\n",
    [HTTP_REFUSED_ATTEMPTS] = "429 Too Many Requests: too many wrong passwords; wait a minute\n",
    [HTTP_REFUSED_METHOD] = "405 Method Not Allowed: GET and HEAD only\n",
    [HTTP_REFUSED_BODY] = "413 Content Too Large: requests take no body\n",
    [HTTP_REFUSED_TOO_LARGE] = "431 Request Header Fields Too Large\n",
    [HTTP_REFUSED_BUSY] = "503 Service Unavailable: try again in a second\n",
};
static const unsigned refused_status[HTTP_REFUSED_COUNT] = {
    [HTTP_REFUSED_NOT_ALLOWED] = 403, [HTTP_REFUSED_PASSWORD] = 401, [HTTP_REFUSED_ATTEMPTS] = 429,
    [HTTP_REFUSED_METHOD] = 405,      [HTTP_REFUSED_BODY] = 413,     [HTTP_REFUSED_TOO_LARGE] = 431,
    [HTTP_REFUSED_BUSY] = 503,
};

/* Queues an answer with the headers every answer has.  body is freed
 * by libmicrohttpd when owned, else it is static. */
static enum MHD_Result answer(struct http *h, struct MHD_Connection *conn, unsigned status,
                              const char *type, const char *lang, void *body, size_t len,
                              bool owned)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    len, body, owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		if (owned)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (lang != NULL) { /* a page: its language follows Accept-Language */
		MHD_add_response_header(resp, "Content-Language", lang);
		MHD_add_response_header(resp, "Vary", "Accept-Language");
	}
	if (status == 405)
		MHD_add_response_header(resp, "Allow", "GET, HEAD");
	if (status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate",
		                        "Basic realm=\"linli\", charset=\"UTF-8\"");
	if (status == 429)
		MHD_add_response_header(resp, "Retry-After", "60");
	if (status == 503)
		MHD_add_response_header(resp, "Retry-After", "1");
	enum MHD_Result rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	atomic_fetch_add(&h->requests, 1);
	return rc;
}

static enum MHD_Result refuse(struct http *h, struct MHD_Connection *conn, int r,
                              const uint8_t ip[ADDR_LEN])
{
	note_refusal(h, r, ip);
	const char *text = problem_pages[r];
	return answer(h, conn, refused_status[r], "text/plain; charset=utf-8", NULL, (void *)text,
	              strlen(text), false);
}

/* ---- passwords ---- */

static void cache_tag(struct http *h, const char *user, const char *pass, size_t passlen,
                      uint8_t tag[crypto_generichash_BYTES])
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, h->cache_key, sizeof(h->cache_key), crypto_generichash_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)user, strlen(user) + 1);
	crypto_generichash_update(&st, (const uint8_t *)pass, passlen);
	crypto_generichash_final(&st, tag, crypto_generichash_BYTES);
	sodium_memzero(&st, sizeof(st));
}

/* Whether the request carries a user's right credentials: -1 (yes), or
 * the refusal. */
static int check_password(struct http *h, struct MHD_Connection *conn, const uint8_t ip[ADDR_LEN])
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
	char bin[USER_MAX + 1 + PASS_MAX + 1];
	size_t binlen = 0;
	if (auth == NULL || strncasecmp(auth, "Basic ", 6) != 0)
		return HTTP_REFUSED_PASSWORD;
	auth += 6;
	while (*auth == ' ')
		auth++;
	if (sodium_base642bin((unsigned char *)bin, sizeof(bin) - 1, auth, strlen(auth), NULL,
	                      &binlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return HTTP_REFUSED_PASSWORD;
	bin[binlen] = '\0';
	char *colon = memchr(bin, ':', binlen);
	if (colon == NULL || colon == bin || (size_t)(colon - bin) > USER_MAX) {
		sodium_memzero(bin, sizeof(bin));
		return HTTP_REFUSED_PASSWORD;
	}
	*colon = '\0';
	const char *user = bin, *pass = colon + 1;
	size_t passlen = binlen - (size_t)(colon + 1 - bin);
	uint8_t tag[crypto_generichash_BYTES];
	uint64_t now = mono_ms();
	int verdict = HTTP_REFUSED_PASSWORD;
	cache_tag(h, user, pass, passlen, tag);

	pthread_mutex_lock(&h->lock);
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (h->cache[i].until_ms > now &&
		    sodium_memcmp(h->cache[i].tag, tag, sizeof(tag)) == 0)
			verdict = -1;
	addr_slot_t *a = verdict == -1 ? NULL : addr_slot(h, ip, false, now);
	bool too_many = a != NULL && a->fails >= ATTEMPTS_MAX && now - a->fails_ms < ATTEMPTS_MS;
	pthread_mutex_unlock(&h->lock);
	if (verdict == -1 || too_many) {
		sodium_memzero(bin, sizeof(bin));
		return too_many ? HTTP_REFUSED_ATTEMPTS : -1;
	}

	/* An unknown user costs a check too (against the first user's hash),
	 * so the time taken does not tell which names exist. */
	const user_t *u = NULL;
	for (size_t i = 0; i < h->nusers && u == NULL; i++)
		if (strcmp(h->users[i].name, user) == 0)
			u = &h->users[i];
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += VERIFY_WAIT_MS / 1000;
	if (pthread_mutex_timedlock(&h->verify_lock, &until) != 0) {
		sodium_memzero(bin, sizeof(bin));
		return HTTP_REFUSED_BUSY;
	}
	bool ok = crypto_pwhash_str_verify(u ? u->hash : h->users[0].hash, pass, passlen) == 0 &&
	          u != NULL;
	pthread_mutex_unlock(&h->verify_lock);
	sodium_memzero(bin, sizeof(bin));

	pthread_mutex_lock(&h->lock);
	now = mono_ms();
	if (ok) {
		cached_t *slot = &h->cache[0];
		for (size_t i = 1; i < CACHE_SLOTS; i++)
			if (h->cache[i].until_ms < slot->until_ms)
				slot = &h->cache[i];
		memcpy(slot->tag, tag, sizeof(tag));
		slot->until_ms = now + CACHE_MS;
	} else if ((a = addr_slot(h, ip, true, now)) != NULL) {
		if (a->fails == 0 || now - a->fails_ms >= ATTEMPTS_MS) {
			a->fails = 0;
			a->fails_ms = now;
		}
		a->fails++;
	}
	pthread_mutex_unlock(&h->lock);
	return ok ? -1 : HTTP_REFUSED_PASSWORD;
}

static int load_passwords(struct http *h, const char *path, char *err, size_t errlen)
{
	char *text = NULL, *save = NULL;
	size_t len;
	struct stat st;
	if (linli_file_read("http_password_file", path, PWFILE_MAX, &text, &len, &st, err,
	                    errlen) != 0)
		return -1;
	int rc = -1;
	if ((st.st_mode & 077) != 0) {
		snprintf(err, errlen,
		         "http_password_file %s: mode %04o lets group or others read the "
		         "password hashes: chmod 600 %s",
		         path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if ((h->users = calloc(USERS_MAX, sizeof(*h->users))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	unsigned lineno = 0;
	for (char *line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		size_t n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		char *colon = strchr(line, ':');
		size_t ulen = colon ? (size_t)(colon - line) : 0;
		if (ulen == 0 || ulen > USER_MAX || strncmp(colon + 1, "$argon2", 7) != 0 ||
		    strlen(colon + 1) >= crypto_pwhash_STRBYTES) {
			snprintf(err, errlen,
			         "http_password_file %s: line %u is not USER:HASH with a hash "
			         "that `linlictl http-password USER` prints",
			         path, lineno);
			goto out;
		}
		if (h->nusers == USERS_MAX) {
			snprintf(err, errlen, "http_password_file %s: more than %d users", path,
			         USERS_MAX);
			goto out;
		}
		user_t *u = &h->users[h->nusers++];
		memcpy(u->name, line, ulen);
		snprintf(u->hash, sizeof(u->hash), "%s", colon + 1);
	}
	if (h->nusers == 0) {
		snprintf(err, errlen,
		         "http_password_file %s: no user in it; add lines from `linlictl "
		         "http-password USER`",
		         path);
		goto out;
	}
	randombytes_buf(h->cache_key, sizeof(h->cache_key));
	rc = 0;
out:
	sodium_memzero(text, len);
	free(text);
	return rc;
}

int http_passwords_check(const char *path, char *err, size_t errlen)
{
	struct http *h = calloc(1, sizeof(*h));
	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = load_passwords(h, path, err, errlen);
	if (h->users)
		sodium_memzero(h->users, USERS_MAX * sizeof(*h->users));
	free(h->users);
	free(h);
	return rc;
}

/* ---- requests ---- */

/* Bytes of a request's URL and headers, as the client sent them (near
 * enough: names, values and their separators). */
static enum MHD_Result add_header_len(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
	(void)kind;
	*(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static links_t *links_copy(struct http *h)
{
	links_t *l = malloc(sizeof(*l));
	if (l == NULL)
		return NULL;
	pthread_mutex_lock(&h->links_lock);
	bool have = h->have_links;
	if (have)
		memcpy(l, h->links, sizeof(*l));
	pthread_mutex_unlock(&h->links_lock);
	if (!have) {
		free(l);
		return NULL;
	}
	return l;
}

/* /api/stats.json: what `linlictl stats --json` prints (ctl/cmd_stats.c),
 * from the same statsview_read. */
static int stats_json(struct http *h, const links_t *l, char **body, size_t *len)
{
	Linli__Stats **st;
	size_t n;
	char err[LINLI_ERR_MAX];
	if (statsview_read(h->store, l, NULL, &st, &n, err, sizeof(err)) != 0) {
		log_warn("http: /api/stats.json: %s", err);
		return -1;
	}
	FILE *f = open_memstream(body, len);
	if (f != NULL) {
		fputc('[', f);
		for (size_t i = 0; i < n; i++) {
			fputs(i ? ",\n" : "\n", f);
			linli_stats_json(f, &st[i]->base);
		}
		fputs(n ? "\n]\n" : "]\n", f);
	}
	statsview_free(st, n);
	if (f == NULL || fclose(f) != 0)
		return -1;
	return 0;
}

/* The server's threads yield the processor to replication: under
 * SCHED_IDLE (sched(7)) a thread runs only when no other wants the
 * processor, so however many pages are asked for, the store, the link and
 * the verifier are not slowed; pages wait instead.  (A thread holding a
 * read transaction that the map's growth waits for still gets its small
 * share: SCHED_IDLE is a low weight, not a ban.)  libmicrohttpd makes
 * its threads itself: each moves on its first request.  Failing is
 * harmless (the thread keeps the daemon's policy). */
static void yield_to_replication(void)
{
	static _Thread_local bool done;
	if (!done) {
		struct sched_param p = {.sched_priority = 0};
		done = true;
		(void)pthread_setschedparam(pthread_self(), SCHED_IDLE, &p);
	}
}

static enum MHD_Result serve(struct http *h, struct MHD_Connection *conn, const char *url)
{
	static const char starting[] = "503 Service Unavailable: starting\n";
	static const char failed[] = "500 Internal Server Error: see linlid's log\n";
	bool page = strcmp(url, "/api/stats.json") != 0 && strcmp(url, "/metrics") != 0;
	web_req_t q = {
	    .path = url,
	    .query_lang = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "lang"),
	    .accept_language =
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"),
	    .query_month = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "month"),
	    .store = h->store,
	};
	/* A page: what it depends on, each part ended by a byte no header or
	 * decoded query holds; one made in the last second is answered as
	 * it is, before anything else is read. */
	char key[PAGECACHE_KEY + 1];
	int klen = snprintf(key, sizeof(key), "%s\x01%s\x01%s\x01%s", url,
	                    q.query_lang ? q.query_lang : "", q.query_month ? q.query_month : "",
	                    q.accept_language ? q.accept_language : "");
	bool cacheable = page && klen > 0 && (size_t)klen < sizeof(key);
	uint64_t now = mono_ms();
	web_reply_t r = {.status = 200};
	if (cacheable && pagecache_get(h->pages, key, now, &r))
		return answer(h, conn, r.status, r.content_type, r.language, r.body, r.len, true);
	links_t *l = links_copy(h);
	if (l == NULL)
		return answer(h, conn, 503, "text/plain; charset=utf-8", NULL, (void *)starting,
		              sizeof(starting) - 1, false);
	int rc;
	if (!page && strcmp(url, "/api/stats.json") == 0) {
		r.content_type = "application/json";
		rc = stats_json(h, l, &r.body, &r.len);
	} else if (!page) {
		http_counts_t c;
		http_counts(h, &c);
		r.content_type = "text/plain; version=0.0.4; charset=utf-8";
		rc = metrics_write(h->store, h->state_dir, l, &c, h->version, &r.body, &r.len);
	} else {
		q.links = l;
		rc = web_serve(&q, &r);
		if (rc == 0 && cacheable && r.status == 200)
			pagecache_put(h->pages, key, now, &r);
	}
	free(l);
	if (rc != 0) {
		free(r.body);
		return answer(h, conn, 500, "text/plain; charset=utf-8", NULL, (void *)failed,
		              sizeof(failed) - 1, false);
	}
	return answer(h, conn, r.status, r.content_type, r.language, r.body, r.len, true);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct http *h = cls;
	static int checked, answered;
	yield_to_replication();
	uint8_t ip[ADDR_LEN] = {0};
	uint16_t port;
	(void)version, (void)upload_data;
	if (*con_cls == &answered) { /* a body after the answer: dropped */
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* A page is answered on the second call, once libmicrohttpd has the
	 * whole request: answered on the first, it closes the connection
	 * after the answer (it cannot know no body follows), and every page
	 * would cost a new connection. */
	if (*con_cls == &checked) {
		*con_cls = &answered;
		if (*upload_data_size > 0)
			return MHD_NO;
		return serve(h, conn, url);
	}
	*con_cls = &answered;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || addr_of(ci->client_addr, ip, &port) != 0)
		return MHD_NO;
	/* Who first: a stranger learns nothing more than 403. */
	if (!addrset_has(&h->allow, ip))
		return refuse(h, conn, HTTP_REFUSED_NOT_ALLOWED, ip);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return refuse(h, conn, HTTP_REFUSED_METHOD, ip);
	const char *clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	if (*upload_data_size > 0 ||
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding") != NULL ||
	    (clen != NULL && strcmp(clen, "0") != 0))
		return refuse(h, conn, HTTP_REFUSED_BODY, ip);
	size_t head = strlen(url);
	MHD_get_connection_values(conn, MHD_HEADER_KIND | MHD_GET_ARGUMENT_KIND, add_header_len,
	                          &head);
	if (head > HEAD_MAX)
		return refuse(h, conn, HTTP_REFUSED_TOO_LARGE, ip);
	if (h->users != NULL) {
		int r = check_password(h, conn, ip);
		if (r >= 0)
			return refuse(h, conn, r, ip);
	}
	*con_cls = &checked;
	return MHD_YES;
}

/* Before libmicrohttpd takes a connection: within the bounds? */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t salen)
{
	struct http *h = cls;
	uint8_t ip[ADDR_LEN];
	uint16_t port;
	(void)salen;
	if (addr_of(sa, ip, &port) != 0)
		return MHD_NO;
	pthread_mutex_lock(&h->lock);
	addr_slot_t *a = addr_slot(h, ip, false, mono_ms());
	bool over =
	    h->conns >= CONNS_MAX || (!loopback(ip) && a != NULL && a->conns >= PER_ADDRESS);
	pthread_mutex_unlock(&h->lock);
	if (over) {
		note_refusal(h, HTTP_REFUSED_CONNS, ip);
		return MHD_NO;
	}
	return MHD_YES;
}

/* Connections are counted as libmicrohttpd starts and ends them (one it
 * drops on its own after on_accept is never counted). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;
	uint8_t ip[ADDR_LEN];
	uint16_t port;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || addr_of(ci->client_addr, ip, &port) != 0)
		return;
	pthread_mutex_lock(&h->lock);
	addr_slot_t *a = addr_slot(h, ip, toe == MHD_CONNECTION_NOTIFY_STARTED, mono_ms());
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		h->conns++;
		if (a != NULL)
			a->conns++;
		*socket_context = a; /* NULL: not counted per address */
	} else if (h->conns > 0) {
		h->conns--;
		if (*socket_context != NULL && a != NULL && a->conns > 0)
			a->conns--;
	}
	pthread_mutex_unlock(&h->lock);
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	struct http *h = cls;
	char line[256];
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	if (h->mhd == NULL) /* starting: the reason a start fails */
		snprintf(h->start_msg, sizeof(h->start_msg), "%s", line);
	log_debug("http: libmicrohttpd: %s", line);
}

/* ---- the component ---- */

int http_start(struct http **out, const http_conf_t *c, char *err, size_t errlen)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	*out = NULL;
	if (addr_port_parse(c->listen, &sa, &salen, err, errlen) != 0)
		return -1;
	struct http *h = calloc(1, sizeof(*h));
	if (h == NULL || (h->links = calloc(1, sizeof(*h->links))) == NULL ||
	    (h->pages = pagecache_new()) == NULL) {
		if (h != NULL)
			free(h->links);
		free(h);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	h->store = c->store;
	h->allow = *c->allow;
	snprintf(h->version, sizeof(h->version), "%s", c->version);
	snprintf(h->state_dir, sizeof(h->state_dir), "%s", c->state_dir);
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->links_lock, NULL);
	pthread_mutex_init(&h->verify_lock, NULL);
	if (c->password_file != NULL && c->password_file[0] != '\0' &&
	    load_passwords(h, c->password_file, err, errlen) != 0)
		goto fail;
	if (web_init(err, errlen) != 0)
		goto fail;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	uint16_t port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
	                                               : ((struct sockaddr_in *)&sa)->sin_port);
	/* libmicrohttpd's own bounds stand behind ours (on_accept): its limit
	 * is split between the threads, so it is set well above. */
	h->mhd = MHD_start_daemon(
	    flags, port, on_accept, h, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)THREADS, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)(CONNS_MAX * 2), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_BYTES, MHD_OPTION_NOTIFY_CONNECTION,
	    on_connection, h, MHD_OPTION_EXTERNAL_LOGGER, on_log, h, MHD_OPTION_END);
	if (h->mhd == NULL) {
		snprintf(err, errlen, "http_listen %s: cannot listen there: %s", c->listen,
		         h->start_msg[0] ? h->start_msg : strerror(errno));
		web_fini();
		goto fail;
	}
	log_info("http: listening on %s (%s)", c->listen,
	         h->users ? "a password is asked" : "no password asked");
	*out = h;
	return 0;
fail:
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->links_lock);
	pthread_mutex_destroy(&h->verify_lock);
	free(h->users);
	free(h->links);
	pagecache_free(&h->pages);
	free(h);
	return -1;
}

void http_destroy(struct http **hp)
{
	if (hp == NULL || *hp == NULL)
		return;
	struct http *h = *hp;
	MHD_stop_daemon(h->mhd);
	web_fini();
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->links_lock);
	pthread_mutex_destroy(&h->verify_lock);
	if (h->users)
		sodium_memzero(h->users, USERS_MAX * sizeof(*h->users));
	free(h->users);
	sodium_memzero(h->cache_key, sizeof(h->cache_key));
	free(h->links);
	pagecache_free(&h->pages);
	free(h);
	*hp = NULL;
}

void http_publish(struct http *h, const links_t *l)
{
	if (h == NULL)
		return;
	/* Busy: the next publish (half a second on) brings them; after
	 * PUBLISH_MISSES in a row, wait, so the pages never fall far behind. */
	if (pthread_mutex_trylock(&h->links_lock) != 0) {
		if (++h->publish_missed < PUBLISH_MISSES)
			return;
		pthread_mutex_lock(&h->links_lock);
	}
	h->publish_missed = 0;
	memcpy(h->links, l, sizeof(*l));
	h->have_links = true;
	pthread_mutex_unlock(&h->links_lock);
}

void http_counts(struct http *h, http_counts_t *out)
{
	memset(out, 0, sizeof(*out));
	if (h == NULL)
		return;
	for (int r = 0; r < HTTP_REFUSED_COUNT; r++)
		out->refused[r] = atomic_load(&h->refused[r]);
	out->requests = atomic_load(&h->requests);
	out->conns = atomic_load(&h->conns);
}
