/*
 * chart: small charts as inline SVG for the pages (daemon/web.c): no
 * script, no image file, nothing fetched.  Every text given is escaped
 * (html.h).  A chart is decoration beside its figures: the figures a test
 * or a person copies stay in the page's tables.
 */
#ifndef LINLID_CHART_H
#define LINLID_CHART_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CHART_SERIES_MAX 2

/* One row of a bar chart: its label and a value per series (stacked). */
typedef struct {
	const char *label;
	uint64_t value[CHART_SERIES_MAX];
} chart_bar_t;

/* Horizontal bars, one row per bar, the n_series (1 or 2) series
 * stacked, named in a legend when there are two.  title: what the chart
 * shows (its <title>, read by screen readers). */
void chart_bars(FILE *out, const char *title, const chart_bar_t *bars, size_t n,
                const char *const *series, size_t n_series);

/* Columns over n months (labels "YYYY-MM"; the axis shows the month and,
 * at January and at the first one, the year), one or two series side by
 * side: values[s][i] is series s at month i. */
void chart_columns(FILE *out, const char *title, const char *const *labels,
                   const uint64_t *const *values, const char *const *series, size_t n_series,
                   size_t n);

/* A sparkline: n columns, no labels, sized to sit in a table cell. */
void chart_spark(FILE *out, const char *title, const uint64_t *values, size_t n);

/* The 15-minute circle: each service a dot as far from the centre as its
 * walking minutes (rings at 5, 10 and 15; beyond 15 outside the circle,
 * 30 and more at the edge), in the sector of its category (1..8), whose
 * labels are sectors[0..7]. */
typedef struct {
	unsigned minutes;
	int category;
} chart_dot_t;
void chart_circle(FILE *out, const char *title, const chart_dot_t *dots, size_t n,
                  const char *const *sectors);

#endif
