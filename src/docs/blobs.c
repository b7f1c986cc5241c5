/* blobs: content-addressed files (see blobs.h). */
#include "docs/blobs.h"

#include "util/log.h"
#include "util/text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

struct blobs {
    char *dir;
};

struct blob_writer {
    struct blobs *b;
    int fd;
    char path[PATH_MAX];
    uint64_t size;
    crypto_hash_sha256_state st;
    char sha[65];
    bool finished, committed;
};

static int fail_errno(struct err *e, const char *what, const char *path)
{
    int status = errno == ENOSPC || errno == EDQUOT ? 507 : 500;
    log_event(LOG_ERROR, "blob_io", "what", what, "path", path, "error", strerror(errno), NULL);
    err_set(e, status, status == 507 ? "insufficient-storage" : "internal", "",
            "the document store cannot %s", what);
    return -1;
}

static int make_dir(const char *path, struct err *e)
{
    if (mkdir(path, 0750) == 0 || errno == EEXIST)
        return 0;
    return fail_errno(e, "create its directory", path);
}

static int sync_dir(const char *path, struct err *e)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) < 0) {
        int rc = fail_errno(e, "make its directory durable", path);
        if (fd >= 0)
            close(fd);
        return rc;
    }
    close(fd);
    return 0;
}

/* Removes what a crash left in tmp/: files an hour old. Nodes sharing the
 * folder (issue 19) write their uploads there too: one being written now
 * is younger (it is written as it arrives; an upload stalled for an hour
 * was given up long ago). */
#define TMP_LEFT_S 3600

static void sweep_tmp(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (!d)
        return;
    struct dirent *de;
    char p[PATH_MAX];
    struct stat st;
    time_t now = time(NULL);
    while ((de = readdir(d)))
        if (strncmp(de->d_name, "upload-", 7) == 0 &&
            snprintf(p, sizeof p, "%s/%s", tmp, de->d_name) < (int)sizeof p &&
            lstat(p, &st) == 0 && now - st.st_mtime >= TMP_LEFT_S && unlink(p) == 0)
            log_event(LOG_INFO, "blob_tmp_removed", "file", de->d_name, NULL);
    closedir(d);
}

struct blobs *blobs_open(const char *dir, struct err *e)
{
    char p[PATH_MAX];
    if (strlen(dir) > PATH_MAX - 80) {
        err_internal(e, "the document store's path is too long");
        return NULL;
    }
    if (make_dir(dir, e) < 0)
        return NULL;
    snprintf(p, sizeof p, "%s/sha256", dir);
    if (make_dir(p, e) < 0)
        return NULL;
    snprintf(p, sizeof p, "%s/tmp", dir);
    if (make_dir(p, e) < 0)
        return NULL;
    sweep_tmp(p);
    struct blobs *b = xcalloc(1, sizeof *b);
    b->dir = xstrdup(dir);
    return b;
}

const char *blobs_dir(const struct blobs *b)
{
    return b->dir;
}

void blobs_close(struct blobs *b)
{
    if (!b)
        return;
    free(b->dir);
    free(b);
}

