/* docs/subproc: a child process with limits (see subproc.h). */
#include "docs/subproc.h"

#include "util/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define SELF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SELF_ASAN 1
#endif
#endif

bool subproc_self_sanitized(void)
{
#ifdef SELF_ASAN
    return true;
#else
    return false;
#endif
}

#define ERR_KEEP 4096 /* bytes of the child's stderr kept for the message */

/* ---- the child: async-signal-safe calls only from fork to exec ---- */

static void move_fd(int from, int to)
{
    if (from == to)
        (void)fcntl(to, F_SETFD, 0); /* dup2 would leave FD_CLOEXEC set */
    else
        (void)dup2(from, to);
}

static _Noreturn void child(char *const argv[], const struct subproc_limits *lim, int in, int out,
                            int err, int maxfd)
{
    (void)setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    (void)sigprocmask(SIG_SETMASK, &none, NULL);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            (void)sigaction(s, &dfl, NULL);
    move_fd(in, 0);
    move_fd(out, 1);
    move_fd(err, 2);
    if (close_range(3, ~0U, 0) < 0)
        for (int fd = 3; fd < maxfd; fd++)
            (void)close(fd);
    struct rlimit rl = {0, 0};
    (void)setrlimit(RLIMIT_CORE, &rl); /* no core files of untrusted work */
    if (lim->cpu_s) {
        rl.rlim_cur = lim->cpu_s;     /* SIGXCPU */
        rl.rlim_max = lim->cpu_s + 1; /* then SIGKILL */
        (void)setrlimit(RLIMIT_CPU, &rl);
    }
    if (lim->mem_bytes) {
        rl.rlim_cur = rl.rlim_max = lim->mem_bytes;
        (void)setrlimit(RLIMIT_AS, &rl);
    }
    execv(argv[0], argv);
    static const char msg[] = "cannot execute the program\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(127);
}

/* ---- the parent ---- */

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct run {
    pid_t pid;
    int out, err, pidfd;
    struct buf stdout_buf;
    char errtext[ERR_KEEP + 1];
    size_t errlen;
    bool exited, timed_out, too_large, cut;
};

/* True when the child has ended (not reaped: its pid, and so its process
 * group id, stays reserved until waitpid). */
static bool child_ended(struct run *r)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == r->pid;
}

/* Reads what the child wrote on stdout; false when the loop must stop. */
static bool read_stdout(struct run *r, const struct subproc_limits *lim)
{
    char chunk[65536];
    ssize_t n = read(r->out, chunk, sizeof chunk);
    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0) {
        close(r->out);
        r->out = -1;
        return true;
    }
    size_t room = lim->max_out - r->stdout_buf.len;
    if ((size_t)n > room) {
        if (!lim->cut_out) {
            r->too_large = true;
            return false;
        }
        buf_append(&r->stdout_buf, chunk, room);
        r->cut = true;
        return false;
    }
    buf_append(&r->stdout_buf, chunk, (size_t)n);
    return true;
}

static void read_stderr(struct run *r)
{
    char chunk[4096];
    ssize_t n = read(r->err, chunk, sizeof chunk);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        close(r->err);
        r->err = -1;
    } else if (n > 0 && r->errlen < ERR_KEEP) {
        size_t k = (size_t)n < ERR_KEEP - r->errlen ? (size_t)n : ERR_KEEP - r->errlen;
        memcpy(r->errtext + r->errlen, chunk, k);
        r->errlen += k;
    }
}

/* Waits for output and the child's end until both pipes are closed and the
 * child has ended, the wall clock runs out or stdout is over its cap. */
static void pump(struct run *r, const struct subproc_limits *lim)
{
    int64_t deadline = lim->wall_ms ? now_ms() + lim->wall_ms : 0;
    while (r->out >= 0 || r->err >= 0 || !r->exited) {
        int timeout = -1;
        if (deadline) {
            int64_t left = deadline - now_ms();
            if (left <= 0) {
                r->timed_out = true;
                return;
            }
            timeout = left > 60000 ? 60000 : (int)left;
        }
        struct pollfd p[3];
        nfds_t np = 0;
        int iout = -1, ierr = -1, ipid = -1;
        if (r->out >= 0)
            iout = (int)np, p[np++] = (struct pollfd){.fd = r->out, .events = POLLIN};
        if (r->err >= 0)
            ierr = (int)np, p[np++] = (struct pollfd){.fd = r->err, .events = POLLIN};
        if (!r->exited && r->pidfd >= 0)
            ipid = (int)np, p[np++] = (struct pollfd){.fd = r->pidfd, .events = POLLIN};
        if (!r->exited && r->pidfd < 0 && (timeout < 0 || timeout > 10))
            timeout = 10; /* no pidfd: look at the child every 10 ms */
        int rc = poll(p, np, timeout);
        if (rc < 0 && errno != EINTR)
            return;
        if (iout >= 0 && (p[iout].revents & (POLLIN | POLLHUP | POLLERR)) && !read_stdout(r, lim))
            return;
        if (ierr >= 0 && (p[ierr].revents & (POLLIN | POLLHUP | POLLERR)))
            read_stderr(r);
        bool ended = !r->exited &&
                     (r->pidfd >= 0 ? ipid >= 0 && (p[ipid].revents & POLLIN) : child_ended(r));
        if (ended) {
            /* whatever the child left running in its group goes with it, so
             * that the pipes close and nothing outlives the run */
            r->exited = true;
            kill(-r->pid, SIGKILL);
        }
    }
}

