/* Unit tests of the web module's foundations: the template compiler's
 * context-aware escaping and its refusals, sections and partials, messages
 * in three languages, Accept-Language negotiation, the compiled-in
 * templates and static files. */
#include "web/assets.h"
#include "web/i18n.h"
#include "web/svg.h"
#include "web/tpl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char *fake_static(const char *name)
{
    return strcmp(name, "a.css") == 0 ? "/static/a.0123456789ab.css" : NULL;
}

/* Compiles src as "t" (with partials "p" → p_src when given), renders it
 * with the JSON data in lang and returns the output (malloc'd), or NULL
 * when compiling failed (*detail gets why). */
static char *render_lang(const char *src, const char *p_src, const char *data, enum lang lang,
                         char *detail)
{
    struct tpl_set *s = tpl_set_new(fake_static);
    struct err e = ERR_INIT;
    char *out = NULL;
    if (tpl_add(s, "t", src, strlen(src), &e) < 0 ||
        (p_src && tpl_add(s, "p", p_src, strlen(p_src), &e) < 0) || tpl_link(s, &e) < 0) {
        if (detail)
            snprintf(detail, 300, "%.290s", e.detail);
        tpl_set_free(s);
        return NULL;
    }
    json_t *j = json_loads(data ? data : "{}", 0, NULL);
    assert_non_null(j);
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(tpl_render(s, "t", lang, j, NULL, 0, &b, &e), 0);
    out = strdup(b.p ? b.p : "");
    buf_free(&b);
    json_decref(j);
    tpl_set_free(s);
    return out;
}

static char *render(const char *src, const char *data)
{
    return render_lang(src, NULL, data, LANG_EN, NULL);
}

#define assert_renders(src, data, want)                                                          \
    do {                                                                                         \
        char *got_ = render(src, data);                                                          \
        assert_non_null(got_);                                                                   \
        assert_string_equal(got_, want);                                                         \
        free(got_);                                                                              \
    } while (0)

#define assert_refused(src, needle)                                                              \
    do {                                                                                         \
        char detail_[300] = "";                                                                  \
        assert_null(render_lang(src, NULL, "{}", LANG_EN, detail_));                             \
        if (!strstr(detail_, needle))                                                            \
            fail_msg("refusal of %s says '%s', not '%s'", src, detail_, needle);                 \
    } while (0)

static void test_text_and_attribute_escaping(void **state)
{
    (void)state;
    assert_renders("<p title=\"{{x}}\">{{x}}</p>", "{\"x\":\"<script>\\\"'&\"}",
                   "<p title=\"&lt;script&gt;&quot;&#39;&amp;\">&lt;script&gt;&quot;&#39;&amp;</p>");
    assert_renders("<p title='{{x}}'>", "{\"x\":\"' onmouseover='x\"}",
                   "<p title='&#39; onmouseover=&#39;x'>");
    /* textarea and title are text: escaped, no way out of the element */
    assert_renders("<textarea>{{x}}</textarea>", "{\"x\":\"</textarea><script>\"}",
                   "<textarea>&lt;/textarea&gt;&lt;script&gt;</textarea>");
    assert_renders("{{n}} {{r}} {{b}} {{f}} {{z}} {{o}}",
                   "{\"n\":42,\"r\":1.5,\"b\":true,\"f\":false,\"z\":null,\"o\":{}}",
                   "42 1.5 true false  ");
}

static void test_url_attributes(void **state)
{
    (void)state;
    static const char *const blocked[] = {
        "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)",
        "java\\tscript:alert(1)", "data:text/html,<script>", "vbscript:x", "//evil.example",
        "/\\\\evil.example", "file:///etc/passwd"};
    for (size_t i = 0; i < sizeof blocked / sizeof *blocked; i++) {
        char data[200];
        snprintf(data, sizeof data, "{\"u\":\"%s\"}", blocked[i]);
        char *got = render("<a href=\"{{u}}\">", data);
        if (strcmp(got, "<a href=\"about:invalid#blocked\">") != 0)
            fail_msg("%s gave %s", blocked[i], got);
        free(got);
    }
    assert_renders("<a href=\"{{u}}\">", "{\"u\":\"https://egov.kz/a?b=1&c=2\"}",
                   "<a href=\"https://egov.kz/a?b=1&amp;c=2\">");
    assert_renders("<a href=\"{{u}}\">", "{\"u\":\"/ru/registry\"}", "<a href=\"/ru/registry\">");
    assert_renders("<a href=\"{{u}}\">", "{\"u\":\"mailto:a@b.kz\"}", "<a href=\"mailto:a@b.kz\">");
    assert_renders("<a href=\"{{u}}\">", "{\"u\":\"registry?q=1\"}", "<a href=\"registry?q=1\">");
    /* after other text in a URL attribute: one percent-encoded component */
    assert_renders("<a href=\"/{{l}}/registry?q={{q}}\">", "{\"l\":\"ru\",\"q\":\"a b&c=\\\"/é\"}",
                   "<a href=\"/ru/registry?q=a%20b%26c%3D%22%2F%C3%A9\">");
    assert_renders("<form action=\"/x/{{id}}\">", "{\"id\":\"../../admin\"}",
                   "<form action=\"/x/..%2F..%2Fadmin\">");
    /* a static file's hashed URL */
    assert_renders("<link href=\"{{static \"a.css\"}}\">", NULL,
                   "<link href=\"/static/a.0123456789ab.css\">");
}

