/* objective.h - what an attribution explains: the class's logit, its
 * probability or its log-probability (--objective), optionally minus the
 * same of a second class (--versus: "why A rather than B"). The shim
 * differentiates it; forward-only methods evaluate it here, in C. */
#ifndef ATTRIB_OBJECTIVE_H
#define ATTRIB_OBJECTIVE_H

#include <stdint.h>

enum objective_kind { OBJECTIVE_LOGIT, OBJECTIVE_PROBABILITY, OBJECTIVE_LOG_PROBABILITY };

/* Indexed by enum objective_kind; NULL-terminated (an option's words). */
extern const char *const objective_names[];

struct objective {
    int kind;    /* enum objective_kind */
    long versus; /* the contrast class; -1: none */
};

/* The objective of row `logits` (classes values) for class target; with
 * sigmoid (a multi-label model) probabilities are each class's sigmoid
 * rather than the softmax over the classes. */
double objective_value(const struct objective *o, int sigmoid, const float *logits,
                       int64_t classes, int64_t target);

#endif
