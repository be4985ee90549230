/* gallery.c - index.html: a static gallery of a batch run that opens from
 * disk (no network, no framework; a few lines of script sort the cards),
 * streamed from the report's records. */
#include "gallery.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colormap.h"
#include "error.h"
#include "fsutil.h"
#include "html.h"

static const char style[] =
    "body{font-family:sans-serif;margin:1em;background:#f6f6f6;color:#222}"
    "h1{font-size:1.3em}"
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(400px,1fr));gap:10px}"
    ".card{background:#fff;border:1px solid #ccc;padding:6px;min-width:0}"
    ".bar{display:inline-block;width:160px;height:10px;vertical-align:middle;"
    "border:1px solid #999;margin:0 6px}.range{color:#666;font-size:.85em}"
    ".card.failed{border-color:#c00;color:#900}.pics{display:flex;gap:4px}"
    /* each picture in a square box; the photo and the overlay fill it
     * letterboxed, the map-sized pictures sit over the part of the photo
     * the model saw (placed by the script), so a spot is at the same place
     * on each */
    ".pic{position:relative;flex:1;aspect-ratio:1;background:#eee;overflow:hidden}"
    ".pic img{position:absolute;left:0;top:0;width:100%;height:100%;object-fit:contain}"
    ".pic img.map{object-fit:fill}"
    ".cap{font-size:.85em;margin-top:4px;overflow-wrap:anywhere}"
    ".controls{margin:.5em 0}.controls *{margin-right:6px}#cls{width:11em}"
    ".wrong{color:#b00}";

/* The page draws one page of cards at a time from the records in
 * index.data.js (a script, so it loads from disk where fetch() may not):
 * a run of 50,000 images opens as fast as one of 50 and loads one page of
 * pictures. Each record is an array; R names its fields. */
