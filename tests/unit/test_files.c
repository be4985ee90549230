/* Files attrib reads and writes: hashes, raw maps, model cards, summaries,
 * atomic writes, output names; numbers on the command line. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "card.h"
#include "check.h"
#include "cli.h"
#include "error.h"
#include "fsutil.h"
#include "inputs.h"
#include "mapfile.h"
#include "png.h"
#include "rawfile.h"
#include "sha256.h"
#include "summary.h"
#include "tests.h"

void sha256_matches_the_fips_test_vectors(void)
{
    char hex[65];
    sha256_hex("", 0, hex);
    CHECK(strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0);
    sha256_hex("abc", 3, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0);
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    sha256_hex(two_blocks, strlen(two_blocks), hex);
    CHECK(strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") == 0);
}

void npy_file_has_an_aligned_header_and_little_endian_floats(void)
{
    const float v[6] = { 1.0f, -2.0f, 0.5f, 0.0f, 3.25f, 1e-3f };
    const size_t dims[2] = { 2, 3 };
    struct buffer b = { 0 };
    CHECK(raw_encode(v, dims, 2, 1, &b) == 0);
    CHECK(memcmp(b.data, "\x93NUMPY\x01\x00", 8) == 0);
    size_t header = 10 + (b.data[8] | b.data[9] << 8);
    CHECK(header % 64 == 0);
    CHECK(b.data[header - 1] == '\n');
    CHECK(strstr((const char *)b.data + 10, "'shape': (2, 3)") != NULL);
    CHECK(strstr((const char *)b.data + 10, "'descr': '<f4'") != NULL);
    CHECK(b.len == header + 24);
    CHECK(b.data[header + 4 + 3] == 0xC0 && b.data[header + 4] == 0); /* -2.0f */
    buffer_free(&b);
    CHECK(raw_encode(v, dims, 2, 0, &b) == 0);
    CHECK(b.len == 24 && b.data[3] == 0x3F && b.data[2] == 0x80); /* bare 1.0f */
    buffer_free(&b);
}

void a_map_file_reads_back_and_a_lying_header_is_refused(void)
{
    const float v[6] = { 1.0f, -2.0f, 0.5f, 0.0f, 3.25f, 1e-3f };
    size_t dims[3] = { 2, 3 }, got_dims[3], n;
    int ndim;
    float *got = NULL;
    struct buffer b = { 0 };
    CHECK(raw_encode(v, dims, 2, 1, &b) == 0);
    CHECK(map_decode(b.data, b.len, "m.npy", &got, &n, got_dims, &ndim) == EXIT_OK);
    CHECK(n == 6 && ndim == 2 && got_dims[0] == 2 && got_dims[1] == 3 && got[1] == -2.0f);
    free(got);
    /* the header says (2, 3); the file holds 5 values: refused, not read past */
    CHECK(map_decode(b.data, b.len - 4, "m.npy", &got, &n, got_dims, &ndim) == EXIT_INPUT);
    CHECK(strstr(error_message(), "shape does not match its 5 values") != NULL);
    CHECK(map_decode(b.data, 20, "m.npy", &got, &n, NULL, NULL) == EXIT_INPUT);
    CHECK(strstr(error_message(), "truncated") != NULL);
    buffer_free(&b);
    clear_error();
    /* a picture: its grey level; one whose header claims 10000 x 10000 (100 MP)
     * pixels is refused before its pixels are allocated */
    const unsigned char px[4 * 3] = { 255, 255, 255, 0, 0, 0, 255, 255, 255, 0, 0, 0 };
    CHECK(png_encode(2, 2, 3, px, &b) == 0);
    CHECK(map_decode(b.data, b.len, "m.png", &got, &n, got_dims, &ndim) == EXIT_OK);
    CHECK(n == 4 && got[0] == 1.0f && got[1] == 0.0f && got_dims[0] == 2);
    free(got);
    const unsigned char big[4] = { 0, 0, 0x27, 0x10 }; /* 10000, big-endian */
    memcpy(b.data + 16, big, 4); /* IHDR width */
    memcpy(b.data + 20, big, 4); /* and height */
    CHECK(map_decode(b.data, b.len, "m.png", &got, &n, got_dims, &ndim) == EXIT_INPUT);
    CHECK(strstr(error_message(), "above the limit") != NULL);
    buffer_free(&b);
    clear_error();
}

void full_model_card_is_read(void)
{
    const char *json = "{\"name\": \"tiny\", \"input_size\": [32, 48], \"mean\": [0.5, 0.4, 0.3],"
                       " \"std\": [0.2, 0.25, 0.5], \"labels\": [\"a\", \"b\", \"c\"]}";
    struct card c;
    card_defaults(&c, "file");
    CHECK(card_parse(json, strlen(json), "test", &c) == EXIT_OK);
    CHECK(strcmp(c.name, "tiny") == 0);
    CHECK(c.input_h == 32 && c.input_w == 48);
    CHECK_NEAR(c.mean[2], 0.3, 1e-7);
    CHECK_NEAR(c.std[1], 0.25, 1e-7);
    char buf[32];
    CHECK(c.nlabels == 3 && strcmp(card_label(&c, 2, buf, sizeof buf), "c") == 0);
    CHECK(strcmp(card_label(&c, 7, buf, sizeof buf), "class 7") == 0);
    card_free(&c);
}

void missing_card_keys_keep_torchvision_defaults(void)
{
    struct card c;
    card_defaults(&c, "resnet18");
    CHECK(card_parse("{}", 2, "test", &c) == EXIT_OK);
    CHECK(strcmp(c.name, "resnet18") == 0);
    CHECK(c.input_w == 224 && c.input_h == 224);
    CHECK_NEAR(c.mean[0], 0.485, 1e-7);
    CHECK_NEAR(c.std[2], 0.225, 1e-7);
    CHECK(c.nlabels == 0);
    card_free(&c);
}

