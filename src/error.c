/* error.c - the front end's message buffer: one per thread (the picture
 * encoders run on several, see pictures.c; only the main thread reports). */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char message[1024];

int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    /* One line, always: libraries' messages may carry newlines. */
    for (char *p = message; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return code;
}

const char *error_message(void)
{
    return message;
}

static void prefix(const char *cmd)
{
    fputs("attrib", stderr);
    if (cmd)
        fprintf(stderr, " %s", cmd);
    fputs(": ", stderr);
}

void report_error(const char *cmd, const char *msg)
{
    prefix(cmd);
    fprintf(stderr, "error: %s\n", msg && *msg ? msg : "unknown error");
}

void report_warning(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    prefix(cmd);
    fputs("warning: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static char held[1024];

void hold_warning(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(held, sizeof held, fmt, ap);
    va_end(ap);
}

void report_held_warning(void)
{
    if (!held[0])
        return;
    report_warning(NULL, "%s", held);
    held[0] = '\0';
}

void clear_error(void)
{
    message[0] = '\0';
}
