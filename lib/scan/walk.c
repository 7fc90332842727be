/* walk.c: walking a directory tree for files to scan, and a pool of threads that scan them.
 *
 * The walk visits entries in readdir order (the order yara 4.2.3 uses, so single-threaded output
 * is identical), follows symlinks only when asked (and never a link to "."), and reports every
 * entry it cannot reach, open, examine or finish (on_error) instead of failing the whole scan or
 * passing over it silently. It works with directory descriptors (openat, fstatat, fdopendir),
 * never with whole paths, so depth and path length are unlimited; it keeps at most
 * OPEN_DIRECTORIES of them open, and a followed link back to a directory being walked (same
 * device and inode as an ancestor) is reported as a loop instead of entered.
 *
 * The pool gives each thread its own vt_scan_ctx over one shared scanner; files (open
 * descriptors or paths) and queued errors wait in one bounded queue; results are handed to the
 * caller's function one at a time (under a lock), so output of one file is never interleaved with
 * another's. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vitrine/scan.h>

/* Directory descriptors one walk keeps open. Below this many levels every ancestor stays open;
 * deeper, the ancestors beyond it are closed and reopened when the walk comes back up to them,
 * from the nearest open ancestor name by name, checking device and inode. */
#define OPEN_DIRECTORIES 32

typedef struct walk_level {
    int fd;          /* -1 while closed (see OPEN_DIRECTORIES); the root's is never closed */
    dev_t dev;
    ino_t ino;
    char *names;     /* the entries, each NUL-terminated, in readdir order */
    size_t names_len, next;
    size_t path_len; /* the directory's path is the walker's path up to here */
} walk_level;

typedef struct walker {
    const vt_walk_options *options;
    vt_buf path; /* the directory or entry being looked at */
    walk_level *levels;
    size_t depth, cap;
} walker;

static void set_path_len(walker *w, size_t len)
{
    w->path.len = len;
    w->path.data[len] = 0;
}

/* Hand a problem with the current path to on_error (or stop the walk with it). */
static vt_status report(walker *w, bool file, const vt_error *problem, vt_error *err)
{
    if (w->options->on_error)
        return w->options->on_error(w->options->user, (const char *)w->path.data, file, problem);
    if (err)
        *err = *problem;
    return problem->status;
}

static vt_status report_errno(walker *w, bool file, int errnum, const char *what, vt_error *err)
{
    vt_error problem;
    vt_error_errno(&problem, errnum == ENOMEM ? VT_ERR_NOMEM : VT_ERR_IO, errnum, "%s", what);
    return report(w, file, &problem, err);
}

/* The entries of directory fd (not . and ..), NUL-terminated one after the other. A directory
 * that fails part way keeps the entries read before; *read_errno tells why it stopped. */
static vt_status read_names(int fd, vt_buf *names, int *read_errno)
{
    *read_errno = 0;
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR *dp = copy >= 0 ? fdopendir(copy) : NULL;
    if (!dp) {
        *read_errno = errno;
        if (copy >= 0)
            close(copy);
        return VT_OK;
    }
    vt_status st = VT_OK;
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dp);
        if (!de) {
            *read_errno = errno;
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((st = vt_buf_append(names, de->d_name, strlen(de->d_name) + 1)) != VT_OK)
            break;
    }
    closedir(dp);
    return st;
}

