/* quadrature.h - where integrated gradients sample the straight path from
 * the baseline (alpha = 0) to the image (alpha = 1), and how much each
 * sample weighs. Pure C. */
#ifndef ATTRIB_QUADRATURE_H
#define ATTRIB_QUADRATURE_H

enum quadrature {
    QUAD_GAUSS_LEGENDRE, /* Gauss-Legendre nodes on [0, 1] (Captum's default) */
    QUAD_RIEMANN         /* right Riemann sum, alpha = k / m (Sundararajan et al.) */
};

/* The names, in enum order, NULL-ended. */
extern const char *const quadrature_names[];

/* Parses a name; 0 on success, -1 if it is not one. */
int quadrature_parse(const char *name, enum quadrature *q);
const char *quadrature_name(enum quadrature q);

/* The m nodes alpha[k] in (0, 1] and weights w[k] (summing to 1). */
void quadrature_nodes(enum quadrature q, int m, double *alpha, double *w);

#endif
