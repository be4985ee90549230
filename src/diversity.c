/* diversity.c - Lucid's diversity term (see diversity.h).
 *
 * With Gn_i = G_i / |G_i| and S = sum_j Gn_j, D = (1/n) sum_i <Gn_i, S - Gn_i>.
 * dD/dGn_i = (2/n) (S - Gn_i) = M_i (each pair appears twice); through the
 * normalisation dD/dG_i = (M_i - <M_i, Gn_i> Gn_i) / |G_i| = K_i, symmetric;
 * and dD/dA_i = 2 K_i A_i. */
#include "diversity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

/* Lucid's l2_normalize epsilon: a zero map's Gram matrix stays zero. */
#define GRAM_EPSILON 1e-10

/* G = A A^T for A [c, hw]; returns its Frobenius norm. */
static double gram(const float *a, long c, long hw, double *g)
{
    double sq = 0;
    for (long i = 0; i < c; i++)
        for (long j = i; j < c; j++) {
            double s = 0;
            for (long k = 0; k < hw; k++)
                s += (double)a[i * hw + k] * a[j * hw + k];
            g[i * c + j] = g[j * c + i] = s;
            sq += (i == j ? 1 : 2) * s * s;
        }
    return sqrt(fmax(sq, GRAM_EPSILON));
}

int diversity_term(const float *maps, int n, long c, long hw, double weight, float *grad,
                   double *value)
{
    size_t cc = (size_t)c * c;
    double *g = malloc(((size_t)n + 2) * cc * sizeof *g), *norm = malloc((size_t)n * sizeof *norm);
    if (!g || !norm) {
        free(g);
        free(norm);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    double *sum = g + (size_t)n * cc, *k = sum + cc;
    memset(sum, 0, cc * sizeof *sum);
    for (int i = 0; i < n; i++) {
        double *gi = g + (size_t)i * cc;
        norm[i] = gram(maps + (size_t)i * c * hw, c, hw, gi);
        for (size_t e = 0; e < cc; e++)
            sum[e] += gi[e] /= norm[i];
    }
    double d = 0;
    for (int i = 0; i < n; i++) {
        const double *gi = g + (size_t)i * cc;
        double dot = 0;
        for (size_t e = 0; e < cc; e++)
            dot += gi[e] * (sum[e] - gi[e]);
        d += dot / n;
        if (!grad)
            continue;
        /* K_i = (M_i - <M_i, Gn_i> Gn_i) / |G_i|, M_i = (2/n)(S - Gn_i) */
        double along = 2.0 / n * dot;
        for (size_t e = 0; e < cc; e++)
            k[e] = (2.0 / n * (sum[e] - gi[e]) - along * gi[e]) / norm[i];
        const float *a = maps + (size_t)i * c * hw;
        float *out = grad + (size_t)i * c * hw;
        for (long r = 0; r < c; r++) /* out_r -= weight * 2 sum_j K_rj A_j */
            for (long j = 0; j < c; j++) {
                float f = (float)(weight * 2 * k[r * c + j]);
                for (long q = 0; q < hw; q++)
                    out[r * hw + q] -= f * a[j * hw + q];
            }
    }
    *value = d;
    free(g);
    free(norm);
    return EXIT_OK;
}
