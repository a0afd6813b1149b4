%% fuzz_nif -- the NIFs of test/fuzz/fuzz_nif.c, driven by fuzz (make fuzz).
%% fuzz_model:nifs/0 describes what each one accepts and returns.
-module(fuzz_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([echo_int8_t/1, echo_int16_t/1, echo_int32_t/1, echo_int64_t/1,
            echo_uint8_t/1, echo_uint16_t/1, echo_uint32_t/1, echo_uint64_t/1,
            echo_int/1, echo_unsigned/1, echo_long/1, echo_size_t/1,
            echo_ssize_t/1, echo_double/1, echo_float/1, echo_bool/1,
            echo_cnif_atom/1, echo_cnif_bin/1, echo_cnif_iodata/1,
            echo_cnif_str/1, echo_cnif_iotext/1,
            echo_cnif_cstr/1, echo_cnif_tuple/1, echo_cnif_map/1,
            echo_cnif_pid/1, echo_cnif_ref/1, echo_cnif_term/1,
            echo_cnif_value/1, echo_color/1,
            echo_cnif_array_int64_t/1, echo_cnif_array_uint8_t/1,
            echo_cnif_array_double/1, echo_cnif_array_bool/1,
            echo_cnif_array_cnif_str/1, echo_cnif_array_cnif_atom/1,
            echo_cnif_array_cnif_array_int32_t/1,
            echo_point/1, echo_point_lax/1, echo_point_ex/1, echo_point_rec/1,
            echo_point_tup/1, echo_cnif_array_point_rec/1,
            echo_shape/1, echo_num/1, echo_expr/1,
            echo_maybe_int/1, echo_opt_point/1, echo_res_u16/1, echo_status/1,
            echo_doc/1, echo_doc_rec/1, echo_tree/1,
            res_new/1, other_new/0, res_get/1, echo_res/1,
            bin_new_size/1, bin_alloc_size/1, bin_sub/3,
            echo_value_dirty/1, echo_value_job/1, echo_map_thread/1,
            make_triple/3]).
