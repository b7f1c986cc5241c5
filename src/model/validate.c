/* validate: checks record fields against their kind and normalises them,
 * extracts the values the list index and the full-text index need, and
 * checks Kazakhstan's BIN/IIN.
 *
 * Every failure is a 422 whose `field` is the path of the offending value
 * ("functions[2]", "purpose.kk") and whose `type` is one of unknown-field,
 * required, wrong-type, bad-enum, bad-format, dangling-reference and
 * bad-reference (a reference to a record of a kind the field does not
 * allow). */
#include "model/loader.h"

#include "util/buf.h"
#include "util/text.h"
#include "util/timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LIST_MAX 1000
#define DECIMAL_INT_DIGITS 18
#define DECIMAL_FRAC_DIGITS 6

static const char *const LANGS[] = {"kk", "ru", "en"};

/* What one validation needs besides the value. */
struct vctx {
    model_ref_lookup lookup;
    void *ctx;
    struct err *e;
};

static int fail(struct err *e, const char *type, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A problem of the input: e's first one, and one more of e->errors when
 * the caller collects them all. */
static int fail(struct err *e, const char *type, const char *path, const char *fmt, ...)
{
    struct err one = ERR_INIT;
    va_list ap;
    va_start(ap, fmt);
    err_setv(&one, 422, type, path, fmt, ap);
    va_end(ap);
    /* the path before the message, kept as it is when it is translated */
    err_prefix(&one, "%s: ", path);
    if (e && e->errors) {
        err_collect(e, &one);
    } else if (e) {
        one.errors = e->errors;
        *e = one;
    }
    return -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- strings ------------------------------------------------------------ */

/* A JSON string that is valid UTF-8, has no NUL, no forbidden control
 * characters and at most max bytes. Sets *s. */
static int check_text(const json_t *v, const char *path, size_t max, bool multiline, const char **s,
                      struct err *e)
{
    if (!json_is_string(v))
        return fail(e, "wrong-type", path, "must be a string");
    size_t n = json_string_length(v);
    *s = json_string_value(v);
    if (strlen(*s) != n || !utf8_valid(*s, n))
        return fail(e, "bad-format", path, "contains a NUL byte or invalid UTF-8");
    if (!text_controls_ok(*s, n, multiline))
        return multiline
                   ? fail(e, "bad-format", path,
                          "contains control characters (only line breaks, as LF, are allowed)")
                   : fail(e, "bad-format", path, "must be one line without control characters");
    if (n > max)
        return fail(e, "bad-format", path, "longer than %zu bytes", max);
    return 0;
}

static int v_string(const struct model_field *f, const json_t *v, const char *path, json_t **out,
                    struct err *e)
{
    const char *s;
    if (f->required && json_is_string(v) && ld_blank(json_string_value(v)))
        return fail(e, "required", path, "must not be empty");
    if (check_text(v, path, model_max_length(f), f->type != FT_STRING, &s, e))
        return -1;
    if (f->format && strcmp(f->format, "bin") == 0 && !model_bin_valid(s))
        return fail(e, "bad-format", path, "not a valid BIN (12 digits with a check digit)");
    *out = json_string(s);
    return 0;
}

/* ---- i18n --------------------------------------------------------------- */

static int i18n_lang(const json_t *obj, const char *key, const char *field, size_t max, json_t *out,
                     bool *any, struct err *e)
{
    char path[160];
    const char *s;
    json_t *t = json_object_get(obj, key);
    if (!t || json_is_null(t))
        return 0;
    snprintf(path, sizeof path, "%s.%s", field, key);
    /* names, addresses, purposes: one line in each language */
    if (check_text(t, path, max, false, &s, e))
        return -1;
    if (!ld_blank(s))
        *any = true;
    if (out)
        json_object_set_new(out, key, json_string(s));
    return 0;
}

/* Checks an i18n object; when out is not NULL fills it with the languages
 * given, in kk, ru, en order. */
static int i18n_check(const json_t *v, const char *field, bool required, size_t max, json_t *out,
                      struct err *e)
{
    const char *key;
    json_t *t;
    bool any = false;
    if (!json_is_object(v))
        return fail(e, "wrong-type", field, "must be an object {\"kk\", \"ru\", \"en\"}");
    json_object_foreach((json_t *)v, key, t)
    {
        if (strcmp(key, "kk") != 0 && strcmp(key, "ru") != 0 && strcmp(key, "en") != 0) {
            char path[160];
            snprintf(path, sizeof path, "%s.%s", field, key);
            return fail(e, "unknown-field", path, "only kk, ru and en are allowed");
        }
    }
    for (size_t i = 0; i < 3; i++)
        if (i18n_lang(v, LANGS[i], field, max, out, &any, e))
            return -1;
    if (required && !any)
        return fail(e, "required", field, "needs text in at least one language");
    return 0;
}

int model_validate_i18n(const json_t *v, const char *field, bool required, size_t max_length,
                        struct err *e)
{
    if (!v || json_is_null(v))
        return required ? fail(e, "required", field, "is required") : 0;
    return i18n_check(v, field, required, max_length ? max_length : 10000, NULL, e);
}

static int v_i18n(const struct model_field *f, const json_t *v, const char *path, json_t **out,
                  struct err *e)
{
    json_t *o = json_object();
    if (i18n_check(v, path, f->required, model_max_length(f), o, e)) {
        json_decref(o);
        return -1;
    }
    *out = o;
    return 0;
}

/* ---- numbers ------------------------------------------------------------ */

static int v_integer(const struct model_field *f, const json_t *v, const char *path, json_t **out,
                     struct err *e)
{
    if (!json_is_integer(v))
        return fail(e, "wrong-type", path, "must be an integer");
    json_int_t n = json_integer_value(v);
    if (f->has_min && n < f->min)
        return fail(e, "bad-format", path, "must be at least %lld", (long long)f->min);
    if (f->has_max && n > f->max)
        return fail(e, "bad-format", path, "must be at most %lld", (long long)f->max);
    *out = json_integer(n);
    return 0;
}

/* Canonical form of -?\d{1,18}(\.\d{1,6})?: no leading zeros, no trailing
 * fractional zeros, no "-0". Returns -1 when s does not match. */
static int decimal_canon(const char *s, char *out, size_t n)
{
    const char *p = s;
    bool neg = *p == '-';
    p += neg;
    const char *ip = p;
    while (is_digit(*p))
        p++;
    size_t il = (size_t)(p - ip), fl = 0;
    const char *fp = p + 1;
    if (*p == '.') {
        for (p = fp; is_digit(*p); p++)
            fl++;
        if (fl == 0)
            return -1;
    }
    if (*p || il == 0 || il > DECIMAL_INT_DIGITS || fl > DECIMAL_FRAC_DIGITS)
        return -1;
    while (il > 1 && *ip == '0')
        ip++, il--;
    while (fl > 0 && fp[fl - 1] == '0')
        fl--;
    bool zero = il == 1 && *ip == '0' && fl == 0;
    snprintf(out, n, "%s%.*s%s%.*s", neg && !zero ? "-" : "", (int)il, ip, fl ? "." : "", (int)fl,
             fp);
    return 0;
}

static int v_decimal(const json_t *v, const char *path, json_t **out, struct err *e)
{
    char text[64], canon[64];
    if (json_is_string(v)) {
        if (json_string_length(v) >= sizeof text)
            return fail(e, "bad-format", path, "not a decimal number");
        snprintf(text, sizeof text, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(text, sizeof text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d > -1e18 && d < 1e18))
            return fail(e, "bad-format", path, "out of range");
        snprintf(text, sizeof text, "%.*f", DECIMAL_FRAC_DIGITS, d);
    } else {
        return fail(e, "wrong-type", path, "must be a number or a numeric string");
    }
    if (decimal_canon(text, canon, sizeof canon))
        return fail(e, "bad-format", path,
                    "not a decimal number of at most 18 digits and 6 decimals");
    *out = json_string(canon);
    return 0;
}

/* ---- dates and times ---------------------------------------------------- */

static int v_date(const json_t *v, const char *path, json_t **out, struct err *e)
{
    int y, m, d;
    if (!json_is_string(v))
        return fail(e, "wrong-type", path, "must be a string \"YYYY-MM-DD\"");
    if (json_string_length(v) != 10 || time_parse_date(json_string_value(v), &y, &m, &d))
        return fail(e, "bad-format", path, "not an existing date YYYY-MM-DD");
    *out = json_string(json_string_value(v));
    return 0;
}

static int v_timestamp(const json_t *v, const char *path, json_t **out, struct err *e)
{
    int64_t ms;
    char buf[32];
    if (!json_is_string(v))
        return fail(e, "wrong-type", path, "must be an RFC 3339 string");
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v) || time_parse_rfc3339(s, &ms))
        return fail(e, "bad-format", path, "not an RFC 3339 date-time");
    *out = json_string(time_format_rfc3339(ms, buf, sizeof buf));
    return 0;
}

