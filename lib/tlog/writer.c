/* writer.c: the single writer of a log directory. Appends go in batches: the new entry bundles
 * and hash tiles are written and fsync'ed (with their directories) before the checkpoint that
 * covers them is published by an atomic rename; only then is the append acknowledged. Files the
 * writer creates are always beyond the published checkpoint, so readers never see one change.
 * A lock file (flock) refuses a second writer; opening after a crash rebuilds the right edge of
 * the tree from the tiles of the published checkpoint and removes what lies beyond it.
 * The argument for crash safety is in docs/log.md. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlog_internal.h"

#define LOCK_NAME ".vitrine-writer.lock"

struct pending_file {
    char path[128]; /* relative to the log directory */
    vt_buf data;
};

struct vt_tlog_writer {
    char *dir;
    int lock_fd;
    const vt_tlog_signer *key;
    char origin[VT_TLOG_MAX_KEY_NAME + 1];
    uint64_t size;
    struct tlog_edge edge;
    uint64_t tile_index[8];
    vt_buf bundle; /* the incomplete entry bundle */
    unsigned bundle_count;
    /* Per batch. */
    struct pending_file *files;
    size_t file_count, file_cap;
    int dirty[8];
};

uint64_t vt_tlog_writer_size(const vt_tlog_writer *writer)
{
    return writer->size;
}

static vt_status path_join(const char *dir, const char *rel, char *out, size_t out_size,
                           vt_error *err)
{
    if ((size_t)snprintf(out, out_size, "%s/%s", dir, rel) >= out_size)
        return vt_error_set(err, VT_ERR_ARGUMENT, "path too long: %s/%s", dir, rel);
    return VT_OK;
}

/* Create the parent directories of dir/rel; each one created is made durable in its parent. */
static vt_status make_parents(const char *dir, const char *rel, vt_error *err)
{
    char path[4096];
    vt_status st = path_join(dir, rel, path, sizeof path, err);
    if (st != VT_OK)
        return st;
    size_t base = strlen(dir) + 1;
    for (char *p = path + base; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) == 0) {
            char *slash = strrchr(path, '/');
            *slash = '\0';
            st = vt_fsync_dir(path, err);
            *slash = '/';
            if (st != VT_OK)
                return st;
        } else if (errno != EEXIST) {
            return vt_error_errno(err, VT_ERR_IO, errno, "cannot create directory %s", path);
        }
        *p = '/';
    }
    return VT_OK;
}

static vt_status sign_checkpoint(const vt_tlog_signer *key, const char *origin, uint64_t size,
                                 const unsigned char root[VT_TLOG_HASH_SIZE], vt_buf *out,
                                 vt_error *err)
{
    vt_tlog_checkpoint cp = {.size = size};
    snprintf(cp.origin, sizeof cp.origin, "%s", origin);
    memcpy(cp.root, root, VT_TLOG_HASH_SIZE);
    vt_buf text = {0};
    vt_status st = vt_tlog_checkpoint_format(&cp, &text, err);
    if (st == VT_OK)
        st = vt_tlog_note_sign(key, (const char *)text.data, text.len, out, err);
    vt_buf_free(&text);
    return st;
}

vt_status vt_tlog_create(const char *dir, const char *origin, const vt_tlog_signer *key,
                         vt_error *err)
{
    if (strcmp(origin, vt_tlog_signer_name(key)) != 0)
        return vt_error_set(err, VT_ERR_ARGUMENT, "origin '%s' must be the key's name '%s'", origin,
                            vt_tlog_signer_name(key));
    if (!vt_tlog_valid_key_name(origin, strlen(origin)))
        return vt_error_set(err, VT_ERR_ARGUMENT, "invalid origin '%s'", origin);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot create %s", dir);
    DIR *d = opendir(dir);
    if (!d)
        return vt_error_errno(err, VT_ERR_IO, errno, "cannot open %s", dir);
    struct dirent *e;
    int empty = 1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = 0;
    closedir(d);
    if (!empty)
        return vt_error_set(err, VT_ERR_STATE, "%s is not empty; a log starts in an empty directory",
                            dir);
    unsigned char root[VT_TLOG_HASH_SIZE];
    vt_tlog_empty_root(root);
    vt_buf note = {0};
    char path[4096];
    vt_status st = sign_checkpoint(key, origin, 0, root, &note, err);
    if (st == VT_OK)
        st = path_join(dir, "checkpoint", path, sizeof path, err);
    if (st == VT_OK)
        st = vt_write_file_atomic(path, note.data, note.len, 0644, err);
    vt_buf_free(&note);
    return st;
}

