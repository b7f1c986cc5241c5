/* svg: bar charts as inline SVG. */
#include "web/svg.h"

#include "util/text.h"
#include "web/tpl.h"

#include <stdio.h>
#include <string.h>

#define WIDTH 800
#define ROW 46      /* label line + bar */
#define BAR 18
#define LABEL_MAX 90 /* characters of a label drawn; the whole one is its <title> */

const char *svg_color(size_t i)
{
    static const char *const palette[] = {"#005ea2", "#c05600", "#00a398", "#8168b3",
                                          "#d83933", "#4d8055", "#936f38", "#2378c3"};
    return palette[i % (sizeof palette / sizeof *palette)];
}

static void esc(struct buf *out, const char *s)
{
    tpl_esc_html(out, s ? s : "", s ? strlen(s) : 0);
}

/* The label, cut to LABEL_MAX characters with an ellipsis. */
static void label_text(struct buf *out, const char *s)
{
    size_t chars = 0, i = 0, n = s ? strlen(s) : 0;
    while (i < n && chars < LABEL_MAX) {
        size_t step = utf8_char_len(s + i, n - i);
        i += step ? step : 1;
        chars++;
    }
    tpl_esc_html(out, s ? s : "", i);
    if (i < n)
        buf_puts(out, "…");
}

static void open_svg(struct buf *out, const char *title, int height, const char *id)
{
    buf_printf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"portal-chart\" viewBox=\"0 0 %d "
               "%d\" width=\"100%%\" role=\"img\" aria-labelledby=\"%s\" font-family=\"system-ui, "
               "sans-serif\" font-size=\"14\"><title id=\"%s\">",
               WIDTH, height, id, id);
    esc(out, title);
    buf_puts(out, "</title>");
}

/* A short id for aria-labelledby that differs between charts of a page. */
static void chart_id(char out[24], const char *title)
{
    unsigned h = 5381;
    for (const char *p = title ? title : ""; *p; p++)
        h = h * 33 + (unsigned char)*p;
    snprintf(out, 24, "chart-%08x", h);
}

void svg_bars(struct buf *out, const char *title, const struct svg_bar *bars, size_t n,
              double max, const char *value_fmt)
{
    if (max <= 0)
        for (size_t i = 0; i < n; i++)
            if (bars[i].value > max)
                max = bars[i].value;
    char id[24];
    chart_id(id, title);
    open_svg(out, title, (int)(n ? n : 1) * ROW + 8, id);
    const int track = WIDTH - 90;
    for (size_t i = 0; i < n; i++) {
        int y = (int)i * ROW;
        double v = bars[i].value > 0 ? bars[i].value : 0;
        int w = max > 0 ? (int)(v / max * track + 0.5) : 0;
        if (v > 0 && w < 2)
            w = 2;
        char value[48];
        snprintf(value, sizeof value, value_fmt, v);
        buf_printf(out, "<g><title>");
        esc(out, bars[i].label);
        buf_printf(out, ": %s</title><text x=\"0\" y=\"%d\" fill=\"#1b1b1b\">", value, y + 16);
        label_text(out, bars[i].label);
        buf_printf(out,
                   "</text><rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>"
                   "<text x=\"%d\" y=\"%d\" fill=\"#1b1b1b\" font-weight=\"bold\">%s</text></g>",
                   y + 22, w, BAR, svg_color(0), w + 6, y + 22 + BAR - 4, value);
    }
    buf_puts(out, "</svg>");
}

void svg_stacked(struct buf *out, const struct svg_stack *s)
{
    double max = 0;
    for (size_t r = 0; r < s->n_rows; r++) {
        double sum = 0;
        for (size_t k = 0; k < s->n_series; k++)
            sum += s->values[r * s->n_series + k] > 0 ? s->values[r * s->n_series + k] : 0;
        if (sum > max)
            max = sum;
    }
    int legend_y = (int)s->n_rows * ROW + 12;
    int height = legend_y + (int)s->n_series * 24 + 8;
    char id[24];
    chart_id(id, s->title);
    open_svg(out, s->title, height, id);
    const int track = WIDTH - 90;
    for (size_t r = 0; r < s->n_rows; r++) {
        int y = (int)r * ROW;
        double sum = 0;
        buf_puts(out, "<g><text x=\"0\" fill=\"#1b1b1b\" y=\"");
        buf_printf(out, "%d\">", y + 16);
        label_text(out, s->rows[r]);
        buf_puts(out, "</text>");
        int x = 0;
        for (size_t k = 0; k < s->n_series; k++) {
            double v = s->values[r * s->n_series + k];
            if (v <= 0)
                continue;
            sum += v;
            int w = max > 0 ? (int)(v / max * track + 0.5) : 0;
            if (w < 2)
                w = 2;
            buf_printf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\">"
                            "<title>",
                       x, y + 22, w, BAR, svg_color(k));
            esc(out, s->series[k]);
            buf_printf(out, ": %.0f</title></rect>", v);
            x += w;
        }
        buf_printf(out, "<text x=\"%d\" y=\"%d\" fill=\"#1b1b1b\" font-weight=\"bold\">%.0f</text>"
                        "</g>",
                   x + 6, y + 22 + BAR - 4, sum);
    }
    for (size_t k = 0; k < s->n_series; k++) {
        int y = legend_y + (int)k * 24;
        buf_printf(out, "<rect x=\"0\" y=\"%d\" width=\"16\" height=\"16\" fill=\"%s\"/>"
                        "<text x=\"24\" y=\"%d\" fill=\"#1b1b1b\">",
                   y, svg_color(k), y + 13);
        label_text(out, s->series[k]);
        buf_puts(out, "</text>");
    }
    buf_puts(out, "</svg>");
}
