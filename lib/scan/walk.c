/* walk.c: walking a directory tree for files to scan, and a pool of threads that scan them.
 *
 * The walk visits entries in readdir order (the order yara 4.2.3 uses, so single-threaded output
 * is identical), follows symlinks only when asked (and never a link to "."), and reports files it
 * skips (too large) and directories it cannot open instead of failing the whole scan.
 *
 * The pool gives each thread its own vt_scan_ctx over one shared scanner; files wait in a bounded
 * queue; results are handed to the caller's function one at a time (under a lock), so output of
 * one file is never interleaved with another's. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vitrine/scan.h>

static vt_status walk_directory(const char *dir, const vt_walk_options *options,
                                unsigned depth, vt_error *err)
{
    DIR *dp = opendir(dir);
    if (!dp) {
        if (options->on_error) {
            vt_error e;
            vt_error_errno(&e, VT_ERR_IO, errno, "cannot open directory %s", dir);
            return options->on_error(options->user, dir, &e);
        }
        return VT_OK;
    }
    vt_status st = VT_OK;
    struct dirent *de;
    while (st == VT_OK && (de = readdir(dp)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= sizeof path)
            continue;
        struct stat st_link;
        if (lstat(path, &st_link) != 0)
            continue;
        if (S_ISLNK(st_link.st_mode)) {
            if (!options->follow_symlinks)
                continue;
            char target[2];
            if (readlink(path, target, sizeof target) == 1 && target[0] == '.')
                continue;
        }
        struct stat st_file;
        if (stat(path, &st_file) != 0)
            continue;
        if (S_ISREG(st_file.st_mode)) {
            if (options->skip_larger > 0 && (uint64_t)st_file.st_size >= options->skip_larger) {
                if (options->on_skip)
                    options->on_skip(options->user, path, (uint64_t)st_file.st_size);
                continue;
            }
            st = options->on_file(options->user, path);
        } else if (S_ISDIR(st_file.st_mode) && options->recursive) {
            if (depth >= VT_WALK_MAX_DEPTH)
                continue;
            st = walk_directory(path, options, depth + 1, err);
        }
    }
    closedir(dp);
    return st;
}

vt_status vt_walk(const char *root, const vt_walk_options *options, vt_error *err)
{
    return walk_directory(root, options, 0, err);
}

/* ---- the pool ----------------------------------------------------------------------------- */

#define QUEUE_SIZE 256

struct vt_pool {
    const vt_scanner *scanner;
    vt_scan_options scan_options;
    uint64_t max_size;
    vt_pool_fn fn;
    void *user;

    pthread_mutex_t lock;   /* the queue */
    pthread_cond_t not_empty, not_full;
    char *queue[QUEUE_SIZE];
    size_t head, count;
    bool finished, stopped;

    pthread_mutex_t report_lock; /* one result at a time */
    bool serialize_large;        /* more than one worker: set before they start */
    bool large_busy;             /* a worker is scanning a large file (LARGE_FILE) */
    struct deferred *deferred;   /* large files waiting for that worker, newest first */
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
    char *path;
    struct deferred *next;
} deferred;

static bool is_large(const vt_pool *pool, const char *path)
{
    struct stat info;
    return pool->serialize_large && stat(path, &info) == 0 && S_ISREG(info.st_mode) &&
           (uint64_t)info.st_size > LARGE_FILE;
}

/* The next file to scan, NULL when there is none left (or the pool stopped); *large tells that
 * the caller holds the large-file slot and must give it back with release_large. A large file
 * met while another is being scanned waits aside, and the worker takes the next file instead,
 * so the slot costs no throughput while small files remain. */
static char *take(vt_pool *pool, bool *large)
{
    *large = false;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        if (pool->stopped)
            break;
        if (!pool->large_busy && pool->deferred) {
            deferred *d = pool->deferred;
            pool->deferred = d->next;
            char *path = d->path;
            free(d);
            pool->large_busy = *large = true;
            pthread_mutex_unlock(&pool->lock);
            return path;
        }
        if (pool->count > 0) {
            char *path = pool->queue[pool->head];
            pool->head = (pool->head + 1) % QUEUE_SIZE;
            pool->count--;
            pthread_cond_signal(&pool->not_full);
            pthread_mutex_unlock(&pool->lock);
            if (!is_large(pool, path))
                return path;
            pthread_mutex_lock(&pool->lock);
            deferred *d = pool->large_busy ? malloc(sizeof *d) : NULL;
            if (d) {
                d->path = path;
                d->next = pool->deferred;
                pool->deferred = d;
                continue;
            }
            while (pool->large_busy) /* the slot is free, or no memory to set the file aside */
                pthread_cond_wait(&pool->not_empty, &pool->lock);
            pool->large_busy = *large = true;
            pthread_mutex_unlock(&pool->lock);
            return path;
        }
        if (pool->finished && !pool->deferred)
            break;
        /* more files may come, or the large-file slot may free up for the files set aside */
        pthread_cond_wait(&pool->not_empty, &pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
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
    char *path;
    bool large;
    while ((path = take(pool, &large)) != NULL) {
        vt_error_clear(&err);
        vt_status st = vt_scan_file(ctx, path, pool->max_size, &err);
        if (large)
            release_large(pool);
        pthread_mutex_lock(&pool->report_lock);
        int stop = pool->fn(pool->user, ctx, path, st, &err);
        pthread_mutex_unlock(&pool->report_lock);
        free(path);
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

vt_status vt_pool_submit(vt_pool *pool, const char *path, vt_error *err)
{
    char *copy = strdup(path);
    if (!copy)
        return vt_error_set(err, VT_ERR_NOMEM, "out of memory queueing %s", path);
    pthread_mutex_lock(&pool->lock);
    while (pool->count == QUEUE_SIZE && !pool->stopped)
        pthread_cond_wait(&pool->not_full, &pool->lock);
    if (pool->stopped) {
        pthread_mutex_unlock(&pool->lock);
        free(copy);
        if (pool->failure != VT_OK) {
            if (err)
                *err = pool->failure_error;
            return pool->failure;
        }
        return VT_ERR_STATE; /* stopped on purpose (e.g. a match limit): not an error to report */
    }
    pool->queue[(pool->head + pool->count) % QUEUE_SIZE] = copy;
    pool->count++;
    pthread_cond_signal(&pool->not_empty);
    pthread_mutex_unlock(&pool->lock);
    return VT_OK;
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
        free(pool->queue[(pool->head + i) % QUEUE_SIZE]);
    while (pool->deferred) {
        deferred *d = pool->deferred;
        pool->deferred = d->next;
        free(d->path);
        free(d);
    }
    free(pool->threads);
    pthread_mutex_destroy(&pool->lock);
    pthread_mutex_destroy(&pool->report_lock);
    pthread_cond_destroy(&pool->not_empty);
    pthread_cond_destroy(&pool->not_full);
    free(pool);
}
