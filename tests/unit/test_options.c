/* test_options.c - the option-table parser: destinations, defaults, groups,
 * the forms of a command line, and the messages for each mistake. */
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "options.h"
#include "tests.h"

struct inner {
    double ratio;
    int fast;
};

struct sample {
    long steps;
    int variant, quiet, verbose;
    const char *out;
    struct inner in;
};

static const char *const variants[] = { "plain", "fancy", NULL };

static const struct opt inner_rows[] = {
    OPT_REAL(0, "ratio", struct inner, ratio, 0, 1, 0.5, "R", "a ratio"),
    OPT_FLAG('f', "fast", struct inner, fast, "go fast"),
    OPT_END,
};

static const struct opt rows[] = {
    OPT_INT('n', "steps", struct sample, steps, 1, 100, 10, "N", "steps"),
    OPT_ENUM(0, "variant", struct sample, variant, variants, 1, "which"),
    OPT_FLAG('q', "quiet", struct sample, quiet, "quiet"),
    OPT_FLAG('v', "verbose", struct sample, verbose, "verbose"),
    OPT_PATH('o', "output", struct sample, out, ".", "DIR", "where"),
    OPT_GROUP("Inner", struct sample, in, inner_rows),
    OPT_END,
};

/* Parses the words (argv[0] is the command) into s; the result code. */
static int parse(struct sample *s, int argc, char **argv, struct opt_operands *ops, int *help)
{
    static char *args[16];
    ops->args = args;
    memset(s, 0xff, sizeof *s); /* defaults must overwrite everything */
    opts_defaults(rows, s);
    clear_error();
    return opts_parse(rows, s, argc, argv, 0, ops, help);
}

void option_defaults_fill_every_row_including_groups(void)
{
    struct sample s;
    struct opt_operands ops;
    int help;
    char *argv[] = { "cmd" };
    CHECK(parse(&s, 1, argv, &ops, &help) == EXIT_OK && !help && ops.n == 0);
    CHECK(s.steps == 10 && s.variant == 1 && s.quiet == 0 && s.verbose == 0);
    CHECK(strcmp(s.out, ".") == 0 && s.in.ratio == 0.5 && s.in.fast == 0);
}

void options_go_anywhere_in_every_getopt_form(void)
{
    struct sample s;
    struct opt_operands ops;
    int help;
    char *argv[] = { "cmd", "a.jpg", "--steps=7", "-qv", "--ratio", "0.25", "-oout", "-",
                     "--variant", "plain", "-f", "--", "--steps", NULL };
    CHECK(parse(&s, 13, argv, &ops, &help) == EXIT_OK);
    CHECK(s.steps == 7 && s.quiet && s.verbose && s.in.ratio == 0.25 && s.in.fast);
    CHECK(strcmp(s.out, "out") == 0 && s.variant == 0);
    CHECK(ops.n == 3 && strcmp(ops.args[0], "a.jpg") == 0 && strcmp(ops.args[1], "-") == 0);
    CHECK(strcmp(ops.args[2], "--steps") == 0 && ops.dashdash == 2);
}

void help_stops_the_parse_wherever_it_is(void)
{
    struct sample s;
    struct opt_operands ops;
    int help;
    char *argv[] = { "cmd", "-n", "5", "-h", "--bogus" };
    CHECK(parse(&s, 5, argv, &ops, &help) == EXIT_OK && help && s.steps == 5);
}

/* The message for argv, which must be refused. */
static const char *refusal(int argc, char **argv)
{
    struct sample s;
    struct opt_operands ops;
    int help;
    int rc = parse(&s, argc, argv, &ops, &help);
    CHECK(rc == EXIT_USAGE);
    return error_message();
}

void each_mistake_gets_its_own_message(void)
{
    char *a[] = { "cmd", "--stpes", "3" }, *b[] = { "cmd", "--steps" },
         *c[] = { "cmd", "-n", "1", "--steps", "2" }, *d[] = { "cmd", "--steps", "0" },
         *e[] = { "cmd", "--steps", "x" }, *f[] = { "cmd", "--variant", "fanyc" },
         *g[] = { "cmd", "--quiet=1" }, *h[] = { "cmd", "-z" }, *i[] = { "cmd", "--ratio", "inf" },
         *j[] = { "cmd", "--output=" }, *k[] = { "cmd", "--frobnicate" };
    CHECK(strcmp(refusal(3, a), "unknown option --stpes (did you mean --steps?)") == 0);
    CHECK(strcmp(refusal(2, b), "--steps needs a value") == 0);
    CHECK(strcmp(refusal(5, c), "--steps takes no more than one value") == 0);
    CHECK(strcmp(refusal(3, d), "--steps must be an integer from 1 to 100, got 0") == 0);
    CHECK(strcmp(refusal(3, e), "--steps must be an integer from 1 to 100, got 'x'") == 0);
    CHECK(strcmp(refusal(3, f), "--variant must be one of plain, fancy; got 'fanyc' "
                                "(did you mean fancy?)") == 0);
    CHECK(strcmp(refusal(2, g), "--quiet takes no value, got '1'") == 0);
    CHECK(strcmp(refusal(2, h), "unknown option -z (see --help)") == 0);
    CHECK(strcmp(refusal(3, i), "--ratio must be a number from 0 to 1, got 'inf'") == 0);
    CHECK(strcmp(refusal(2, j), "--output needs a value, got an empty one") == 0);
    CHECK(strcmp(refusal(2, k), "unknown option --frobnicate (see --help)") == 0);
}

void edit_distance_counts_a_transposition_as_one(void)
{
    CHECK(edit_distance("steps", "steps", 2) == 0);
    CHECK(edit_distance("stpes", "steps", 2) == 1);
    CHECK(edit_distance("stp", "steps", 2) == 2);
    CHECK(edit_distance("layer", "alpha", 2) == 3); /* capped at 3 */
}

void setting_one_option_by_name_checks_it_like_the_parser(void)
{
    struct sample s;
    opts_defaults(rows, &s);
    CHECK(opts_set(rows, &s, "ratio", "0.75", "x:ratio") == EXIT_OK && s.in.ratio == 0.75);
    CHECK(opts_set(rows, &s, "ratio", "2", "x:ratio") == EXIT_USAGE);
    CHECK(strcmp(error_message(), "x:ratio must be a number from 0 to 1, got 2") == 0);
    CHECK(opts_set(rows, &s, "fast", NULL, "x:fast") == EXIT_OK && s.in.fast == 1);
    CHECK(opts_set(rows, &s, "stepz", "1", "x") == EXIT_USAGE);
    CHECK(strstr(error_message(), "did you mean steps?") != NULL);
}
