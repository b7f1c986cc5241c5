/* blobs: the content-addressed file store of uploaded documents.
 *
 * A blob is a file named by the SHA-256 of its bytes,
 * <dir>/sha256/<first two hex>/<the other 62 hex>, written once and never
 * changed, so identical uploads share one file and a copy of the tree is
 * a consistent backup at any moment. An upload streams into a temporary
 * file in <dir>/tmp (hashed as it arrives); commit makes it durable
 * (fsync of the file, then of the directories) before it takes its name,
 * so a database row can never name a blob that a crash lost. Leftover
 * temporary files (a crash mid-upload) are removed when the store opens. */
#ifndef AP_BLOBS_H
#define AP_BLOBS_H

#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blobs;
struct blob_writer;

/* Opens (creating) the store under dir. Returns NULL with e filled. */
struct blobs *blobs_open(const char *dir, struct err *e);
void blobs_close(struct blobs *b);

/* A new temporary blob. Returns NULL with e filled (500). */
struct blob_writer *blob_writer_new(struct blobs *b, struct err *e);
/* Appends n bytes. -1 with e filled on a write error (507 when the disk
 * is full). */
int blob_write(struct blob_writer *w, const void *data, size_t n, struct err *e);
/* The temporary file (for inspection before commit) and its size. */
const char *blob_writer_path(const struct blob_writer *w);
uint64_t blob_writer_size(const struct blob_writer *w);
/* The SHA-256 (hex) of what was written; the writer takes no more. */
const char *blob_writer_sha256(struct blob_writer *w);
/* Makes the blob durable under its name (an identical stored blob is
 * kept and this copy dropped). 0, or -1 with e filled. */
int blob_writer_commit(struct blob_writer *w, struct err *e);
/* Frees the writer, removing its temporary file unless committed. */
void blob_writer_free(struct blob_writer *w);

/* Opens blob sha for reading: *fd (the caller closes it) and *size.
 * 404 when there is no such blob, 500 on other errors. */
int blob_open(struct blobs *b, const char *sha, int *fd, uint64_t *size, struct err *e);
/* True when sha is 64 lower-case hex digits. */
bool blob_sha_valid(const char *sha);

/* The directory the store was opened on. */
const char *blobs_dir(const struct blobs *b);

/* Calls fn for every blob stored under dir (the store's directory, opened
 * or not; a missing one holds none) with its SHA-256 in hex, in no set
 * order, until fn returns non-zero. Files that are not blobs are skipped.
 * Returns the number of blobs passed to fn. */
typedef int (*blob_each_fn)(void *ctx, const char *sha);
size_t blobs_each(const char *dir, blob_each_fn fn, void *ctx);
/* Copies every blob stored under from_dir into the store `to`, each
 * checked against its name (a file that does not hash to its name is an
 * error: a copy would keep the damage); a blob `to` has already is kept.
 * *n: how many were copied. 0, or -1 with e filled (stopping there). */
int blobs_copy(const char *from_dir, struct blobs *to, size_t *n, struct err *e);

#endif