/* ---- URLs and e-mail ---------------------------------------------------- */

static bool host_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) || c == '-' ||
           c == '.' || c >= 0x80;
}

/* host[:port] with a non-empty host of letters, digits, '-', '.' and
 * non-ASCII (internationalised names), or a bracketed IPv6 literal. */
static bool authority_ok(const char *a, size_t n)
{
    size_t h = 0;
    if (n > 0 && a[0] == '[') {
        while (h < n && a[h] != ']')
            h++;
        if (h >= n || h < 3)
            return false;
        h++;
    } else {
        while (h < n && host_char((unsigned char)a[h]))
            h++;
        if (h == 0 || a[0] == '.' || a[0] == '-')
            return false;
    }
    if (h == n)
        return true;
    if (a[h] != ':' || h + 1 == n || n - h - 1 > 5)
        return false;
    long port = 0;
    for (size_t i = h + 1; i < n; i++) {
        if (!is_digit(a[i]))
            return false;
        port = port * 10 + (a[i] - '0');
    }
    return port >= 1 && port <= 65535;
}

/* Absolute http(s) URL with a host; no spaces or control characters;
 * user:password@ is refused. */
static bool url_ok(const char *s, size_t n)
{
    size_t skip;
    if (n >= 7 && strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else if (n >= 8 && strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return false;
    const char *a = s + skip;
    size_t an = strcspn(a, "/?#");
    if (memchr(a, '@', an))
        return false;
    return authority_ok(a, an);
}

static bool local_char(unsigned char c)
{
    return c > 0x20 && c < 0x7f && !strchr("()<>[]\\,;:\"@", c);
}

/* A domain of at least two dot-separated labels of 1..63 bytes that do not
 * begin or end with '-'; the last is not all digits. */
static bool domain_ok(const char *d)
{
    size_t labels = 0;
    bool digits_only = true;
    while (*d) {
        size_t n = 0;
        digits_only = true;
        while (d[n] && d[n] != '.') {
            unsigned char c = (unsigned char)d[n];
            if (c == '.' || !(host_char(c)))
                return false;
            digits_only = digits_only && is_digit((char)c);
            n++;
        }
        if (n == 0 || n > 63 || d[0] == '-' || d[n - 1] == '-')
            return false;
        labels++;
        d += n;
        if (*d == '.' && !*++d)
            return false;
    }
    return labels >= 2 && !digits_only;
}

static bool email_ok(const char *s, size_t n)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || (size_t)(at - s) > 64 || n > 254)
        return false;
    for (const char *p = s; p < at; p++)
        if (!local_char((unsigned char)*p))
            return false;
    if (s[0] == '.' || at[-1] == '.' || strstr(s, ".."))
        return false;
    return domain_ok(at + 1);
}

