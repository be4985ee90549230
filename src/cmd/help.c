/* help.c - `attrib help`: a command's --help, the manual page (roff,
 * made at build time into attrib.1) and the option tables as JSON, all
 * from the command and option tables. */
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "cli.h"
#include "commands.h"
#include "error.h"

struct help_opts {
    int man, json;
};

static const struct opt options[] = {
    OPT_FLAG(0, "man", struct help_opts, man, "print the manual page (roff) of all commands"),
    OPT_FLAG(0, "json", struct help_opts, json,
             "print every command's options as JSON (names, kinds, ranges, words, defaults)"),
    OPT_END,
};

static const char *const kind_names[] = {
    [OPTK_FLAG] = "flag", [OPTK_INT] = "int", [OPTK_REAL] = "real", [OPTK_STRING] = "string",
    [OPTK_PATH] = "path", [OPTK_ENUM] = "enum", [OPTK_LIST] = "list", [OPTK_CUSTOM] = "custom",
};

static const char *const operand_names[] = {
    [OPERANDS_NONE] = "none", [OPERANDS_IMAGES] = "images", [OPERANDS_FILES] = "files",
    [OPERANDS_MODEL] = "model", [OPERANDS_WORDS] = "words", [OPERANDS_COMMAND] = "command",
};

/* Writes s for roff: backslashes escaped, a line that would start with a
 * control character protected, '-' as a minus where it is an option. */
static void roff_text(FILE *f, const char *s)
{
    int line_start = 1;
    for (; *s; s++) {
        if (line_start && (*s == '.' || *s == '\''))
            fputs("\\&", f);
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
        line_start = *s == '\n';
    }
}

static void man_options(FILE *f, const struct opt *table)
{
    struct opt_row rows[OPT_MAX_ROWS];
    int n = opts_flatten(table, rows);
    const char *heading = NULL;
    for (int i = 0; i < n; i++) {
        const struct opt *o = rows[i].o;
        char mv[256], def[256];
        if (i == 0 || rows[i].heading != heading) {
            heading = rows[i].heading;
            fprintf(f, ".PP\n.I \"%s\"\n", heading ? heading : "Options");
        }
        fputs(".TP\n", f);
        if (o->letter)
            fprintf(f, "\\fB\\-%c\\fR, ", o->letter);
        fputs("\\fB\\-\\-", f);
        roff_text(f, o->name);
        fputs("\\fR", f);
        if (opt_takes_value(o)) {
            fputs(" \\fI", f);
            roff_text(f, opt_metavar(o, mv, sizeof mv));
            fputs("\\fR", f);
        }
        fputc('\n', f);
        const char *h = o->help ? o->help : "";
        roff_text(f, h);
        if (*h && h[strlen(h) - 1] != '.')
            fputc('.', f);
        if (o->kind == OPTK_ENUM) {
            fputs(" One of:", f);
            for (int w = 0; o->words[w]; w++)
                fprintf(f, "%s ", w ? "," : ""), roff_text(f, o->words[w]);
            fputc('.', f);
        } else if (o->kind == OPTK_INT) {
            fprintf(f, " From %.0f to %.0f.", o->min, o->max);
        } else if (o->kind == OPTK_REAL) {
            fprintf(f, " From %g to %g.", o->min, o->max);
        }
        const char *d = opt_default_text(o, def, sizeof def);
        if (*d) {
            fputs(" Default: ", f);
            roff_text(f, d);
            if (d[strlen(d) - 1] != '.')
                fputc('.', f);
        }
        fputc('\n', f);
    }
}

static void man_page(FILE *f)
{
    fprintf(f, ".TH ATTRIB 1 \"\" \"attrib %s\" \"User Commands\"\n", ATTRIB_VERSION);
    fputs(".SH NAME\nattrib \\- what an image classifier looks at, and how easily it is fooled\n"
          ".SH SYNOPSIS\n.B attrib\n[\\fB\\-\\-version\\fR] [\\fB\\-\\-help\\fR] "
          "\\fICOMMAND\\fR [\\fIARGS\\fR]\n"
          ".SH DESCRIPTION\nattrib explains the decisions of a TorchScript image classifier "
          "from the command line: attribution maps (saliency, Grad\\-CAM and its variants, "
          "guided backpropagation, deconvnet, integrated gradients, SmoothGrad, input x "
          "gradient, occlusion), their faithfulness, adversarial images and class "
          "visualisations. It reads images, directories of them or paths on standard input, "
          "and writes PNG heatmaps and JSON summaries.\n.SH COMMANDS\n", f);
    for (int i = 0; i < command_count(); i++) {
        const struct command *cmd = command_at(i);
        struct command_spec spec;
        struct opt rows[COMMAND_SPEC_ROWS];
        command_spec_of(cmd, &spec, rows);
        fputs(".SS \"", f);
        roff_text(f, cmd->name);
        fputs("\"\n", f);
        roff_text(f, cmd->help);
        fputs(".\n.PP\n.nf\n", f);
        roff_text(f, spec.synopsis);
        fputs("\n.fi\n.PP\n.nf\n", f);
        roff_text(f, spec.description);
        fputs(".fi\n", f);
        man_options(f, spec.options);
    }
    fputs(".SH ENVIRONMENT\n.TP\n.B ATTRIB_MODEL\nthe model used when \\fB\\-\\-model\\fR is "
          "not given (then models/mobilenet_v2_1.0_224.pt beside the executable).\n"
          ".SH EXIT STATUS\n.nf\n", f);
    roff_text(f, exit_codes_help + strlen("Exit status:\n"));
    fputs(".fi\n.SH EXAMPLES\n.nf\n"
          "attrib saliency cat.jpg \\-\\-class 285 \\-o out/\n"
          "attrib gradcam photos/ \\-r \\-\\-variant gradcam++ \\-o maps/\n"
          "attrib eval cat.jpg \\-\\-methods saliency,integrated\\-gradients:steps=100\n"
          "attrib golden check tests/golden/saliency\n"
          ".fi\n.SH SEE ALSO\n"
          "Each command's \\fB\\-\\-help\\fR; \\fBattrib completion\\fR bash|zsh|fish for "
          "shell completion.\n", f);
}

