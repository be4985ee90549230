/* timer.h - wall-clock milliseconds for the timings summaries report. */
#ifndef ATTRIB_TIMER_H
#define ATTRIB_TIMER_H

/* Milliseconds on a monotonic clock. */
double now_ms(void);

#endif
