/* surrogate.c - weighted Lasso and least squares with an intercept. */
#include "surrogate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define LASSO_TOL 1e-12
#define LASSO_MAX_SWEEPS 100000
#define RIDGE_OF_TRACE 1e-10

/* Weight-centred copies: xc [n][m] = z - zbar, yc = y - ybar. */
static int centre(const unsigned char *z, const double *y, const double *w, int n, int m,
                  double **xc, double *yc, double *zbar, double *ybar)
{
    double sw = 0;
    *ybar = 0;
    memset(zbar, 0, (size_t)m * sizeof *zbar);
    for (int i = 0; i < n; i++) {
        sw += w[i];
        *ybar += w[i] * y[i];
        for (int j = 0; j < m; j++)
            zbar[j] += w[i] * z[(size_t)i * m + j];
    }
    *ybar /= sw;
    for (int j = 0; j < m; j++)
        zbar[j] /= sw;
    if (!(*xc = malloc((size_t)n * m * sizeof **xc)))
        return fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; i < n; i++) {
        yc[i] = y[i] - *ybar;
        for (int j = 0; j < m; j++)
            (*xc)[(size_t)i * m + j] = z[(size_t)i * m + j] - zbar[j];
    }
    return EXIT_OK;
}

static double intercept_of(const double *coef, const double *zbar, int m, double ybar)
{
    double b = ybar;
    for (int j = 0; j < m; j++)
        b -= coef[j] * zbar[j];
    return b;
}

int surrogate_lasso(const unsigned char *z, const double *y, const double *w, int n, int m,
                    double alpha, double *coef, double *intercept)
{
    double *xc = NULL, *r = malloc((size_t)n * sizeof *r), *zbar = malloc((size_t)m * sizeof *zbar);
    double *norm = malloc((size_t)m * sizeof *norm), ybar = 0, sw = 0;
    int rc = r && zbar && norm ? centre(z, y, w, n, m, &xc, r, zbar, &ybar)
                               : fail(EXIT_INTERNAL, "out of memory");
    for (int i = 0; rc == EXIT_OK && i < n; i++)
        sw += w[i];
    for (int j = 0; rc == EXIT_OK && j < m; j++) {
        coef[j] = 0;
        norm[j] = 0;
        for (int i = 0; i < n; i++)
            norm[j] += w[i] * xc[(size_t)i * m + j] * xc[(size_t)i * m + j] / sw;
    }
    /* r is the residual yc - xc coef, coef starting at 0 */
    for (int sweep = 0; rc == EXIT_OK && sweep < LASSO_MAX_SWEEPS; sweep++) {
        double moved = 0, largest = 0;
        for (int j = 0; j < m; j++) {
            if (norm[j] == 0)
                continue; /* a feature every sample shares: no information */
            double rho = 0;
            for (int i = 0; i < n; i++)
                rho += w[i] * xc[(size_t)i * m + j] * (r[i] + xc[(size_t)i * m + j] * coef[j]);
            rho /= sw;
            double next = (rho > alpha ? rho - alpha : rho < -alpha ? rho + alpha : 0) / norm[j];
            double delta = next - coef[j];
            if (delta != 0)
                for (int i = 0; i < n; i++)
                    r[i] -= delta * xc[(size_t)i * m + j];
            coef[j] = next;
            moved = fabs(delta) > moved ? fabs(delta) : moved;
            largest = fabs(next) > largest ? fabs(next) : largest;
        }
        if (moved <= LASSO_TOL * (largest > 0 ? largest : 1))
            break;
    }
    if (rc == EXIT_OK)
        *intercept = intercept_of(coef, zbar, m, ybar);
    free(xc);
    free(r);
    free(zbar);
    free(norm);
    return rc;
}

/* Solves the symmetric positive definite a x = b in place (a destroyed, x
 * into b) by Cholesky; 0, or -1 if a is not positive definite. */
static int cholesky_solve(double *a, double *b, int m)
{
    for (int j = 0; j < m; j++) {
        double d = a[j * m + j];
        for (int k = 0; k < j; k++)
            d -= a[j * m + k] * a[j * m + k];
        if (!(d > 0))
            return -1;
        a[j * m + j] = sqrt(d);
        for (int i = j + 1; i < m; i++) {
            double s = a[i * m + j];
            for (int k = 0; k < j; k++)
                s -= a[i * m + k] * a[j * m + k];
            a[i * m + j] = s / a[j * m + j];
        }
    }
    for (int i = 0; i < m; i++) { /* L y = b */
        for (int k = 0; k < i; k++)
            b[i] -= a[i * m + k] * b[k];
        b[i] /= a[i * m + i];
    }
    for (int i = m - 1; i >= 0; i--) { /* L^T x = y */
        for (int k = i + 1; k < m; k++)
            b[i] -= a[k * m + i] * b[k];
        b[i] /= a[i * m + i];
    }
    return 0;
}

int surrogate_least_squares(const unsigned char *z, const double *y, const double *w, int n,
                            int m, double *coef, double *intercept)
{
    double *xc = NULL, *yc = malloc((size_t)n * sizeof *yc), *zbar = malloc((size_t)m * sizeof *zbar);
    double *a = malloc((size_t)m * m * sizeof *a), *a2 = malloc((size_t)m * m * sizeof *a2);
    double *rhs = malloc((size_t)m * sizeof *rhs), ybar = 0;
    int rc = yc && zbar && a && a2 && rhs ? centre(z, y, w, n, m, &xc, yc, zbar, &ybar)
                                          : fail(EXIT_INTERNAL, "out of memory");
    if (rc == EXIT_OK) {
        double trace = 0;
        for (int j = 0; j < m; j++) {
            coef[j] = 0;
            for (int i = 0; i < n; i++)
                coef[j] += w[i] * xc[(size_t)i * m + j] * yc[i];
            for (int k = 0; k <= j; k++) {
                double s = 0;
                for (int i = 0; i < n; i++)
                    s += w[i] * xc[(size_t)i * m + j] * xc[(size_t)i * m + k];
                a[j * m + k] = a[k * m + j] = s;
            }
            trace += a[j * m + j];
        }
        memcpy(a2, a, (size_t)m * m * sizeof *a);
        memcpy(rhs, coef, (size_t)m * sizeof *rhs); /* kept for the ridge's second try */
        if (cholesky_solve(a2, coef, m) != 0) {
            for (int j = 0; j < m; j++)
                a[j * m + j] += RIDGE_OF_TRACE * (trace > 0 ? trace : 1);
            memcpy(coef, rhs, (size_t)m * sizeof *coef);
            if (cholesky_solve(a, coef, m) != 0)
                memset(coef, 0, (size_t)m * sizeof *coef);
        }
        *intercept = intercept_of(coef, zbar, m, ybar);
    }
    free(xc);
    free(yc);
    free(zbar);
    free(a);
    free(a2);
    free(rhs);
    return rc;
}

double surrogate_r2(const unsigned char *z, const double *y, const double *w, int n, int m,
                    const double *coef, double intercept)
{
    double sw = 0, ybar = 0, ss_res = 0, ss_tot = 0;
    for (int i = 0; i < n; i++)
        sw += w[i], ybar += w[i] * y[i];
    ybar /= sw;
    for (int i = 0; i < n; i++) {
        double f = intercept;
        for (int j = 0; j < m; j++)
            f += coef[j] * z[(size_t)i * m + j];
        ss_res += w[i] * (y[i] - f) * (y[i] - f);
        ss_tot += w[i] * (y[i] - ybar) * (y[i] - ybar);
    }
    return ss_tot > 0 ? 1 - ss_res / ss_tot : 1;
}