/* The first line of the child's stderr, printable, for a message. */
static void first_line(const struct run *r, char *out, size_t cap)
{
    size_t n = 0;
    while (n < r->errlen && r->errtext[n] != '\n' && n + 1 < cap) {
        unsigned char c = (unsigned char)r->errtext[n];
        out[n] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
        n++;
    }
    out[n] = 0;
}

static void explain(const struct run *r, int status, const struct rusage *ru,
                    const struct subproc_limits *lim, struct err *e)
{
    char why[200], line[200];
    first_line(r, line, sizeof line);
    double cpu = (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
                 (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
    bool oom_hint =
        lim->mem_bytes && (strcasestr(r->errtext, "memory") || strcasestr(r->errtext, "alloc"));
    if (r->timed_out) {
        snprintf(why, sizeof why, "took longer than %u ms and was stopped", lim->wall_ms);
    } else if (WIFSIGNALED(status) &&
               (WTERMSIG(status) == SIGXCPU || (lim->cpu_s && cpu >= (double)lim->cpu_s))) {
        snprintf(why, sizeof why, "used more than its %u s of CPU time and was stopped",
                 lim->cpu_s);
    } else if (WIFSIGNALED(status)) {
        snprintf(why, sizeof why, "was killed by signal %d (%s)%s", WTERMSIG(status),
                 strsignal(WTERMSIG(status)),
                 lim->mem_bytes ? "; it may have run out of memory" : "");
    } else if (WIFEXITED(status)) {
        snprintf(why, sizeof why, "exited with status %d%s", WEXITSTATUS(status),
                 oom_hint ? " (out of memory)" : "");
    } else {
        snprintf(why, sizeof why, "ended abnormally");
    }
    err_set(e, 422, "document-unreadable", "", "the program %s%s%s", why, line[0] ? ": " : "",
            line);
}

int subproc_run(char *const argv[], const struct subproc_limits *lim, char **out, size_t *out_len,
                struct err *e)
{
    *out = NULL;
    *out_len = 0;
    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0 || pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
        err_internal(e, "cannot make pipes for %s: %s", argv[0], strerror(errno));
        goto fail_fds;
    }
    struct rlimit nofile;
    int maxfd = getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < 65536
                    ? (int)nofile.rlim_cur
                    : 65536;
    pid_t pid = fork();
    if (pid < 0) {
        err_internal(e, "cannot start %s: %s", argv[0], strerror(errno));
        goto fail_fds;
    }
    if (pid == 0)
        child(argv, lim, in, po[1], pe[1], maxfd);
    (void)setpgid(pid, pid); /* also here: the child may not have run yet when we kill */
    close(in), close(po[1]), close(pe[1]);
    struct run r = {.pid = pid, .out = po[0], .err = pe[0]};
    r.pidfd = pidfd_open(pid, 0);
    buf_init(&r.stdout_buf, lim->max_out ? lim->max_out : 1);
    pump(&r, lim);
    kill(-pid, SIGKILL); /* no-op when it already ended */
    kill(pid, SIGKILL);
    int status = 0, waited;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while ((waited = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    int wait_errno = errno;
    if (r.out >= 0)
        close(r.out);
    if (r.err >= 0)
        close(r.err);
    if (r.pidfd >= 0)
        close(r.pidfd);
    r.errtext[r.errlen] = 0;
    if (waited != pid) {
        /* e.g. SIGCHLD ignored by the process: the status is lost, and a
         * child whose status is unknown has not succeeded */
        err_internal(e, "cannot learn how %s ended: %s", argv[0], strerror(wait_errno));
    } else if (r.too_large) {
        err_set(e, 422, "output-too-large", "", "the program wrote more than %zu bytes",
                lim->max_out);
    } else if (!r.cut && (r.timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
        explain(&r, status, &ru, lim, e);
    } else {
        *out = buf_steal(&r.stdout_buf, out_len);
        return 0;
    }
    buf_free(&r.stdout_buf);
    return -1;
fail_fds:
    for (int i = 0; i < 2; i++) {
        if (po[i] >= 0)
            close(po[i]);
        if (pe[i] >= 0)
            close(pe[i]);
    }
    if (in >= 0)
        close(in);
    return -1;
}
