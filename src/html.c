/* html.c - index.html: a static gallery of a batch run that opens from
 * disk (no network, no framework; a few lines of script sort the cards). */
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "colormap.h"
#include "error.h"
#include "fsutil.h"
#include "html.h"
#include "report.h"

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

static const char style[] =
    "body{font-family:sans-serif;margin:1em;background:#f6f6f6;color:#222}"
    "h1{font-size:1.3em}.grid{display:flex;flex-wrap:wrap;gap:10px}"
    ".card{background:#fff;border:1px solid #ccc;padding:6px;width:470px}"
    ".bar{display:inline-block;width:160px;height:10px;vertical-align:middle;"
    "border:1px solid #999;margin:0 6px}.range{color:#666;font-size:.85em}"
    ".card.failed{border-color:#c00;color:#900}.pics{display:flex;gap:4px}"
    ".pics img{width:150px;height:150px;object-fit:contain;background:#eee}"
    ".cap{font-size:.85em;margin-top:4px;word-break:break-all}button{margin-right:4px}";

static const char script[] =
    "function sortBy(key){var g=document.getElementById('grid');"
    "var c=Array.prototype.slice.call(g.children);c.sort(function(a,b){"
    "var x=a.dataset[key],y=b.dataset[key];if(key!=='name'){x=+x;y=+y;"
    "return key==='prob'?y-x:x-y;}return x<y?-1:x>y?1:0;});"
    "c.forEach(function(e){g.appendChild(e);});}"
    "window.addEventListener('load',function(){var im=document.images,ok=0;"
    "for(var i=0;i<im.length;i++)if(im[i].complete&&im[i].naturalWidth>0)ok++;"
    "document.body.dataset.loaded=ok;document.body.dataset.broken=im.length-ok;"
    "document.getElementById('status').textContent=ok+' of '+im.length+' pictures shown';});";

/* A CSS gradient of colour map cm, as the pictures use it (low on the left). */
static void gradient(struct buffer *b, enum colormap cm)
{
    enum { STOPS = 9 };
    html_put(b, "<span class=\"bar\" style=\"background:linear-gradient(to right");
    for (int i = 0; i < STOPS; i++) {
        unsigned char rgb[3];
        char stop[32];
        colormap_apply(cm, (float)i / (STOPS - 1), rgb);
        snprintf(stop, sizeof stop, ",#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
        html_put(b, stop);
    }
    html_put(b, ")\"></span>");
}

/* The run's colours: the colour map as a bar, with the shared range or a
 * note that each picture has its own (shown on its card). */
static void display_line(struct buffer *b, const cJSON *root)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "display");
    enum colormap cm;
    if (!d || colormap_from_name(record_text(root, "display", "cmap"), &cm) != 0)
        return;
    char buf[160];
    html_put(b, "<p class=\"scale\">colours: ");
    html_escape(b, record_text(root, "display", "cmap"));
    if (*record_text(root, "display", "sign")) {
        html_put(b, ", sign ");
        html_escape(b, record_text(root, "display", "sign"));
    }
    html_put(b, ", scale ");
    html_escape(b, record_text(root, "display", "scale"));
    html_put(b, ": ");
    if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(d, "low"))) {
        snprintf(buf, sizeof buf, "%.4g", record_number(root, "display", "low"));
        html_put(b, buf);
        gradient(b, cm);
        snprintf(buf, sizeof buf, "%.4g (every picture)", record_number(root, "display", "high"));
        html_put(b, buf);
    } else {
        html_put(b, "low");
        gradient(b, cm);
        html_put(b, "high, each picture its own range (on its card)");
    }
    html_put(b, "</p>\n");
}