bool blob_sha_valid(const char *sha)
{
    if (!sha || strlen(sha) != 64)
        return false;
    for (const char *p = sha; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* The blobs of one fan-out directory <dir>/sha256/ab; false once fn stopped. */
static bool each_in(const char *fan, const char *two, blob_each_fn fn, void *ctx, size_t *n)
{
    DIR *d = opendir(fan);
    if (!d)
        return true;
    struct dirent *de;
    char sha[65];
    bool go = true;
    while (go && (de = readdir(d))) {
        if (strlen(de->d_name) != 62)
            continue;
        memcpy(sha, two, 2);
        memcpy(sha + 2, de->d_name, 63);
        if (!blob_sha_valid(sha))
            continue;
        (*n)++;
        go = fn(ctx, sha) == 0;
    }
    closedir(d);
    return go;
}

size_t blobs_each(const char *dir, blob_each_fn fn, void *ctx)
{
    char top[PATH_MAX], fan[PATH_MAX];
    if (snprintf(top, sizeof top, "%s/sha256", dir) >= (int)sizeof top)
        return 0;
    DIR *d = opendir(top);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *two = de->d_name;
        if (strlen(two) != 2 || !strchr("0123456789abcdef", two[0]) ||
            !strchr("0123456789abcdef", two[1]) ||
            snprintf(fan, sizeof fan, "%s/%s", top, two) >= (int)sizeof fan)
            continue;
        if (!each_in(fan, two, fn, ctx, &n))
            break;
    }
    closedir(d);
    return n;
}

/* <dir>/sha256/ab and <dir>/sha256/ab/cdef… */
static void blob_paths(const struct blobs *b, const char *sha, char dir[PATH_MAX],
                       char file[PATH_MAX])
{
    /* blobs_open keeps dir short enough for both */
    if (snprintf(dir, PATH_MAX, "%s/sha256/%.2s", b->dir, sha) >= PATH_MAX ||
        snprintf(file, PATH_MAX, "%s/sha256/%.2s/%s", b->dir, sha, sha + 2) >= PATH_MAX)
        fatal("blobs: path too long");
}

struct blob_writer *blob_writer_new(struct blobs *b, struct err *e)
{
    struct blob_writer *w = xcalloc(1, sizeof *w);
    w->b = b;
    snprintf(w->path, sizeof w->path, "%s/tmp/upload-XXXXXX", b->dir);
    w->fd = mkostemp(w->path, O_CLOEXEC);
    if (w->fd < 0) {
        fail_errno(e, "create a temporary file", w->path);
        free(w);
        return NULL;
    }
    crypto_hash_sha256_init(&w->st);
    return w;
}

int blob_write(struct blob_writer *w, const void *data, size_t n, struct err *e)
{
    if (w->finished) {
        err_internal(e, "blob: write after the hash was taken");
        return -1;
    }
    const char *p = data;
    size_t left = n;
    while (left) {
        ssize_t k = write(w->fd, p, left);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return fail_errno(e, "write the upload", w->path);
        p += k;
        left -= (size_t)k;
    }
    crypto_hash_sha256_update(&w->st, data, n);
    w->size += n;
    return 0;
}

const char *blob_writer_path(const struct blob_writer *w)
{
    return w->path;
}

uint64_t blob_writer_size(const struct blob_writer *w)
{
    return w->size;
}

const char *blob_writer_sha256(struct blob_writer *w)
{
    if (!w->finished) {
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256_final(&w->st, h);
        hex_encode(h, sizeof h, w->sha);
        w->finished = true;
    }
    return w->sha;
}

int blob_writer_commit(struct blob_writer *w, struct err *e)
{
    const char *sha = blob_writer_sha256(w);
    char dir[PATH_MAX], file[PATH_MAX];
    blob_paths(w->b, sha, dir, file);
    if (fsync(w->fd) < 0)
        return fail_errno(e, "make the upload durable", w->path);
    struct stat st;
    bool new_dir = stat(dir, &st) != 0;
    if (new_dir) {
        char top[PATH_MAX];
        snprintf(top, sizeof top, "%s/sha256", w->b->dir);
        if (make_dir(dir, e) < 0 || sync_dir(top, e) < 0)
            return -1;
    }
    /* link() never replaces: an identical blob already stored wins */
    if (link(w->path, file) < 0) {
        if (errno != EEXIST)
            return fail_errno(e, "store the upload", file);
        if (stat(file, &st) != 0 || (uint64_t)st.st_size != w->size) {
            log_event(LOG_ERROR, "blob_size_mismatch", "blob", sha, NULL);
            err_internal(e, "a stored document does not match its name; run archportal check");
            return -1;
        }
    } else if (sync_dir(dir, e) < 0) {
        return -1;
    }
    w->committed = true;
    return 0;
}

void blob_writer_free(struct blob_writer *w)
{
    if (!w)
        return;
    close(w->fd);
    if (unlink(w->path) < 0 && errno != ENOENT)
        log_event(LOG_WARN, "blob_tmp_left", "path", w->path, "error", strerror(errno), NULL);
    free(w);
}

int blob_open(struct blobs *b, const char *sha, int *fd, uint64_t *size, struct err *e)
{
    if (!blob_sha_valid(sha)) {
        err_not_found(e, "no such document content");
        return -1;
    }
    char dir[PATH_MAX], file[PATH_MAX];
    blob_paths(b, sha, dir, file);
    *fd = open(file, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) {
        if (errno == ENOENT) {
            log_event(LOG_ERROR, "blob_missing", "blob", sha, NULL);
            err_not_found(e, "the document's content is missing from the store");
            return -1;
        }
        return fail_errno(e, "open a document", file);
    }
    struct stat st;
    if (fstat(*fd, &st) < 0) {
        close(*fd);
        return fail_errno(e, "read a document", file);
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

/* ---- copying a store's blobs (backup, restore) ---- */

struct copying {
    const char *from;
    struct blobs *to;
    size_t n;
    int rc;
    struct err *e;
};

static int copy_one(void *ctx, const char *sha)
{
    struct copying *c = ctx;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/sha256/%.2s/%s", c->from, sha, sha + 2) >=
        (int)sizeof path) {
        err_internal(c->e, "blobs: path too long");
        return c->rc = -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail_errno(c->e, "open", path);
        return c->rc = -1;
    }
    struct blob_writer *w = blob_writer_new(c->to, c->e);
    char buf[1 << 16];
    ssize_t got = 0;
    int rc = w ? 0 : -1;
    while (rc == 0 && ((got = read(fd, buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR)))
        rc = got > 0 ? blob_write(w, buf, (size_t)got, c->e) : 0;
    if (rc == 0 && got < 0)
        rc = fail_errno(c->e, "read", path);
    close(fd);
    if (rc == 0 && strcmp(blob_writer_sha256(w), sha) != 0) {
        /* the copy would keep the damage as if it were the document */
        err_set(c->e, 500, "storage-error", "", "the stored document file %s does not hash to its name",
                path);
        rc = -1;
    }
    if (rc == 0)
        rc = blob_writer_commit(w, c->e);
    blob_writer_free(w);
    c->n += rc == 0;
    return c->rc = rc;
}

int blobs_copy(const char *from_dir, struct blobs *to, size_t *n, struct err *e)
{
    struct copying c = {from_dir, to, 0, 0, e};
    blobs_each(from_dir, copy_one, &c);
    *n = c.n;
    return c.rc;
}