static cJSON *option_json(const struct opt_row *r)
{
    const struct opt *o = r->o;
    char buf[256];
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", o->name);
    if (o->letter) {
        char l[2] = { o->letter, 0 };
        cJSON_AddStringToObject(j, "letter", l);
    }
    cJSON_AddStringToObject(j, "kind", kind_names[o->kind]);
    cJSON_AddBoolToObject(j, "takes_value", opt_takes_value(o));
    if (o->kind == OPTK_INT || o->kind == OPTK_REAL) {
        cJSON_AddNumberToObject(j, "min", o->min);
        cJSON_AddNumberToObject(j, "max", o->max);
    }
    if (o->words) {
        cJSON *w = cJSON_AddArrayToObject(j, "words");
        for (int i = 0; o->words[i]; i++)
            cJSON_AddItemToArray(w, cJSON_CreateString(o->words[i]));
    }
    if (opt_takes_value(o))
        cJSON_AddStringToObject(j, "metavar", opt_metavar(o, buf, sizeof buf));
    cJSON_AddStringToObject(j, "default", opt_default_text(o, buf, sizeof buf));
    cJSON_AddStringToObject(j, "help", o->help ? o->help : "");
    if (r->heading)
        cJSON_AddStringToObject(j, "group", r->heading);
    cJSON_AddBoolToObject(j, "file", (o->flags & OPT_COMPLETE_FILE) != 0);
    cJSON_AddBoolToObject(j, "directory", (o->flags & OPT_COMPLETE_DIR) != 0);
    return j;
}

static int tables_json(FILE *f)
{
    cJSON *root = cJSON_CreateObject(), *cmds = cJSON_AddArrayToObject(root, "commands");
    cJSON_AddStringToObject(root, "version", ATTRIB_VERSION);
    for (int i = 0; i < command_count(); i++) {
        struct command_spec spec;
        struct opt rows[COMMAND_SPEC_ROWS];
        struct opt_row flat[OPT_MAX_ROWS];
        command_spec_of(command_at(i), &spec, rows);
        cJSON *c = cJSON_CreateObject(), *os;
        cJSON_AddItemToArray(cmds, c);
        cJSON_AddStringToObject(c, "name", command_at(i)->name);
        cJSON_AddStringToObject(c, "help", command_at(i)->help);
        cJSON_AddStringToObject(c, "operands", operand_names[spec.operands]);
        if (spec.operand_words) {
            cJSON *w = cJSON_AddArrayToObject(c, "operand_words");
            for (int k = 0; spec.operand_words[k]; k++)
                cJSON_AddItemToArray(w, cJSON_CreateString(spec.operand_words[k]));
        }
        os = cJSON_AddArrayToObject(c, "options");
        int n = opts_flatten(spec.options, flat);
        for (int k = 0; k < n; k++)
            cJSON_AddItemToArray(os, option_json(&flat[k]));
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text)
        return fail(EXIT_INTERNAL, "out of memory");
    fprintf(f, "%s\n", text);
    cJSON_free(text);
    return EXIT_OK;
}

static int cmd_help(void *opts, const operands *ops)
{
    const struct help_opts *o = opts;
    if (o->man + o->json + (ops->n > 0) > 1)
        return fail(EXIT_USAGE, "give one of COMMAND, --man or --json");
    if (o->man) {
        man_page(stdout);
        return EXIT_OK;
    }
    if (o->json)
        return tables_json(stdout);
    if (ops->n == 0) {
        commands_usage(stdout);
        return EXIT_OK;
    }
    const struct command *cmd = command_find(ops->args[0]);
    if (!cmd)
        return fail(EXIT_USAGE, "unknown command '%s' (see 'attrib --help')", ops->args[0]);
    command_help(stdout, cmd);
    return EXIT_OK;
}

const struct command_spec help_spec = {
    .synopsis = "attrib help [COMMAND | --man | --json]",
    .description =
        "Shows a command's help (as 'attrib COMMAND --help' does), the manual page of\n"
        "all commands (roff, for 'man -l'; the build installs it as attrib.1), or every\n"
        "command's options as JSON for tools that build on them. Without any, the\n"
        "commands (as 'attrib --help').\n",
    COMMAND_RUN(struct help_opts, options, cmd_help),
    .operands = OPERANDS_COMMAND,
};