bool model_email_valid(const char *s)
{
    return s && email_ok(s, strlen(s));
}

static int v_url_email(const struct model_field *f, const json_t *v, const char *path, json_t **out,
                       struct err *e)
{
    const char *s;
    if (check_text(v, path, model_max_length(f), false, &s, e))
        return -1;
    size_t n = strlen(s);
    if (f->type == FT_URL ? !url_ok(s, n) : !email_ok(s, n))
        return fail(e, "bad-format", path, "not a valid %s",
                    f->type == FT_URL ? "http(s) URL" : "e-mail address");
    *out = json_string(s);
    return 0;
}

/* ---- enums, refs, lists ------------------------------------------------- */

static int v_enum(const struct model_field *f, const json_t *v, const char *path, json_t **out,
                  struct err *e)
{
    if (!json_is_string(v))
        return fail(e, "wrong-type", path, "must be a string");
    const char *s = json_string_value(v);
    const struct model_enum *en = f->enumeration;
    for (size_t i = 0; i < en->n_values; i++) {
        if (strcmp(en->values[i].id, s) == 0) {
            *out = json_string(s);
            return 0;
        }
    }
    return fail(e, "bad-enum", path, "not a value of %s", en->id);
}

static bool ref_kind_ok(const struct model_field *f, const char *kind)
{
    for (size_t i = 0; i < f->n_ref_kinds; i++)
        if (strcmp(f->ref_kinds[i], kind) == 0)
            return true;
    return false;
}