/* ---- opening and recovery ---- */

static vt_status read_rel(vt_tlog_writer *w, const char *rel, size_t max, unsigned char **data,
                          size_t *len, vt_error *err)
{
    char path[4096];
    vt_status st = path_join(w->dir, rel, path, sizeof path, err);
    return st == VT_OK ? vt_read_file(path, max, data, len, err) : st;
}

static void remove_rel(vt_tlog_writer *w, const char *rel)
{
    char path[4096];
    if (path_join(w->dir, rel, path, sizeof path, NULL) == VT_OK)
        unlink(path);
}

/* Remove partial files "<full>.p/W" with W > keep, and the full file; returns whether any existed. */
static int remove_beyond(vt_tlog_writer *w, const char *full_rel, unsigned keep)
{
    char path[4096];
    int found = 0;
    struct stat st;
    if (path_join(w->dir, full_rel, path, sizeof path, NULL) != VT_OK)
        return 0;
    if (keep < VT_TLOG_TILE_WIDTH && stat(path, &st) == 0) {
        unlink(path);
        found = 1;
    }
    strncat(path, ".p", sizeof path - strlen(path) - 1);
    DIR *d = opendir(path);
    if (!d)
        return found;
    found = 1;
    struct dirent *e;
    int removed = 0;
    while ((e = readdir(d))) {
        uint64_t width;
        if (vt_tlog_parse_decimal(e->d_name, strlen(e->d_name), &width) && width > keep) {
            char file[4400];
            if (snprintf(file, sizeof file, "%s/%s", path, e->d_name) < (int)sizeof file)
                unlink(file);
            removed = 1;
        }
    }
    closedir(d);
    if (removed)
        vt_fsync_dir(path, NULL);
    return found;
}

/* A crashed writer may have left bundles and tiles beyond the checkpoint: remove them so that
 * none can later be mistaken for part of the log. They are written in index order, so we scan
 * forward until an index with nothing stored. */
static void remove_leftovers(vt_tlog_writer *w)
{
    char rel[128];
    for (int kind = -1; kind < 8; kind++) {
        uint64_t index = kind < 0 ? w->size / VT_TLOG_TILE_WIDTH : w->tile_index[kind];
        unsigned keep = kind < 0 ? w->bundle_count : w->edge.count[kind];
        for (;; index++, keep = 0) {
            if (kind < 0)
                vt_tlog_bundle_path(index, VT_TLOG_TILE_WIDTH, rel, sizeof rel);
            else
                vt_tlog_tile_path((unsigned)kind, index, VT_TLOG_TILE_WIDTH, rel, sizeof rel);
            if (!remove_beyond(w, rel, keep))
                break;
        }
    }
    /* Temporary checkpoints of an interrupted publication. */
    DIR *d = opendir(w->dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strncmp(e->d_name, "checkpoint.tmp.", 15) == 0)
                remove_rel(w, e->d_name);
        closedir(d);
    }
}

