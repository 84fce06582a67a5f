/*
 * linli-ctlraw: sends the daemon's control socket one request linlictl
 * would never send, for the catalogue test.  A DEALER socket, as
 * linlictl's; it prints the reply as one line
 *     <scenario> REPLY ok=<0|1> error=<text>
 * or "<scenario> NO REPLY" when none came within two seconds.
 *
 * usage: linli-ctlraw SOCKET SCENARIO [ARG...]
 *   garbage       bytes that are no CtlRequest, in the envelope
 *   no-envelope   a request without the empty delimiter a REQ socket adds
 *   parts         the envelope, then three parts
 *   verb          a CtlRequest with the verb "frobnicate"
 *   import-utf8   an import of one service whose name is not UTF-8
 *   add-enum      an add of a service of category 99
 *   record VERB KIND ID [FIELD=VALUE...]  an add, set or import (VERB) of one record
 *                 with these values as they are (rawrec.h: past every check)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "proto/linli.pb-c.h"
#include "tests/tools/rawrec.h"

static void *sock;

static int send_frames(size_t n, const void *const *data, const size_t *lens)
{
	for (size_t i = 0; i < n; i++)
		if (zmq_send(sock, data[i], lens[i], i + 1 < n ? ZMQ_SNDMORE : 0) < 0)
			return -1;
	return 0;
}

static int send_request(const Linli__CtlRequest *q)
{
	uint8_t *buf = malloc(linli__ctl_request__get_packed_size(q) + 1);
	if (buf == NULL)
		return -1;
	size_t len = linli__ctl_request__pack(q, buf);
	const void *parts[] = {"", buf};
	size_t lens[] = {0, len};
	int rc = send_frames(2, parts, lens);
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: linli-ctlraw SOCKET SCENARIO [ARG...]\n");
		return 2;
	}
	const char *scenario = argv[2];
	char endpoint[600];
	snprintf(endpoint, sizeof(endpoint), "ipc://%s", argv[1]);
	void *ctx = zmq_ctx_new();
	int zero = 0, timeout = 2000;
	sock = zmq_socket(ctx, ZMQ_DEALER);
	zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(sock, ZMQ_SNDTIMEO, &timeout, sizeof(timeout));
	if (zmq_connect(sock, endpoint) != 0) {
		fprintf(stderr, "linli-ctlraw: %s: %s\n", endpoint, zmq_strerror(zmq_errno()));
		return 1;
	}

	Linli__CtlRequest q = LINLI__CTL_REQUEST__INIT;
	Linli__Record rec = LINLI__RECORD__INIT, *recs[] = {&rec};
	Linli__Service svc = LINLI__SERVICE__INIT;
	rec.id = (char *)"ctl-bad";
	rec.body_case = LINLI__RECORD__BODY_SERVICE;
	rec.service = &svc;
	svc.name = (char *)"control";
	svc.category = LINLI__CATEGORY__ELDERLY;
	q.kind = (char *)"service";
	int rc;
	if (strcmp(scenario, "garbage") == 0) {
		static const char junk[] = "\xff\xff\xff\xff\x0f not a request";
		const void *parts[] = {"", junk};
		size_t lens[] = {0, sizeof(junk) - 1};
		rc = send_frames(2, parts, lens);
	} else if (strcmp(scenario, "no-envelope") == 0) {
		q.verb = (char *)"status";
		uint8_t buf[64];
		size_t len = linli__ctl_request__pack(&q, buf);
		const void *parts[] = {buf};
		rc = send_frames(1, parts, &len);
	} else if (strcmp(scenario, "parts") == 0) {
		const void *parts[] = {"", "a", "b", "c"};
		size_t lens[] = {0, 1, 1, 1};
		rc = send_frames(4, parts, lens);
	} else if (strcmp(scenario, "verb") == 0) {
		q.verb = (char *)"frobnicate";
		rc = send_request(&q);
	} else if (strcmp(scenario, "import-utf8") == 0) {
		q.verb = (char *)"import";
		svc.name = (char *)"caf\xc3 \xff\xfe";
		q.n_records = 1;
		q.records = recs;
		rc = send_request(&q);
	} else if (strcmp(scenario, "add-enum") == 0) {
		q.verb = (char *)"add";
		svc.category = (Linli__Category)99;
		q.record = &rec;
		rc = send_request(&q);
	} else if (strcmp(scenario, "record") == 0 && argc >= 6) {
		linli_record_t *raw = rawrec_new(argv[4], argv[5], argc - 6, argv + 6);
		char *names[64];
		q.verb = argv[3];
		q.kind = (char *)linli_kind_name(linli_record_kind(raw));
		if (strcmp(q.verb, "import") == 0) {
			q.n_records = 1;
			q.records = &raw;
		} else {
			q.record = raw;
		}
		for (int i = 6; strcmp(q.verb, "set") == 0 && i < argc && q.n_fields < 64; i++)
			names[q.n_fields++] = strndup(argv[i], strcspn(argv[i], "="));
		q.fields = names;
		rc = send_request(&q);
		for (size_t i = 0; i < q.n_fields; i++)
			free(names[i]);
		linli_record_destroy(&raw);
	} else {
		fprintf(stderr, "linli-ctlraw: unknown scenario %s\n", scenario);
		return 2;
	}
	if (rc != 0) {
		fprintf(stderr, "linli-ctlraw: send: %s\n", zmq_strerror(zmq_errno()));
		return 1;
	}
	printf("%s SENT\n", scenario);

	/* The reply: the empty delimiter, then a CtlReply. */
	zmq_pollitem_t item = {sock, 0, ZMQ_POLLIN, 0};
	if (zmq_poll(&item, 1, 2000) <= 0) {
		printf("%s NO REPLY\n", scenario);
	} else {
		zmq_msg_t part;
		int more = 1;
		size_t sz = sizeof(more);
		Linli__CtlReply *r = NULL;
		while (more) {
			zmq_msg_init(&part);
			zmq_msg_recv(&part, sock, 0);
			zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &sz);
			if (!more)
				r = linli__ctl_reply__unpack(NULL, zmq_msg_size(&part),
				                             zmq_msg_data(&part));
			zmq_msg_close(&part);
		}
		if (r == NULL)
			printf("%s REPLY undecodable\n", scenario);
		else
			printf("%s REPLY ok=%d error=%s\n", scenario, r->ok, r->error);
		if (r)
			linli__ctl_reply__free_unpacked(r, NULL);
	}
	zmq_close(sock);
	zmq_ctx_term(ctx);
	return 0;
}
