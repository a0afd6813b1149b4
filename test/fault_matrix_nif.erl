%% fault_matrix_nif -- the Erlang side of test/nifs/fault_matrix_nif.c,
%% driven by fault_matrix_tests.
-module(fault_matrix_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([fm_decode/1, fm_job_decode/1, fm_call/2, fm_call_dirty/2, fm_encode/1,
            fm_raise_encode/1, fm_cleanup/1, fm_cleanup_after_panic/1,
            fm_cleanup_after_raise/1, fm_cleanup_after_badarg/1, fm_destroy/2,
            fm_down/2, fm_stop/1, fm_dyncall/1, fm_job_pool/1, fm_job_thread/1,
            fm_job_encode/1, fm_job_cleanup/1, fm_yield/3, fm_try/1]).