static vt_status load_edge(vt_tlog_writer *w, vt_error *err)
{
    char rel[128];
    for (unsigned t = 0; t < 8; t++) {
        uint64_t nodes = w->size >> (VT_TLOG_TILE_HEIGHT * t);
        w->tile_index[t] = nodes / VT_TLOG_TILE_WIDTH;
        unsigned count = (unsigned)(nodes % VT_TLOG_TILE_WIDTH);
        w->edge.count[t] = count;
        if (count == 0)
            continue;
        vt_tlog_tile_path(t, w->tile_index[t], count, rel, sizeof rel);
        unsigned char *data;
        size_t len;
        vt_status st = read_rel(w, rel, VT_TLOG_MAX_TILE, &data, &len, err);
        if (st != VT_OK)
            return st;
        if (len != (size_t)count * VT_TLOG_HASH_SIZE) {
            free(data);
            return vt_error_at(err, VT_ERR_FORMAT, rel, 0, 0, "tile has the wrong size");
        }
        memcpy(w->edge.hashes[t], data, len);
        free(data);
    }
    w->bundle_count = (unsigned)(w->size % VT_TLOG_TILE_WIDTH);
    if (w->bundle_count) {
        vt_tlog_bundle_path(w->size / VT_TLOG_TILE_WIDTH, w->bundle_count, rel, sizeof rel);
        unsigned char *data;
        size_t len;
        vt_status st = read_rel(w, rel, VT_TLOG_MAX_BUNDLE, &data, &len, err);
        if (st != VT_OK)
            return st;
        size_t offsets[VT_TLOG_TILE_WIDTH], lengths[VT_TLOG_TILE_WIDTH];
        st = vt_tlog_bundle_parse(data, len, w->bundle_count, offsets, lengths, err);
        for (unsigned i = 0; st == VT_OK && i < w->bundle_count; i++) {
            unsigned char h[VT_TLOG_HASH_SIZE];
            if (vt_tlog_leaf_hash(data + offsets[i], lengths[i], h) != VT_OK)
                st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            else if (memcmp(h, w->edge.hashes[0][i], VT_TLOG_HASH_SIZE) != 0)
                st = vt_error_at(err, VT_ERR_FORMAT, rel, 0, 0,
                                 "entry %u does not match its tile", i);
        }
        if (st == VT_OK && vt_buf_append(&w->bundle, data, len) != VT_OK)
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        free(data);
        if (st != VT_OK)
            return st;
    }
    return VT_OK;
}

