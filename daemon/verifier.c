/*
 * verifier: a worker thread behind an inproc PAIR socket.  Only pointers
 * to jobs cross it; a job belongs to one thread at a time.
 */
#include "daemon/verifier.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct verifier {
	void *main;   /* PAIR, the main thread's end */
	void *worker; /* PAIR, the worker's end */
	pthread_t thread;
	bool running;
};

verify_job_t *verify_job_new(void)
{
	verify_job_t *job = calloc(1, sizeof(*job));
	if (job == NULL)
		return NULL;
	zmq_msg_init(&job->rid);
	zmq_msg_init(&job->frame);
	zmq_msg_init(&job->sig);
	return job;
}

void verify_job_free(verify_job_t **job)
{
	if (job == NULL || *job == NULL)
		return;
	zmq_msg_close(&(*job)->rid);
	zmq_msg_close(&(*job)->frame);
	zmq_msg_close(&(*job)->sig);
	linli_cs_free(&(*job)->cs);
	free(*job);
	*job = NULL;
}

static void *run(void *arg)
{
	verifier_t *v = arg;
	verify_job_t *job;
	/* A NULL job is the signal to stop. */
	while (zmq_recv(v->worker, &job, sizeof(job), 0) == sizeof(job) && job != NULL) {
		if (linli_cs_open_keys(zmq_msg_data(&job->frame), zmq_msg_size(&job->frame),
		                       zmq_msg_data(&job->sig), zmq_msg_size(&job->sig),
		                       job->trust.keys, job->trust.nkeys, &job->signer, &job->cs,
		                       job->hash, job->err, sizeof(job->err)) != 0)
			job->cs = NULL;
		while (zmq_send(v->worker, &job, sizeof(job), 0) < 0)
			if (zmq_errno() != EINTR) {
				verify_job_free(&job);
				break;
			}
	}
	return NULL;
}

verifier_t *verifier_new(void *zctx)
{
	char endpoint[64];
	int zero = 0;
	verifier_t *v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	snprintf(endpoint, sizeof(endpoint), "inproc://linlid-verifier-%p", (void *)v);
	v->main = zmq_socket(zctx, ZMQ_PAIR);
	v->worker = zmq_socket(zctx, ZMQ_PAIR);
	/* No high-water mark: what is queued is bounded by the nodes' windows,
	 * and a full pipe would block the main thread or the join at exit. */
	if (v->main == NULL || v->worker == NULL ||
	    zmq_setsockopt(v->main, ZMQ_SNDHWM, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(v->main, ZMQ_RCVHWM, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(v->worker, ZMQ_SNDHWM, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(v->worker, ZMQ_RCVHWM, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(v->main, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_setsockopt(v->worker, ZMQ_LINGER, &zero, sizeof(zero)) != 0 ||
	    zmq_bind(v->worker, endpoint) != 0 || zmq_connect(v->main, endpoint) != 0 ||
	    pthread_create(&v->thread, NULL, run, v) != 0) {
		verifier_destroy(&v);
		return NULL;
	}
	v->running = true;
	return v;
}

void verifier_destroy(verifier_t **v)
{
	if (v == NULL || *v == NULL)
		return;
	verifier_t *w = *v;
	if (w->running) {
		verify_job_t *stop = NULL, *job;
		zmq_send(w->main, &stop, sizeof(stop), 0);
		pthread_join(w->thread, NULL);
		/* What the worker finished and nobody collected. */
		while (zmq_recv(w->main, &job, sizeof(job), ZMQ_DONTWAIT) == sizeof(job))
			verify_job_free(&job);
	}
	if (w->worker)
		zmq_close(w->worker);
	if (w->main)
		zmq_close(w->main);
	free(w);
	*v = NULL;
}

int verifier_submit(verifier_t *v, verify_job_t **job)
{
	int rc;
	while ((rc = zmq_send(v->main, job, sizeof(*job), 0)) < 0 && zmq_errno() == EINTR)
		;
	if (rc < 0) {
		verify_job_free(job);
		return -1;
	}
	*job = NULL;
	return 0;
}

verify_job_t *verifier_next(verifier_t *v)
{
	verify_job_t *job;
	if (zmq_recv(v->main, &job, sizeof(job), ZMQ_DONTWAIT) != sizeof(job))
		return NULL;
	return job;
}

void *verifier_socket(verifier_t *v)
{
	return v->main;
}
