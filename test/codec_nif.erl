%% codec_nif -- the NIFs of test/nifs/codec_nif.c, driven by codec_tests.
-module(codec_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([echo_int8_t/1, echo_int16_t/1, echo_int32_t/1, echo_int64_t/1,
            echo_uint8_t/1, echo_uint16_t/1, echo_uint32_t/1, echo_uint64_t/1,
            echo_size_t/1, echo_ssize_t/1, echo_int/1, echo_unsigned/1,
            echo_long/1, echo_double/1, echo_float/1, echo_bool/1,
            echo_cnif_atom/1, echo_cnif_bin/1, echo_cnif_iodata/1,
            echo_cnif_str/1, echo_cnif_iotext/1,
            echo_cnif_cstr/1, echo_cnif_array_int64_t/1,
            echo_cnif_array_double/1, echo_cnif_array_cnif_str/1,
            echo_cnif_tuple/1, echo_cnif_map/1, echo_cnif_pid/1,
            echo_cnif_ref/1, echo_cnif_term/1,
            echo_cnif_array_cnif_array_int64_t/1, echo_color/1,
            color_from_int/1, special_double/1, special_float/1,
            bin_sub/3, bin_new/2, bin_concat/1, bin_abandon/1,
            bin_finish_twice/0, bin_adler32/1,
            cstr_len/1, cstr_const/0, str_invalid/0,
            nest_depth/1, echo_cnif_array_point/1, tuple_reverse/1,
            opts_sum/1, ghost_value/1, accented_value/1, map_find/2, map_count/1, map_sum/1,
            map_put/3, map_new/0, map_from_lists/2,
            checked_div/2, ignore/1]).