static const char script[] =
    "var R={name:0,failed:1,image:2,heatmap:3,overlay:4,rgb:5,cls:6,label:7,prob:8,top1:9,"
    "top1label:10,top1prob:11,max:12,mean:13,low:14,high:15,error:16,given:17,frame:18};"
    "var D=window.ATTRIB_RECORDS||[],PAGE=48,page=0,shown=[];"
    "function $(id){return document.getElementById(id);}"
    "function right(r){return !r[R.failed]&&r[R.given]&&r[R.cls]===r[R.top1];}"
    "function wrong(r){return !r[R.failed]&&r[R.given]&&r[R.cls]!==r[R.top1];}"
    "function keep(r){var s=$('status').value,c=$('cls').value.trim().toLowerCase(),"
    "lo=parseFloat($('pmin').value),hi=parseFloat($('pmax').value);"
    "if(s==='ok'&&r[R.failed]||s==='failed'&&!r[R.failed]||s==='right'&&!right(r)||"
    "s==='wrong'&&!wrong(r))return false;"
    "if(c&&String(r[R.cls])!==c&&String(r[R.label]).toLowerCase().indexOf(c)<0)return false;"
    "if(!isNaN(lo)&&!(r[R.prob]>=lo)||!isNaN(hi)&&!(r[R.prob]<=hi))return false;return true;}"
    "function apply(){var k=$('sort').value,d=$('desc').checked?-1:1;shown=[];"
    "for(var i=0;i<D.length;i++)if(keep(D[i]))shown.push(i);"
    "if(k!=='index')shown.sort(function(a,b){var x=D[a][R[k]],y=D[b][R[k]];"
    "if(x===y)return a-b;if(x===null)return 1;if(y===null)return -1;return (x<y?-1:1)*d;});"
    "else if(d<0)shown.reverse();page=0;draw();}"
    "function img(kind,src){var e=document.createElement('img');e.alt=kind;e.src=src;return e;}"
    /* a picture in its box; a map-sized one (f: the photo's w, h and the
     * region x, y, w, h) over the region, in percent of the box */
    "function pic(kind,src,f){var b=document.createElement('span'),e=img(kind,src);b.className='pic';"
    "if(f&&kind!=='original'&&kind!=='overlay'){var s=100/Math.max(f[0],f[1]);e.className='map';"
    "e.style.left=((100-f[0]*s)/2+f[2]*s)+'%';e.style.top=((100-f[1]*s)/2+f[3]*s)+'%';"
    "e.style.width=f[4]*s+'%';e.style.height=f[5]*s+'%';}b.appendChild(e);return b;}"
    "function card(r){var c=document.createElement('div');c.className='card'+(r[R.failed]?' failed':'');"
    "var cap=document.createElement('div');cap.className='cap';var b=document.createElement('b');"
    "if(r[R.failed]){b.textContent=r[R.image];cap.appendChild(b);"
    "cap.appendChild(document.createTextNode(': '+r[R.error]));c.appendChild(cap);return c;}"
    "var p=document.createElement('div');p.className='pics';if(r[R.image]){var a=document.createElement('a');"
    "a.className='pic';a.href=r[R.image];a.appendChild(pic('original',r[R.image]).firstChild);p.appendChild(a);}"
    "['heatmap','overlay','rgb'].forEach(function(k){if(r[R[k]])p.appendChild(pic(k,r[R[k]],r[R.frame]));});"
    "c.appendChild(p);b.textContent=r[R.name];cap.appendChild(b);"
    /* the class once: it is the top-1 unless the run named another */
    "cap.appendChild(document.createTextNode(': '+r[R.cls]+' '+r[R.label]+' (p='+r[R.prob].toFixed(3)+"
    "(r[R.cls]===r[R.top1]?', top-1)':'); top-1 '+r[R.top1]+' '+r[R.top1label])));"
    "if(wrong(r)){var w=document.createElement('span');"
    "w.className='wrong';w.textContent=' (wrong)';cap.appendChild(w);}"
    "var g=document.createElement('span');g.className='range';g.textContent='colours from '+"
    "r[R.low].toPrecision(4)+' to '+r[R.high].toPrecision(4);cap.appendChild(document.createElement('br'));"
    "cap.appendChild(g);c.appendChild(cap);return c;}"
    "function settle(){var im=document.images,ok=0,done=0;for(var i=0;i<im.length;i++)"
    "if(im[i].complete){done++;if(im[i].naturalWidth>0)ok++;}if(done<im.length)return;"
    "document.body.dataset.loaded=ok;document.body.dataset.broken=im.length-ok;"
    "$('pics').textContent=ok+' of '+im.length+' pictures shown';}"
    "function draw(){var g=$('grid'),n=Math.max(1,Math.ceil(shown.length/PAGE));"
    "page=Math.min(Math.max(page,0),n-1);g.textContent='';"
    "var end=Math.min(shown.length,(page+1)*PAGE);for(var i=page*PAGE;i<end;i++)g.appendChild(card(D[shown[i]]));"
    "$('where').textContent='images '+(shown.length?page*PAGE+1:0)+'-'+end+' of '+shown.length+"
    "(shown.length<D.length?' (of '+D.length+')':'')+', page '+(page+1)+' of '+n+';';"
    "var im=document.images;for(var j=0;j<im.length;j++){im[j].onload=im[j].onerror=settle;}settle();"
    /* when the first page was in place, from the start of navigation: what
     * bench/page.sh reads */
    "if(!document.body.dataset.drawnMs)document.body.dataset.drawnMs=Math.round(performance.now());}"
    "function go(k){page+=k;draw();}"
    "['sort','desc','status','cls','pmin','pmax'].forEach(function(id){$(id).onchange=apply;});"
    "apply();";

static const char controls[] =
    "<p class=\"controls\">Sort by <select id=\"sort\"><option value=\"index\">input order</option>"
    "<option value=\"name\">name</option><option value=\"cls\">class</option>"
    "<option value=\"prob\">probability</option><option value=\"top1prob\">top-1 probability</option>"
    "<option value=\"max\">map max</option><option value=\"mean\">map mean</option></select>"
    "<label><input type=\"checkbox\" id=\"desc\">descending</label>"
    "Show <select id=\"status\"><option value=\"all\">all</option><option value=\"ok\">explained</option>"
    "<option value=\"failed\">failed</option><option value=\"right\">right (given class is top-1)</option>"
    "<option value=\"wrong\">wrong</option></select>"
    "class <input id=\"cls\" placeholder=\"number or label\">"
    "probability <input id=\"pmin\" size=\"4\" placeholder=\"0\"> to "
    "<input id=\"pmax\" size=\"4\" placeholder=\"1\"></p>\n"
    "<p class=\"controls\"><button onclick=\"go(-1)\">previous</button><button onclick=\"go(1)\">next</button>"
    "<span id=\"where\"></span> <span id=\"pics\"></span></p>\n";

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

/* url relative to the page: a file of the run (relative to dir already)
 * percent-encoded, or "" when there is none. */
static cJSON *url_string(const char *path)
{
    struct buffer b = { 0 };
    html_url(&b, path);
    buffer_append(&b, "", 1);
    cJSON *s = cJSON_CreateString(b.failed ? "" : (const char *)b.data);
    buffer_free(&b);
    return s;
}