void invalid_model_cards_are_refused_with_a_reason(void)
{
    static const char *const bad[] = {
        "not json", "[1, 2]", "{\"input_size\": [224]}", "{\"input_size\": [2, 224]}",
        "{\"input_size\": [224.5, 224]}", "{\"mean\": [0.5, 0.5]}", "{\"std\": [0.5, 0, 0.5]}",
        "{\"labels\": [\"a\", 3]}", "{\"labels\": []}", "{\"name\": 5}",
        "{\"mean\": [\"x\", 1, 1]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct card c;
        card_defaults(&c, "m");
        CHECK(card_parse(bad[i], strlen(bad[i]), "test", &c) == EXIT_MODEL);
        CHECK(strstr(error_message(), "model card test") != NULL);
        CHECK(c.labels == NULL);
    }
}

void summary_json_has_the_fields_scripts_read(void)
{
    const float mean[3] = { 0.5f, 0.5f, 0.5f }, std[3] = { 0.5f, 0.5f, 0.5f };
    struct summary s = {
        .method = "saliency", .image = "cat.bmp", .image_w = 512, .image_h = 341,
        .model = { "mnv2", "m.pt", "ab12", "embedded", 224, 224, 1000, mean, std },
        .resize = "stretch", .region = { 0, 0, 512, 341 },
        .target = { 285, "Egyptian cat", 11.5, 0.78 }, .ntop = 1,
        .top = { { 285, "Egyptian cat", 11.5, 0.78 } }, .map_w = 224, .map_h = 224,
        .stats = { .min = 0, .max = 2, .mean = 0.5f, .top_box = { 1, 2, 3, 4 } },
        .outputs = { { "heatmap", "out/cat.saliency.png" } }, .noutputs = 1,
        .load_ms = 10, .pass_ms = 20, .total_ms = 40,
    };
    cJSON *j = summary_json(&s);
    CHECK(j != NULL);
    CHECK(strcmp(cJSON_GetObjectItem(j, "method")->valuestring, "saliency") == 0);
    cJSON *model = cJSON_GetObjectItem(j, "model");
    CHECK(strcmp(cJSON_GetObjectItem(model, "sha256")->valuestring, "ab12") == 0);
    cJSON *target = cJSON_GetObjectItem(j, "target");
    CHECK(cJSON_GetObjectItem(target, "index")->valueint == 285);
    CHECK_NEAR(cJSON_GetObjectItem(target, "probability")->valuedouble, 0.78, 1e-9);
    cJSON *bbox = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "map"), "top"), "bbox");
    CHECK(cJSON_GetObjectItem(bbox, "height")->valueint == 4);
    cJSON *t = cJSON_GetObjectItem(j, "timings_ms");
    CHECK_NEAR(cJSON_GetObjectItem(t, "forward_backward")->valuedouble, 20, 0);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "top")) == 1);
    CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "outputs"), "heatmap")->valuestring,
                 "out/cat.saliency.png") == 0);
    cJSON_Delete(j);
}

static int count_entries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.' || strstr(e->d_name, ".tmp-") != NULL;
    if (d)
        closedir(d);
    return n;
}

void atomic_write_leaves_only_the_finished_file(void)
{
    char dir[] = "/tmp/attrib-unit-XXXXXX", path[PATH_MAX];
    CHECK(mkdtemp(dir) != NULL);
    path_join(path, sizeof path, dir, "a.txt");
    CHECK(write_file_atomic(path, "hello", 5) == EXIT_OK);
    CHECK(count_entries(dir) == 1);
    unsigned char *data;
    size_t len;
    CHECK(read_file(path, 100, EXIT_INPUT, &data, &len) == EXIT_OK && len == 5);
    free(data);
    CHECK(read_file(path, 4, EXIT_INPUT, &data, &len) == EXIT_INPUT); /* over the limit */
    unlink(path);
    char missing[PATH_MAX];
    path_join(missing, sizeof missing, dir, "no/such/dir/a.txt");
    CHECK(write_file_atomic(missing, "x", 1) == EXIT_OUTPUT);
    CHECK(count_entries(dir) == 0);
    rmdir(dir);
}

void output_names_come_from_the_image_stem(void)
{
    char stem[64];
    path_stem("photos/2024/cat.final.jpg", stem, sizeof stem);
    CHECK(strcmp(stem, "cat.final") == 0);
    path_stem("noext", stem, sizeof stem);
    CHECK(strcmp(stem, "noext") == 0);
    path_stem("dir/.hidden", stem, sizeof stem);
    CHECK(strcmp(stem, ".hidden") == 0);
}

void numbers_on_the_command_line_are_parsed_strictly(void)
{
    long n;
    double d;
    CHECK(parse_long("291", 0, 999, "--class", &n) == EXIT_OK && n == 291);
    CHECK(parse_long("29x", 0, 999, "--class", &n) == EXIT_USAGE);
    CHECK(strstr(error_message(), "--class") != NULL);
    CHECK(parse_long("", 0, 999, "--class", &n) == EXIT_USAGE);
    CHECK(parse_long("1000", 0, 999, "--class", &n) == EXIT_USAGE);
    CHECK(parse_long("-1", 0, 999, "--class", &n) == EXIT_USAGE);
    CHECK(parse_long("99999999999999999999999", 0, 999, "--class", &n) == EXIT_USAGE);
    CHECK(parse_double("0.25", 0, 1, "--alpha", &d) == EXIT_OK && d == 0.25);
    CHECK(parse_double("nan", 0, 1, "--alpha", &d) == EXIT_USAGE);
    CHECK(parse_double("1.5", 0, 1, "--alpha", &d) == EXIT_USAGE);
}
