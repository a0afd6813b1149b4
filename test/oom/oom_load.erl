%% oom_load -- the Erlang side of test/oom/oom_load.c. No generated on_load:
%% oom_tests loads the library itself with load/1, from a fresh copy of this
%% module each time, so that the load hook runs under the arming it put in
%% the environment and its failure can be read (cnif:load_result/1). The
%% NIFs are called directly (they take no bad argument), so every one is
%% exported: a NIF the library has must exist in the module. That includes
%% '$cnif_resources'/1, which the library adds when CNIF_WORKER is set (as
%% make test-oom does), as cnif_transform adds it to a generated module.
-module(oom_load).
-export([load/1, pool_sum_nif/1, thread_sum_nif/1, oom_arm_nif/2,
         oom_disarm_nif/0, oom_trace_nif/0, oom_live_nif/0, '$cnif_resources'/1]).
-nifs([pool_sum_nif/1, thread_sum_nif/1, oom_arm_nif/2, oom_disarm_nif/0,
       oom_trace_nif/0, oom_live_nif/0, '$cnif_resources'/1]).

load(Path) ->
    cnif:load_result(erlang:load_nif(Path, [])).

pool_sum_nif(_) -> erlang:nif_error(not_loaded).
thread_sum_nif(_) -> erlang:nif_error(not_loaded).
oom_arm_nif(_, _) -> erlang:nif_error(not_loaded).
oom_disarm_nif() -> erlang:nif_error(not_loaded).
oom_trace_nif() -> erlang:nif_error(not_loaded).
oom_live_nif() -> erlang:nif_error(not_loaded).
'$cnif_resources'(_) -> [].
