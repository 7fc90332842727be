/* check.h: the unit-test harness. A test program is a list of test functions; each CHECK that
 * fails prints where and what, and marks its test failed. Output is TAP, which `meson test`
 * reads (protocol: 'tap'), so every test function shows up in the suite's results.
 *
 *   static void test_something(void) { CHECK(1 + 1 == 2); CHECK_STR_EQ(a, "x"); }
 *   int main(void) { RUN(test_something); return check_done(); }
 */
#ifndef VITRINE_TESTS_CHECK_H
#define VITRINE_TESTS_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_test_number;
static int check_current_failed;
static int check_any_failed;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                  \
            check_current_failed = 1;                                                          \
        }                                                                                      \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                                     \
    do {                                                                                       \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                        \
        if (check_a_ != check_b_) {                                                            \
            printf("# %s:%d: %s == %s: %lld != %lld\n", __FILE__, __LINE__, #a, #b, check_a_,   \
                   check_b_);                                                                  \
            check_current_failed = 1;                                                          \
        }                                                                                      \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                     \
    do {                                                                                       \
        const char *check_a_ = (a), *check_b_ = (b);                                           \
        if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                       \
            printf("# %s:%d: %s == %s: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, #b,          \
                   check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");            \
            check_current_failed = 1;                                                          \
        }                                                                                      \
    } while (0)

#define CHECK_MEM_EQ(a, b, n)                                                                  \
    do {                                                                                       \
        if (memcmp((a), (b), (n)) != 0) {                                                      \
            printf("# %s:%d: %s and %s differ\n", __FILE__, __LINE__, #a, #b);                 \
            check_current_failed = 1;                                                          \
        }                                                                                      \
    } while (0)

#define RUN(fn)                                                                                \
    do {                                                                                       \
        check_current_failed = 0;                                                              \
        fn();                                                                                  \
        check_test_number++;                                                                   \
        printf("%s %d - %s\n", check_current_failed ? "not ok" : "ok", check_test_number, #fn); \
        fflush(stdout);                                                                        \
        if (check_current_failed)                                                              \
            check_any_failed = 1;                                                              \
    } while (0)

static inline int check_done(void)
{
    printf("1..%d\n", check_test_number);
    return check_any_failed ? 1 : 0;
}

#endif
