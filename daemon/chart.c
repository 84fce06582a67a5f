/*
 * chart: inline SVG charts (chart.h).
 */
#include "daemon/chart.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>

#include "daemon/html.h"

static const char *const colours[CHART_SERIES_MAX] = {"#2b6cb0", "#48a868"};

static uint64_t sum_of(const uint64_t *v, size_t n)
{
	uint64_t s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s;
}

static void open_svg(FILE *out, const char *title, unsigned w, unsigned h, const char *cls)
{
	fprintf(out,
	        "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
	        "viewBox=\"0 0 %u %u\" role=\"img\"><title>",
	        cls, w, h, w, h);
	html_text(out, title);
	fputs("</title>", out);
}

static void legend(FILE *out, const char *const *series, size_t n_series, unsigned x, unsigned y)
{
	for (size_t s = 0; n_series > 1 && s < n_series; s++) {
		fprintf(out,
		        "<rect x=\"%u\" y=\"%u\" width=\"10\" height=\"10\" fill=\"%s\"/>"
		        "<text x=\"%u\" y=\"%u\" class=\"lg\">",
		        x + (unsigned)s * 110, y, colours[s], x + (unsigned)s * 110 + 14, y + 9);
		html_text(out, series[s]);
		fputs("</text>", out);
	}
}

