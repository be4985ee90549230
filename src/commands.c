/* commands.c - the command table: the map of the program. One row per
 * command, one file per row (src/cmd/NAME.c); the attribution methods
 * (src/methods/, listed in methods.c) take the METHODS row's place, each
 * run by the driver (explain/explain.c). */
#include "commands.h"

#include <string.h>

#include "cli.h"
#include "explain/explain.h"
#include "explain/spec.h"
#include "methods/methods.h"

#define COMMAND(nm, s, h) { .name = nm, .spec = &s, .help = h }
/* Where the attribution methods go: every one with a summary line, in
 * methods.c's order (the one list of methods). */
#define METHODS { .name = NULL }

static const struct command table[] = {
    COMMAND("predict", predict_spec, "print the top classes of each image"),
    METHODS,
    COMMAND("eval", eval_spec, "deletion/insertion faithfulness of methods (Petsiuk et al. 2018)"),
    COMMAND("sanity", sanity_spec,
            "do maps change when the weights are re-drawn? (Adebayo et al. 2018)"),
    COMMAND("drift", drift_spec, "how far a retrained model's maps moved from the old model's"),
    COMMAND("fool", fool_spec, "adversarial image that makes the model see another class"),
    COMMAND("classviz", classviz_spec,
            "image the model sees as a class (regularised gradient ascent)"),
    COMMAND("compare", compare_spec, "how far two heatmaps or folders of them differ"),
    COMMAND("golden", golden_spec, "record golden heatmaps, or check a run against them"),
    COMMAND("merge", merge_spec, "combine the reports of batch runs or shards into one"),
    COMMAND("classes", classes_spec,
            "where the model looks per class of a labelled run: mean maps, right vs wrong"),
    COMMAND("layers", layers_spec, "list a model's layers and the default Grad-CAM layer"),
    COMMAND("completion", completion_spec, "print a bash, zsh or fish completion script"),
    COMMAND("help", help_spec, "show a command's help, or the manual page"),
};

/* Room for every command: 13 and the 18 methods with a summary now. */
#define MAX_COMMANDS 64

/* The table with the methods in place, made on first use. */
static struct command all[MAX_COMMANDS];
static int nall;

static void fill(void)
{
    static int filled;
    for (size_t r = 0; !filled && r < sizeof table / sizeof table[0]; r++) {
        if (table[r].name)
            all[nall++] = table[r];
        for (int i = 0; !table[r].name && i < nmethods; i++)
            if (method_at(i)->summary)
                all[nall++] = (struct command){ .name = method_at(i)->name,
                                                .method = method_at(i),
                                                .help = method_at(i)->summary };
    }
    filled = 1;
}

int command_count(void)
{
    fill();
    return nall;
}

const struct command *command_at(int i)
{
    fill();
    return i >= 0 && i < nall ? &all[i] : NULL;
}

const struct command *command_find(const char *name)
{
    for (int i = 0; i < command_count(); i++)
        if (strcmp(command_at(i)->name, name) == 0)
            return command_at(i);
    return NULL;
}

void command_spec_of(const struct command *cmd, struct command_spec *spec, struct opt *rows)
{
    if (cmd->spec)
        *spec = *cmd->spec;
    else
        explain_spec(cmd->method, spec, rows);
}

void commands_usage(FILE *f)
{
    fputs("usage: attrib [--version] [--help] COMMAND [ARGS]\n\n"
          "Shows what an image classifier looks at, from the command line.\n\n"
          "Commands:\n", f);
    for (int i = 0; i < command_count(); i++)
        fprintf(f, "  %-21s %s\n", command_at(i)->name, command_at(i)->help);
    fputs("\nRun 'attrib COMMAND --help' for a command's options, 'attrib help --man' for\n"
          "the manual. Environment: ATTRIB_MODEL is the model used when --model is not\n"
          "given; ATTRIB_THREADS, else OMP_NUM_THREADS, the threads when --threads is\n"
          "not.\n\n", f);
    fputs(exit_codes_help, f);
}

void command_help(FILE *f, const struct command *cmd)
{
    struct command_spec spec;
    struct opt rows[COMMAND_SPEC_ROWS];
    command_spec_of(cmd, &spec, rows);
    fprintf(f, "usage: %s\n", spec.synopsis);
    fprintf(f, "\n%s", spec.description);
    if (spec.more_help)
        spec.more_help(f);
    fputc('\n', f);
    opts_print_help(f, spec.options);
    fputc('\n', f);
    fputs(exit_codes_help, f);
}
