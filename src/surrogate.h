/* surrogate.h - the weighted linear models LIME and KernelSHAP fit to a
 * model's scores on perturbed copies: y_i ~ b + z_i . coef, z_i in {0, 1}^m
 * (which superpixels the copy keeps), each sample weighted w_i. Pure C,
 * double precision. Both fit an intercept, as scikit-learn's Lasso and
 * LinearRegression (Captum's interpretable models) do. */
#ifndef ATTRIB_SURROGATE_H
#define ATTRIB_SURROGATE_H

/* Lasso: min (1 / (2 sum w)) sum_i w_i (y_i - b - z_i . coef)^2 +
 * alpha |coef|_1 (scikit-learn's objective with sample weights), by cyclic
 * coordinate descent on weight-centred data until no coefficient moves by
 * more than 1e-12 of the largest (or 100000 sweeps). z is [n][m] bytes.
 * EXIT_OK or EXIT_INTERNAL. */
int surrogate_lasso(const unsigned char *z, const double *y, const double *w, int n, int m,
                    double alpha, double *coef, double *intercept);

/* Weighted least squares (alpha = 0): the normal equations on weight-
 * centred data, solved by Cholesky; a singular system (fewer independent
 * samples than features) gets a ridge of 1e-10 of its trace, which tends
 * to the minimum-norm solution scikit-learn's lstsq gives. */
int surrogate_least_squares(const unsigned char *z, const double *y, const double *w, int n,
                            int m, double *coef, double *intercept);

/* The weighted R^2 of a fit on its own samples. */
double surrogate_r2(const unsigned char *z, const double *y, const double *w, int n, int m,
                    const double *coef, double intercept);

#endif
