/* timer.c - CLOCK_MONOTONIC, immune to wall-clock changes. */
#include "timer.h"

#include <time.h>

double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}