vt_status vt_tlog_writer_open(const char *dir, const vt_tlog_signer *key, vt_tlog_writer **out,
                              vt_error *err)
{
    *out = NULL;
    vt_tlog_writer *w = calloc(1, sizeof *w);
    if (!w)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    w->lock_fd = -1;
    w->key = key;
    w->dir = strdup(dir);
    if (!w->dir) {
        vt_tlog_writer_close(w);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    char path[4096];
    vt_status st = path_join(dir, LOCK_NAME, path, sizeof path, err);
    if (st == VT_OK) {
        w->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (w->lock_fd < 0)
            st = vt_error_errno(err, VT_ERR_IO, errno, "cannot open the lock file %s", path);
        else if (flock(w->lock_fd, LOCK_EX | LOCK_NB) != 0)
            st = errno == EWOULDBLOCK
                     ? vt_error_set(err, VT_ERR_STATE, "another writer is appending to %s", dir)
                     : vt_error_errno(err, VT_ERR_IO, errno, "cannot lock %s", path);
    }
    unsigned char *data = NULL;
    size_t len = 0;
    if (st == VT_OK)
        st = read_rel(w, "checkpoint", VT_TLOG_MAX_NOTE, &data, &len, err);
    vt_tlog_verifier *vkey = NULL;
    char *vkey_text = NULL;
    if (st == VT_OK)
        st = vt_tlog_signer_vkey(key, &vkey_text, err);
    if (st == VT_OK)
        st = vt_tlog_verifier_parse(vkey_text, strlen(vkey_text), &vkey, err);
    vt_tlog_checkpoint cp = {0};
    if (st == VT_OK) {
        st = vt_tlog_checkpoint_open(data, len, vkey, &cp, NULL, err);
        if (st != VT_OK && err)
            snprintf(err->file, sizeof err->file, "%s/checkpoint", dir);
    }
    free(data);
    free(vkey_text);
    vt_tlog_verifier_free(vkey);
    if (st == VT_OK) {
        snprintf(w->origin, sizeof w->origin, "%s", cp.origin);
        w->size = cp.size;
        st = load_edge(w, err);
    }
    unsigned char root[VT_TLOG_HASH_SIZE];
    if (st == VT_OK && (vt_tlog_edge_root(&w->edge, w->size, root) != VT_OK ||
                        memcmp(root, cp.root, VT_TLOG_HASH_SIZE) != 0))
        st = vt_error_set(err, VT_ERR_FORMAT,
                          "%s: the stored tiles do not match the checkpoint's root hash", dir);
    vt_tlog_checkpoint_clear(&cp);
    if (st != VT_OK) {
        vt_tlog_writer_close(w);
        return st;
    }
    remove_leftovers(w);
    *out = w;
    return VT_OK;
}

void vt_tlog_writer_close(vt_tlog_writer *writer)
{
    if (!writer)
        return;
    for (size_t i = 0; i < writer->file_count; i++)
        vt_buf_free(&writer->files[i].data);
    free(writer->files);
    vt_buf_free(&writer->bundle);
    if (writer->lock_fd >= 0)
        close(writer->lock_fd); /* releases the lock */
    free(writer->dir);
    free(writer);
}

/* ---- appending ---- */

static vt_status queue_file(vt_tlog_writer *w, const char *rel, const void *data, size_t len,
                            vt_error *err)
{
    if (w->file_count == w->file_cap) {
        size_t cap = w->file_cap ? w->file_cap * 2 : 16;
        struct pending_file *files = realloc(w->files, cap * sizeof *files);
        if (!files)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
        w->files = files;
        w->file_cap = cap;
    }
    struct pending_file *f = &w->files[w->file_count];
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", rel);
    if (vt_buf_append(&f->data, data, len) != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    w->file_count++;
    return VT_OK;
}

static vt_status push_hash(vt_tlog_writer *w, unsigned t, const unsigned char hash[32],
                           vt_error *err)
{
    if (t >= 8)
        return vt_error_set(err, VT_ERR_LIMIT, "log is full");
    memcpy(w->edge.hashes[t][w->edge.count[t]++], hash, VT_TLOG_HASH_SIZE);
    w->dirty[t] = 1;
    if (w->edge.count[t] < VT_TLOG_TILE_WIDTH)
        return VT_OK;
    char rel[128];
    vt_tlog_tile_path(t, w->tile_index[t], VT_TLOG_TILE_WIDTH, rel, sizeof rel);
    vt_status st = queue_file(w, rel, w->edge.hashes[t], VT_TLOG_MAX_TILE, err);
    if (st != VT_OK)
        return st;
    unsigned char root[VT_TLOG_HASH_SIZE];
    vt_tlog_perfect_root((const unsigned char (*)[VT_TLOG_HASH_SIZE])w->edge.hashes[t],
                      VT_TLOG_TILE_HEIGHT, root);
    w->edge.count[t] = 0;
    w->dirty[t] = 0;
    w->tile_index[t]++;
    return push_hash(w, t + 1, root, err);
}

static vt_status write_all(int fd, const unsigned char *data, size_t len, const char *path,
                           vt_error *err)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, data + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vt_error_errno(err, VT_ERR_IO, errno, "cannot write %s", path);
        done += (size_t)n;
    }
    return VT_OK;
}

/* fsync many descriptors at once: the waits overlap and the file system can commit them in one
 * journal transaction, instead of one disk round trip per file. Returns 0 or the first errno
 * (*bad: its index). Threads only wait for the disk; the work stays on one core. */
#define SYNC_THREADS 8

struct sync_part {
    const int *fds;
    size_t count, start;
    int error;
    size_t bad;
};

static void *sync_part_run(void *arg)
{
    struct sync_part *p = arg;
    for (size_t i = p->start; i < p->count; i += SYNC_THREADS)
        if (fsync(p->fds[i]) != 0 && !p->error) {
            p->error = errno;
            p->bad = i;
        }
    return NULL;
}

static int fsync_all(const int *fds, size_t count, size_t *bad)
{
    struct sync_part parts[SYNC_THREADS];
    pthread_t threads[SYNC_THREADS];
    int started[SYNC_THREADS] = {0};
    size_t n = count < SYNC_THREADS ? count : SYNC_THREADS;
    for (size_t t = 0; t < n; t++) {
        parts[t] = (struct sync_part){fds, count, t, 0, 0};
        started[t] = n > 1 && pthread_create(&threads[t], NULL, sync_part_run, &parts[t]) == 0;
        if (!started[t])
            sync_part_run(&parts[t]);
    }
    int error = 0;
    for (size_t t = 0; t < n; t++) {
        if (started[t])
            pthread_join(threads[t], NULL);
        if (parts[t].error && !error) {
            error = parts[t].error;
            *bad = parts[t].bad;
        }
    }
    return error;
}