static void test_unsafe_templates_are_refused(void **state)
{
    (void)state;
    assert_refused("<p style=\"color:red\">", "style attributes");
    assert_refused("<p onclick=\"x()\">", "inline event handlers");
    assert_refused("<p ONMOUSEOVER='x()'>", "inline event handlers");
    assert_refused("<style>p{}</style>", "inline styles");
    assert_refused("<script>alert(1)</script>", "inline script");
    assert_refused("<script src=\"/a.js\">x</script>", "inline script");
    assert_refused("<p title={{x}}>", "quoted");
    assert_refused("<p title=x>", "quoted");
    assert_refused("<{{x}}>", "inside a tag");
    assert_refused("<p {{x}}>", "inside a tag");
    assert_refused("<p a{{x}}=\"\">", "inside a tag");
    assert_refused("<!-- {{x}} -->", "comment");
    assert_refused("<p title=\"{{{x}}}\">", "only between tags");
    assert_refused("<a href=\"{{t \"Hi\"}}\">", "URL attribute");
    assert_refused("<p title=\"{{static \"a.css\"}}\">", "URL attribute");
    assert_refused("<link href=\"{{static \"b.css\"}}\">", "no static file");
    assert_refused("{{#a}}<p title=\"{{/a}}\">", "another HTML context");
    assert_refused("{{#a}}<p>", "never closed");
    assert_refused("{{/a}}", "closes no open section");
    assert_refused("{{#a}}{{/b}}", "another section");
    assert_refused("<p title=\"x", "ends inside");
    assert_refused("{{x", "never closed");
    assert_refused("{{a..b}}", "empty part");
    assert_refused("{{a b}}", "bad character");
    assert_refused("{{}}", "empty tag");
    assert_refused("<p>{{\nx}}</p>", "one line");
    assert_refused("<p title=\"{{x}}\" style=\"\">", "style");
}

static void test_sections_and_scopes(void **state)
{
    (void)state;
    const char *data = "{\"items\":[{\"n\":\"a\"},{\"n\":\"b\",\"flag\":true}],\"title\":\"T\","
                       "\"obj\":{\"k\":\"v\"},\"empty\":[],\"zero\":0,\"s\":\"\"}";
    assert_renders("{{#items}}[{{n}}{{#flag}}!{{/flag}}{{title}}]{{/items}}", data, "[aT][b!T]");
    assert_renders("{{#obj}}{{k}}{{/obj}}|{{obj.k}}", data, "v|v");
    assert_renders("{{#empty}}x{{/empty}}{{^empty}}none{{/empty}}", data, "none");
    assert_renders("{{#zero}}x{{/zero}}{{#s}}y{{/s}}{{#missing}}z{{/missing}}", data, "");
    assert_renders("{{^missing}}m{{/missing}}{{^title}}t{{/title}}", data, "m");
    assert_renders("{{#items}}{{.}}{{/items}}|{{#title}}{{.}}{{/title}}", data, "|T");
    /* sections between attributes keep the tag well formed */
    assert_renders("<option value=\"{{n}}\"{{#flag}} selected{{/flag}}>",
                   "{\"n\":\"x\",\"flag\":true}", "<option value=\"x\" selected>");
    assert_renders("<li class=\"a{{#flag}} b{{/flag}}\">", "{\"flag\":true}", "<li class=\"a b\">");
    /* integers as their decimal text, in text, attributes and URLs */
    assert_renders("{{a}} {{b}} {{c}} {{d}} {{e}}",
                   "{\"a\":0,\"b\":7,\"c\":-42,\"d\":9223372036854775807,"
                   "\"e\":-9223372036854775808}",
                   "0 7 -42 9223372036854775807 -9223372036854775808");
    assert_renders("<a title=\"{{n}}\" href=\"/x?p={{n}}\">{{n}}</a>", "{\"n\":-1200}",
                   "<a title=\"-1200\" href=\"/x?p=-1200\">-1200</a>");
}

