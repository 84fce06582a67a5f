/*
 * seeds: writes the seed corpora of tests/fuzz/corpus from real encoded
 * messages (make fuzz-seeds).  Change sets are signed with the key the
 * changeset harness uses, so the signed ones verify there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proto/changeset.h"
#include "proto/linli.pb-c.h"

static const char *dir;

static void put(const char *harness, const char *name, int mode, const void *data, size_t len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, harness);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, harness, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	if (mode >= 0)
		fputc(mode, f);
	fwrite(data, 1, len, f);
	fclose(f);
}

static linli_record_t *rec(linli_kind_t kind, const char *id, const char *const *kv)
{
	char err[LINLI_ERR_MAX];
	linli_record_t *r = linli_record_new(kind, id);
	for (; kv && kv[0]; kv += 2)
		if (linli_record_set(r, kv[0], kv[1], err, sizeof(err)) != 0) {
			fprintf(stderr, "%s\n", err);
			exit(1);
		}
	return r;
}

static const char *const service[] = {
    "name",         "长者食堂", "category",    "elderly", "provider",
    "曾林社区",     "place",    "邻里中心B幢", "hours",   "11:00-13:00",
    "walk_minutes", "5",        "status",      "open",    NULL};
static const char *const partner[] = {"name",  "晋江市医院",    "kind", "hospital",
                                      "items", "义诊;健康讲座", NULL};
static const char *const event[] = {"name",         "重阳节活动", "category", "elderly",
                                    "date",         "2025-10-29", "partner",  "p01",
                                    "participants", "120",        NULL};
static const char *const household[] = {"grid",   "g1-1",  "address",     "曾林村12号", "head_name",
                                        "陈志明", "phone", "13800000001", "size",       "4",
                                        "rented", "no",    "central",     "yes",        NULL};
static const char *const request[] = {
    "channel",      "grid-chat",        "category", "路灯维修",  "text",
    "巷口路灯不亮", "status",           "resolved", "opened_at", "2025-11-03 09:10",
    "resolved_at",  "2025-11-03 16:40", NULL};
static const char *const grid[] = {"name", "一网格", "level",  "2", "parent",
                                   "g1",   "worker", "林美华", NULL};

static linli_key_t *test_key(void)
{
	char d[] = "/tmp/linli-seeds-XXXXXX", path[64], err[LINLI_ERR_MAX];
	linli_key_t *key;
	if (linli_crypto_init() != 0 || mkdtemp(d) == NULL)
		exit(1);
	snprintf(path, sizeof(path), "%s/key", d);
	FILE *f = fopen(path, "w");
	fprintf(f, "%064d\n", 7);
	fclose(f);
	chmod(path, 0600);
	if (linli_key_load(&key, path, err, sizeof(err)) != 0)
		exit(1);
	unlink(path);
	rmdir(d);
	return key;
}

static void changesets(void)
{
	linli_key_t *key = test_key();
	uint8_t *frame, sig[LINLI_SIG_LEN], hash[LINLI_HASH_LEN], prev[LINLI_HASH_LEN] = {1};
	size_t len;
	struct {
		const char *name;
		int stream;
		uint64_t seq;
		linli_kind_t kind[3];
		const char *const *kv[3];
		bool remove[3];
	} sets[] = {
	    {"public-1", 1, 1, {LINLI_KIND_SERVICE, LINLI_KIND_PARTNER}, {service, partner}, {0}},
	    {"public-2", 1, 2, {LINLI_KIND_EVENT, LINLI_KIND_SERVICE}, {event, NULL}, {0, 1}},
	    {"personal-7",
	     2,
	     7,
	     {LINLI_KIND_HOUSEHOLD, LINLI_KIND_REQUEST, LINLI_KIND_GRID},
	     {household, request, grid},
	     {0}},
	};
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		linli_csb_t *b = linli_csb_new();
		for (size_t k = 0; k < 3 && sets[i].kind[k]; k++) {
			linli_record_t *r = rec(sets[i].kind[k], "x01", sets[i].kv[k]);
			linli_csb_add(b, sets[i].remove[k], &r);
		}
		linli_cs_head_t head = {
		    "350582006006", sets[i].stream, sets[i].seq, prev, 1762160000, 1, NULL, NULL};
		if (linli_csb_seal(b, key, &head, &frame, &len, sig, hash) != 0)
			exit(1);
		char name[64];
		snprintf(name, sizeof(name), "%s-body", sets[i].name);
		put("changeset", name, 0, frame + LINLI_CS_MAGIC_LEN, len - LINLI_CS_MAGIC_LEN);
		uint8_t *signed_ = malloc(len + LINLI_SIG_LEN);
		memcpy(signed_, frame, len);
		memcpy(signed_ + len, sig, LINLI_SIG_LEN);
		snprintf(name, sizeof(name), "%s-signed", sets[i].name);
		put("changeset", name, 1, signed_, len + LINLI_SIG_LEN);
		free(signed_);
		free(frame);
		linli_csb_destroy(&b);
	}
	linli_key_destroy(&key);
}

static void request_seed(const char *name, Linli__CtlRequest *q)
{
	size_t len = linli__ctl_request__get_packed_size(q);
	uint8_t *buf = malloc(len + 1);
	linli__ctl_request__pack(q, buf);
	put("control", name, -1, buf, len);
	free(buf);
}

static void control(void)
{
	Linli__CtlRequest q = LINLI__CTL_REQUEST__INIT;
	q.verb = "add", q.kind = "service", q.record = rec(LINLI_KIND_SERVICE, "s001", service);
	request_seed("add-service", &q);
	char *fields[] = {"status"};
	q.verb = "set", q.fields = fields, q.n_fields = 1;
	request_seed("set-service", &q);
	q.verb = "remove", q.n_fields = 0;
	request_seed("remove-service", &q);
	linli_record_destroy(&q.record);

	linli_record_t *recs[3] = {rec(LINLI_KIND_HOUSEHOLD, "h00001", household),
	                           rec(LINLI_KIND_HOUSEHOLD, "h00002", household),
	                           rec(LINLI_KIND_HOUSEHOLD, "h00003", household)};
	q.verb = "import", q.kind = "household", q.records = recs, q.n_records = 3;
	request_seed("import-households", &q);
	for (int i = 0; i < 3; i++)
		linli_record_destroy(&recs[i]);
	for (int i = 0; i < 3; i++)
		recs[i] = linli_record_new(LINLI_KIND_HOUSEHOLD, i ? "h00002" : "h00001");
	q.verb = "quota";
	request_seed("quota-ids", &q);
	for (int i = 0; i < 3; i++)
		linli_record_destroy(&recs[i]);
	q.n_records = 0;
	Linli__Quota after = LINLI__QUOTA__INIT;
	after.used_records = 1601, after.used_bytes = 4u << 20, after.used_log_bytes = 1u << 20;
	q.quota = &after;
	request_seed("quota-judge", &q);
	q.quota = NULL;

	Linli__Filter f = LINLI__FILTER__INIT, *fp = &f;
	f.field = "category", f.value = "elderly";
	q.verb = "list", q.kind = "services", q.owner = "350582006001", q.filters = &fp,
	q.n_filters = 1;
	request_seed("list-filtered", &q);
	q.n_filters = 0, q.owner = "";
	q.verb = "show", q.kind = "request",
	q.record = linli_record_new(LINLI_KIND_REQUEST, "r001");
	request_seed("show-request", &q);
	linli_record_destroy(&q.record);

	Linli__TrustEntry t = LINLI__TRUST_ENTRY__INIT;
	t.owner = "350582006006", t.name = "Zenglin";
	t.pubkey = "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29";
	q.verb = "trust-add", q.kind = "", q.trust = &t;
	request_seed("trust-add", &q);
	q.verb = "trust-revoke", t.pubkey = "", t.name = "";
	request_seed("trust-revoke", &q);
	q.trust = NULL;
	const char *plain[] = {"stats",   "status",     "logs",   "verify", "digest",
	                       "restore", "trust-list", "reload", "launch"};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		q.verb = (char *)plain[i];
		request_seed(plain[i], &q);
	}
}

#define PACKED(type, msg, harness, name, mode)                                                     \
	do {                                                                                       \
		uint8_t buf_[4096];                                                                \
		size_t n_ = linli__##type##__pack(msg, buf_);                                      \
		put(harness, name, mode, buf_, n_);                                                \
	} while (0)

static void link_msgs(void)
{
	Linli__Cursor c[3] = {LINLI__CURSOR__INIT, LINLI__CURSOR__INIT, LINLI__CURSOR__INIT};
	Linli__Cursor *cp[3] = {&c[0], &c[1], &c[2]};
	c[0].owner = "350582006006", c[0].stream = 1, c[0].seq = 12;
	c[1].owner = "350582006006", c[1].stream = 2, c[1].seq = 40;
	c[2].owner = "350582006001", c[2].stream = 1, c[2].seq = 3;
	Linli__Hello h = LINLI__HELLO__INIT;
	h.owner = "350582006006", h.heads = cp, h.n_heads = 2, h.have = cp + 2, h.n_have = 1;
	h.time = 1762160000;
	/* The mode byte: parts count in the high nibble (minus one), message in the low. */
	PACKED(hello, &h, "link", "hello", 0x20 | 0);
	Linli__Cursors cs = LINLI__CURSORS__INIT;
	cs.cursors = cp + 2, cs.n_cursors = 1;
	PACKED(cursors, &cs, "link", "pull", 0x20 | 1);
	cs.cursors = cp, cs.n_cursors = 2;
	PACKED(cursors, &cs, "link", "fetch", 0x20 | 2);
	cs.epoch = 2, cs.time_ms = 1762160000123;
	PACKED(cursors, &cs, "link", "ack", 0x10 | 3);
	Linli__RestoreClaim rc = LINLI__RESTORE_CLAIM__INIT;
	rc.owner = "350582006006", rc.epoch = 2, rc.time = 1762160000;
	PACKED(restore_claim, &rc, "link", "restore", 0x30 | 4);
	put("link", "cs-owner", 0x40 | 5, "350582006006", 12);
	put("link", "node-cs", 0x30 | 6, "CS", 2);
	uint8_t hash[32], digest[32], sig[64];
	memset(hash, 0xab, sizeof(hash)), memset(digest, 0xcd, sizeof(digest));
	memset(sig, 0x5a, sizeof(sig));
	Linli__Checkpoint ck = LINLI__CHECKPOINT__INIT;
	ck.owner = "350582006006", ck.stream = 2, ck.seq = 1000, ck.records = 491, ck.epoch = 1;
	ck.head.data = hash, ck.head.len = sizeof(hash);
	ck.digest.data = digest, ck.digest.len = sizeof(digest), ck.time = 1762160000;
	uint8_t ckbuf[256];
	size_t cklen = linli__checkpoint__pack(&ck, ckbuf);
	put("link", "checkpoint", 0x00 | 8, ckbuf, cklen);
	Linli__SnapGet g = LINLI__SNAP_GET__INIT;
	g.owner = "350582006006", g.stream = 1, g.seq = 1000;
	PACKED(snap_get, &g, "link", "snapget-first", 0x00 | 9);
	g.after_kind = 1, g.after_id = "s00072";
	PACKED(snap_get, &g, "link", "snapget-resume", 0x00 | 9);
	linli_record_t *svc = rec(LINLI_KIND_SERVICE, "s00001", service);
	uint8_t recbuf[512];
	ProtobufCBinaryData item = {linli_record_pack(svc, recbuf), recbuf};
	Linli__SnapChunk chunk = LINLI__SNAP_CHUNK__INIT;
	chunk.checkpoint.data = ckbuf, chunk.checkpoint.len = cklen;
	chunk.signature.data = sig, chunk.signature.len = sizeof(sig);
	chunk.records = &item, chunk.n_records = 1, chunk.last = 1;
	PACKED(snap_chunk, &chunk, "link", "snap", 0x10 | 10);
	linli_record_destroy(&svc);
	put("link", "err", 0x10 | 7, "change set 412 from 350582006006: signature does not verify",
	    59);
}

