/* libFuzzer target: the model card parser (JSON from a model file or a
 * sidecar, i.e. from whoever made the model). */
#include <stddef.h>
#include <stdint.h>

#include "card.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct card c;
    char buf[32];
    card_defaults(&c, "fuzz");
    if (card_parse((const char *)data, size, "fuzz", &c) == 0)
        for (long i = -1; i <= c.nlabels; i++)
            card_label(&c, i, buf, sizeof buf);
    card_free(&c);
    return 0;
}
