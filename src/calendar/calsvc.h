/* calsvc: the working-day calendar as the portal keeps it — the shipped
 * calendar (model/calendar-kz.json) with the years an administrator has
 * edited (stored, audited), shared by all threads under a read/write lock.
 * REQ X-CAL-01. */
#ifndef AP_CALSVC_H
#define AP_CALSVC_H

#include "auth/actor.h"
#include "auth/rights.h"
#include "calendar/calendar.h"
#include "store/store.h"

struct calsvc;

/* Loads the shipped document and applies the stored years over it. */
int calsvc_open(struct store *s, const char *doc, size_t len, struct calsvc **out,
                struct err *e);
void calsvc_free(struct calsvc *c);

int calsvc_add_working_days(struct calsvc *c, int64_t t_ms, int n, int64_t *due,
                            struct err *e);
int calsvc_working_days_between(struct calsvc *c, int64_t a_ms, int64_t b_ms, int64_t *out,
                                struct err *e);
/* Days since 1970-01-01 of t's local date. */
int64_t calsvc_local_day(struct calsvc *c, int64_t t_ms);
/* The same for callers that take an (void *ctx, instant) -> day function
 * (e.g. registry_rules_report): ctx is the struct calsvc. */
int64_t calsvc_local_day_cb(void *c, int64_t t_ms);
/* The same as "YYYY-MM-DD" into out. */
void calsvc_local_date(struct calsvc *c, int64_t t_ms, char out[11]);
/* calendar_day_end under the lock. */
int64_t calsvc_day_end(struct calsvc *c, int64_t day);
/* Minutes since local midnight at t (0..1439). */
int calsvc_local_minute(struct calsvc *c, int64_t t_ms);
/* The derived year plus its editable "entries" (new ref); 404 when the
 * year is not covered. */
int calsvc_year(struct calsvc *c, int year, json_t **out, struct err *e);
/* Would calsvc_set_year accept this year (calendar_set_year's spec)?
 * Checked on a copy; changes nothing. */
int calsvc_check_year(struct calsvc *c, int year, const json_t *spec, struct err *e);
/* Replaces a year's entries and status (calendar-edit right, or a system
 * actor): checked, stored with an audit entry, then applied. `spec` as
 * calendar_set_year takes it. */
int calsvc_set_year(struct calsvc *c, const struct rights *r, const struct actor *by, int year,
                    const json_t *spec, struct err *e);
/* calendar_incomplete_years under the lock (new reference). */
json_t *calsvc_incomplete_years(struct calsvc *c, int64_t a_ms, int64_t b_ms);

#endif
