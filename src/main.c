/* main.c - global options, parsing a command's options from its table and
 * running it, and checking stdout at exit. The commands are in commands.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib/shim.h"
#include "cli.h"
#include "commands.h"
#include "error.h"
#include "explain/explain.h"
#include "fsutil.h"
#include "shim_loader.h"

/* A command's output is only delivered if stdout took all of it: a full
 * disk or a closed pipe must not pass for success. */
static int check_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        die_if_stdout_reader_gone();
        fclose(stdout);
        return fail(EXIT_OUTPUT, "cannot write standard output: %s",
                    e ? strerror(e) : "write error");
    }
    if (fclose(stdout) != 0)
        return fail(EXIT_OUTPUT, "cannot close standard output: %s", strerror(errno));
    return EXIT_OK;
}

/* For "--layer is not an option of this command (it is one of: ...)". */
static void commands_with(const char *name, char *buf, size_t size)
{
    static const char more[] = ", ...";
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < command_count(); i++) {
        struct command_spec spec;
        struct opt rows[COMMAND_SPEC_ROWS];
        command_spec_of(command_at(i), &spec, rows);
        if (!opts_find(spec.options, name, NULL))
            continue;
        const char *sep = used ? ", " : "";
        /* whole names only, with room left to say that some were left out */
        if (used + strlen(sep) + strlen(command_at(i)->name) + sizeof more > size) {
            if (used + sizeof more <= size)
                memcpy(buf + used, more, sizeof more);
            return;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, command_at(i)->name);
    }
}

/* Options from the command's table into a fresh options struct (defaults
 * first), then the command; --help of every command is answered here. */
static int parse_and_run(const struct command *cmd, int argc, char **argv)
{
    struct command_spec spec;
    struct opt rows[COMMAND_SPEC_ROWS];
    command_spec_of(cmd, &spec, rows);
    void *opts = calloc(1, spec.opts_size);
    struct opt_operands ops = { .args = calloc((size_t)argc + 1, sizeof(char *)) };
    if (!opts || !ops.args) {
        free(opts);
        free(ops.args);
        return fail(EXIT_INTERNAL, "out of memory");
    }
    opts_defaults(spec.options, opts);
    int help = 0, rc = opts_parse(spec.options, opts, argc, argv, spec.stop_after, &ops, &help);
    if (rc == EXIT_OK && help)
        command_help(stdout, cmd);
    else if (rc == EXIT_OK)
        rc = cmd->method ? explain_main(cmd->method, opts, &ops) : spec.run(opts, &ops);
    free(ops.args);
    free(opts);
    return rc;
}

static int run_command(const struct command *cmd, int argc, char **argv)
{
    int rc = parse_and_run(cmd, argc, argv);
    if (rc == EXIT_OK)
        report_held_warning();
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

static int print_and_check(void (*print)(FILE *))
{
    print(stdout);
    if (check_stdout() == EXIT_OK)
        return EXIT_OK;
    report_error(NULL, error_message());
    return EXIT_OUTPUT;
}

/* attrib's version, then the libtorch it runs on (which loads the shim). */
static void version(FILE *f)
{
    fprintf(f, "attrib %s\n", ATTRIB_VERSION);
    if (!shim_load()) {
        fprintf(f, "libtorch: %s\n", attrib_last_error());
        return;
    }
    int cuda = attrib_cuda_compiled();
    fprintf(f, "libtorch %s, %s\n", attrib_libtorch_version(),
            cuda ? "CUDA compiled in" : "CPU only (no CUDA)");
    if (cuda)
        fprintf(f, "CUDA devices visible: %d\n", attrib_cuda_device_count());
}

int main(int argc, char **argv)
{
    install_signal_cleanup();
    opts_commands_with = commands_with;
    if (argc < 2) {
        commands_usage(stderr);
        return EXIT_USAGE;
    }
    const char *arg = argv[1];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
        return print_and_check(commands_usage);
    if (strcmp(arg, "--version") == 0)
        return print_and_check(version);
    const struct command *cmd = command_find(arg);
    if (!cmd) {
        const char *names[64];
        for (int i = 0; i < command_count() && i < 64; i++)
            names[i] = command_at(i)->name;
        int best = -1, dist = 3;
        for (int i = 0; i < command_count() && i < 64 && arg[0] != '-'; i++) {
            int d = edit_distance(arg, names[i], 2);
            if (d < dist)
                dist = d, best = i;
        }
        if (best >= 0)
            fail(EXIT_USAGE, "unknown command '%s' (did you mean %s?)", arg, names[best]);
        else
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
