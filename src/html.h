/* html.h - writing HTML into a buffer: text, escaped text and relative
 * URLs (index.html, drift.html). */
#ifndef ATTRIB_HTML_H
#define ATTRIB_HTML_H

#include "fsutil.h"

/* s as it is (markup). */
void html_put(struct buffer *b, const char *s);
/* Text or an attribute value, escaped. */
void html_escape(struct buffer *b, const char *s);
/* A relative URL: each path segment percent-encoded where needed. */
void html_url(struct buffer *b, const char *s);

#endif
