%% oom_load -- the Erlang side of test/oom/oom_load.c. No generated on_load:
%% oom_tests loads the library itself with load/1, from a fresh copy of this
%% module each time, so that the load hook runs under the arming it put in
%% the environment and its failure can be read (cnif:load_result/1). The
%% NIFs are called directly (they take no bad argument), so every one is
%% exported: a NIF the library has must exist in the module.
-module(oom_load).
-export([load/1, pool_sum_nif/1, thread_sum_nif/1, oom_arm_nif/2,
         oom_disarm_nif/0, oom_trace_nif/0, oom_live_nif/0]).
-nifs([pool_sum_nif/1, thread_sum_nif/1, oom_arm_nif/2, oom_disarm_nif/0,
       oom_trace_nif/0, oom_live_nif/0]).

load(Path) ->
    cnif:load_result(erlang:load_nif(Path, [])).

pool_sum_nif(_) -> erlang:nif_error(not_loaded).
thread_sum_nif(_) -> erlang:nif_error(not_loaded).
oom_arm_nif(_, _) -> erlang:nif_error(not_loaded).
oom_disarm_nif() -> erlang:nif_error(not_loaded).
oom_trace_nif() -> erlang:nif_error(not_loaded).
oom_live_nif() -> erlang:nif_error(not_loaded).
