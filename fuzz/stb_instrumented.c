/* stb_image and stb_image_write compiled from Debian's headers into the fuzz build.  Debian's
 * libstb is these same headers compiled with no options set (README.Debian), so this is the
 * code the program links through -lstb, here with coverage (the fuzzer can steer through the
 * PNG, JPEG, ... decoders instead of seeing them as one opaque call) and with ASan and UBSan
 * watching their memory accesses. */
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