/* Without a lookup only the id's form is checked. */
static int v_ref(const struct model_field *f, const json_t *v, const char *path, json_t **out,
                 const struct vctx *c)
{
    const char *kind = NULL;
    if (!json_is_string(v))
        return fail(c->e, "wrong-type", path, "must be a record id (string)");
    const char *id = json_string_value(v);
    if (strlen(id) != json_string_length(v) || !text_id_valid(id))
        return fail(c->e, "bad-format", path, "not a record id");
    if (c->lookup && c->lookup(c->ctx, id, &kind) != 0)
        return fail(c->e, "dangling-reference", path, "no record '%s'", id);
    if (c->lookup && (!kind || !ref_kind_ok(f, kind)))
        return fail(c->e, "bad-reference", path, "'%s' is a %s, which this field cannot refer to",
                    id, kind ? kind : "record of no kind");
    *out = json_string(id);
    return 0;
}

static int v_value(const struct model_field *f, const json_t *v, const char *path, json_t **out,
                   const struct vctx *c);
static int v_object(const struct model_field *f, const json_t *v, const char *path, bool is_item,
                    json_t **out, const struct vctx *c);

static int v_list(const struct model_field *f, const json_t *v, const char *path, json_t **out,
                  const struct vctx *c)
{
    json_t *x;
    size_t i;
    char ip[160];
    if (!json_is_array(v))
        return fail(c->e, "wrong-type", path, "must be an array");
    if (json_array_size(v) > LIST_MAX)
        return fail(c->e, "bad-format", path, "more than %d items", LIST_MAX);
    if (f->required && json_array_size(v) == 0)
        return fail(c->e, "required", path, "needs at least one item");
    json_t *a = json_array();
    json_array_foreach(v, i, x)
    {
        json_t *nv = NULL;
        snprintf(ip, sizeof ip, "%s[%zu]", path, i);
        int rc = json_is_null(x)              ? fail(c->e, "wrong-type", ip, "must not be null")
                 : f->item->type == FT_OBJECT ? v_object(f->item, x, ip, true, &nv, c)
                                              : v_value(f->item, x, ip, &nv, c);
        if (rc) {
            json_decref(a);
            return -1;
        }
        json_array_append_new(a, nv);
    }
    *out = a;
    return 0;
}

/* An object: only its sub-fields, each checked at "path.sub"; a required
 * sub-field must have a value. The normalised object keeps the sub-fields
 * given, in model order. One with no value is an absent field, and as a
 * list's item is refused. */
