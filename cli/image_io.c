/* Reading the commands' images; see image_io.h. */
#include "image_io.h"

#include "npy.h"
#include "picture.h"
#include "printable.h"

#include <stdio.h>
#include <stdlib.h>

bool image_is_picture(const char *path)
{
    static const char *const exts[] = {".png", ".jpg", ".jpeg", ".pgm", ".ppm", ".pnm"};
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (path_has_extension(path, exts[i])) return true;
    return false;
}

bool image_inspect(const char *path, const char *role, float_array *shape, uint64_t *read_bytes,
                   char *why, size_t why_size)
{
    if (path_has_extension(path, ".npy")) {
        if (!npy_read_shape(path, shape, why, why_size)) return false;
        *read_bytes = (uint64_t)shape->count * sizeof(float);
        return true;
    }
    if (image_is_picture(path)) return picture_read_shape(path, shape, read_bytes, why, why_size);
    char shown[CB_SHOWN_PATH_SIZE];
    cb_shown_path(path, shown, sizeof shown);
    snprintf(why, why_size, "%s %s: unknown file type (.npy, .png, .jpg, .pgm, .ppm)", role,
             shown);
    return false;
}

bool image_shape(const float_array *a, const char *path, int64_t *C, int64_t *H, int64_t *W,
                 char *why, size_t why_size)
{
    if (a->ndim != 2 && a->ndim != 3) {
        snprintf(why, why_size, "%s has %d dimensions; an image is (H, W) or (H, W, C)", path,
                 a->ndim);
        return false;
    }
    *H = a->shape[0];
    *W = a->shape[1];
    *C = a->ndim == 3 ? a->shape[2] : 1;
    return true;
}

bool image_load(const char *path, float_array *a, char *why, size_t why_size)
{
    if (path_has_extension(path, ".npy")) return npy_read(path, a, why, why_size);
    return picture_read(path, a, why, why_size);
}

bool image_same_shape(const float_array *a, const float_array *b)
{
    if (a->ndim != b->ndim || a->count != b->count) return false;
    for (int k = 0; k < a->ndim; k++)
        if (a->shape[k] != b->shape[k]) return false;
    return true;
}

bool image_to_planar(const float_array *a, const char *path, float **planar, char *why,
                     size_t why_size)
{
    int64_t C, H, W;
    if (!image_shape(a, path, &C, &H, &W, why, why_size)) return false;
    *planar = malloc((size_t)a->count * sizeof(float));
    if (!*planar) {
        snprintf(why, why_size, "out of memory for %s", path);
        return false;
    }
    for (int64_t y = 0; y < H; y++)
        for (int64_t x = 0; x < W; x++)
            for (int64_t c = 0; c < C; c++)
                (*planar)[(c * H + y) * W + x] = a->data[(y * W + x) * C + c];
    return true;
}

bool image_read_planar(const char *path, const float_array *header, float **planar, char *why,
                       size_t why_size)
{
    float_array image;
    if (!image_load(path, &image, why, why_size)) return false;
    bool ok = image_same_shape(&image, header);
    if (!ok) {
        char shown[CB_SHOWN_PATH_SIZE];
        cb_shown_path(path, shown, sizeof shown);
        snprintf(why, why_size, "%s changed while it was read", shown);
    }
    ok = ok && image_to_planar(&image, path, planar, why, why_size);
    float_array_free(&image);
    return ok;
}