/* Write every queued file and the new checkpoint (under a temporary name), make all of them and
 * their directory entries durable, then publish the checkpoint by rename (*published) and make
 * the rename durable. The fsyncs before the rename are independent of each other, so they are issued
 * together: two waits for the disk per batch instead of one per file. */
static vt_status write_and_publish(vt_tlog_writer *w, const vt_buf *note, int *published,
                                   vt_error *err)
{
    vt_status st = VT_OK;
    *published = 0;
    int *fds = malloc((2 * w->file_count + 2) * sizeof *fds);
    if (!fds)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    size_t opened = 0;
    char path[4096], tmp[4096];
    int tmp_created = 0;
    for (size_t i = 0; st == VT_OK && i < w->file_count; i++) {
        struct pending_file *f = &w->files[i];
        const char *slash = strrchr(f->path, '/');
        int same_dir = i > 0 && strrchr(w->files[i - 1].path, '/') - w->files[i - 1].path ==
                                    slash - f->path &&
                       memcmp(w->files[i - 1].path, f->path, (size_t)(slash - f->path)) == 0;
        if (!same_dir)
            st = make_parents(w->dir, f->path, err);
        if (st == VT_OK)
            st = path_join(w->dir, f->path, path, sizeof path, err);
        if (st != VT_OK)
            break;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            st = vt_error_errno(err, VT_ERR_IO, errno, "cannot create %s", path);
            break;
        }
        fds[opened++] = fd;
        st = write_all(fd, f->data.data, f->data.len, path, err);
        /* Start writing this file's data now, so that the fsyncs find it mostly on disk and the
         * file system can commit the whole batch in one journal transaction. */
        if (st == VT_OK)
            sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    }
    size_t files = opened;
    if (st == VT_OK)
        st = path_join(w->dir, "checkpoint.tmp.XXXXXX", tmp, sizeof tmp, err);
    if (st == VT_OK) {
        int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
            st = vt_error_errno(err, VT_ERR_IO, errno, "cannot create %s", tmp);
        } else {
            tmp_created = 1;
            fds[opened++] = fd;
            if (fchmod(fd, 0644) != 0)
                st = vt_error_errno(err, VT_ERR_IO, errno, "cannot chmod %s", tmp);
            if (st == VT_OK)
                st = write_all(fd, note->data, note->len, tmp, err);
        }
    }
    /* Directories: each distinct parent of a written file once. */
    for (size_t i = 0; st == VT_OK && i < w->file_count; i++) {
        const char *slash = strrchr(w->files[i].path, '/');
        size_t dir_len = (size_t)(slash - w->files[i].path);
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *other = strrchr(w->files[j].path, '/');
            seen = (size_t)(other - w->files[j].path) == dir_len &&
                   memcmp(w->files[j].path, w->files[i].path, dir_len) == 0;
        }
        if (seen)
            continue;
        char rel[128];
        snprintf(rel, sizeof rel, "%.*s", (int)dir_len, w->files[i].path);
        st = path_join(w->dir, rel, path, sizeof path, err);
        if (st != VT_OK)
            break;
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            st = vt_error_errno(err, VT_ERR_IO, errno, "cannot open directory %s", path);
            break;
        }
        fds[opened++] = fd;
    }
    size_t bad = 0;
    int e = st == VT_OK ? fsync_all(fds, opened, &bad) : 0;
    if (e)
        st = vt_error_errno(err, VT_ERR_IO, e, "cannot fsync %s",
                            bad < files ? w->files[bad].path
                                        : bad == files ? "the new checkpoint" : "a tile directory");
    for (size_t i = 0; i < opened; i++)
        close(fds[i]);
    free(fds);
    /* Everything the new checkpoint covers is durable: publish it. */
    if (st == VT_OK)
        st = path_join(w->dir, "checkpoint", path, sizeof path, err);
    if (st == VT_OK && rename(tmp, path) != 0)
        st = vt_error_errno(err, VT_ERR_IO, errno, "cannot rename %s to %s", tmp, path);
    else if (st == VT_OK)
        tmp_created = 0, *published = 1;
    if (st == VT_OK)
        st = vt_fsync_dir(w->dir, err);
    if (tmp_created)
        unlink(tmp);
    return st;
}

