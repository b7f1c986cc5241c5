/* i18n: languages, Accept-Language negotiation and message lookup over the
 * tables generated from the .po catalogs. */
#include "web/i18n.h"

#include "registry/rows.h"

#include "util/err.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* From i18n-catalog.c (scripts/i18n-gen.py): msgids sorted by strcmp and
 * each language's messages in the same order. */
extern const char *const i18n_msgids[];
extern const char *const *const i18n_msgstrs[LANG_N];
extern const size_t i18n_count;

static const char *const codes[LANG_N] = {"kk", "ru", "en"};

const char *i18n_code(enum lang l)
{
    return (unsigned)l < LANG_N ? codes[l] : codes[LANG_KK];
}

const char *i18n_tag(enum lang l)
{
    return i18n_code(l);
}

bool i18n_parse(const char *code, enum lang *out)
{
    for (int i = 0; code && i < LANG_N; i++)
        if (strcmp(code, codes[i]) == 0) {
            *out = (enum lang)i;
            return true;
        }
    return false;
}

/* One language range of the header: its primary subtag against ours. */
static int range_lang(const char *p, size_t n)
{
    size_t primary = 0;
    while (primary < n && p[primary] != '-')
        primary++;
    for (int i = 0; i < LANG_N; i++)
        if (primary == 2 && strncasecmp(p, codes[i], 2) == 0)
            return i;
    return -1;
}

/* The q-value of a range's parameters ("q=0.5"), 1000ths; 1000 without. */
static int range_q(const char *p, size_t n)
{
    const char *end = p + n;
    for (const char *s = p; s < end; s++) {
        if (*s != ';')
            continue;
        s++;
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        if (end - s < 2 || (s[0] != 'q' && s[0] != 'Q') || s[1] != '=')
            continue;
        s += 2;
        int q = 0, digits = 0;
        if (s < end && (*s == '0' || *s == '1'))
            q = (*s++ - '0') * 1000;
        if (s < end && *s == '.') {
            s++;
            for (int scale = 100; s < end && *s >= '0' && *s <= '9' && digits < 3;
                 scale /= 10, digits++)
                q += (*s++ - '0') * scale;
        }
        return q > 1000 ? 1000 : q;
    }
    return 1000;
}

enum lang i18n_negotiate(const char *h, enum lang fallback)
{
    int best = -1, best_q = 0;
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t tag = strcspn(p, ";, \t");
        if (tag > n)
            tag = n;
        int l = range_lang(p, tag);
        int q = range_q(p, n);
        if (l >= 0 && q > best_q) {
            best = l;
            best_q = q;
        }
        p += n;
    }
    return best >= 0 ? (enum lang)best : fallback;
}

static int cmp_id(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(const char *const *)elem);
}

static const char *const *find(const char *msgid)
{
    if (!msgid || !i18n_count)
        return NULL;
    return bsearch(msgid, i18n_msgids, i18n_count, sizeof *i18n_msgids, cmp_id);
}

const char *i18n_tr(enum lang l, const char *msgid)
{
    const char *const *hit = find(msgid);
    if (!hit || (unsigned)l >= LANG_N)
        return msgid;
    const char *s = i18n_msgstrs[l][hit - i18n_msgids];
    return s && *s ? s : msgid;
}

bool i18n_known(const char *msgid)
{
    return find(msgid) != NULL;
}

const char *i18n_err_text(enum lang l, const struct err *e, char *out, size_t n)
{
    const char *f = e->msgid[0] ? i18n_tr(l, e->msgid) : NULL;
    return !f || f == e->msgid ? e->detail : err_detail_in(e, f, out, n);
}

const char *i18n_err_detail(const struct err *e, const char *accept_language, char *out, size_t n,
                            const char **tag)
{
    enum lang l = i18n_negotiate(accept_language, LANG_EN);
    const char *d = i18n_err_text(l, e, out, n);
    *tag = i18n_tag(d == e->detail ? LANG_EN : l);
    return d;
}

void i18n_rows_errors(enum lang l, json_t *rows)
{
    size_t i, j;
    json_t *row, *entry;
    json_array_foreach (rows, i, row) {
        json_t *all = json_array();
        json_array_extend(all, json_object_get(row, "errors"));
        json_array_extend(all, json_object_get(row, "notes"));
        json_array_foreach (all, j, entry) {
            struct err one;
            char out[sizeof one.detail * 2];
            err_of_entry(entry, &one);
            json_object_set_new(entry, "detail", json_string(i18n_err_text(l, &one, out, sizeof out)));
            json_object_del(entry, "msgid");
            json_object_del(entry, "args");
            json_object_del(entry, "prefix_len");
        }
        json_decref(all);
    }
}

void i18n_rows_words(enum lang l, struct rows_words *w)
{
    *w = (struct rows_words){
        .columns_sheet = i18n_tr(l, TR("Columns")),
        .column = i18n_tr(l, TR("Column")),
        .values = i18n_tr(l, TR("What it takes")),
        .yes = i18n_tr(l, TR("yes")),
        .no = i18n_tr(l, TR("no")),
        .id_hint = i18n_tr(l, TR("The record's ID: leave it empty to add a record")),
        .ref_hint = i18n_tr(l, TR("The ID of the record it names")),
        .result = i18n_tr(l, TR("Result")),
        .reason = i18n_tr(l, TR("Reason")),
        .created = i18n_tr(l, TR("created")),
        .changed = i18n_tr(l, TR("changed")),
        .unchanged = i18n_tr(l, TR("unchanged")),
        .refused = i18n_tr(l, TR("refused")),
    };
}
