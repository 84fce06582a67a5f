/*
 * fdlimit: the open-file limit, and the reserve kept at accept time (see
 * fdlimit.h for why accept4 is defined here).
 */
/* The C library's declaration of accept4 out of the way of ours below: with
 * _GNU_SOURCE it takes a transparent union, which a definition cannot. */
#define accept4 linli_libc_accept4
#include <sys/socket.h>
#undef accept4

#include "daemon/fdlimit.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daemon/log.h"

static atomic_int reserve_from; /* 0: no reserve */
static atomic_uint_fast64_t refused;

uint64_t fdlimit_get(void)
{
	struct rlimit rl;
	return getrlimit(RLIMIT_NOFILE, &rl) == 0 ? (uint64_t)rl.rlim_cur : 0;
}

uint64_t fdlimit_raise(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("open files: the limit is unknown: %s", strerror(errno));
		return 0;
	}
	rlim_t want =
	    rl.rlim_max == RLIM_INFINITY || rl.rlim_max > FDLIMIT_MAX ? FDLIMIT_MAX : rl.rlim_max;
	if (rl.rlim_cur >= want) {
		log_info("open files: limit %llu", (unsigned long long)rl.rlim_cur);
		return rl.rlim_cur;
	}
	rlim_t was = rl.rlim_cur;
	rl.rlim_cur = want;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		log_warn("open files: the soft limit %llu could not be raised to %llu: %s",
		         (unsigned long long)was, (unsigned long long)want, strerror(errno));
		return was;
	}
	log_info("open files: soft limit raised from %llu to %llu (%s)", (unsigned long long)was,
	         (unsigned long long)want,
	         want == rl.rlim_max ? "the hard limit" : "the hard limit is higher");
	return want;
}

void fdlimit_reserve(int from)
{
	atomic_store(&reserve_from, from);
}

uint64_t fdlimit_refused(void)
{
	return atomic_load(&refused);
}

static int is_inet(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	       (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
}

int accept4(int sock, struct sockaddr *addr, socklen_t *len, int flags);

/* Called by libzmq's I/O thread (and anyone else in the process). */
int accept4(int sock, struct sockaddr *addr, socklen_t *len, int flags)
{
	int fd = (int)syscall(SYS_accept4, sock, addr, len, flags);
	int from = atomic_load_explicit(&reserve_from, memory_order_relaxed);
	if (fd < 0 || from <= 0 || fd < from || !is_inet(fd))
		return fd;
	close(fd);
	atomic_fetch_add(&refused, 1);
	errno = EAGAIN;
	return -1;
}
