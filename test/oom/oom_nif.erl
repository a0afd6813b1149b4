%% oom_nif -- the Erlang side of test/oom/oom_nif.c (the calls under test)
%% and test/oom/oom_wrap.c (arming and counters), driven by oom_tests.
-module(oom_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([echo_int64_t/1, echo_double/1, echo_cnif_atom/1, echo_cnif_iodata/1,
            echo_cnif_iotext/1, echo_cnif_cstr/1, echo_cnif_value/1,
            echo_cnif_array_cnif_cstr/1, echo_cnif_array_cnif_array_int64_t/1,
            echo_color/1, bin_reverse/1, bin_repeat/2, bin_sub/3, echo_pair/1,
            map_build/1, map_from_pairs/1, map_sum/1, map_sum_padded/2, echo_sized/1,
            echo_point/1, echo_point_rec/1, echo_point_ex/1, echo_point_tup/1,
            echo_cnif_array_point/1, echo_cnif_array_shape/1,
            echo_cnif_array_id/1, echo_maybe_point/1, echo_str_result/1,
            refuse/1, give_up/1, cleanup_panics/1, raise_text/1,
            try_reraise/1, blob_new/2, blob_id/1, blob_bytes/1, blob_watch/2,
            down_count/0, ysum/2, pool_work/3, thread_work/3, send_normal/2,
            send_pool/2,
            oom_arm/2, oom_disarm/0, oom_trace/0, oom_live/0]).
