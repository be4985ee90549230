/* quadrature.c - integration rules for integrated gradients. */
#include "quadrature.h"

#include <math.h>
#include <string.h>

#include "options.h"

const char *const quadrature_names[] = { [QUAD_GAUSS_LEGENDRE] = "gauss-legendre",
                                         [QUAD_RIEMANN] = "riemann", NULL };

int quadrature_parse(const char *name, enum quadrature *q)
{
    int i = opts_word_index(quadrature_names, name);
    if (i >= 0)
        *q = (enum quadrature)i;
    return i < 0 ? -1 : 0;
}

const char *quadrature_name(enum quadrature q)
{
    return quadrature_names[q];
}

/* Roots of the Legendre polynomial P_m by Newton's method from the usual
 * Chebyshev-like guesses, weights 2 / ((1 - x^2) P'_m(x)^2), mapped from
 * [-1, 1] to [0, 1]. */
static void gauss_legendre(int m, double *alpha, double *w)
{
    for (int i = 0; i < m; i++) {
        double x = cos(M_PI * (i + 0.75) / (m + 0.5)), dp = 1;
        for (int iter = 0; iter < 100; iter++) {
            double p0 = 1, p1 = x;
            for (int k = 2; k <= m; k++) {
                double p2 = ((2.0 * k - 1) * x * p1 - (k - 1.0) * p0) / k;
                p0 = p1;
                p1 = p2;
            }
            dp = m * (x * p1 - p0) / (x * x - 1);
            double dx = p1 / dp;
            x -= dx;
            if (fabs(dx) < 1e-15)
                break;
        }
        /* roots come largest first; the nodes are symmetric, so mirroring
         * gives ascending alpha */
        alpha[i] = (1 - x) / 2;
        w[i] = 1.0 / ((1 - x * x) * dp * dp);
    }
}

void quadrature_nodes(enum quadrature q, int m, double *alpha, double *w)
{
    if (q == QUAD_GAUSS_LEGENDRE) {
        gauss_legendre(m, alpha, w);
        return;
    }
    for (int k = 0; k < m; k++) {
        alpha[k] = (k + 1.0) / m;
        w[k] = 1.0 / m;
    }
}
