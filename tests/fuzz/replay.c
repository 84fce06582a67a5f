/*
 * replay: runs the seed corpora through one harness without libFuzzer, so
 * `make check` needs no clang.  With no arguments it takes every file of
 * every corpus under FUZZ_CORPUS (each harness gets the others' seeds too:
 * they are inputs it must survive as well); otherwise the files and
 * directories given.  Exits 1 if it found no input at all.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static size_t replayed;

static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* An exact-size copy, so ASan sees a read past the input. */
	uint8_t *input = malloc(len ? len : 1);
	if (input == NULL)
		abort();
	memcpy(input, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(input, len);
	free(input);
	replayed++;
}

static void replay_path(const char *path, int depth)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		perror(path);
		exit(1);
	}
	if (!S_ISDIR(st.st_mode)) {
		replay_file(path);
		return;
	}
	struct dirent **names;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		perror(path);
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		char sub[4096];
		if (names[i]->d_name[0] != '.' && depth < 2) {
			snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
			replay_path(sub, depth + 1);
		}
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	if (argc == 1)
		replay_path(FUZZ_CORPUS, 0);
	for (int i = 1; i < argc; i++)
		replay_path(argv[i], 0);
	printf("%s: %zu inputs replayed, every property held\n", FUZZ_NAME, replayed);
	return replayed > 0 ? 0 : 1;
}
