/* Classes: probabilities, the top classes, a class named by a folder. */
#include <string.h>

#include "check.h"
#include "classify.h"
#include "error.h"
#include "inputs.h"
#include "tests.h"

void softmax_sums_to_one_even_for_huge_logits(void)
{
    float logits[1000], probs[1000];
    for (int i = 0; i < 1000; i++)
        logits[i] = 1e4f + (float)(i % 10);
    softmax(logits, 1000, probs);
    double sum = 0;
    for (int i = 0; i < 1000; i++)
        sum += probs[i];
    CHECK_NEAR(sum, 1.0, 1e-5);
    CHECK(probs[9] > probs[8]);
    const float two[2] = { 0.0f, logf(3.0f) };
    softmax(two, 2, probs);
    CHECK_NEAR(probs[1], 0.75, 1e-6);
}

void top_k_ranks_largest_first_and_ties_by_index(void)
{
    const float v[6] = { 0.1f, 0.9f, 0.5f, 0.9f, -1.0f, 0.7f };
    int idx[4];
    CHECK(top_k(v, 6, 4, idx) == 4);
    CHECK(idx[0] == 1 && idx[1] == 3 && idx[2] == 5 && idx[3] == 2);
    CHECK(top_k(v, 2, 5, idx) == 2);
    CHECK(idx[0] == 1 && idx[1] == 0);
}


/* One image in folder, for the class-from-folder cases. */
static long class_of_folder(const char *path, long classes)
{
    static char *const labels[] = { "tench, Tinca tinca", "great white shark", "hotdog, hot dog, red hot" };
    struct input it = { .path = (char *)path, .target = -1 };
    struct input_list l = { .items = &it, .n = 1, .cap = 1 };
    int rc = inputs_classes_from_folders(&l, labels, 3, classes);
    clear_error();
    return rc == EXIT_OK ? it.target : -rc;
}

void folder_names_a_class_by_number_label_or_synonym(void)
{
    CHECK(class_of_folder("data/2/x.jpg", 3) == 2);
    CHECK(class_of_folder("data/great_white_shark/x.jpg", 3) == 1);
    CHECK(class_of_folder("data/Tinca Tinca/x.jpg", 3) == 0);
    CHECK(class_of_folder("data/hot dog/x.jpg", 3) == 2);
    CHECK(class_of_folder("data/3/x.jpg", 3) == -EXIT_USAGE);  /* no class 3 */
    CHECK(class_of_folder("data/hot/x.jpg", 3) == -EXIT_USAGE); /* a synonym's start only */
    CHECK(class_of_folder("x.jpg", 3) == -EXIT_USAGE);          /* in no folder */
}
