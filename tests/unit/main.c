/* Runs every unit test (or those whose names contain argv[1]). */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "tests.h"

int check_failures;

#define TEST_ENTRY(name) { #name, name },
static const struct test tests[] = { UNIT_TESTS(TEST_ENTRY) };

int main(int argc, char **argv)
{
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1]))
            continue;
        check_failures = 0;
        tests[i].fn();
        printf("%-60s %s\n", tests[i].name, check_failures ? "FAILED" : "ok");
        if (check_failures)
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
