/*
 * service: what the service manager (systemd, Type=notify) sees of linlid:
 * readiness, a one-line STATUS for `systemctl status`, reloads, the stop,
 * and the watchdog.  Without $NOTIFY_SOCKET every call does nothing.
 */
#ifndef LINLID_SERVICE_H
#define LINLID_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/linlid.h"

typedef struct service service_t;

/* Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, and removes them
 * from the environment (they are meant for this process alone).  A
 * variable that does not read is logged and ignored.  NULL only when out
 * of memory. */
service_t *service_new(void);
/* Closes the socket and frees s; safe with NULL and twice. */
void service_destroy(service_t **s);

/* READY=1 with the first STATUS: the store is checked and every socket is
 * up.  now: now_ms(). */
void service_ready(service_t *s, linlid_t *d, uint64_t now);
/* RELOADING=1 before a reload (SIGHUP, linlictl reload), READY=1 after it,
 * whether the new trust list was taken or refused: the daemon serves on. */
void service_reloading(service_t *s);
void service_reloaded(service_t *s, linlid_t *d, uint64_t now);
/* STOPPING=1: the main loop has ended. */
void service_stopping(service_t *s);

/* Once per loop turn: STATUS= when its text changed (looked at once a
 * second), and WATCHDOG=1 every half watchdog interval while healthy (the
 * caller's judgement of its own loop: it has gone round, and its worker
 * threads give back their work).  A turn that is not healthy sends no
 * WATCHDOG=1, so systemd kills the process once the interval runs out. */
void service_tick(service_t *s, linlid_t *d, uint64_t now, bool healthy);
/* The watchdog interval in ms (0: none was asked for). */
uint64_t service_watchdog_ms(const service_t *s);

#endif
