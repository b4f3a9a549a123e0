/* A minimal unit-test harness: EXPECT records a failure with its place and goes on;
 * UNIT_REPORT prints the "N passed, N failed" line and gives the exit status. */
#ifndef CONVBENCH_TESTS_UNIT_H
#define CONVBENCH_TESTS_UNIT_H

#include <stdio.h>

static int unit_passed, unit_failed;

#define EXPECT(cond)                                                                   \
    do {                                                                               \
        if (cond) {                                                                    \
            unit_passed++;                                                             \
        } else {                                                                       \
            unit_failed++;                                                             \
            fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond);       \
        }                                                                              \
    } while (0)

#define EXPECT_MSG(cond, ...)                                                          \
    do {                                                                               \
        if (cond) {                                                                    \
            unit_passed++;                                                             \
        } else {                                                                       \
            unit_failed++;                                                             \
            fprintf(stderr, "%s:%d: expected %s: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                              \
            fputc('\n', stderr);                                                       \
        }                                                                              \
    } while (0)

#define UNIT_REPORT(name)                                                              \
    (printf("%s: %d passed, %d failed\n", (name), unit_passed, unit_failed),          \
     unit_failed ? 1 : 0)

#endif
