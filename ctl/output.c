/*
 * output: text tables and JSON for linlictl (see output.h).
 */
#include "ctl/output.h"

#include <langinfo.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "ctl/i18n.h"
#include "proto/record.h"

static bool utf8;       /* the locale's characters are UTF-8 */
static locale_t widths; /* else C.UTF-8's, to measure with (none: a guess) */

void out_init(void)
{
	setlocale(LC_ALL, "");
	utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	/* Without a UTF-8 locale (LANG unset is C) wcwidth knows no Chinese,
	 * yet records hold it and the terminal shows it two columns wide:
	 * measure with C.UTF-8, which glibc always has, and print as is. */
	if (!utf8)
		widths = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Copies printable text of s into dst (if not NULL) while it fits in limit
 * columns; returns the columns used and the bytes written in *used. */
static size_t walk(const char *s, size_t limit, char *dst, size_t *used)
{
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t w = 0, o = 0;
	const char *p = s;
	locale_t old = widths ? uselocale(widths) : (locale_t)0;
	bool measure = utf8 || widths;
	while (*p != '\0') {
		size_t n = 1, cw = 1;
		unsigned char c = (unsigned char)*p;
		bool keep = false;
		if (c < 0x80) {
			keep = c >= 0x20 && c != 0x7f;
		} else if (measure) {
			wchar_t wc;
			size_t r = mbrtowc(&wc, p, strnlen(p, MB_CUR_MAX), &st);
			if (r == (size_t)-1 || r == (size_t)-2 || r == 0) {
				memset(&st, 0, sizeof(st));
			} else {
				int ww = wcwidth(wc);
				n = r;
				if (ww >= 0) {
					keep = true;
					cw = (size_t)ww;
				}
			}
		} else {
			/* No UTF-8 locale: pass a code point through whole and
			 * guess one column for it. */
			keep = true;
			while ((p[n] & 0xC0) == 0x80)
				n++;
		}
		if (w + cw > limit)
			break;
		if (dst != NULL) {
			if (keep)
				memcpy(dst + o, p, n);
			else
				dst[o] = c == '\t' ? ' ' : '?';
		}
		o += keep ? n : 1;
		w += cw;
		p += n;
	}
	if (old != (locale_t)0)
		uselocale(old);
	if (dst != NULL)
		dst[o] = '\0';
	if (used != NULL)
		*used = o;
	return w;
}

char *out_clean(const char *s, size_t maxw, size_t *width)
{
	/* Each input byte gives at most one output byte, plus the ellipsis. */
	char *out = malloc(strlen(s) + 4);
	if (out == NULL)
		return NULL;
	size_t w = walk(s, SIZE_MAX, NULL, NULL);
	if (maxw > 0 && w > maxw) {
		const char *ell = utf8 ? "\xE2\x80\xA6" : "...";
		size_t ellw = utf8 ? 1 : 3, used;
		w = walk(s, maxw > ellw ? maxw - ellw : 0, out, &used);
		memcpy(out + used, ell, strlen(ell) + 1);
		w += ellw;
	} else {
		walk(s, SIZE_MAX, out, NULL);
	}
	if (width != NULL)
		*width = w;
	return out;
}

struct out_table {
	const char *title;
	const out_col_t *cols;
	size_t ncols, maxw;
	char **cells; /* nrows * ncols */
	size_t nrows, cap;
};

out_table_t *out_table_new(const char *title, const out_col_t *cols, size_t ncols, size_t maxw)
{
	out_table_t *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->title = title;
	t->cols = cols;
	t->ncols = ncols;
	t->maxw = maxw;
	return t;
}

void out_table_destroy(out_table_t **t)
{
	if (t == NULL || *t == NULL)
		return;
	for (size_t i = 0; i < (*t)->nrows * (*t)->ncols; i++)
		free((*t)->cells[i]);
	free((*t)->cells);
	free(*t);
	*t = NULL;
}

int out_table_add(out_table_t *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **grown = realloc(t->cells, cap * t->ncols * sizeof(char *));
		if (grown == NULL)
			return -1;
		t->cells = grown;
		t->cap = cap;
	}
	char **row = t->cells + t->nrows * t->ncols;
	for (size_t j = 0; j < t->ncols; j++) {
		if ((row[j] = strdup(cells[j] ? cells[j] : "")) == NULL) {
			while (j-- > 0)
				free(row[j]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

size_t out_table_rows(const out_table_t *t)
{
	return t->nrows;
}

static bool all_digits(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void print_json(const out_table_t *t, FILE *out)
{
	fputc('[', out);
	for (size_t i = 0; i < t->nrows; i++) {
		fputs(i ? ",\n{" : "\n{", out);
		for (size_t j = 0; j < t->ncols; j++) {
			const char *v = t->cells[i * t->ncols + j];
			if (j)
				fputc(',', out);
			linli_json_string(out, t->cols[j].key);
			fputc(':', out);
			if (t->cols[j].type == OUT_NUMBER && all_digits(v))
				fputs(v, out);
			else
				linli_json_string(out, v);
		}
		fputc('}', out);
	}
	fputs(t->nrows ? "\n]\n" : "]\n", out);
}

static void print_cell(FILE *out, const char *s, size_t w, size_t colw, int type, bool last)
{
	size_t pad = colw > w ? colw - w : 0;
	if (type == OUT_NUMBER)
		fprintf(out, "%*s%s", (int)pad, "", s);
	else
		fprintf(out, "%s%*s", s, last ? 0 : (int)pad, "");
	fputs(last ? "\n" : "  ", out);
}

void out_table_print(const out_table_t *t, FILE *out, bool json)
{
	if (json) {
		print_json(t, out);
		return;
	}
	size_t n = (t->nrows + 1) * t->ncols;
	char **text = calloc(n, sizeof(char *));
	size_t *width = calloc(n, sizeof(size_t)), *colw = calloc(t->ncols, sizeof(size_t));
	if (text == NULL || width == NULL || colw == NULL)
		goto done;
	/* Row 0 is the header. */
	for (size_t k = 0; k < n; k++) {
		size_t j = k % t->ncols;
		const char *src = k < t->ncols ? _(t->cols[j].header) : t->cells[k - t->ncols];
		if ((text[k] = out_clean(src, k < t->ncols ? 0 : t->maxw, &width[k])) == NULL)
			goto done;
		if (width[k] > colw[j])
			colw[j] = width[k];
	}
	if (t->title != NULL)
		fprintf(out, "%s\n", t->title);
	for (size_t k = 0; k < n; k++) {
		size_t j = k % t->ncols;
		print_cell(out, text[k], width[k], colw[j], t->cols[j].type, j + 1 == t->ncols);
	}
done:
	for (size_t k = 0; text != NULL && k < n; k++)
		free(text[k]);
	free(text);
	free(width);
	free(colw);
}

void out_table_print_page(const out_table_t *t, FILE *out, size_t *colw)
{
	bool first = true;
	for (size_t j = 0; j < t->ncols; j++)
		first = first && colw[j] == 0;
	if (first) {
		/* The header and this page's rows set the widths. */
		for (size_t k = 0; k < (t->nrows + 1) * t->ncols; k++) {
			size_t j = k % t->ncols, w;
			const char *src =
			    k < t->ncols ? _(t->cols[j].header) : t->cells[k - t->ncols];
			char *text = out_clean(src, k < t->ncols ? 0 : t->maxw, &w);
			free(text);
			if (w > colw[j])
				colw[j] = w;
		}
		for (size_t j = 0; j < t->ncols; j++) {
			size_t w;
			char *text = out_clean(_(t->cols[j].header), 0, &w);
			if (text != NULL)
				print_cell(out, text, w, colw[j], t->cols[j].type,
				           j + 1 == t->ncols);
			free(text);
		}
	}
	for (size_t k = 0; k < t->nrows * t->ncols; k++) {
		size_t j = k % t->ncols, w;
		size_t maxw = t->maxw && t->maxw < colw[j] ? t->maxw : colw[j];
		char *text = out_clean(t->cells[k], maxw, &w);
		if (text != NULL)
			print_cell(out, text, w, colw[j], t->cols[j].type, j + 1 == t->ncols);
		free(text);
	}
}

void out_pairs(FILE *out, const char *const *names, const char *const *values, size_t n, bool json)
{
	if (json) {
		fputc('{', out);
		for (size_t i = 0; i < n; i++) {
			if (i)
				fputc(',', out);
			linli_json_string(out, names[i]);
			fputc(':', out);
			linli_json_string(out, values[i]);
		}
		fputs("}\n", out);
		return;
	}
	size_t namew = 0;
	for (size_t i = 0; i < n; i++) {
		size_t w = walk(names[i], SIZE_MAX, NULL, NULL);
		namew = w > namew ? w : namew;
	}
	for (size_t i = 0; i < n; i++) {
		size_t w;
		char *name = out_clean(names[i], 0, &w), *value = out_clean(values[i], 0, NULL);
		if (name != NULL && value != NULL)
			fprintf(out, "%s:%*s %s\n", name, (int)(namew - w), "", value);
		free(name);
		free(value);
	}
}
