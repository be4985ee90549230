/* colormap.h - mapping values in [0, 1] to RGB colours. */
#ifndef ATTRIB_COLORMAP_H
#define ATTRIB_COLORMAP_H

/* CMAP_RDBU is diverging (blue, near-white at 0.5, red): for signed maps.
 * CMAP_AUTO is a choice, not a map: inferno for maps of one sign, rdbu for
 * signed ones (colormap_resolve); drawn as inferno if left unresolved. */
enum colormap { CMAP_GRAY, CMAP_JET, CMAP_VIRIDIS, CMAP_INFERNO, CMAP_RDBU, CMAP_AUTO };

/* The names, in enum order, NULL-ended (the --cmap words). */
extern const char *const colormap_names[];

/* 0 and *out set if name is a colour map; -1 otherwise. */
int colormap_from_name(const char *name, enum colormap *out);
const char *colormap_name(enum colormap cm);

/* cm, with CMAP_AUTO made the map for a signed or an unsigned map. */
enum colormap colormap_resolve(enum colormap cm, int signed_map);

/* t is clamped to [0, 1]; NaN maps to 0. */
void colormap_apply(enum colormap cm, float t, unsigned char rgb[3]);

extern const unsigned char colormap_viridis[256][3];
extern const unsigned char colormap_inferno[256][3];
extern const unsigned char colormap_jet[256][3];
extern const unsigned char colormap_rdbu[256][3];

#endif
