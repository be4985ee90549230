/* stages.h - where a run's time went, for --timings: wall milliseconds
 * added up per stage of the per-image work, printed on stderr at the end. */
#ifndef ATTRIB_STAGES_H
#define ATTRIB_STAGES_H

#include <stddef.h>
#include <stdio.h>

enum stage {
    STAGE_MODEL,      /* finding, hashing and loading the model, first passes */
    STAGE_DECODE,     /* reading and decoding image files */
    STAGE_PREPROCESS, /* resize, crop and normalise into the batch */
    STAGE_NETWORK,    /* inside libtorch: the method's passes */
    STAGE_METHOD,     /* the method's own C work between passes */
    STAGE_STATS,      /* map statistics and the display percentile */
    STAGE_PICTURES,   /* colouring, overlay and PNG encoding */
    STAGE_FILES,      /* raw files, the JSON summary and stdout */
    STAGE_REPORT,     /* summary.json/.csv, index.html, contact sheet */
    STAGE_WAIT,       /* the passes done, waiting for the workers (pipeline.h) */
    STAGE_COUNT
};

/* Adds ms to stage s. */
void stage_add(enum stage s, double ms);
/* The table: each stage's total, per image and share of wall_ms, and what
 * no stage accounts for (start-up, directory walks, progress). With
 * workers (> 0), decoding, preprocessing and the pictures ran on them
 * beside the passes: listed apart, their time not part of the wall's. */
void stages_print(FILE *f, const char *method, size_t images, double wall_ms, int workers);

#endif
