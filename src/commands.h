/* commands.h - every subcommand's entry point; the table is in main.c. */
#ifndef ATTRIB_COMMANDS_H
#define ATTRIB_COMMANDS_H

/* argv[0] is the subcommand's name. Returns an enum attrib_exit code; a
 * failure's message is in error_message(). */
int cmd_predict(int argc, char **argv);
int cmd_saliency(int argc, char **argv);
int cmd_gradcam(int argc, char **argv);
int cmd_guided_backprop(int argc, char **argv);
int cmd_guided_gradcam(int argc, char **argv);
int cmd_deconvnet(int argc, char **argv);
int cmd_integrated_gradients(int argc, char **argv);
int cmd_smoothgrad(int argc, char **argv);
int cmd_input_x_gradient(int argc, char **argv);
int cmd_occlusion(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_layers(int argc, char **argv);
int cmd_fool(int argc, char **argv);
int cmd_classviz(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_golden(int argc, char **argv);

#endif
