/* collector_store.c: the group commit every collector store shares (collector_store.h). A
 * thread that stores a report queues it; if fewer than max_batches batches are being committed,
 * it takes everything queued (its own report and those of the threads waiting behind it) and
 * commits it as one batch, then wakes the threads whose reports were in it. So a backend with
 * one writer commits once per batch instead of once per report, with no thread of its own and
 * no delay when the collector is idle. */
#include <stdlib.h>
#include <string.h>

#include "collector_store.h"

/* How many reports one batch takes at most. */
#define MAX_BATCH 256u

struct collector_put_job {
    collector_put_job *next;
    const vt_collector_record *record;
    int duplicate;
    int finished;
    vt_status status;
    vt_error err;
};

void vt_collector_store_init(vt_collector_store *store, const vt_collector_store_ops *ops,
                             unsigned max_batches)
{
    store->ops = ops;
    pthread_mutex_init(&store->lock, NULL);
    pthread_cond_init(&store->done, NULL);
    store->queue_head = store->queue_tail = NULL;
    store->batches = 0;
    store->max_batches = max_batches ? max_batches : 1;
}

void vt_collector_store_fini(vt_collector_store *store)
{
    pthread_cond_destroy(&store->done);
    pthread_mutex_destroy(&store->lock);
}

/* Commit the jobs (a list taken off the queue); called without the lock. */
static void commit_batch(vt_collector_store *store, collector_put_job *jobs)
{
    const vt_collector_record *records[MAX_BATCH];
    int duplicates[MAX_BATCH];
    size_t n = 0;
    for (collector_put_job *j = jobs; j; j = j->next)
        records[n++] = j->record;
    vt_error err;
    vt_error_clear(&err);
    memset(duplicates, 0, sizeof duplicates);
    vt_status st = store->ops->put_batch(store, records, n, duplicates, &err);
    pthread_mutex_lock(&store->lock);
    n = 0;
    for (collector_put_job *j = jobs, *next; j; j = next) {
        next = j->next;
        j->status = st;
        j->duplicate = duplicates[n++];
        if (st != VT_OK)
            j->err = err;
        j->finished = 1; /* the job lives on its waiting thread's stack: last touch */
    }
    pthread_cond_broadcast(&store->done);
    pthread_mutex_unlock(&store->lock);
}

vt_status vt_collector_store_put(vt_collector_store *store, const vt_collector_record *record,
                                 int *duplicate, vt_error *err)
{
    collector_put_job job = {.record = record};
    pthread_mutex_lock(&store->lock);
    if (store->queue_tail)
        store->queue_tail->next = &job;
    else
        store->queue_head = &job;
    store->queue_tail = &job;
    while (!job.finished) {
        if (store->queue_head && store->batches < store->max_batches) {
            /* Lead a batch: take up to MAX_BATCH queued jobs. */
            collector_put_job *first = store->queue_head, *last = first;
            for (size_t n = 1; n < MAX_BATCH && last->next; n++)
                last = last->next;
            store->queue_head = last->next;
            if (!store->queue_head)
                store->queue_tail = NULL;
            last->next = NULL;
            store->batches++;
            pthread_mutex_unlock(&store->lock);
            commit_batch(store, first);
            pthread_mutex_lock(&store->lock);
            store->batches--;
            pthread_cond_broadcast(&store->done); /* a place to lead a batch is free */
        } else {
            pthread_cond_wait(&store->done, &store->lock);
        }
    }
    pthread_mutex_unlock(&store->lock);
    *duplicate = job.duplicate;
    if (job.status != VT_OK && err)
        *err = job.err;
    return job.status;
}