static void test_partials(void **state)
{
    (void)state;
    char *got = render_lang("<ul>{{#xs}}{{>p}}{{/xs}}</ul>", "<li>{{.}}</li>",
                            "{\"xs\":[\"1\",\"<2>\"]}", LANG_EN, NULL);
    assert_string_equal(got, "<ul><li>1</li><li>&lt;2&gt;</li></ul>");
    free(got);
    char detail[300] = "";
    assert_null(render_lang("{{>nope}}", NULL, "{}", LANG_EN, detail));
    assert_non_null(strstr(detail, "no partial"));
    assert_null(render_lang("{{>p}}", "{{>t}}", "{}", LANG_EN, detail));
    assert_non_null(strstr(detail, "includes itself"));
    assert_null(render_lang("<p title=\"{{>p}}\">", "x", "{}", LANG_EN, detail));
}

/* REQ: X-I18N-01 */
static void test_messages_in_three_languages(void **state)
{
    (void)state;
    const char *src = "<h1>{{t \"Page not found\"}}</h1><p title=\"{{t \"Error code: {status}\"}}\">";
    const char *want[LANG_N] = {"<h1>Бет табылмады</h1><p title=\"Қате коды: &lt;b&gt;\">",
                                "<h1>Страница не найдена</h1><p title=\"Код ошибки: &lt;b&gt;\">",
                                "<h1>Page not found</h1><p title=\"Error code: &lt;b&gt;\">"};
    for (int l = 0; l < LANG_N; l++) {
        char *got = render_lang(src, NULL, "{\"status\":\"<b>\"}", (enum lang)l, NULL);
        assert_string_equal(got, want[l]);
        free(got);
    }
    /* a message the catalogs lack shows its msgid; braces that are no
     * placeholder stay text */
    assert_renders("{{t \"No such {x} message {} {a b}\"}}", "{\"x\":\"&\"}",
                   "No such &amp; message {} {a b}");
    assert_true(i18n_known("Page not found"));
    assert_false(i18n_known("No such message"));
    assert_string_equal(i18n_tr(LANG_RU, "Registry"), "Реестр");
    assert_string_equal(i18n_tr(LANG_KK, "Registry"), "Тізілім");
}

/* REQ: X-I18N-01 */
static void test_accept_language(void **state)
{
    (void)state;
    assert_int_equal(i18n_negotiate("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", LANG_KK), LANG_RU);
    assert_int_equal(i18n_negotiate("en;q=0.5, kk;q=0.8", LANG_RU), LANG_KK);
    assert_int_equal(i18n_negotiate("de-DE,fr;q=0.9", LANG_KK), LANG_KK);
    assert_int_equal(i18n_negotiate("ru;q=0, en", LANG_KK), LANG_EN);
    assert_int_equal(i18n_negotiate("*", LANG_KK), LANG_KK);
    assert_int_equal(i18n_negotiate("", LANG_RU), LANG_RU);
    assert_int_equal(i18n_negotiate(NULL, LANG_EN), LANG_EN);
    assert_int_equal(i18n_negotiate("KK-kz;Q=1", LANG_EN), LANG_KK);
    assert_int_equal(i18n_negotiate("kkk, r, e-n", LANG_EN), LANG_EN);
    enum lang l;
    assert_true(i18n_parse("ru", &l));
    assert_int_equal(l, LANG_RU);
    assert_false(i18n_parse("RU", &l));
    assert_false(i18n_parse("rus", &l));
    assert_false(i18n_parse(NULL, &l));
}

