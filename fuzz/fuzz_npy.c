/* fuzz_npy: the .npy reader on arbitrary bytes (npy_read_memory, the code path of npy_read
 * after its file checks).  Whatever the bytes, the reader must either give a consistent array
 * (1-4 positive dimensions whose product is the count, every element readable) or refuse with
 * one line naming the file and leave the array zeroed; the sanitizers catch any out-of-bounds
 * access, leak or undefined behaviour on the way. */
#include "fuzz_input.h"

#include "npy.h"

#include <math.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    float_array a;
    char why[512] = "";
    if (!npy_read_memory(data, size, "fuzz.npy", &a, why, sizeof why)) {
        fuzz_check_message(why, "fuzz.npy: ");
        FUZZ_CHECK(a.data == NULL && a.count == 0 && a.ndim == 0, "refused but filled the array");
        return 0;
    }
    FUZZ_CHECK(a.data != NULL, "accepted with no data");
    FUZZ_CHECK(a.ndim >= 1 && a.ndim <= FLOAT_ARRAY_MAX_DIMS, "ndim %d", a.ndim);
    int64_t product = 1;
    for (int k = 0; k < a.ndim; k++) {
        FUZZ_CHECK(a.shape[k] >= 1, "dimension %d is %lld", k, (long long)a.shape[k]);
        product *= a.shape[k];
    }
    FUZZ_CHECK(product == a.count, "count %lld, shape product %lld", (long long)a.count,
               (long long)product);
    /* The data can only come from the bytes: at least one byte per element. */
    FUZZ_CHECK((uint64_t)a.count <= size, "%lld elements from %zu bytes", (long long)a.count, size);
    /* Touch every element, so ASan sees a short allocation; count the kinds so the loop stays. */
    volatile int64_t non_finite = 0;
    (void)non_finite;
    for (int64_t i = 0; i < a.count; i++) non_finite += !isfinite(a.data[i]);
    float_array_free(&a);
    return 0;
}
