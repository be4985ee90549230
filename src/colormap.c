/* colormap.c - table lookups; the tables are in colormap_tables.c. */
#include "colormap.h"

#include <string.h>

#include "options.h"

const char *const colormap_names[] = {
    [CMAP_GRAY] = "gray", [CMAP_JET] = "jet", [CMAP_VIRIDIS] = "viridis",
    [CMAP_INFERNO] = "inferno", [CMAP_RDBU] = "rdbu", [CMAP_AUTO] = "auto", NULL,
};

int colormap_from_name(const char *name, enum colormap *out)
{
    int i = opts_word_index(colormap_names, name);
    if (i >= 0)
        *out = (enum colormap)i;
    return i < 0 ? -1 : 0;
}

const char *colormap_name(enum colormap cm)
{
    return colormap_names[cm];
}

enum colormap colormap_resolve(enum colormap cm, int signed_map)
{
    if (cm != CMAP_AUTO)
        return cm;
    return signed_map ? CMAP_RDBU : CMAP_INFERNO;
}

void colormap_apply(enum colormap cm, float t, unsigned char rgb[3])
{
    if (!(t > 0.0f)) /* also catches NaN */
        t = 0.0f;
    if (t > 1.0f)
        t = 1.0f;
    int i = (int)(t * 255.0f + 0.5f);
    const unsigned char(*table)[3] = cm == CMAP_JET       ? colormap_jet
                                     : cm == CMAP_VIRIDIS ? colormap_viridis
                                     : cm == CMAP_INFERNO ? colormap_inferno
                                     : cm == CMAP_RDBU    ? colormap_rdbu
                                     : cm == CMAP_AUTO    ? colormap_inferno
                                                          : NULL;
    if (table) {
        memcpy(rgb, table[i], 3);
    } else {
        rgb[0] = rgb[1] = rgb[2] = (unsigned char)i;
    }
}