/* After a checkpoint is published: the partial versions of every tile and bundle this batch
 * completed are no longer needed (tlog-tiles allows deleting them once the full tile exists;
 * readers fall back to the full one). Best effort: a leftover partial is still valid. Without
 * this, appending one entry at a time would keep up to 255 growing copies of every bundle. */
static void remove_completed_partials(vt_tlog_writer *w)
{
    for (size_t i = 0; i < w->file_count; i++) {
        if (strstr(w->files[i].path, ".p/"))
            continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s.p", w->dir, w->files[i].path) >= sizeof path)
            continue;
        DIR *d = opendir(path);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            uint64_t width;
            char file[4400];
            if (vt_tlog_parse_decimal(e->d_name, strlen(e->d_name), &width) &&
                snprintf(file, sizeof file, "%s/%s", path, e->d_name) < (int)sizeof file)
                unlink(file);
        }
        closedir(d);
        rmdir(path);
    }
}

static void drop_queue(vt_tlog_writer *w)
{
    for (size_t i = 0; i < w->file_count; i++)
        vt_buf_free(&w->files[i].data);
    w->file_count = 0;
}

vt_status vt_tlog_writer_append(vt_tlog_writer *w, const vt_tlog_entry *entries, size_t count,
                                uint64_t *first_index, vt_error *err)
{
    for (size_t i = 0; i < count; i++)
        if (entries[i].len > VT_TLOG_MAX_ENTRY)
            return vt_error_set(err, VT_ERR_LIMIT, "entry %zu has %zu bytes; the limit is %u", i,
                                entries[i].len, VT_TLOG_MAX_ENTRY);
    if (count == 0) {
        *first_index = w->size;
        return VT_OK;
    }
    /* Work on copies of the in-memory state so that a failure leaves the writer as it was. */
    struct tlog_edge *saved_edge = malloc(sizeof *saved_edge);
    vt_buf saved_bundle = {0};
    if (!saved_edge || vt_buf_append(&saved_bundle, w->bundle.data, w->bundle.len) != VT_OK) {
        free(saved_edge);
        vt_buf_free(&saved_bundle);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    }
    memcpy(saved_edge, &w->edge, sizeof *saved_edge);
    uint64_t saved_index[8];
    memcpy(saved_index, w->tile_index, sizeof saved_index);
    uint64_t saved_size = w->size;
    unsigned saved_count = w->bundle_count;

    vt_status st = VT_OK;
    memset(w->dirty, 0, sizeof w->dirty);
    char rel[128];
    for (size_t i = 0; st == VT_OK && i < count; i++) {
        unsigned char prefix[2] = {(unsigned char)(entries[i].len >> 8),
                                   (unsigned char)entries[i].len};
        unsigned char leaf[VT_TLOG_HASH_SIZE];
        if (vt_buf_append(&w->bundle, prefix, 2) != VT_OK ||
            vt_buf_append(&w->bundle, entries[i].data, entries[i].len) != VT_OK ||
            vt_tlog_leaf_hash(entries[i].data, entries[i].len, leaf) != VT_OK) {
            st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
            break;
        }
        w->bundle_count++;
        w->size++;
        if (w->bundle_count == VT_TLOG_TILE_WIDTH) {
            vt_tlog_bundle_path(w->size / VT_TLOG_TILE_WIDTH - 1, VT_TLOG_TILE_WIDTH, rel, sizeof rel);
            st = queue_file(w, rel, w->bundle.data, w->bundle.len, err);
            w->bundle.len = 0;
            w->bundle_count = 0;
        }
        if (st == VT_OK)
            st = push_hash(w, 0, leaf, err);
    }
    if (st == VT_OK && w->bundle_count) {
        vt_tlog_bundle_path(w->size / VT_TLOG_TILE_WIDTH, w->bundle_count, rel, sizeof rel);
        st = queue_file(w, rel, w->bundle.data, w->bundle.len, err);
    }
    for (unsigned t = 0; st == VT_OK && t < 8; t++) {
        if (!w->dirty[t] || w->edge.count[t] == 0)
            continue;
        vt_tlog_tile_path(t, w->tile_index[t], w->edge.count[t], rel, sizeof rel);
        st = queue_file(w, rel, w->edge.hashes[t], (size_t)w->edge.count[t] * VT_TLOG_HASH_SIZE,
                        err);
    }
    unsigned char root[VT_TLOG_HASH_SIZE];
    vt_buf note = {0};
    if (st == VT_OK && vt_tlog_edge_root(&w->edge, w->size, root) != VT_OK)
        st = vt_error_set(err, VT_ERR_FORMAT, "cannot compute the new root");
    if (st == VT_OK)
        st = sign_checkpoint(w->key, w->origin, w->size, root, &note, err);
    int published = 0;
    if (st == VT_OK)
        st = write_and_publish(w, &note, &published, err);
    vt_buf_free(&note);
    if (st == VT_OK)
        remove_completed_partials(w);
    drop_queue(w);
    if (st == VT_OK) {
        *first_index = saved_size;
    } else if (!published) {
        /* Nothing was published: forget the batch and what it wrote. (Once the rename is done
         * the disk holds the new checkpoint, and so does memory; only the acknowledgement is
         * withheld, since the rename may not be durable.) */
        memcpy(&w->edge, saved_edge, sizeof *saved_edge);
        memcpy(w->tile_index, saved_index, sizeof saved_index);
        w->size = saved_size;
        w->bundle_count = saved_count;
        vt_buf_free(&w->bundle);
        w->bundle = saved_bundle;
        saved_bundle = (vt_buf){0};
        remove_leftovers(w);
    }
    free(saved_edge);
    vt_buf_free(&saved_bundle);
    return st;
}

