/*
 * store_fixture: a fresh store in a directory of its own for each cmocka
 * test (test_store, test_monthly), removed after it.
 */
#ifndef LINLI_TEST_STORE_FIXTURE_H
#define LINLI_TEST_STORE_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

typedef struct {
	char dir[64];
	linli_store_t *s;
} fixture_t;

/* template: a mkdtemp(3) template ("/tmp/linli-store-XXXXXX"). */
static inline int fixture_setup(void **state, const char *template,
                                const uint8_t key[STORE_KEY_LEN])
{
	fixture_t *f = calloc(1, sizeof(*f));
	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s", template);
	if (mkdtemp(f->dir) == NULL || store_open(&f->s, f->dir, key) != STORE_OK) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static inline int fixture_teardown(void **state)
{
	fixture_t *f = *state;
	struct dirent *e;
	char path[400];
	store_close(&f->s);
	DIR *d = opendir(f->dir);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

#endif
