/* Kernel specifications of `convbench apply --kernel`: a named kernel or a .npy file, turned
 * into the weights of a problem over an image of a given channel count. */
#ifndef CONVBENCH_KERNEL_SPEC_H
#define CONVBENCH_KERNEL_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int64_t N, groups, KH, KW;
    float *weights;  /* N x (C/groups) x KH x KW */
} kernel_bank;

/* Named kernel into a KH x KW array (malloc'd); false with a reason for an unknown name or a
 * bad parameter. */
bool kernel_named(const char *spec, float **taps, int64_t *KH, int64_t *KW, char *why,
                  size_t why_size);

/* A spec (name or .npy path) for an image with `channels` channels:
 *   named or (KH,KW)   each channel filtered alone: N = groups = channels
 *   (KH,KW,C)          one filter across all C channels: N = 1, groups = 1
 *   (N,KH,KW,C)        N such filters */
bool kernel_bank_from_spec(const char *spec, int64_t channels, kernel_bank *bank, char *why,
                           size_t why_size);
void kernel_bank_free(kernel_bank *bank);

/* What kernel_bank_from_spec would make, without making it: N, groups, KH and KW (weights
 * NULL), and in build_bytes the most memory making it takes at once (a kernel file's values,
 * the bank).  A kernel file's header is read, not its data.  For counting memory first. */
bool kernel_bank_shape(const char *spec, int64_t channels, kernel_bank *bank, uint64_t *build_bytes,
                       char *why, size_t why_size);

#endif
