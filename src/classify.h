/* classify.h - from logits to probabilities and ranked classes. */
#ifndef ATTRIB_CLASSIFY_H
#define ATTRIB_CLASSIFY_H

#include "card.h"

/* Numerically stable softmax of n logits (probs may be logits). */
void softmax(const float *logits, int n, float *probs);

/* The classes' probabilities as the model card says its scores become
 * them: softmax over the n classes, or each class's sigmoid (multi-label).
 * probs may be logits (each value is read before it is written). */
void class_probabilities(const struct card *c, const float *logits, int n, float *probs);

/* Indices of the k largest values, largest first (ties: lower index
 * first). k is clamped to n; returns the number written. */
int top_k(const float *values, int n, int k, int *idx);

#endif
