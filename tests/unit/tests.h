/* tests.h - the list of unit tests; main.c runs them in this order. */
#ifndef ATTRIB_TESTS_H
#define ATTRIB_TESTS_H

#define UNIT_TESTS(X)                                         \
    X(grey_png_decodes_to_three_equal_channels)               \
    X(rgba_png_decodes_to_rgb_without_alpha)                  \
    X(complete_jpeg_decodes)                                  \
    X(truncated_jpeg_is_refused_not_filled_with_grey)         \
    X(huge_image_is_refused_from_its_header)                  \
    X(non_image_bytes_are_refused)                            \
    X(resize_keeps_a_flat_image_flat_at_any_ratio)            \
    X(resize_follows_a_linear_ramp_and_is_mirror_symmetric) \
    X(resize_order_does_not_change_the_result)                \
    X(resize_to_the_same_size_copies_exactly)                 \
    X(crop_region_is_centred_with_the_models_aspect_ratio)    \
    X(tensor_is_normalised_per_channel_in_chw_order)          \
    X(png_encoder_round_trips_exactly)                        \
    X(saliency_takes_the_largest_magnitude_over_channels)     \
    X(signed_maps_keep_the_largest_channels_sign_or_add_the_channels) \
    X(sign_choices_show_all_evidence_or_one_side_of_it)       \
    X(signed_maps_are_drawn_on_a_range_centred_on_zero)       \
    X(scale_takes_image_batch_or_an_increasing_pair)          \
    X(diverging_map_is_blue_below_near_white_at_zero_and_red_above) \
    X(colour_bar_runs_from_low_at_the_bottom_to_high_at_the_top) \
    X(stats_locate_a_single_hot_square)                       \
    X(stats_count_and_skip_nan_values)                        \
    X(stats_of_a_flat_map_cover_the_whole_map)                \
    X(percentile_matches_nearest_rank)                        \
    X(colour_maps_have_their_published_end_colours)           \
    X(rendering_spreads_low_to_high_over_the_colour_map)      \
    X(overlay_mixes_inside_the_region_and_dims_outside)       \
    X(softmax_sums_to_one_even_for_huge_logits)               \
    X(top_k_ranks_largest_first_and_ties_by_index)            \
    X(sha256_matches_the_fips_test_vectors)                   \
    X(npy_file_has_an_aligned_header_and_little_endian_floats) \
    X(full_model_card_is_read)                                \
    X(missing_card_keys_keep_torchvision_defaults)            \
    X(invalid_model_cards_are_refused_with_a_reason)          \
    X(summary_json_has_the_fields_scripts_read)               \
    X(atomic_write_leaves_only_the_finished_file)             \
    X(output_names_come_from_the_image_stem)                  \
    X(numbers_on_the_command_line_are_parsed_strictly)        \
    X(default_layer_is_the_last_feature_map_two_levels_deep)  \
    X(default_layer_skips_average_pools_and_one_pixel_maps)     \
    X(token_layers_read_as_the_patch_grid_after_extra_tokens)   \
    X(channels_last_maps_are_told_from_channels_first)          \
    X(default_layer_of_a_vit_is_the_last_blocks_first_norm)   \
    X(layer_names_for_messages_list_shallow_feature_maps)     \
    X(gradcam_weights_channels_by_mean_gradient_and_rectifies_under_positive_sign) \
    X(gradient_picture_is_mid_grey_on_average)                \
    X(same_seed_gives_the_same_random_numbers)                \
    X(normal_numbers_have_zero_mean_and_unit_variance)        \
    X(paired_normals_are_standard_and_share_the_single_draws_cosines) \
    X(roll_wraps_around_and_rolling_back_restores)            \
    X(blur_of_an_impulse_is_the_gaussian_and_keeps_the_sum)   \
    X(clamping_keeps_denormalised_pixels_in_range)            \
    X(quantising_rounds_to_8_bit_levels_and_norms_measure) \
    X(gauss_legendre_integrates_polynomials_exactly) \
    X(riemann_rule_is_the_right_sum) \
    X(gradcam_pp_weighs_only_positive_gradients) \
    X(eigencam_finds_the_dominant_pattern_with_a_positive_sign) \
    X(spearman_ranks_ties_by_their_average_and_ignores_scale) \
    X(ssim_is_one_for_the_same_map_and_falls_with_noise)      \
    X(maps_are_normalised_by_their_99th_percentile_before_ssim) \
    X(parameters_group_into_the_blocks_the_paper_randomises)  \
    X(redrawn_weights_keep_their_tensors_mean_and_spread_and_follow_the_seed) \
    X(localisation_scores_follow_their_definitions_on_a_small_map) \
    X(scorecam_masks_are_scaled_and_flat_ones_mask_everything) \
    X(rise_masks_are_smooth_in_range_seeded_and_keep_about_p) \
    X(slic_follows_colour_edges_and_every_superpixel_is_one_region) \
    X(lasso_and_least_squares_recover_a_weighted_linear_model) \
    X(baselines_black_and_zeros_are_what_they_say) \
    X(noise_baseline_is_seeded_and_in_the_pixel_range) \
    X(curve_order_is_most_attributed_first_and_stable) \
    X(curves_change_the_right_pixels_and_auc_is_trapezoidal) \
    X(option_defaults_fill_every_row_including_groups) \
    X(options_go_anywhere_in_every_getopt_form) \
    X(help_stops_the_parse_wherever_it_is) \
    X(each_mistake_gets_its_own_message) \
    X(edit_distance_counts_a_transposition_as_one) \
    X(setting_one_option_by_name_checks_it_like_the_parser) \
    X(folder_names_a_class_by_number_label_or_synonym) \
    X(fourier_image_gradient_matches_finite_differences) \
    X(fft_matches_the_plain_dft) \
    X(transform_chain_backward_is_its_transpose) \
    X(warps_shift_rotate_and_resize_exactly) \
    X(diversity_term_value_and_gradient) \
    X(layer_objectives_value_and_gradient) \
    X(adam_steps_like_torch_optim_adam) \
    X(thread_count_comes_from_the_option_then_attrib_threads_then_omp) \
    X(bad_thread_variables_are_refused_or_passed_over) \
    X(a_container_cpu_quota_caps_the_default_thread_count)

#define DECLARE_TEST(name) void name(void);
UNIT_TESTS(DECLARE_TEST)

#endif
