/* fuzz_picture: the picture reader on arbitrary bytes (picture_read_memory: the 16-bit PGM/PPM
 * decoder of formats/picture.c, then stb_image for PNG, JPEG, 8-bit PNM, BMP, GIF, ...).  An
 * accepted picture must be (H, W) or (H, W, 2-4) with every sample a whole number of its pixel
 * scale (0..255, or 0..65535 for 16-bit files); a refused one gets one line naming it. */
#include "fuzz_input.h"

#include "picture.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    float_array a;
    char why[512] = "";
    if (!picture_read_memory(data, size, "fuzz.png", &a, why, sizeof why)) {
        fuzz_check_message(why, "cannot read picture fuzz.png: ");
        FUZZ_CHECK(a.data == NULL && a.count == 0 && a.ndim == 0, "refused but filled the array");
        return 0;
    }
    FUZZ_CHECK(a.data != NULL, "accepted with no data");
    FUZZ_CHECK(a.ndim == 2 || (a.ndim == 3 && a.shape[2] >= 2 && a.shape[2] <= 4),
               "shape with ndim %d, last %lld", a.ndim, (long long)a.shape[a.ndim - 1]);
    FUZZ_CHECK(a.shape[0] >= 1 && a.shape[1] >= 1, "empty picture %lldx%lld", (long long)a.shape[0],
               (long long)a.shape[1]);
    int64_t channels = a.ndim == 3 ? a.shape[2] : 1;
    FUZZ_CHECK(a.count == a.shape[0] * a.shape[1] * channels, "count %lld does not match the shape",
               (long long)a.count);
    for (int64_t i = 0; i < a.count; i++) {
        float v = a.data[i];
        FUZZ_CHECK(v >= 0.0f && v <= 65535.0f && v == floorf(v), "sample %lld is %g", (long long)i,
                   (double)v);
    }
    float_array_free(&a);
    return 0;
}
