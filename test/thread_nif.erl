%% thread_nif -- the Erlang side of test/nifs/thread_nif.c, driven by
%% thread_tests.
-module(thread_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([echo_here/1, echo_pool/1, echo_thread/1, echo_send/2,
            map_here/1, map_pool/1, map_thread/1,
            value_map_here/1, value_map_pool/1, value_map_thread/1,
            wide_here/1, wide_pool/1, wide_thread/1,
            wide_ex_here/1, wide_ex_pool/1, wide_ex_thread/1,
            sum_late_here/1, sum_late_pool/1, sum_late_thread/1,
            refuse_here/1, refuse_pool/1, refuse_thread/1]).