struct data_file {
    FILE *f;
    const char *dir;
    size_t rows;
};

/* The record's photo size and region as [w, h, x, y, rw, rh], or null
 * (a failure, or a report from before they were recorded). */
static cJSON *frame_array(const cJSON *o)
{
    const cJSON *photo = record_item(o, "photo", NULL), *r = record_item(photo, "region", NULL);
    const double v[6] = { record_number(photo, "width", NULL), record_number(photo, "height", NULL),
                          record_number(r, "x", NULL), record_number(r, "y", NULL),
                          record_number(r, "width", NULL), record_number(r, "height", NULL) };
    if (!(v[0] > 0 && v[1] > 0 && v[2] >= 0 && v[3] >= 0 && v[4] > 0 && v[5] > 0))
        return cJSON_CreateNull();
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < 6; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

/* One record as the page's array (fields in the order of R). */
static int data_row(struct report *r, const cJSON *o, void *ctx)
{
    (void)r;
    struct data_file *c = ctx;
    int failed = strcmp(record_text(o, "status", NULL), "ok") != 0;
    char original[PATH_MAX] = "";
    const char *src = record_text(o, "image", NULL);
    if (!failed && relative_path(c->dir, src, original, sizeof original) != 0)
        original[0] = '\0';
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateString(record_text(o, "name", NULL)));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(failed));
    cJSON_AddItemToArray(a, failed ? cJSON_CreateString(src) : url_string(original));
    static const char *const kinds[] = { "heatmap", "overlay", "rgb" };
    for (int i = 0; i < 3; i++)
        cJSON_AddItemToArray(a, url_string(record_text(o, "outputs", kinds[i])));
    static const char *const numbers[][2] = {
        { "target", "index" }, { "target", "label" }, { "target", "probability" },
        { "top1", "index" }, { "top1", "label" }, { "top1", "probability" },
        { "map", "max" }, { "map", "mean" }, { "map", "display_low" }, { "map", "display_high" },
    };
    for (size_t i = 0; i < sizeof numbers / sizeof *numbers; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(o, numbers[i][0]), numbers[i][1]);
        cJSON_AddItemToArray(a, cJSON_IsString(v) ? cJSON_CreateString(v->valuestring)
                                : cJSON_IsNumber(v) ? cJSON_CreateNumber(v->valuedouble)
                                                    : cJSON_CreateNull());
    }
    cJSON_AddItemToArray(a, cJSON_CreateString(record_text(o, "error", NULL)));
    const cJSON *predicted = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(o, "target"), "predicted");
    cJSON_AddItemToArray(a, cJSON_CreateNumber(cJSON_IsFalse(predicted)));
    cJSON_AddItemToArray(a, frame_array(o));
    char *text = cJSON_PrintUnformatted(a);
    cJSON_Delete(a);
    if (!text)
        return fail(EXIT_INTERNAL, "out of memory");
    fprintf(c->f, "%s%s", c->rows++ ? ",\n" : "\n", text);
    cJSON_free(text);
    return EXIT_OK;
}

static int write_data(struct report *r, const char *dir)
{
    char path[PATH_MAX];
    struct atomic_file a;
    int rc = path_join(path, sizeof path, dir, "index.data.js");
    if (rc == EXIT_OK)
        rc = atomic_open(&a, path);
    if (rc)
        return rc;
    struct data_file ctx = { a.f, dir, 0 };
    fputs("window.ATTRIB_RECORDS = [", a.f);
    rc = report_each(r, data_row, &ctx);
    fputs("\n];\n", a.f);
    int rc2 = atomic_close(&a, rc == EXIT_OK);
    return rc ? rc : rc2;
}

int report_write_html(struct report *r, const char *dir)
{
    const cJSON *root = r->root;
    int rc = write_data(r, dir);
    if (rc)
        return rc;
    struct buffer b = { 0 };
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
    html_put(&b, controls);
    html_put(&b, "<div class=\"grid\" id=\"grid\"></div>\n"
                 "<script src=\"index.data.js\"></script>\n<script>");
    html_put(&b, script);
    html_put(&b, "</script>\n</body></html>\n");
    char path[PATH_MAX];
    rc = b.failed ? fail(EXIT_INTERNAL, "out of memory") : path_join(path, sizeof path, dir, "index.html");
    if (rc == EXIT_OK)
        rc = write_file_atomic(path, b.data, b.len);
    buffer_free(&b);
    return rc;
}