/* ---- publishing cosignatures ---- */

vt_status vt_tlog_writer_checkpoint(vt_tlog_writer *w, vt_buf *out, vt_error *err)
{
    unsigned char *data;
    size_t len;
    vt_status st = read_rel(w, "checkpoint", VT_TLOG_MAX_NOTE, &data, &len, err);
    if (st != VT_OK)
        return st;
    if (vt_buf_append(out, data, len) != VT_OK)
        st = vt_error_set(err, VT_ERR_NOMEM, "out of memory");
    free(data);
    return st;
}

vt_status vt_tlog_writer_publish_cosigned(vt_tlog_writer *w, const void *note_data, size_t len,
                                          vt_error *err)
{
    vt_buf current = {0};
    vt_tlog_note *cur = NULL, *note = NULL;
    vt_tlog_verifier *vkey = NULL;
    char *vkey_text = NULL;
    vt_status st = vt_tlog_writer_checkpoint(w, &current, err);
    if (st == VT_OK)
        st = vt_tlog_note_parse(current.data, current.len, &cur, err);
    if (st == VT_OK)
        st = vt_tlog_note_parse(note_data, len, &note, err);
    if (st == VT_OK && (note->text_len != cur->text_len ||
                        memcmp(note->text, cur->text, cur->text_len) != 0))
        st = vt_error_set(err, VT_ERR_STATE, "the cosigned checkpoint is not the current checkpoint");
    if (st == VT_OK)
        st = vt_tlog_signer_vkey(w->key, &vkey_text, err);
    if (st == VT_OK)
        st = vt_tlog_verifier_parse(vkey_text, strlen(vkey_text), &vkey, err);
    if (st == VT_OK)
        st = vt_tlog_note_verify(note, vkey, NULL, err);
    char path[4096];
    if (st == VT_OK)
        st = path_join(w->dir, "checkpoint", path, sizeof path, err);
    if (st == VT_OK)
        st = vt_write_file_atomic(path, note_data, len, 0644, err);
    vt_tlog_verifier_free(vkey);
    free(vkey_text);
    vt_tlog_note_free(cur);
    vt_tlog_note_free(note);
    vt_buf_free(&current);
    return st;
}
