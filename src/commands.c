/* commands.c - the command table: the map of the program. One row per
 * subcommand, one file per row (cmd_<name>.c); attribution methods are
 * struct methods run by the shared driver (explain.c). */
#include "commands.h"

#include <string.h>

#include "cli.h"
#include "explain/explain.h"
#include "explain/spec.h"
#include "methods/methods.h"

#define METHOD(nm, m, h) { .name = nm, .method = &m, .help = h }
#define COMMAND(nm, s, h) { .name = nm, .spec = &s, .help = h }

const struct command commands[] = {
    COMMAND("predict", predict_spec, "print the top classes of each image"),
    METHOD("saliency", method_saliency, "gradient saliency map (Simonyan et al. 2014)"),
    METHOD("gradcam", method_gradcam, "Grad-CAM of a layer and its variants (--variant)"),
    METHOD("fullgrad", method_fullgrad,
           "FullGrad: input and every bias times its gradient (Srinivas & Fleuret 2019)"),
    METHOD("guided-backprop", method_guided_backprop,
           "guided backpropagation (Springenberg et al. 2015)"),
    METHOD("deconvnet", method_deconvnet, "deconvnet backward rule (Zeiler & Fergus 2013)"),
    METHOD("guided-gradcam", method_guided_gradcam, "guided backprop times Grad-CAM"),
    METHOD("integrated-gradients", method_integrated_gradients,
           "integrated gradients from a baseline (Sundararajan et al. 2017)"),
    METHOD("smoothgrad", method_smoothgrad,
           "gradient averaged over noisy copies (Smilkov et al. 2017)"),
    METHOD("input-x-gradient", method_input_x_gradient, "input times its gradient"),
    METHOD("deeplift", method_deeplift, "DeepLIFT, rescale rule (Shrikumar et al. 2017)"),
    METHOD("lrp", method_lrp,
           "layer-wise relevance propagation with Zennit's composites (Bach et al. 2015)"),
    METHOD("gradient-shap", method_gradient_shap,
           "GradientSHAP: expected gradients from a set of baselines"),
    METHOD("lime", method_lime, "LIME: a Lasso on which superpixels a copy keeps"),
    METHOD("kernel-shap", method_kernel_shap,
           "KernelSHAP: Shapley values of superpixels by weighted least squares"),
    METHOD("rise", method_rise, "RISE: random masks weighted by the class's probability"),
    METHOD("occlusion", method_occlusion,
           "score drop when a sliding patch hides the image (Zeiler & Fergus)"),
    METHOD("attention-rollout", method_attention_rollout,
           "a transformer's attention rolled out over its layers (Abnar & Zuidema 2020)"),
    METHOD("attention-relevance", method_attention_relevance,
           "gradient-weighted attention relevance (Chefer et al. 2021)"),
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

const int ncommands = (int)(sizeof commands / sizeof commands[0]);

const struct command *command_find(const char *name)
{
    for (int i = 0; i < ncommands; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
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
    for (int i = 0; i < ncommands; i++)
        fprintf(f, "  %-21s %s\n", commands[i].name, commands[i].help);
    fputs("\nRun 'attrib COMMAND --help' for a command's options, 'attrib help --man' for\n"
          "the manual. Environment: ATTRIB_MODEL is the model used when --model is not\n"
          "given.\n\n", f);
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
