/* fuzz_kernel_spec: `apply --kernel` specifications that name a kernel (kernel_named and
 * kernel_bank_from_spec; specs ending in .npy would read a file and are left to fuzz_npy).
 * The first byte picks the image's channel count (1-4), the rest is the spec.  A kernel made
 * must be 1..1024 on a side (sizes are capped there, so at most 4 MB are allocated) with
 * finite taps; the normalised families (box, gaussian, binomial) must sum to 1; the bank must
 * hold the same taps once per channel.  A refused spec gets a one-line reason (unless the
 * spec, which the reason quotes, holds a newline itself). */
#include "fuzz_input.h"

#include "convbench.h"
#include "kernel_spec.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void check_named(const char *spec)
{
    float *taps = NULL;
    int64_t kh = 0, kw = 0;
    char why[CB_WHY_SIZE] = "";
    if (!kernel_named(spec, &taps, &kh, &kw, why, sizeof why)) {
        fuzz_check_quoting_message(why, spec);
        FUZZ_CHECK(taps == NULL, "refused '%s' but returned taps", spec);
        return;
    }
    FUZZ_CHECK(taps != NULL && kh >= 1 && kw >= 1 && kh <= 1024 && kw <= 1024,
               "'%s' gave %lldx%lld", spec, (long long)kh, (long long)kw);
    double sum = 0.0;
    for (int64_t i = 0; i < kh * kw; i++) {
        FUZZ_CHECK(isfinite(taps[i]), "'%s': tap %lld is %g", spec, (long long)i, (double)taps[i]);
        sum += taps[i];
    }
    if (starts_with(spec, "box:") || starts_with(spec, "gaussian:") || starts_with(spec, "binomial:"))
        FUZZ_CHECK(fabs(sum - 1.0) < 1e-3, "'%s' sums to %.9g, not 1", spec, sum);
    free(taps);
}

static void check_bank(const char *spec, int64_t channels)
{
    kernel_bank bank;
    char why[CB_WHY_SIZE] = "";
    if (!kernel_bank_from_spec(spec, channels, &bank, why, sizeof why)) {
        fuzz_check_quoting_message(why, spec);
        FUZZ_CHECK(bank.weights == NULL, "refused '%s' but returned weights", spec);
        return;
    }
    FUZZ_CHECK(bank.N == channels && bank.groups == channels, "'%s' over %lld channels: N %lld groups %lld",
               spec, (long long)channels, (long long)bank.N, (long long)bank.groups);
    const int64_t taps = bank.KH * bank.KW;
    for (int64_t c = 1; c < channels; c++)
        FUZZ_CHECK(memcmp(bank.weights, bank.weights + c * taps, (size_t)taps * sizeof(float)) == 0,
                   "'%s': channel %lld differs from channel 0", spec, (long long)c);
    kernel_bank_free(&bank);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_input in = {data, size, 0};
    int64_t channels = fuzz_range(&in, 1, 4);
    char *spec = fuzz_text(data + in.pos, fuzz_remaining(&in));
    if (!ends_with(spec, ".npy")) {
        check_named(spec);
        check_bank(spec, channels);
    }
    free(spec);
    return 0;
}