static int v_object(const struct model_field *f, const json_t *v, const char *path, bool is_item,
                    json_t **out, const struct vctx *c)
{
    const char *key;
    json_t *x;
    char sp[200];
    if (!json_is_object(v))
        return fail(c->e, "wrong-type", path, "must be an object");
    json_object_foreach ((json_t *)v, key, x) {
        bool known = false;
        for (size_t i = 0; i < f->n_sub && !known; i++)
            known = strcmp(f->sub[i].name, key) == 0;
        if (!known) {
            snprintf(sp, sizeof sp, "%s.%s", path, key);
            return fail(c->e, "unknown-field", sp, "%s has no sub-field '%s'", f->name, key);
        }
    }
    bool any = false;
    json_object_foreach ((json_t *)v, key, x)
        any = any || !json_is_null(x);
    if (!any && is_item)
        return fail(c->e, "required", path, "an item needs at least one value");
    if (!any) { /* no value at all: the field is absent */
        *out = json_object();
        return 0;
    }
    json_t *o = json_object();
    for (size_t i = 0; i < f->n_sub; i++) {
        const struct model_field *s = &f->sub[i];
        json_t *sv = json_object_get(v, s->name), *nv = NULL;
        snprintf(sp, sizeof sp, "%s.%s", path, s->name);
        int rc = 0;
        if (!sv || json_is_null(sv))
            rc = s->required ? fail(c->e, "required", sp, "is required") : 0;
        else if ((rc = v_value(s, sv, sp, &nv, c)) == 0)
            json_object_set_new(o, s->name, nv);
        if (rc) {
            json_decref(o);
            return -1;
        }
    }
    *out = o;
    return 0;
}

/* Validates one non-null value of field f; *out is the normalised value. */
static int v_value(const struct model_field *f, const json_t *v, const char *path, json_t **out,
                   const struct vctx *c)
{
    switch (f->type) {
    case FT_STRING:
    case FT_TEXT:
        return v_string(f, v, path, out, c->e);
    case FT_I18N:
        return v_i18n(f, v, path, out, c->e);
    case FT_INTEGER:
        return v_integer(f, v, path, out, c->e);
    case FT_DECIMAL:
        return v_decimal(v, path, out, c->e);
    case FT_DATE:
        return v_date(v, path, out, c->e);
    case FT_TIMESTAMP:
        return v_timestamp(v, path, out, c->e);
    case FT_BOOL:
        if (!json_is_boolean(v))
            return fail(c->e, "wrong-type", path, "must be true or false");
        *out = json_boolean(json_is_true(v));
        return 0;
    case FT_ENUM:
        return v_enum(f, v, path, out, c->e);
    case FT_URL:
    case FT_EMAIL:
        return v_url_email(f, v, path, out, c->e);
    case FT_LIST:
        return v_list(f, v, path, out, c);
    case FT_REF:
        return v_ref(f, v, path, out, c);
    case FT_OBJECT:
        return v_object(f, v, path, false, out, c);
    }
    return fail(c->e, "wrong-type", path, "unsupported type");
}

static int check_unknown(const struct model_kind *k, const json_t *in, struct err *e)
{
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)in, key, v)
    {
        if (!model_field(k, key))
            rc = fail(e, "unknown-field", key, "%s has no field '%s'", k->id, key);
        if (rc && !e->errors)
            break;
    }
    return rc;
}

int model_validate_fields(const struct model_kind *k, const json_t *in, json_t **out,
                          model_ref_lookup lookup, void *ctx, struct err *e)
{
    struct vctx c = {lookup, ctx, e};
    bool all = e && e->errors; /* every problem, not only the first */
    *out = NULL;
    if (!json_is_object(in))
        return fail(e, "wrong-type", "", "the fields must be a JSON object");
    int bad = check_unknown(k, in, e);
    if (bad && !all)
        return -1;
    json_t *o = json_object();
    for (size_t i = 0; i < k->n_fields && !(bad && !all); i++) {
        const struct model_field *f = &k->fields[i];
        json_t *v = json_object_get(in, f->name), *nv = NULL;
        if (f->readonly)
            continue;
        if (!v || json_is_null(v)) {
            if (f->required)
                bad = fail(e, "required", f->name, "is required");
            continue;
        }
        if (v_value(f, v, f->name, &nv, &c)) {
            bad = -1;
            continue;
        }
        if ((f->type == FT_I18N || f->type == FT_OBJECT) && json_object_size(nv) == 0)
            json_decref(nv); /* {} or all-null: absent */
        else
            json_object_set_new(o, f->name, nv);
    }
    if (bad) {
        json_decref(o);
        return -1;
    }
    *out = o;
    return 0;
}

