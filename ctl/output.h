/*
 * output: everything linlictl prints on stdout goes through here, as text
 * for people or as JSON for scripts (--json), from the same table.
 *
 * Text is measured in terminal columns: a Chinese character counts two, in
 * a UTF-8 locale (setlocale in out_init) and in any other (C, or no LANG)
 * as C.UTF-8 measures it, since records are UTF-8 whatever the locale.
 * Control characters and invalid bytes print as '?':
 * records come from ten communities and must not drive the terminal.
 */
#ifndef LINLICTL_OUTPUT_H
#define LINLICTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OUT_CELL_MAX 24 /* columns of a record field in a table */

/* Reads the locale from the environment; call once at start. */
void out_init(void);

/* A printable copy of s (malloc'd, caller frees; NULL if out of memory).
 * With maxw > 0, text wider than maxw columns is cut to maxw columns
 * ending in an ellipsis.  *width (if not NULL) gets the columns used. */
char *out_clean(const char *s, size_t maxw, size_t *width);

enum {
	OUT_TEXT = 0,   /* left-aligned; a JSON string */
	OUT_NUMBER = 1, /* right-aligned; a JSON number when it is digits */
};

typedef struct {
	const char *key;    /* JSON member */
	const char *header; /* text column heading, translated when printed (N_) */
	int type;
} out_col_t;

typedef struct out_table out_table_t;

/* A table with a title (NULL for none) over ncols columns; cols is
 * borrowed and must outlive the table.  maxw > 0 cuts text cells wider
 * than maxw columns (text only; JSON is never cut). */
out_table_t *out_table_new(const char *title, const out_col_t *cols, size_t ncols, size_t maxw);
void out_table_destroy(out_table_t **t);
/* Appends a row of ncols cells (copied).  -1 if out of memory. */
int out_table_add(out_table_t *t, const char *const *cells);
size_t out_table_rows(const out_table_t *t);
/* Text: title, header and aligned rows.  JSON: an array of objects. */
void out_table_print(const out_table_t *t, FILE *out, bool json);

/* Text of a table printed a page at a time (a list of any length, with
 * memory for one page): colw holds a width per column, zeros
 * before the first page.  The first page sets them (and prints the
 * header); later pages keep them, cutting a wider cell to its column. */
void out_table_print_page(const out_table_t *t, FILE *out, size_t *colw);

/* "name: value" lines with the values aligned, or one JSON object of strings. */
void out_pairs(FILE *out, const char *const *names, const char *const *values, size_t n, bool json);

#endif
