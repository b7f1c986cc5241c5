/* svg: charts drawn by the server as inline SVG (no script, no style
 * attributes: the Content-Security-Policy allows neither), each with a
 * title for assistive technology. The pages show the same figures in a
 * table next to each chart. Every text is escaped; URLs are the portal's
 * own. */
#ifndef AP_WEB_SVG_H
#define AP_WEB_SVG_H

#include "util/buf.h"

#include <stddef.h>

/* One bar: its label and its value. Charts are images (role="img") and
 * hold no links: the table beside each carries them, so keyboard and
 * screen-reader users meet each link once. */
struct svg_bar {
    const char *label;
    double value;
};

/* Horizontal bars, one row per bar (label above, bar below with its value
 * printed after it, formatted with value_fmt such as "%.0f" or "%.0f%%"),
 * scaled to max (0: the largest value). */
void svg_bars(struct buf *out, const char *title, const struct svg_bar *bars, size_t n,
              double max, const char *value_fmt);

/* Stacked horizontal bars: rows × series, values[row * n_series + s];
 * a legend of the series below. */
struct svg_stack {
    const char *title;
    const char *const *rows;    /* row labels */
    size_t n_rows;
    const char *const *series;  /* series labels */
    size_t n_series;
    const double *values;
};
void svg_stacked(struct buf *out, const struct svg_stack *s);

/* The colour of series i: a palette that keeps 3:1 contrast against white
 * and between neighbours. */
const char *svg_color(size_t i);

#endif
