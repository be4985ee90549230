/* classify.c - softmax and top-k over one row of logits. */
#include "classify.h"

#include <math.h>

void softmax(const float *logits, int n, float *probs)
{
    float m = logits[0];
    for (int i = 1; i < n; i++)
        if (logits[i] > m)
            m = logits[i];
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += exp((double)logits[i] - m);
    for (int i = 0; i < n; i++)
        probs[i] = (float)(exp((double)logits[i] - m) / sum);
}

int top_k(const float *values, int n, int k, int *idx)
{
    if (k > n)
        k = n;
    /* Insertion into a sorted prefix: k is small (5), n is ~1000. */
    int have = 0;
    for (int i = 0; i < n; i++) {
        int pos = have;
        while (pos > 0 && values[i] > values[idx[pos - 1]])
            pos--;
        if (pos >= k)
            continue;
        for (int j = (have < k ? have : k - 1); j > pos; j--)
            idx[j] = idx[j - 1];
        idx[pos] = i;
        if (have < k)
            have++;
    }
    return have;
}

void class_probabilities(const struct card *c, const float *logits, int n, float *probs)
{
    if (c->output != CARD_SIGMOID) {
        softmax(logits, n, probs);
        return;
    }
    for (int i = 0; i < n; i++) /* 1 / (1 + e^-x), without overflow either way */
        probs[i] = (float)(logits[i] >= 0 ? 1 / (1 + exp(-(double)logits[i]))
                                          : exp((double)logits[i]) / (1 + exp((double)logits[i])));
}
