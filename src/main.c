/* main.c - the command table, global options, and checking stdout at exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "error.h"
#include "fsutil.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

/* The map of the program: one row per subcommand, one file per row. */
static const struct command commands[] = {
    { "predict", cmd_predict, "print the top classes of each image" },
    { "saliency", cmd_saliency, "gradient saliency map (Simonyan et al. 2014)" },
    { "gradcam", cmd_gradcam, "Grad-CAM, Grad-CAM++, Score-CAM or Eigen-CAM of a layer" },
    { "guided-backprop", cmd_guided_backprop, "guided backpropagation (Springenberg et al. 2015)" },
    { "deconvnet", cmd_deconvnet, "deconvnet backward rule (Zeiler & Fergus 2013)" },
    { "guided-gradcam", cmd_guided_gradcam, "guided backprop times Grad-CAM" },
    { "integrated-gradients", cmd_integrated_gradients, "integrated gradients from a baseline (Sundararajan et al. 2017)" },
    { "smoothgrad", cmd_smoothgrad, "gradient averaged over noisy copies (Smilkov et al. 2017)" },
    { "input-x-gradient", cmd_input_x_gradient, "input times its gradient" },
    { "occlusion", cmd_occlusion, "score drop when a sliding patch hides the image (Zeiler & Fergus)" },
    { "eval", cmd_eval, "deletion/insertion faithfulness of methods (Petsiuk et al. 2018)" },
    { "fool", cmd_fool, "adversarial image that makes the model see another class" },
    { "classviz", cmd_classviz, "image the model sees as a class (regularised gradient ascent)" },
    { "compare", cmd_compare, "how far two heatmaps or folders of them differ" },
    { "golden", cmd_golden, "record golden heatmaps, or check a run against them" },
    { "merge", cmd_merge, "combine the reports of batch runs or shards into one" },
    { "layers", cmd_layers, "list a model's layers and the default Grad-CAM layer" },
};

static void usage(FILE *f)
{
    fputs("usage: attrib [--version] [--help] COMMAND [ARGS]\n\n"
          "Shows what an image classifier looks at, from the command line.\n\n"
          "Commands:\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-21s %s\n", commands[i].name, commands[i].help);
    fputs("\nRun 'attrib COMMAND --help' for a command's options.\n"
          "Environment: ATTRIB_MODEL is the model used when --model is not given.\n\n", f);
    fputs(exit_codes_help, f);
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

/* A command's output is only delivered if stdout took all of it: a full
 * disk or a closed pipe must not pass for success. */
static int check_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        fclose(stdout);
        return fail(EXIT_OUTPUT, "cannot write standard output: %s",
                    e ? strerror(e) : "write error");
    }
    if (fclose(stdout) != 0)
        return fail(EXIT_OUTPUT, "cannot close standard output: %s", strerror(errno));
    return EXIT_OK;
}

static int run_command(const struct command *cmd, int argc, char **argv)
{
    int rc = cmd->run(argc, argv);
    /* Report the command's own failure before anything about stdout. */
    if (rc != EXIT_OK && *error_message())
        report_error(cmd->name, error_message());
    clear_error();
    int out = check_stdout();
    if (out != EXIT_OK) {
        report_error(cmd->name, error_message());
        return rc != EXIT_OK ? rc : out;
    }
    return rc;
}

int main(int argc, char **argv)
{
    install_signal_cleanup();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *arg = argv[1];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0 || strcmp(arg, "help") == 0) {
        if (argc > 2 && find_command(argv[2])) {
            char *help_argv[] = { argv[2], "--help", NULL };
            return run_command(find_command(argv[2]), 2, help_argv);
        }
        usage(stdout);
        return check_stdout() == EXIT_OK ? EXIT_OK : (report_error(NULL, error_message()), EXIT_OUTPUT);
    }
    if (strcmp(arg, "--version") == 0) {
        printf("attrib %s\n", ATTRIB_VERSION);
        return check_stdout() == EXIT_OK ? EXIT_OK : (report_error(NULL, error_message()), EXIT_OUTPUT);
    }
    const struct command *cmd = find_command(arg);
    if (!cmd) {
        fail(EXIT_USAGE, "%s '%s' (see 'attrib --help')",
             arg[0] == '-' ? "unknown option" : "unknown command", arg);
        report_error(NULL, error_message());
        return EXIT_USAGE;
    }
    int rc = run_command(cmd, argc - 1, argv + 1);
    /* Everything is written and closed (run_command checked stdout; stderr
     * is unbuffered): skip libtorch's exit-time destructors, which only
     * tear down thread pools and registries and cost tens of ms. */
    fflush(stderr);
#if defined(__SANITIZE_ADDRESS__)
    exit(rc); /* sanitizer builds: let the leak checker run at exit */
#else
    _exit(rc);
#endif
}
