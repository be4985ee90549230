/* objective.c - the objective's value from one row of logits, in double. */
#include "objective.h"

#include <math.h>

const char *const objective_names[] = { "logit", "probability", "log-probability", 0 };

/* log sum_j exp(logits[j]), shifted by the maximum so nothing overflows. */
static double log_sum_exp(const float *logits, int64_t classes)
{
    double top = logits[0], sum = 0;
    for (int64_t j = 1; j < classes; j++)
        top = logits[j] > top ? logits[j] : top;
    for (int64_t j = 0; j < classes; j++)
        sum += exp(logits[j] - top);
    return top + log(sum);
}

/* log sigmoid(x) = -log(1 + e^-x), without overflow either way. */
static double log_sigmoid(double x)
{
    return x >= 0 ? -log1p(exp(-x)) : x - log1p(exp(x));
}

static double of_class(int kind, int sigmoid, const float *logits, double lse, int64_t c)
{
    const double x = logits[c];
    switch (kind) {
    case OBJECTIVE_PROBABILITY:
        return sigmoid ? exp(log_sigmoid(x)) : exp(x - lse);
    case OBJECTIVE_LOG_PROBABILITY:
        return sigmoid ? log_sigmoid(x) : x - lse;
    default:
        return x;
    }
}

double objective_value(const struct objective *o, int sigmoid, const float *logits,
                       int64_t classes, int64_t target)
{
    double lse = o->kind == OBJECTIVE_LOGIT || sigmoid ? 0 : log_sum_exp(logits, classes);
    double v = of_class(o->kind, sigmoid, logits, lse, target);
    return o->versus >= 0 ? v - of_class(o->kind, sigmoid, logits, lse, o->versus) : v;
}
