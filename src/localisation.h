/* localisation.h - how well a map finds the object a ground-truth mask
 * marks (both on the model's input grid): the pointing game (Zhang et al.
 * 2018), the energy-based pointing game (Wang et al. 2020), relevance mass
 * and relevance rank accuracy (Arras et al. 2022) and the IoU of the hottest
 * pixels with the mask. Pure C. */
#ifndef ATTRIB_LOCALISATION_H
#define ATTRIB_LOCALISATION_H

#define POINTING_TOLERANCE 15.0 /* pixels of the model's input (Zhang et al.) */

struct loc_scores {
    int hit;       /* the map's maximum within tolerance of the mask */
    double energy; /* share of the map, min-max normalised, inside the mask */
    double mass;   /* share of the positive relevance inside the mask */
    double rank;   /* of the |mask| highest pixels, the share inside it */
    double iou;    /* of the hottest top_percent % with the mask */
};

/* Scores of map (w x h) against mask (1 inside). A flat map has no energy,
 * mass or rank: NaN. EXIT_OK or EXIT_INTERNAL. */
int loc_score(const float *map, const unsigned char *mask, int w, int h, double tolerance,
              double top_percent, struct loc_scores *out);

#endif
