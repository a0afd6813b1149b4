%% struct_nif -- the NIFs of test/nifs/struct_nif.c, driven by struct_tests
%% and test/elixir/struct_test.exs.
-module(struct_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([echo_point/1, echo_point_rec/1, echo_point_ex/1, echo_point_tup/1,
            echo_ordered/1, echo_ordered_map/1,
            echo_cnif_array_point/1, echo_cnif_array_point_rec/1,
            point_all_forms/2, echo_line/1, line_length/1, echo_color/1,
            echo_label/1, echo_label_lax/1,
            echo_opt_point/1, echo_maybe_int/1, echo_opt_points/1,
            echo_cnif_array_opt_point/1,
            echo_polygon/1, polygon_ring/3,
            echo_shape/1, echo_cnif_array_shape/1, shape_of_kind/1,
            token_bytes/1, echo_num_fi/1, echo_num_if/1, num_if_kind/1,
            echo_any_point/1, echo_point_or_line/1, echo_text_or_ints/1,
            echo_scalar/1, echo_hue/1,
            echo_div_result/1, echo_point_result/1, echo_check_status/1,
            first_point/1, label_check/1,
            echo_segment_rec/1, echo_drawing/1, midpoint/1,
            bad_declaration/1,
            echo_cnif_value/1, value_describe/1, value_bigint/2, value_nested/1,
            echo_sample/1, sample_series/3, value_tree/4,
            add/2]).