/* Enter directory fd (owned from now on) at the current path. */
static vt_status push_directory(walker *w, int fd, vt_error *err)
{
    struct stat info;
    if (fstat(fd, &info) != 0) {
        int e = errno;
        close(fd);
        return report_errno(w, false, e, "cannot open directory", err);
    }
    vt_buf names = {0};
    int read_errno;
    if (read_names(fd, &names, &read_errno) != VT_OK) {
        close(fd);
        vt_buf_free(&names);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory reading directory %s",
                            (const char *)w->path.data);
    }
    vt_status st = VT_OK;
    if (read_errno)
        st = report_errno(w, false, read_errno, "cannot read directory", err);
    if (w->depth == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 16;
        walk_level *grown = realloc(w->levels, cap * sizeof *grown);
        if (!grown) {
            close(fd);
            vt_buf_free(&names);
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory walking %s",
                                (const char *)w->path.data);
        }
        w->levels = grown;
        w->cap = cap;
    }
    walk_level *level = &w->levels[w->depth++];
    *level = (walk_level){.fd = fd, .dev = info.st_dev, .ino = info.st_ino,
                          .names = (char *)names.data, .names_len = names.len,
                          .path_len = w->path.len};
    size_t oldest = w->depth - 1 >= OPEN_DIRECTORIES ? w->depth - 1 - OPEN_DIRECTORIES : 0;
    if (oldest > 0 && w->levels[oldest].fd >= 0) {
        close(w->levels[oldest].fd);
        w->levels[oldest].fd = -1;
    }
    return st;
}

static void pop_directory(walker *w)
{
    walk_level *level = &w->levels[--w->depth];
    if (level->fd >= 0)
        close(level->fd);
    free(level->names);
}

static int open_flags(const walker *w)
{
    return O_RDONLY | O_CLOEXEC | O_NOCTTY | (w->options->follow_symlinks ? 0 : O_NOFOLLOW);
}

/* Reopen level i (closed to save descriptors) from the nearest open ancestor, name by name,
 * keeping the last OPEN_DIRECTORIES levels of the way open. -1 with errno when a directory on
 * the way cannot be opened or is not the one walked before (ESTALE). */
static int reopen_level(walker *w, size_t i)
{
    size_t j = i;
    while (w->levels[j].fd < 0)
        j--; /* the root's is never closed */
    for (size_t k = j + 1; k <= i; k++) {
        const walk_level *parent = &w->levels[k - 1];
        walk_level *level = &w->levels[k];
        size_t start = parent->path_len + 1, len = level->path_len - start;
        char *name = strndup((const char *)w->path.data + start, len);
        if (!name)
            return -1;
        int fd = openat(parent->fd, name, open_flags(w) | O_DIRECTORY);
        free(name);
        struct stat info;
        if (fd >= 0 && (fstat(fd, &info) != 0 || info.st_dev != level->dev ||
                        info.st_ino != level->ino)) {
            close(fd);
            fd = -1;
            errno = ESTALE;
        }
        if (fd < 0)
            return -1;
        level->fd = fd;
        if (k - 1 > j && i - (k - 1) >= OPEN_DIRECTORIES) {
            close(w->levels[k - 1].fd);
            w->levels[k - 1].fd = -1;
        }
    }
    return w->levels[i].fd;
}

static const walk_level *ancestor(const walker *w, dev_t dev, ino_t ino)
{
    for (size_t i = 0; i < w->depth; i++)
        if (w->levels[i].dev == dev && w->levels[i].ino == ino)
            return &w->levels[i];
    return NULL;
}

