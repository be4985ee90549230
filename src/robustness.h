/* robustness.h - `attrib fool --report`: accuracy under attack over a set of
 * labelled images, the numbers RobustBench reports (clean accuracy, robust
 * accuracy, attack success rate) and the median perturbation and steps of
 * the successful attacks; robustness.json, robustness.csv and a table. */
#ifndef ATTRIB_ROBUSTNESS_H
#define ATTRIB_ROBUSTNESS_H

#include <stddef.h>
#include <stdio.h>

#include "cJSON.h"
#include "card.h"
#include "inputs.h"

/* One image's outcome. Not attacked: misclassified to begin with (it counts
 * against robust accuracy as it is) or failed (unreadable: left out). */
struct robust_item {
    size_t input;          /* index into the run's input list */
    long label, clean, adversarial; /* true class; top-1 before and after */
    unsigned char failed, attacked, fooled;
    float l2, linf;        /* of the saved perturbation, [0, 1] pixel units */
    long steps;
};

struct robustness {
    struct robust_item *items;
    size_t n, cap;
};

/* EXIT_OK or EXIT_INTERNAL (out of memory). */
int robustness_add(struct robustness *r, const struct robust_item *it);

/* What robustness_write prints on out besides writing the files. */
enum robust_print { ROBUST_QUIET, ROBUST_TABLE, ROBUST_JSON /* settings + totals, one line */ };

/* Writes dir/robustness.json (settings: the attack's, copied in, its
 * "title" a one-line description; totals; one entry per image) and
 * dir/robustness.csv. EXIT_OK or EXIT_OUTPUT. */
int robustness_write(const struct robustness *r, const struct input_list *in,
                     const struct card *card, const cJSON *settings, const char *dir,
                     enum robust_print print, FILE *out);

void robustness_free(struct robustness *r);

#endif
