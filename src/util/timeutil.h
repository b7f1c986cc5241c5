/* timeutil: instants as milliseconds since the Unix epoch (UTC), and their
 * RFC 3339 text form "2026-11-22T13:31:57.123Z" (always UTC, always ms). */
#ifndef AP_TIMEUTIL_H
#define AP_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

int64_t time_now_ms(void);
/* Monotonic clock in nanoseconds, for durations. */
int64_t time_mono_ns(void);

/* Writes the canonical form; out needs 25 bytes. Returns out. */
char *time_format_rfc3339(int64_t ms, char *out, size_t n);

/* Parses an RFC 3339 date-time ("2026-01-02T03:04:05Z",
 * "2026-01-02T03:04:05.5+06:00", lower-case t/z allowed). Returns 0 and
 * sets *ms, or -1 on anything else (including trailing bytes). */
int time_parse_rfc3339(const char *s, int64_t *ms);

/* Parses a calendar date "YYYY-MM-DD" and checks it exists. 0 or -1. */
int time_parse_date(const char *s, int *y, int *m, int *d);

/* How many days month m (1..12) of year y has. */
int time_days_in_month(int y, int m);

/* Days since 1970-01-01 for a proleptic Gregorian date. */
int64_t time_days_from_civil(int y, int m, int d);
/* The date of a day number (days since 1970-01-01). */
void time_civil_from_days(int64_t z, int *y, int *m, int *d);
/* "YYYY-MM-DD" of day z (days since 1970-01-01) into out (n >= 11);
 * returns out. */
char *time_format_date(int64_t z, char *out, size_t n);

#endif
