/* libFuzzer target: the image path a user's file goes through - decode,
 * size checks, region, resize, normalise. */
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float chw[3 * 64 * 48];
    static const float mean[3] = { 0.5f, 0.5f, 0.5f }, std[3] = { 0.25f, 0.25f, 0.25f };
    struct image img = { 0 };
    if (image_decode(data, size, "fuzz", &img) == EXIT_OK) {
        for (int mode = RESIZE_STRETCH; mode <= RESIZE_CROP; mode++) {
            struct rect r = model_region(img.width, img.height, 64, 48, (enum resize_mode)mode);
            image_to_tensor(&img, r, 64, 48, mean, std, chw);
        }
    }
    image_free(&img);
    return 0;
}
