/*
 * linli-httpload: clients that fetch one page of linlid's HTTP endpoint in
 * a loop, for `make bench` and the tests.
 *
 *   linli-httpload PORT PATH CLIENTS SECONDS
 *       CLIENTS threads, each with one keep-alive HTTP/1.1 connection to
 *       127.0.0.1:PORT, GET PATH again as soon as the last answer is read,
 *       for SECONDS.  Prints "httpload REQUESTS P50_US P99_US MAX_US
 *       ERRORS": the time from sending a request to having its whole body,
 *       over every request; ERRORS counts answers other than 200 and
 *       connections that failed (each failure ends that client).
 *
 * Loopback only: the address is not an argument.  A plain client on
 * purpose (no library): it reads Content-Length bodies, which is what
 * libmicrohttpd sends for a page built in memory.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS_MAX  1000
#define SAMPLES_MAX  (1u << 20) /* per client */
#define RESPONSE_MAX (16u << 20)

typedef struct {
	pthread_t thread;
	double *lat; /* microseconds */
	size_t n;
	unsigned errors;
} client_t;

static unsigned short port;
static const char *path;
static double deadline;

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int connect_loopback(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	struct timeval tv = {.tv_sec = 10};
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one response; its status, or -1 when the connection failed. */
static int read_response(int fd, char *buf, size_t cap)
{
	size_t have = 0;
	char *end = NULL;
	while (end == NULL) {
		if (have == cap)
			return -1;
		ssize_t r = read(fd, buf + have, cap - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
		end = memmem(buf, have, "\r\n\r\n", 4);
	}
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	size_t body = 0;
	for (char *p = buf; p < end; p++)
		if (strncasecmp(p, "\r\ncontent-length:", 17) == 0)
			body = strtoul(p + 17, NULL, 10);
	size_t want = (size_t)(end + 4 - buf) + body;
	if (want > cap)
		return -1;
	while (have < want) {
		ssize_t r = read(fd, buf + have, want - have);
		if (r <= 0)
			return -1;
		have += (size_t)r;
	}
	return status;
}

static void *client(void *arg)
{
	client_t *c = arg;
	char req[512];
	int len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
	char *buf = malloc(RESPONSE_MAX);
	int fd = connect_loopback();
	if (buf == NULL || fd < 0) {
		c->errors++;
		free(buf);
		return NULL;
	}
	while (now_s() < deadline && c->n < SAMPLES_MAX) {
		double t0 = now_s();
		if (write(fd, req, (size_t)len) != len) {
			c->errors++;
			break;
		}
		int status = read_response(fd, buf, RESPONSE_MAX);
		if (status < 0) {
			c->errors++;
			break;
		}
		if (status != 200)
			c->errors++;
		c->lat[c->n++] = (now_s() - t0) * 1e6;
	}
	close(fd);
	free(buf);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int clients = argc == 5 ? atoi(argv[3]) : 0;
	double seconds = argc == 5 ? atof(argv[4]) : 0;
	if (argc != 5 || atoi(argv[1]) <= 0 || atoi(argv[1]) > 65535 || argv[2][0] != '/' ||
	    strlen(argv[2]) > 256 || clients <= 0 || clients > CLIENTS_MAX || seconds <= 0 ||
	    seconds > 3600) {
		fprintf(stderr, "usage: linli-httpload PORT PATH CLIENTS(1-%d) SECONDS(<=3600)\n",
		        CLIENTS_MAX);
		return 2;
	}
	port = (unsigned short)atoi(argv[1]);
	path = argv[2];
	client_t *c = calloc((size_t)clients, sizeof(*c));
	if (c == NULL)
		return 1;
	deadline = now_s() + seconds;
	for (int i = 0; i < clients; i++) {
		c[i].lat = malloc(SAMPLES_MAX * sizeof(double));
		if (c[i].lat == NULL || pthread_create(&c[i].thread, NULL, client, &c[i]) != 0) {
			fprintf(stderr, "linli-httpload: cannot start client %d\n", i);
			return 1;
		}
	}
	size_t total = 0;
	unsigned errors = 0;
	for (int i = 0; i < clients; i++) {
		pthread_join(c[i].thread, NULL);
		total += c[i].n;
		errors += c[i].errors;
	}
	double *all = malloc((total ? total : 1) * sizeof(double));
	if (all == NULL)
		return 1;
	size_t k = 0;
	for (int i = 0; i < clients; i++) {
		memcpy(all + k, c[i].lat, c[i].n * sizeof(double));
		k += c[i].n;
		free(c[i].lat);
	}
	qsort(all, total, sizeof(double), cmp_double);
	double p50 = total ? all[total / 2] : 0, p99 = total ? all[total * 99 / 100] : 0,
	       mx = total ? all[total - 1] : 0;
	printf("httpload %zu %.0f %.0f %.0f %u\n", total, p50, p99, mx, errors);
	free(all);
	free(c);
	return 0;
}
