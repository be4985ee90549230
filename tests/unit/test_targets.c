/* test_targets.c - --target's forms as parsed, their run-key text, and the
 * task a card names. */
#include <string.h>

#include "card.h"
#include "check.h"
#include "error.h"
#include "target.h"
#include "tests.h"

static struct target_spec parsed(const char *arg, int *rc)
{
    struct target_spec t;
    memset(&t, 0x5a, sizeof t); /* a refused value must leave it untouched */
    *rc = parse_target(NULL, arg, &t);
    clear_error();
    return t;
}

void target_specs_name_a_class_a_segment_or_a_reference(void)
{
    int rc;
    struct target_spec t = parsed("class:291", &rc);
    CHECK(rc == EXIT_OK && t.kind == TARGET_CLASS && t.cls == 291);
    t = parsed("17", &rc);
    CHECK(rc == EXIT_OK && t.kind == TARGET_CLASS && t.cls == 17);
    t = parsed(TARGET_PREDICTED, &rc);
    CHECK(rc == EXIT_OK && t.kind == TARGET_CLASS && t.cls == -1);
    t = parsed("segment:3", &rc);
    CHECK(rc == EXIT_OK && t.kind == TARGET_SEGMENT && t.cls == 3 && !t.path);
    t = parsed("segment:0@masks/a@b.png", &rc); /* the first '@' ends the class */
    CHECK(rc == EXIT_OK && t.kind == TARGET_SEGMENT && t.cls == 0 &&
          strcmp(t.path, "masks/a@b.png") == 0);
    t = parsed("box:1.5,2,30,40", &rc);
    CHECK(rc == EXIT_OK && t.kind == TARGET_BOX && t.cls == -1 && t.box[0] == 1.5 &&
          t.box[1] == 2 && t.box[2] == 30 && t.box[3] == 40);
    t = parsed("box:0,0,8,8:2", &rc);
    CHECK(rc == EXIT_OK && t.kind == TARGET_BOX && t.cls == 2 && t.box[3] == 8);
    t = parsed("similar-to:ref.JPG", &rc);
    CHECK(rc == EXIT_OK && t.kind == TARGET_SIMILAR && !t.vector && strcmp(t.path, "ref.JPG") == 0);
    t = parsed("similar-to:text:a cat.npy", &rc);
    CHECK(rc == EXIT_OK && t.kind == TARGET_SIMILAR && t.vector &&
          strcmp(t.path, "text:a cat.npy") == 0);
}

void target_specs_out_of_form_are_usage_errors(void)
{
    const char *bad[] = { "", "class:", "class:-1", "class:+2", "class:1x", "class:100000",
                          "segment:", "segment:a", "segment:1@", "segment:-1@m.png",
                          "similar-to:", "ball:1,2,3,4", "Segment:1", "segments:1",
                          "box:1,2,3", "box:1,2,3,x", "box:1,2,0,4", "box:1,2,3,-4",
                          "box:1,2,3,4:", "box:1,2,3,4:a", "box:1;2;3;4", "box:nan,2,3,4" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc;
        struct target_spec t = parsed(bad[i], &rc);
        CHECK(rc == EXIT_USAGE);
        CHECK(t.kind == 0x5a5a5a5a); /* untouched */
    }
}

void a_targets_run_key_text_holds_its_references_bytes_not_its_path(void)
{
    char buf[160];
    struct target_spec t = { .kind = TARGET_SEGMENT, .cls = 2, .path = "a.png" };
    strcpy(t.sha256, "ab12");
    format_target(&t, buf, sizeof buf);
    CHECK(strcmp(buf, "segment:2@ab12") == 0);
    t = (struct target_spec){ .kind = TARGET_SEGMENT, .cls = 2 };
    format_target(&t, buf, sizeof buf);
    CHECK(strcmp(buf, "segment:2") == 0);
    t = (struct target_spec){ .kind = TARGET_SIMILAR, .path = "v.npy", .vector = 1 };
    strcpy(t.sha256, "cd34");
    format_target(&t, buf, sizeof buf);
    CHECK(strcmp(buf, "similar-to:vector:cd34") == 0);
    t = (struct target_spec){ .kind = TARGET_BOX, .cls = -1, .box = { 1, 2.5, 3, 4 } };
    format_target(&t, buf, sizeof buf);
    CHECK(strcmp(buf, "box:1,2.5,3,4:-1") == 0);
    t = (struct target_spec){ .kind = TARGET_CLASS, .cls = -1 };
    format_target(&t, buf, sizeof buf);
    CHECK(strcmp(buf, TARGET_PREDICTED) == 0);
}

void a_cards_task_is_the_first_task_its_text_names(void)
{
    const struct { const char *json; int task; } cases[] = {
        { "{\"task\": \"imagenet-1k classification\"}", TASK_CLASSIFICATION },
        { "{\"task\": \"VOC segmentation\"}", TASK_SEGMENTATION },
        { "{\"task\": \"embedding\"}", TASK_EMBEDDING },
        { "{\"task\": \"detection (COCO), not classification\"}", TASK_DETECTION },
        { "{\"task\": \"test\"}", TASK_CLASSIFICATION },
        { "{\"output\": {\"kind\": \"detection\", \"layout\": \"detr\"}}", TASK_DETECTION },
        { "{}", TASK_CLASSIFICATION },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct card c;
        card_defaults(&c, "m");
        CHECK(card_parse(cases[i].json, strlen(cases[i].json), "test", &c) == EXIT_OK);
        CHECK(c.task == cases[i].task);
        card_free(&c);
    }
    struct card c;
    card_defaults(&c, "m");
    CHECK(card_parse("{\"task\": 3}", 11, "test", &c) == EXIT_MODEL);
    clear_error();
    card_free(&c);
    const char *bad[] = { "{\"output\": {\"kind\": \"detection\"}}",
                          "{\"output\": {\"kind\": \"boxes\", \"layout\": \"yolo\"}}",
                          "{\"output\": {\"kind\": \"detection\", \"layout\": \"ssd\"}}",
                          "{\"output\": {\"kind\": \"detection\", \"layout\": \"none\"}}" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        card_defaults(&c, "m");
        CHECK(card_parse(bad[i], strlen(bad[i]), "test", &c) == EXIT_MODEL);
        clear_error();
        card_free(&c);
    }
    card_defaults(&c, "m");
    const char *yolo = "{\"task\": \"coco\", \"output\": {\"kind\": \"detection\", "
                       "\"layout\": \"yolo\"}}";
    CHECK(card_parse(yolo, strlen(yolo), "test", &c) == EXIT_OK);
    CHECK(c.layout == CARD_LAYOUT_YOLO && c.task == TASK_DETECTION);
    card_free(&c);
}