static void card(struct buffer *b, const cJSON *o, const char *dir)
{
    int ok = strcmp(record_text(o, "status", NULL), "ok") == 0;
    char buf[64], original[PATH_MAX];
    html_put(b, "<div class=\"card");
    html_put(b, ok ? "\"" : " failed\"");
    html_put(b, " data-name=\"");
    html_escape(b, record_text(o, "name", NULL));
    snprintf(buf, sizeof buf, "\" data-class=\"%g\" data-prob=\"%g\">", record_number(o, "target", "index"),
             record_number(o, "target", "probability"));
    html_put(b, buf);
    if (ok) {
        html_put(b, "<div class=\"pics\">");
        const char *src = record_text(o, "image", NULL);
        if (relative_path(dir, src, original, sizeof original) == 0) {
            html_put(b, "<a href=\"");
            html_url(b, original);
            html_put(b, "\"><img alt=\"original\" src=\"");
            html_url(b, original);
            html_put(b, "\"></a>");
        }
        static const char *const kinds[] = { "heatmap", "overlay", "rgb" };
        for (int i = 0; i < 3; i++) {
            const char *p = record_text(o, "outputs", kinds[i]);
            if (!*p)
                continue;
            html_put(b, "<img alt=\"");
            html_put(b, kinds[i]);
            html_put(b, "\" src=\"");
            html_url(b, p);
            html_put(b, "\">");
        }
        html_put(b, "</div><div class=\"cap\"><b>");
        html_escape(b, record_text(o, "name", NULL));
        snprintf(buf, sizeof buf, "</b>: %g ", record_number(o, "target", "index"));
        html_put(b, buf);
        html_escape(b, record_text(o, "target", "label"));
        snprintf(buf, sizeof buf, " (p=%.3f); top-1 %g ", record_number(o, "target", "probability"),
                 record_number(o, "top1", "index"));
        html_put(b, buf);
        html_escape(b, record_text(o, "top1", "label"));
        char range[128];
        snprintf(range, sizeof range, "<br><span class=\"range\">colours from %.4g to %.4g</span>",
                 record_number(o, "map", "display_low"), record_number(o, "map", "display_high"));
        html_put(b, range);
        html_put(b, "</div>");
    } else {
        html_put(b, "<div class=\"cap\"><b>");
        html_escape(b, record_text(o, "image", NULL));
        html_put(b, "</b>: ");
        html_escape(b, record_text(o, "error", NULL));
        html_put(b, "</div>");
    }
    html_put(b, "</div>\n");
}

int report_write_html(const cJSON *root, const char *dir)
{
    struct buffer b = { 0 };
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(root, "images"), *o;
    const cJSON *totals = cJSON_GetObjectItemCaseSensitive(root, "totals");
    html_put(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>attrib ");
    html_escape(&b, record_text(root, "method", NULL));
    html_put(&b, "</title><style>");
    html_put(&b, style);
    html_put(&b, "</style></head><body>\n<h1>attrib ");
    html_escape(&b, record_text(root, "method", NULL));
    html_put(&b, " &mdash; ");
    html_escape(&b, record_text(root, "model", "name"));
    char buf[160];
    snprintf(buf, sizeof buf, "</h1>\n<p>%g images, %g explained, %g failed</p>\n",
             record_number(root, "totals", "images"), record_number(root, "totals", "ok"),
             record_number(root, "totals", "failed"));
    html_put(&b, totals ? buf : "</h1>\n");
    display_line(&b, root);
    html_put(&b, "<p>Sort by <button onclick=\"sortBy('name')\">name</button>"
            "<button onclick=\"sortBy('class')\">class</button>"
            "<button onclick=\"sortBy('prob')\">probability</button></p>\n"
            "<div class=\"grid\" id=\"grid\">\n");
    cJSON_ArrayForEach(o, images)
        card(&b, o, dir);
    html_put(&b, "</div>\n<p id=\"status\"></p>\n<script>");
    html_put(&b, script);
    html_put(&b, "</script>\n</body></html>\n");
    char path[PATH_MAX];
    int rc = b.failed ? fail(EXIT_INTERNAL, "out of memory") : path_join(path, sizeof path, dir, "index.html");
    if (rc == EXIT_OK)
        rc = write_file_atomic(path, b.data, b.len);
    buffer_free(&b);
    return rc;
}
