/* calendar: the Kazakhstan working-day calendar (REQ X-CAL-01) — which
 * local dates are working days, and deadlines counted in working days.
 *
 * The calendar is loaded from a JSON document (model/calendar-kz.json):
 * the time zone's UTC offsets, the weekend days, the rule holidays of the
 * Law "On holidays" (month/day, whether a holiday on a weekend day gives a
 * day off on the next working day, the years it applies) and per-year
 * entries an administrator edits (Kurban Ait, the transfers of days off by
 * a government decree or a Minister's order, each with its act as
 * "source"), with each year's status: whether its transfers are loaded.
 *
 * The years 2000..2100 are covered; for every covered day a working-day
 * bit is precomputed at load and recomputed by calendar_set_year, so the
 * queries below neither allocate nor scan rules.
 *
 * Thread safety: the structure has no lock of its own. Queries may run
 * concurrently with each other; calendar_set_year must not run at the same
 * time as anything else on the same calendar (the caller holds a
 * read/write lock, writers for set_year). */
#ifndef AP_CALENDAR_H
#define AP_CALENDAR_H

#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CALENDAR_YEAR_MIN 2000
#define CALENDAR_YEAR_MAX 2100
/* Largest n calendar_add_working_days accepts. */
#define CALENDAR_ADD_MAX 1000
/* Largest calendar document calendar_load accepts, in bytes. */
#define CALENDAR_DOC_MAX (4u << 20)

struct calendar;

/* Whether a year's transfers of days off are in the calendar: not known
 * (the default, and every year stored before statuses existed), loaded
 * from the acts, or checked and there were none. */
enum calendar_transfers { CAL_TRANSFERS_UNKNOWN, CAL_TRANSFERS_LOADED, CAL_TRANSFERS_NONE };

/* Parses and checks the calendar document. On error returns -1 and fills e:
 * 400 "bad-request" for text that is not JSON or is larger than
 * CALENDAR_DOC_MAX; 422 "validation-failed" for a wrong document, with
 * e->field the key path at fault and e->detail starting with it
 * ("holidays[3].month: must be 1..12"). *out is NULL on error; on success
 * the caller owns it (calendar_free). */
int calendar_load(const char *json_text, size_t len, struct calendar **out, struct err *e);
void calendar_free(struct calendar *c);

/* The whole document as calendar_load accepts it, with the current
 * per-year entries (to save after calendar_set_year). New reference. */
json_t *calendar_document(const struct calendar *c);

/* Replaces a year's entries and status. `spec` is
 * {"transfers"?:"loaded"|"none"|"unknown" (default unknown),"note"?:string,
 *  "entries":[...]} or, as before statuses existed, the entries array alone
 * (status unknown). An entry is {"date":"YYYY-MM-DD",
 * "type":"holiday"|"day_off"|"working_day","name"?:{"kk"?,"ru"?,"en"?},
 * "note"?:string,"source"?:string (the act)}, dates in that year, no date
 * twice. Entries override the rule-derived day on their date. Recomputes
 * the working days of the year (and of the years next to it, which moved
 * days may cross into). On bad input returns -1 with e (422, field like
 * "entries[2].date" or "transfers"; 400 "year" when the year is not
 * covered) and changes nothing. `spec` stays the caller's. */
int calendar_set_year(struct calendar *c, int year, const json_t *spec, struct err *e);

/* The editable entries of a year, in date order (new reference; [] when
 * none; NULL when the year is not covered). */
json_t *calendar_year_entries(const struct calendar *c, int year);

/* The year as calendar_set_year takes it, canonical:
 * {"transfers","note"?,"entries"} (new reference; NULL when not covered). */
json_t *calendar_year_spec(const struct calendar *c, int year);

/* The year's status; CAL_TRANSFERS_UNKNOWN for years not covered. */
enum calendar_transfers calendar_year_transfers(const struct calendar *c, int year);

/* The covered years, in order, of the local dates from a to b (either
 * order) whose transfers are unknown: a deadline there may fall on a day
 * off the calendar does not know (new reference, [] when none). */
json_t *calendar_incomplete_years(const struct calendar *c, int64_t a_ms, int64_t b_ms);

/* The derived, complete list of the year's non-ordinary days in date order
 * (new reference; NULL when the year is not covered):
 * {"year":Y,"days":[{"date","type","name":{..},"origin":"rule"|"moved"|"entry",
 *  "moved_from"?:"YYYY-MM-DD","note"?,"source"?}],"working_days":N,
 *  "non_working_days":M,"transfers":"loaded"|"none"|"unknown",
 *  "transfers_text":{"kk","ru","en"},"transfers_note"?}.
 * "holiday" is a rule holiday (or an entry of that type); "day_off" a day
 * off a weekend holiday moved to (origin "moved", with moved_from, which may
 * be in the year before) or an entry; "working_day" an entry. An entry
 * without a name takes the name of the rule day it overrides ({} if none);
 * an entry's note and source come with its day. */
json_t *calendar_year_json(const struct calendar *c, int year);

/* False for non-existent dates and dates outside the covered years. */
bool calendar_is_working_date(const struct calendar *c, int y, int m, int d);

/* UTC offset in minutes at instant t (ms since the epoch); before the
 * first listed change, the first offset. */
int calendar_utc_offset(const struct calendar *c, int64_t t_ms);

/* The last instant (UTC ms) whose local date is `day` (days since
 * 1970-01-01): when the clocks go back, the later of the day's two last
 * hours. */
int64_t calendar_day_end(const struct calendar *c, int64_t day);

/* Local (time_zone) calendar date of instant t. Instants beyond
 * +-8.64e15 ms (the ECMAScript range) are clamped to it. */
void calendar_local_date(const struct calendar *c, int64_t t_ms, int *y, int *m, int *d);

/* Deadline of n working days after instant t: the end (last millisecond of
 * the local day) of the n-th working day strictly after t's local date, as
 * UTC ms in *due. n == 0: the end of t's own local day if it is a working
 * day, else of the next working day. -1 with e (400, field "n" or "at")
 * when n is not 0..CALENDAR_ADD_MAX or the days are outside the covered
 * years. */
int calendar_add_working_days(const struct calendar *c, int64_t t_ms, int n, int64_t *due,
                              struct err *e);

/* Working days in the local-date range (date(a), date(b)]: after a's date,
 * up to and including b's; negative (the count of (date(b), date(a)]) when
 * b is before a. -1 with e (400) when a date is outside the covered years. */
int calendar_working_days_between(const struct calendar *c, int64_t a_ms, int64_t b_ms,
                                  int64_t *out, struct err *e);

#endif