/* One entry `name` of directory dfd; the current path is its path. */
static vt_status visit(walker *w, int dfd, const char *name, vt_error *err)
{
    const vt_walk_options *o = w->options;
    struct stat info;
    if (fstatat(dfd, name, &info, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? VT_OK /* gone since it was listed */
                               : report_errno(w, false, errno, "cannot access", err);
    if (S_ISLNK(info.st_mode)) {
        if (!o->follow_symlinks)
            return VT_OK;
        char target[2];
        if (readlinkat(dfd, name, target, sizeof target) == 1 && target[0] == '.')
            return VT_OK;
        if (fstatat(dfd, name, &info, 0) != 0)
            return errno == ENOENT ? VT_OK /* a dangling link, passed over as yara does */
                                   : report_errno(w, false, errno, "cannot follow the link", err);
    }
    if (S_ISREG(info.st_mode)) {
        if (o->skip_larger > 0 && (uint64_t)info.st_size >= o->skip_larger) {
            if (o->on_skip)
                o->on_skip(o->user, (const char *)w->path.data, (uint64_t)info.st_size);
            return VT_OK;
        }
        int fd = openat(dfd, name, open_flags(w) | O_NONBLOCK);
        if (fd < 0)
            return report_errno(w, true, errno, "cannot open", err);
        return o->on_file(o->user, fd, (const char *)w->path.data);
    }
    if (!S_ISDIR(info.st_mode) || !o->recursive)
        return VT_OK; /* FIFOs, sockets, devices are not files to scan (yara passes them over) */
    const walk_level *loop = ancestor(w, info.st_dev, info.st_ino);
    if (loop) {
        vt_error problem;
        vt_error_set(&problem, VT_ERR_STATE,
                     "directory loop: the same directory as %.*s, which is being walked",
                     (int)loop->path_len, (const char *)w->path.data);
        return report(w, false, &problem, err);
    }
    int fd = openat(dfd, name, open_flags(w) | O_DIRECTORY);
    if (fd < 0)
        return report_errno(w, false, errno, "cannot open directory", err);
    return push_directory(w, fd, err);
}

static vt_status walk_tree(walker *w, vt_error *err)
{
    vt_status st = VT_OK;
    while (st == VT_OK && w->depth > 0) {
        size_t top = w->depth - 1;
        walk_level *level = &w->levels[top];
        if (level->next >= level->names_len) {
            pop_directory(w);
            continue;
        }
        const char *name = level->names + level->next;
        level->next += strlen(name) + 1;
        int dfd = level->fd;
        if (dfd < 0 && (dfd = reopen_level(w, top)) < 0) {
            int e = errno;
            set_path_len(w, level->path_len);
            vt_error problem;
            if (e == ESTALE)
                vt_error_set(&problem, VT_ERR_IO, "the directory was moved during the walk");
            else
                vt_error_errno(&problem, e == ENOMEM ? VT_ERR_NOMEM : VT_ERR_IO, e,
                               "cannot reopen directory");
            st = report(w, false, &problem, err);
            pop_directory(w);
            continue;
        }
        set_path_len(w, level->path_len);
        if (vt_buf_append_byte(&w->path, '/') != VT_OK ||
            vt_buf_append_str(&w->path, name) != VT_OK)
            return vt_error_set(err, VT_ERR_NOMEM, "out of memory walking %s",
                                (const char *)w->path.data);
        st = visit(w, dfd, name, err);
    }
    return st;
}

vt_status vt_walk(const char *root, const vt_walk_options *options, vt_error *err)
{
    walker w = {.options = options};
    if (vt_buf_append_str(&w.path, root) != VT_OK)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory walking %s", root);
    vt_status st = VT_OK;
    struct stat info;
    if (stat(root, &info) != 0) {
        st = report_errno(&w, false, errno, "cannot access", err);
    } else if (S_ISREG(info.st_mode)) {
        int fd = open(root, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        st = fd < 0 ? report_errno(&w, true, errno, "cannot open", err)
                    : options->on_file(options->user, fd, root);
    } else if (S_ISDIR(info.st_mode)) {
        int fd = open(root, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
        st = fd < 0 ? report_errno(&w, false, errno, "cannot open directory", err)
                    : push_directory(&w, fd, err);
        if (st == VT_OK)
            st = walk_tree(&w, err);
    } else {
        vt_error problem;
        vt_error_set(&problem, VT_ERR_IO, "not a regular file or directory");
        st = report(&w, false, &problem, err);
    }
    while (w.depth > 0)
        pop_directory(&w);
    free(w.levels);
    vt_buf_free(&w.path);
    return st;
}

/* ---- the pool ----------------------------------------------------------------------------- */

#define QUEUE_SIZE 256
/* Large files set aside at most (each may hold an open descriptor); past it, a worker waits for
 * the large-file slot instead. */
#define MAX_DEFERRED 64
/* Open files waiting in the queue or set aside at most: vt_pool_submit_fd waits past it, so
 * that a walk holds about OPEN_DIRECTORIES + MAX_HELD_FILES + one per worker descriptors and
 * never meets the limit of open files (often 1,024, sometimes 256) on a large tree. */
#define MAX_HELD_FILES 32

/* What waits in the queue: a file to scan, open (fd) or by path (fd -1), or an error to report
 * for `path` (error not NULL). */
typedef struct work_item {
    char *path;
    int fd;
    vt_error *error;
} work_item;

static void free_item(work_item *item)
{
    if (item->fd >= 0)
        close(item->fd);
    free(item->path);
    free(item->error);
}

struct vt_pool {
    const vt_scanner *scanner;
    vt_scan_options scan_options;
    uint64_t max_size;
    vt_pool_fn fn;
    void *user;

    pthread_mutex_t lock;   /* the queue */
    pthread_cond_t not_empty, not_full;
    work_item queue[QUEUE_SIZE];
    size_t head, count;
    bool finished, stopped;

    pthread_mutex_t report_lock; /* one result at a time */
    bool serialize_large;        /* more than one worker: set before they start */
    bool large_busy;             /* a worker is scanning a large file (LARGE_FILE) */
    struct deferred *deferred;   /* large files waiting for that worker, newest first */
    size_t deferred_count;
    size_t held_files;           /* open files queued or set aside (MAX_HELD_FILES); a file
                                  * leaves the count when a worker takes it to scan */
    pthread_t *threads;
    unsigned thread_count;
    vt_status failure; /* a worker that could not start */
    vt_error failure_error;
};

/* Files over this size are scanned by one worker at a time (the others go on with smaller files
 * meanwhile): each scan holds its whole file in memory, so N threads never hold several large
 * files at once and the peak stays near the largest file plus N small ones. yara maps its files
 * and they fault in only as its scan advances; without this, two large DLLs scanned at once put
 * vitrine's peak above yara's (reversinglabs on libwine, 2 threads: 45 MB -> 42 MB, yara 41-42;
 * 2 MB instead of 4 saved little more and serialized too many files). */
#define LARGE_FILE (4u << 20)

typedef struct deferred {
    work_item item;
    struct deferred *next;
} deferred;

static bool is_large(const vt_pool *pool, const work_item *item)
{
    struct stat info;
    if (!pool->serialize_large || item->error)
        return false;
    int got = item->fd >= 0 ? fstat(item->fd, &info) : stat(item->path, &info);
    return got == 0 && S_ISREG(info.st_mode) && (uint64_t)info.st_size > LARGE_FILE;
}

/* The submitter waits for room with some slack: once it found the queue full (or
 * MAX_HELD_FILES open files held), it is woken when the queue has fallen to half (or half as
 * many files are held), and then queues that many at once. Waking it at each item taken kept the
 * two threads passing the lock back and forth at every file (`-p 1` over /usr/bin: 5,352 futex
 * calls for 816 files). The level is tested as it falls one by one under the lock, so it cannot
 * be passed over. */
static void wake_submitter_at_half(vt_pool *pool)
{
    pthread_cond_broadcast(&pool->not_full);
}

/* An item leaves the queue for a worker (the lock held): its open file no longer counts. */
static void hand_out(vt_pool *pool, const work_item *item)
{
    if (item->fd >= 0 && --pool->held_files == MAX_HELD_FILES / 2)
        wake_submitter_at_half(pool);
}

/* The next item, false when there is none left (or the pool stopped); *large tells that the
 * caller holds the large-file slot and must give it back with release_large. A large file met
 * while another is being scanned waits aside, and the worker takes the next item instead, so
 * the slot costs no throughput while small files remain. */
static bool take(vt_pool *pool, work_item *out, bool *large)
{
    *large = false;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        if (pool->stopped)
            break;
        if (!pool->large_busy && pool->deferred) {
            deferred *d = pool->deferred;
            pool->deferred = d->next;
            pool->deferred_count--;
            *out = d->item;
            free(d);
            pool->large_busy = *large = true;
            hand_out(pool, out);
            pthread_mutex_unlock(&pool->lock);
            return true;
        }
        if (pool->count > 0) {
            work_item item = pool->queue[pool->head];
            pool->head = (pool->head + 1) % QUEUE_SIZE;
            if (--pool->count == QUEUE_SIZE / 2)
                wake_submitter_at_half(pool);
            pthread_mutex_unlock(&pool->lock);
            if (!is_large(pool, &item)) {
                *out = item;
                pthread_mutex_lock(&pool->lock);
                hand_out(pool, out);
                pthread_mutex_unlock(&pool->lock);
                return true;
            }
            pthread_mutex_lock(&pool->lock);
            deferred *d = pool->large_busy && pool->deferred_count < MAX_DEFERRED
                              ? malloc(sizeof *d)
                              : NULL;
            if (d) {
                d->item = item;
                d->next = pool->deferred;
                pool->deferred = d;
                pool->deferred_count++;
                continue;
            }
            while (pool->large_busy) /* the slot is free, or too many set aside already */
                pthread_cond_wait(&pool->not_empty, &pool->lock);
            pool->large_busy = *large = true;
            *out = item;
            hand_out(pool, out);
            pthread_mutex_unlock(&pool->lock);
            return true;
        }
        if (pool->finished && !pool->deferred)
            break;
        /* more files may come, or the large-file slot may free up for the files set aside */
        pthread_cond_wait(&pool->not_empty, &pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return false;
}

static void release_large(vt_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->large_busy = false;
    pthread_cond_broadcast(&pool->not_empty);
    pthread_mutex_unlock(&pool->lock);
}

static void *worker(void *arg)
{
    vt_pool *pool = arg;
    vt_scan_ctx *ctx = NULL;
    vt_error err;
    if (vt_scan_ctx_new(pool->scanner, &pool->scan_options, &ctx, &err) != VT_OK) {
        pthread_mutex_lock(&pool->lock);
        pool->failure = err.status;
        pool->failure_error = err;
        pool->stopped = true;
        pthread_cond_broadcast(&pool->not_full);
        pthread_cond_broadcast(&pool->not_empty);
        pthread_mutex_unlock(&pool->lock);
        return NULL;
    }
    work_item item;
    bool large;
    while (take(pool, &item, &large)) {
        vt_error_clear(&err);
        vt_scan_ctx *scanned = ctx;
        vt_status st;
        if (item.error) {
            err = *item.error;
            st = err.status;
            scanned = NULL;
        } else if (item.fd >= 0) {
            st = vt_scan_fd(ctx, item.fd, item.path, pool->max_size, &err);
            close(item.fd);
            item.fd = -1;
        } else {
            st = vt_scan_file(ctx, item.path, pool->max_size, &err);
        }
        if (large)
            release_large(pool);
        pthread_mutex_lock(&pool->report_lock);
        int stop = pool->fn(pool->user, scanned, item.path, st, &err);
        pthread_mutex_unlock(&pool->report_lock);
        free_item(&item);
        if (stop)
            vt_pool_stop(pool);
    }
    vt_scan_ctx_free(ctx);
    return NULL;
}

vt_status vt_pool_new(const vt_scanner *scanner, const vt_scan_options *options,
                      unsigned threads, uint64_t max_size, vt_pool_fn fn, void *user,
                      vt_pool **out, vt_error *err)
{
    *out = NULL;
    if (threads == 0)
        threads = 1;
    vt_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory creating the scan threads");
    pool->scanner = scanner;
    if (options)
        pool->scan_options = *options;
    pool->max_size = max_size;
    pool->fn = fn;
    pool->user = user;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_mutex_init(&pool->report_lock, NULL);
    pthread_cond_init(&pool->not_empty, NULL);
    pthread_cond_init(&pool->not_full, NULL);
    pool->serialize_large = threads > 1;
    pool->threads = calloc(threads, sizeof *pool->threads);
    if (!pool->threads) {
        vt_pool_free(pool);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory creating the scan threads");
    }
    /* The evaluator recurses up to VT_COND_MAX_DEPTH levels (about 3 MB, 8 MB under ASan):
     * workers get room for it whatever the default (glibc gives 2 MB when ulimit -s is
     * unlimited). Only the pages used are ever touched. */
    pthread_attr_t attr;
    bool sized = pthread_attr_init(&attr) == 0;
    if (sized && pthread_attr_setstacksize(&attr, (size_t)16 << 20) != 0) {
        pthread_attr_destroy(&attr);
        sized = false;
    }
    for (unsigned i = 0; i < threads; i++) {
        int rc = pthread_create(&pool->threads[i], sized ? &attr : NULL, worker, pool);
        if (rc != 0) {
            if (sized)
                pthread_attr_destroy(&attr);
            vt_pool_stop(pool);
            vt_pool_finish(pool, NULL);
            vt_pool_free(pool);
            return vt_error_errno(err, VT_ERR_STATE, rc, "cannot start a scan thread");
        }
        pool->thread_count++;
    }
    if (sized)
        pthread_attr_destroy(&attr);
    *out = pool;
    return VT_OK;
}

/* Queue an item (owned by the pool from now on, even when this fails). */
static vt_status submit(vt_pool *pool, work_item item, vt_error *err)
{
    if (!item.path) {
        free_item(&item);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory queueing a file");
    }
    pthread_mutex_lock(&pool->lock);
    while ((pool->count == QUEUE_SIZE ||
            (item.fd >= 0 && pool->held_files >= MAX_HELD_FILES)) &&
           !pool->stopped)
        pthread_cond_wait(&pool->not_full, &pool->lock);
    if (pool->stopped) {
        pthread_mutex_unlock(&pool->lock);
        free_item(&item);
        if (pool->failure != VT_OK) {
            if (err)
                *err = pool->failure_error;
            return pool->failure;
        }
        return VT_ERR_STATE; /* stopped on purpose (e.g. a match limit): not an error to report */
    }
    pool->queue[(pool->head + pool->count) % QUEUE_SIZE] = item;
    pool->count++;
    pool->held_files += item.fd >= 0;
    pthread_cond_signal(&pool->not_empty);
    pthread_mutex_unlock(&pool->lock);
    return VT_OK;
}

vt_status vt_pool_submit(vt_pool *pool, const char *path, vt_error *err)
{
    return submit(pool, (work_item){.path = strdup(path), .fd = -1}, err);
}

vt_status vt_pool_submit_fd(vt_pool *pool, int fd, const char *path, vt_error *err)
{
    return submit(pool, (work_item){.path = strdup(path), .fd = fd}, err);
}

vt_status vt_pool_submit_error(vt_pool *pool, const char *path, const vt_error *error,
                               vt_error *err)
{
    work_item item = {.path = strdup(path), .fd = -1, .error = malloc(sizeof *error)};
    if (!item.error) {
        free_item(&item);
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory queueing an error");
    }
    *item.error = *error;
    return submit(pool, item, err);
}

void vt_pool_stop(vt_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stopped = true;
    pthread_cond_broadcast(&pool->not_empty);
    pthread_cond_broadcast(&pool->not_full);
    pthread_mutex_unlock(&pool->lock);
}

vt_status vt_pool_finish(vt_pool *pool, vt_error *err)
{
    pthread_mutex_lock(&pool->lock);
    pool->finished = true;
    pthread_cond_broadcast(&pool->not_empty);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->thread_count; i++)
        pthread_join(pool->threads[i], NULL);
    pool->thread_count = 0;
    if (pool->failure != VT_OK) {
        if (err)
            *err = pool->failure_error;
        return pool->failure;
    }
    return VT_OK;
}

void vt_pool_free(vt_pool *pool)
{
    if (!pool)
        return;
    if (pool->thread_count)
        vt_pool_finish(pool, NULL);
    for (size_t i = 0; i < pool->count; i++)
        free_item(&pool->queue[(pool->head + i) % QUEUE_SIZE]);
    while (pool->deferred) {
        deferred *d = pool->deferred;
        pool->deferred = d->next;
        free_item(&d->item);
        free(d);
    }
    free(pool->threads);
    pthread_mutex_destroy(&pool->lock);
    pthread_mutex_destroy(&pool->report_lock);
    pthread_cond_destroy(&pool->not_empty);
    pthread_cond_destroy(&pool->not_full);
    free(pool);
}