void chart_bars(FILE *out, const char *title, const chart_bar_t *bars, size_t n,
                const char *const *series, size_t n_series)
{
	const unsigned label_w = 96, bar_w = 240, row = 18, top = n_series > 1 ? 18 : 4;
	uint64_t max = 1;
	if (n_series > CHART_SERIES_MAX)
		n_series = CHART_SERIES_MAX;
	for (size_t i = 0; i < n; i++) {
		uint64_t s = sum_of(bars[i].value, n_series);
		max = s > max ? s : max;
	}
	open_svg(out, title, label_w + bar_w + 70, top + (unsigned)n * row + 4, "chart");
	legend(out, series, n_series, label_w, 2);
	for (size_t i = 0; i < n; i++) {
		unsigned y = top + (unsigned)i * row, x = label_w;
		fprintf(out, "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">", label_w - 6, y + 12);
		html_text(out, bars[i].label);
		fputs("</text>", out);
		for (size_t s = 0; s < n_series; s++) {
			unsigned w =
			    (unsigned)((double)bars[i].value[s] * bar_w / (double)max + 0.5);
			if (w > 0)
				fprintf(out,
				        "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
				        "fill=\"%s\"/>",
				        x, y + 2, w, row - 5, colours[s]);
			x += w;
		}
		fprintf(out, "<text x=\"%u\" y=\"%u\">%" PRIu64 "</text>", x + 4, y + 12,
		        sum_of(bars[i].value, n_series));
	}
	fputs("</svg>", out);
}

void chart_columns(FILE *out, const char *title, const char *const *labels,
                   const uint64_t *const *values, const char *const *series, size_t n_series,
                   size_t n)
{
	const unsigned left = 44, col = 28, plot_h = 120, top = 22,
	               w = left + (unsigned)n * col + 8;
	uint64_t max = 1;
	if (n_series > CHART_SERIES_MAX)
		n_series = CHART_SERIES_MAX;
	for (size_t s = 0; s < n_series; s++)
		for (size_t i = 0; i < n; i++)
			max = values[s][i] > max ? values[s][i] : max;
	open_svg(out, title, w, top + plot_h + 34, "chart");
	legend(out, series, n_series, left, 4);
	unsigned base = top + plot_h;
	fprintf(out,
	        "<line x1=\"%u\" y1=\"%u\" x2=\"%u\" y2=\"%u\" class=\"ax\"/>"
	        "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">%" PRIu64 "</text>"
	        "<text x=\"%u\" y=\"%u\" text-anchor=\"end\">0</text>",
	        left, base, w - 4, base, left - 4, top + 8, max, left - 4, base);
	unsigned bw = (col - 6) / (unsigned)(n_series ? n_series : 1);
	for (size_t i = 0; i < n; i++) {
		unsigned x = left + 3 + (unsigned)i * col;
		for (size_t s = 0; s < n_series; s++) {
			unsigned h = (unsigned)((double)values[s][i] * plot_h / (double)max + 0.5);
			if (h > 0)
				fprintf(out,
				        "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" "
				        "fill=\"%s\"/>",
				        x + (unsigned)s * bw, base - h, bw, h, colours[s]);
		}
		const char *l = labels[i];
		/* "2025-11": the month under each column, the year at January. */
		fprintf(out, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">", x + (col - 6) / 2,
		        base + 13);
		html_text(out, l[0] && l[1] && l[2] && l[3] && l[4] ? l + 5 : l);
		fputs("</text>", out);
		bool january =
		    l[0] && l[1] && l[2] && l[3] && l[4] == '-' && l[5] == '0' && l[6] == '1';
		bool december =
		    l[0] && l[1] && l[2] && l[3] && l[4] == '-' && l[5] == '1' && l[6] == '2';
		/* the year at the first column (unless January follows at once) and at each January
		 */
		if ((i == 0 && !(december && n > 1)) || january) {
			fprintf(out, "<text x=\"%u\" y=\"%u\" text-anchor=\"middle\">%.4s</text>",
			        x + (col - 6) / 2, base + 27, l);
		}
	}
	fputs("</svg>", out);
}

void chart_spark(FILE *out, const char *title, const uint64_t *values, size_t n)
{
	const unsigned col = 4, h = 20;
	uint64_t max = 1;
	for (size_t i = 0; i < n; i++)
		max = values[i] > max ? values[i] : max;
	open_svg(out, title, (unsigned)n * col, h, "spark");
	for (size_t i = 0; i < n; i++) {
		unsigned bh = (unsigned)((double)values[i] * (h - 1) / (double)max + 0.5);
		if (bh > 0)
			fprintf(out,
			        "<rect x=\"%u\" y=\"%u\" width=\"%u\" height=\"%u\" fill=\"%s\"/>",
			        (unsigned)i * col, h - bh, col - 1, bh, colours[0]);
	}
	fputs("</svg>", out);
}

void chart_circle(FILE *out, const char *title, const chart_dot_t *dots, size_t n,
                  const char *const *sectors)
{
	const double c = 200, r15 = 120; /* centre, and the radius of 15 minutes */
	const double pi = 3.14159265358979323846;
	open_svg(out, title, 400, 400, "circle");
	for (int ring = 3; ring >= 1; ring--)
		fprintf(out,
		        "<circle cx=\"%.0f\" cy=\"%.0f\" r=\"%.0f\" class=\"ring%s\"/>"
		        "<text x=\"%.0f\" y=\"%.0f\" class=\"rl\">%d&#8242;</text>",
		        c, c, r15 * ring / 3, ring == 3 ? " r15" : "", c + r15 * ring / 3 - 16,
		        c - 2, ring * 5);
	for (int k = 0; k < 8; k++) {
		double a = (k + 0.5) * 2 * pi / 8 - pi / 2;
		double lx = c + cos(a) * (r15 + 34), ly = c + sin(a) * (r15 + 34);
		fprintf(out,
		        "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.1f\" class=\"sec\"/>", c,
		        c, c + cos(a - pi / 8) * (r15 + 40), c + sin(a - pi / 8) * (r15 + 40));
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" class=\"sl\">", lx,
		        ly + 4);
		html_text(out, sectors[k]);
		fputs("</text>", out);
	}
	/* Spread a sector's dots over its angle so dots at equal minutes do
	 * not cover one another. */
	size_t seen[9] = {0}, total[9] = {0};
	for (size_t i = 0; i < n; i++)
		if (dots[i].category >= 1 && dots[i].category <= 8)
			total[dots[i].category]++;
	for (size_t i = 0; i < n; i++) {
		int k = dots[i].category;
		if (k < 1 || k > 8)
			continue;
		double frac = ((double)seen[k]++ + 0.5) / (double)total[k];
		double a = (k - 1 + 0.1 + 0.8 * frac) * 2 * pi / 8 - pi / 2;
		double m = dots[i].minutes > 30 ? 30 : dots[i].minutes;
		double rad = m <= 15 ? m * r15 / 15 : r15 + (m - 15) * 30 / 15;
		fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>",
		        c + cos(a) * rad, c + sin(a) * rad, m <= 15 ? colours[0] : "#c05621");
	}
	fputs("</svg>", out);
}
