/* planes.h - operations on [3, h, w] float planes: roll, blur, clamp,
 * normalise, quantise, convert to 8-bit RGB, norms. Pure C. */
#ifndef ATTRIB_PLANES_H
#define ATTRIB_PLANES_H

#include <stddef.h>

/* Rolls every plane by dx columns and dy rows with wrap-around (numpy.roll,
 * torch.roll). EXIT_OK or EXIT_INTERNAL. */
int roll_planes(float *chw, int channels, int h, int w, int dx, int dy);

/* Gaussian blur of every plane, separable, kernel truncated at 4 sigma,
 * mirrored edges (scipy.ndimage.gaussian_filter's defaults). */
int blur_planes(float *chw, int channels, int h, int w, double sigma);

/* Clamps a normalised tensor so that, de-normalised, every value is in
 * [0, 1]: chw[c] in [-mean[c] / std[c], (1 - mean[c]) / std[c]]. */
void clamp_normalised(float *chw, int h, int w, const float mean[3], const float std[3]);

/* Pixel space [0, 1] <-> normalised model input, [3, h, w]. */
void normalise_planes(const float *pix, float *out, int h, int w, const float mean[3],
                      const float std[3]);
void denormalise_planes(const float *in, float *pix, int h, int w, const float mean[3],
                        const float std[3]);

/* Rounds pixel values to the 256 levels an 8-bit PNG holds, clamped to
 * [0, 1], in place. */
void quantise_pixels(float *pix, size_t n);

/* [3, h, w] pixels in [0, 1] to interleaved 8-bit RGB. */
void planes_to_rgb8(const float *pix, int h, int w, unsigned char *rgb);

double norm_l2(const float *v, size_t n);
double norm_linf(const float *v, size_t n);

#endif
