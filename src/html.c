/* html.c - a small HTML writer: markup, escaped text and relative URLs
 * into a buffer (the gallery, drift.html and the classes page use it). */
#include "html.h"

#include <stdio.h>
#include <string.h>

void html_put(struct buffer *b, const char *s)
{
    buffer_append(b, s, strlen(s));
}

void html_escape(struct buffer *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': html_put(b, "&amp;"); break;
        case '<': html_put(b, "&lt;"); break;
        case '>': html_put(b, "&gt;"); break;
        case '"': html_put(b, "&quot;"); break;
        case '\'': html_put(b, "&#39;"); break;
        default: buffer_append(b, s, 1);
        }
    }
}

void html_url(struct buffer *b, const char *s)
{
    static const char safe[] = "-_.~/";
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr(safe, c)) {
            buffer_append(b, s, 1);
        } else {
            char hex[4];
            snprintf(hex, sizeof hex, "%%%02X", c);
            html_put(b, hex);
        }
    }
}