static void test_raw_and_limits(void **state)
{
    (void)state;
    struct tpl_set *s = tpl_set_new(NULL);
    struct err e = ERR_INIT;
    const char *src = "<div>{{{svg}}}{{x}}</div>";
    assert_int_equal(tpl_add(s, "t", src, strlen(src), &e), 0);
    assert_int_equal(tpl_add(s, "t", src, strlen(src), &e), -1); /* twice */
    assert_int_equal(tpl_link(s, &e), 0);
    json_t *j = json_pack("{s:s, s:s}", "x", "long enough text", "svg", "<b>from data</b>");
    struct tpl_raw raw = {"svg", "<svg></svg>", 11};
    struct buf b;
    buf_init(&b, 0);
    assert_int_equal(tpl_render(s, "t", LANG_EN, j, &raw, 1, &b, &e), 0);
    /* trusted HTML comes from the C code, never from the data */
    assert_string_equal(b.p, "<div><svg></svg>long enough text</div>");
    buf_free(&b);
    buf_init(&b, 16);
    assert_int_equal(tpl_render(s, "t", LANG_EN, j, &raw, 1, &b, &e), -1);
    assert_int_equal(e.status, 500);
    buf_free(&b);
    buf_init(&b, 0);
    assert_int_equal(tpl_render(s, "nope", LANG_EN, j, NULL, 0, &b, &e), -1);
    buf_free(&b);
    json_decref(j);
    tpl_set_free(s);
}

/* Every template the binary carries compiles, links and is safe. */
static void test_compiled_in_templates_and_statics(void **state)
{
    (void)state;
    struct tpl_set *s = tpl_set_new(web_static_url);
    struct err e = ERR_INIT;
    size_t n = 0;
    for (const struct web_template *t = web_templates; t->name; t++, n++)
        if (tpl_add(s, t->name, t->src, t->len, &e) < 0)
            fail_msg("%s", e.detail);
    assert_true(n >= 3);
    assert_int_equal(tpl_link(s, &e), 0);
    assert_true(tpl_has(s, "layout"));
    assert_true(tpl_has(s, "error"));
    tpl_set_free(s);
    const char *css = web_static_url("uswds.css");
    assert_non_null(css);
    const struct web_static *st = web_static_by_file(strrchr(css, '/') + 1);
    assert_non_null(st);
    assert_non_null(st->gz);
    assert_true(st->gz_len < st->len);
    /* the CSS names its images by their hashed URLs */
    assert_null(strstr(st->data, "../img/"));
    assert_non_null(strstr(st->data, "url(/static/img-usa-icons-"));
    assert_null(web_static_by_file("uswds.css"));
}

/* Charts: every text escaped, long labels cut with their whole text in a
 * <title>, no style attributes or scripts (the CSP allows neither). */
static void test_svg_charts(void **state)
{
    (void)state;
    char longname[400];
    memset(longname, 0, sizeof longname);
    for (int i = 0; i < 100; i++)
        strcat(longname, "Қ");
    struct svg_bar bars[] = {{"<script>alert(1)</script>", 3}, {longname, 0}, {"half", 1.5}};
    struct buf b;
    buf_init(&b, 0);
    svg_bars(&b, "T & \"q\"", bars, 3, 0, "%.0f");
    assert_null(strstr(b.p, "<script"));
    assert_non_null(strstr(b.p, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_null(strstr(b.p, "<a "));
    assert_non_null(strstr(b.p, "<title id=\"chart-"));
    assert_non_null(strstr(b.p, "T &amp; &quot;q&quot;"));
    assert_null(strstr(b.p, "style="));
    assert_non_null(strstr(b.p, "…"));   /* the long label is cut */
    assert_non_null(strstr(b.p, ">3<"));  /* the largest bar's value */
    assert_non_null(strstr(b.p, "width=\"710\"")); /* the largest bar fills the track */
    buf_reset(&b);
    const char *rows[] = {"r<1>", "r2"}, *series[] = {"s&1", "s2"};
    const double values[] = {1, 2, 0, 4};
    struct svg_stack st = {"Stack", rows, 2, series, 2, values};
    svg_stacked(&b, &st);
    assert_non_null(strstr(b.p, "r&lt;1&gt;"));
    assert_non_null(strstr(b.p, "s&amp;1: 1"));
    assert_null(strstr(b.p, "style="));
    assert_non_null(strstr(b.p, ">3</text>")); /* row totals */
    assert_non_null(strstr(b.p, ">4</text>"));
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_and_attribute_escaping),
        cmocka_unit_test(test_url_attributes),
        cmocka_unit_test(test_unsafe_templates_are_refused),
        cmocka_unit_test(test_sections_and_scopes),
        cmocka_unit_test(test_partials),
        cmocka_unit_test(test_messages_in_three_languages),
        cmocka_unit_test(test_accept_language),
        cmocka_unit_test(test_raw_and_limits),
        cmocka_unit_test(test_compiled_in_templates_and_statics),
        cmocka_unit_test(test_svg_charts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
