/* deadline.c: vt_deadline, a per-file scan deadline that long loops check by the work they do
 * (see common.h); the clock is read only every VT_DEADLINE_STRIDE steps. */
#include <time.h>

#include <vitrine/common.h>

static int64_t now_ns(void)
{
    struct timespec t;
    /* the coarse clock is read without a system call and is precise to a few milliseconds,
     * plenty for a timeout in seconds */
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &t) != 0)
        clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void vt_deadline_start(vt_deadline *d, unsigned seconds)
{
    d->passed = false;
    d->budget = VT_DEADLINE_STRIDE;
    d->at_ns = seconds ? now_ns() + (int64_t)seconds * 1000000000 : 0;
}

bool vt_deadline_check(vt_deadline *d)
{
    if (!d || d->at_ns == 0)
        return false;
    d->budget = VT_DEADLINE_STRIDE;
    if (!d->passed && now_ns() >= d->at_ns)
        d->passed = true;
    return d->passed;
}
