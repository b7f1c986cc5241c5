/* docs/subproc: runs a program in a child process with limits, for work on
 * untrusted files (inspecting an upload, extracting a PDF's text): if the
 * file makes the program crash, loop or eat memory, the child dies and the
 * server does not.
 *
 * The child gets its own process group, stdin from /dev/null, no other
 * inherited descriptor than its stdout and stderr pipes, default signal
 * dispositions and an empty signal mask (the server blocks SIGTERM for
 * sigwait and ignores SIGPIPE; neither must leak into the child), and the
 * CPU and address-space limits, all between fork and exec with
 * async-signal-safe calls only. When the child ends (or is stopped), its
 * whole process group is killed with SIGKILL, so nothing it started
 * outlives the run. */
#ifndef AP_DOCS_SUBPROC_H
#define AP_DOCS_SUBPROC_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct subproc_limits {
    unsigned cpu_s;     /* RLIMIT_CPU seconds (0: none) */
    uint64_t mem_bytes; /* RLIMIT_AS bytes (0: none; see subproc_self_sanitized) */
    unsigned wall_ms;   /* wall-clock limit (0: none) */
    size_t max_out;     /* stdout bytes kept */
    bool cut_out;       /* more stdout than max_out: false → kill, fail 'output-too-large';
                         * true → keep the first max_out bytes, kill, succeed */
};

/* Runs argv (argv[0] a path, execv, no shell). On 0 the child exited with
 * status 0 (or, with cut_out, was stopped after max_out bytes) and *out
 * holds its stdout (NUL-terminated, *out_len bytes, caller frees).
 * On -1 *out is NULL and e says why:
 *   500 internal-error       pipes, fork or the clock failed (our side)
 *   422 output-too-large     more than max_out bytes on stdout (without cut_out)
 *   422 document-unreadable  the child timed out, used up its CPU time, was
 *                            killed by a signal (with a note when a memory
 *                            limit was set: likely out of memory), or exited
 *                            with status N; the detail says which and ends
 *                            with the first line of its stderr
 * The slugs are chosen here so that callers working on uploads can pass e
 * on as is; a caller that means something else rewrites e. */
int subproc_run(char *const argv[], const struct subproc_limits *lim, char **out, size_t *out_len,
                struct err *e);

/* True when this binary is built with AddressSanitizer. Such a binary maps
 * terabytes of shadow memory and cannot start under an RLIMIT_AS, so a
 * caller running its own binary passes mem_bytes = 0 then. */
bool subproc_self_sanitized(void);

#endif
