/*
 * fdlimit: the process's open-file limit, and descriptors kept in reserve
 * from the hub's link connections.
 *
 * libzmq (4.3.4) aborts the process when its control socket's listener
 * finds no descriptor left ("Too many open files", ipc_listener.cpp), and
 * any peer that reaches the hub's port can open connections faster than a
 * thread watching them can close them.  So the reserve is kept where the
 * descriptors are taken: libzmq's I/O thread accepts every connection with
 * accept4(2), and this module defines accept4 in the executable, which the
 * dynamic linker gives libzmq in place of the C library's.  It accepts as
 * the C library would; a TCP connection that got a descriptor at or above
 * the reserve's start (descriptors are given lowest first, so every one
 * below is taken) is closed at once and the call fails with EAGAIN, which
 * libzmq takes for "nothing to accept".  Connections on a local socket (the
 * control socket) are never refused here.  Without fdlimit_reserve it
 * only accepts.
 */
#ifndef LINLID_FDLIMIT_H
#define LINLID_FDLIMIT_H

#include <stdint.h>

#define FDLIMIT_MAX (1u << 20) /* the soft limit is raised at most to this */

/* Raises the soft open-file limit to the hard one (at most FDLIMIT_MAX) and
 * logs the figure; returns the limit in force after (0 if unknown). */
uint64_t fdlimit_raise(void);
/* The open-file limit in force (0 if unknown). */
uint64_t fdlimit_get(void);
/* From now on TCP connections that get descriptor `from` or above are
 * closed at once (0: none are). */
void fdlimit_reserve(int from);
/* TCP connections closed so far because of the reserve. */
uint64_t fdlimit_refused(void);

#endif