static void text_seeds(void)
{
	static const char households[] =
	    "\xEF\xBB\xBFid,grid,address,head_name,phone,size,rented,central,linked_to\r\n"
	    "h00001,g1-1,曾林村12号,陈志明,13800000001,4,no,yes,\r\n"
	    "h00002,g1-1,\"曾林村14号, 2楼\",\"林\"\"阿伯\"\"\",13800000002,2,yes,no,h00001\r\n";
	put("csv", "households", 0, households, sizeof(households) - 1);
	static const char quoted[] = "id,text\nr1,\"two\nlines\"\n\nr2,\"\"\nr3,\"x\"y\n";
	put("csv", "quoted", 1 | (20 << 1), quoted, sizeof(quoted) - 1);

	/* sheet: the byte picks kind (1 + (b & 7) % 6) and field ((b >> 3) % (n + 1) - 1). */
	static const char zh_date[] = "2025年11月3日 9:10";
	put("sheet", "request-opened-at", 4 + (5 << 3), zh_date, sizeof(zh_date) - 1);
	static const char phone[] = "+86 138-0000 0001";
	put("sheet", "household-phone", 3 + (4 << 3), phone, sizeof(phone) - 1);
	static const char serial[] = "45964.375";
	put("sheet", "event-date-serial", 5 + (3 << 3), serial, sizeof(serial) - 1);
	static const char choice[] = "\xE3\x80\x80老有所养 ";
	put("sheet", "service-category", 0 + (2 << 3), choice, sizeof(choice) - 1);
	static const char items[] = "义诊、讲座\r\n血压；血脂";
	put("sheet", "partner-items", 1 + (3 << 3), items, sizeof(items) - 1);
	static const char gbk[] = "\xBB\xA7\xBA\xC5,\xB3\xC2\xD6\xBE\xC3\xF7\r\n";
	put("sheet", "gbk-file", 3, gbk, sizeof(gbk) - 1);
	static const char excel[] = "=\"0595-22345678\"";
	put("sheet", "excel-text", 3 + (4 << 3), excel, sizeof(excel) - 1);

	static const char hub[] = "# the hub\nrole = hub\nowner = 350582006\nname = 凌云街道\n"
	                          "listen = tcp://0.0.0.0:7400\nstate_dir = /var/lib/linli\n"
	                          "heartbeat_ms = 1000\nwindow = 64\nbatch_max = 256\n"
	                          "log_level = debug\nhandshake_ms = 3000\nunauth_max = 128\n"
	                          "unauth_per_address = 8\nfd_reserve = 256\n"
	                          "allow_from = 10.0.6.0/24, 2001:db8:6::/48 10.0.7.5\n";
	put("config", "hub", -1, hub, sizeof(hub) - 1);
	static const char node[] = "role=node\r\nowner = 350582006006\nhub = tcp://127.0.0.1:7400\n"
	                           "window_kib = 64\ncontrol_group = linli\n";
	put("config", "node", -1, node, sizeof(node) - 1);
	static const char bad[] = "role = node\nowner = 35058200600\nwindow = 0\n";
	put("config", "bad", -1, bad, sizeof(bad) - 1);
	static const char bad_allow[] = "role = hub\nowner = 350582006\nlisten = tcp://[::]:7400\n"
	                                "allow_from = 10.0.6.1/24 ::ffff:10.0.0.0/104\n";
	put("config", "bad-allow", -1, bad_allow, sizeof(bad_allow) - 1);
	static const char quotas[] = "role = hub\nowner = 350582006\nlisten = tcp://[::]:7400\n"
	                             "quota_records = 900\nquota_bytes = 64M\n"
	                             "quota_bytes.350582006007 = 1G\n"
	                             "quota_records.350582006007 = 2000000\n"
	                             "quota_log_bytes.350582006001 = 524288K\n";
	put("config", "quotas", -1, quotas, sizeof(quotas) - 1);

	static const char trust[] =
	    "# linli trust list: owner code, Ed25519 public key, name\n"
	    "350582006006 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29 "
	    "Zenglin\n"
	    "350582006001\td75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a 林口 "
	    "社区\n"
	    "\n  350582006 0000000000000000000000000000000000000000000000000000000000000001\n";
	put("trust", "three", -1, trust, sizeof(trust) - 1);
	static const char rotated[] =
	    "350582006006 d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a "
	    "Zenglin\n"
	    "retired 350582006006 "
	    "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29\n"
	    "revoked 350582006001 "
	    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025 Linkou\n";
	put("trust", "rotated", -1, rotated, sizeof(rotated) - 1);
	/* Saved on Windows (CRLF), and the same cut short in its last line. */
	static const char crlf[] =
	    "# kept by hand\r\n\r\n"
	    "350582006 d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a "
	    "Lingyuan\r\n"
	    "  350582006006 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29 "
	    "Zenglin\r\n";
	put("trust", "crlf", -1, crlf, sizeof(crlf) - 1);
	put("trust", "cut-short", -1, crlf, sizeof(crlf) - 12);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	mkdir(dir, 0755);
	changesets();
	control();
	link_msgs();
	text_seeds();
	return 0;
}