/* ---- index and search --------------------------------------------------- */

static void index_one(const struct model_field *f, const json_t *v, model_index_fn fn, void *ctx)
{
    char num[32];
    if (json_is_string(v)) {
        fn(ctx, f->name, json_string_value(v));
    } else if (json_is_boolean(v)) {
        fn(ctx, f->name, json_is_true(v) ? "true" : "false");
    } else if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        fn(ctx, f->name, num);
    }
}

void model_index_values(const struct model_kind *k, const json_t *rec, model_index_fn fn, void *ctx)
{
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        json_t *v = f->filterable ? json_object_get(rec, f->name) : NULL, *x;
        size_t j;
        if (!v)
            continue;
        if (!json_is_array(v)) {
            index_one(f, v, fn, ctx);
            continue;
        }
        json_array_foreach(v, j, x) index_one(f, x, fn, ctx);
    }
}

static void put_piece(struct buf *out, const char *s)
{
    if (!s || !*s)
        return;
    if (out->len > 0)
        buf_putc(out, '\n');
    buf_puts(out, s);
}

/* Enum values are searchable by their labels in all three languages; an
 * object by each of its sub-fields' values. */
static void search_one(const struct model_field *f, const json_t *v, struct buf *out)
{
    if (f->type == FT_OBJECT) {
        for (size_t i = 0; i < f->n_sub; i++) {
            const json_t *x = json_object_get(v, f->sub[i].name);
            if (x)
                search_one(&f->sub[i], x, out);
        }
    } else if (json_is_object(v)) {
        for (size_t i = 0; i < 3; i++)
            put_piece(out, json_string_value(json_object_get(v, LANGS[i])));
    } else if (json_is_string(v) && f->type == FT_ENUM) {
        for (size_t i = 0; i < f->enumeration->n_values; i++) {
            const struct model_enum_value *ev = &f->enumeration->values[i];
            if (strcmp(ev->id, json_string_value(v)) == 0) {
                put_piece(out, ev->label.kk);
                put_piece(out, ev->label.ru);
                put_piece(out, ev->label.en);
            }
        }
    } else if (json_is_string(v)) {
        put_piece(out, json_string_value(v));
    } else if (json_is_integer(v)) {
        char num[32];
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        put_piece(out, num);
    }
}

void model_search_text(const struct model_kind *k, const json_t *rec, struct buf *out)
{
    for (size_t i = 0; i < k->n_fields; i++) {
        const struct model_field *f = &k->fields[i];
        json_t *v = f->searchable ? json_object_get(rec, f->name) : NULL, *x;
        size_t j;
        if (!v)
            continue;
        if (f->type != FT_LIST) {
            search_one(f, v, out);
            continue;
        }
        json_array_foreach(v, j, x) search_one(f->item, x, out);
    }
}

/* ---- BIN ---------------------------------------------------------------- */

static int bin_sum(const char *s, const int *w)
{
    int sum = 0;
    for (size_t i = 0; i < 11; i++)
        sum += (s[i] - '0') * w[i];
    return sum % 11;
}

bool model_bin_valid(const char *s)
{
    static const int W1[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    static const int W2[11] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2};
    if (!s || strlen(s) != 12)
        return false;
    for (size_t i = 0; i < 12; i++)
        if (!is_digit(s[i]))
            return false;
    int c = bin_sum(s, W1);
    if (c == 10)
        c = bin_sum(s, W2);
    return c != 10 && c == s[11] - '0';
}
