/* shim_loader.h - loading the shim library (and libtorch) on first use;
 * the functions of attrib/shim.h call shim_load themselves. */
#ifndef ATTRIB_SHIM_LOADER_H
#define ATTRIB_SHIM_LOADER_H

/* Loads libattrib_shim.so (beside the executable, in ../lib/attrib/, or on
 * the library path) once; 1 when it is loaded, else 0 and
 * attrib_last_error() says why. */
int shim_load(void);

/* Wall milliseconds spent inside the shim's functions so far (libtorch's
 * work: --timings takes its share of a method from this). */
double shim_busy_ms(void);

#endif
