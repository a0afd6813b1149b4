%% oom_load -- the Erlang side of test/oom/oom_load.c. No generated on_load:
%% oom_tests loads the library itself with load/1, from a fresh copy of this
%% module each time, so that the load hook runs under the arming it put in
%% the environment and its failure can be read (cnif:load_result/1).
-module(oom_load).
-export([load/1, pool_sum/1, thread_sum/1, oom_disarm/0, oom_live/0]).
-compile({nowarn_unused_function, [{oom_arm_nif, 2}, {oom_trace_nif, 0}]}).
-nifs([pool_sum_nif/1, thread_sum_nif/1, oom_arm_nif/2, oom_disarm_nif/0,
       oom_trace_nif/0, oom_live_nif/0]).

load(Path) ->
    cnif:load_result(erlang:load_nif(Path, [])).

%% These take no bad argument: the NIFs are called directly.
pool_sum(N) -> pool_sum_nif(N).
thread_sum(N) -> thread_sum_nif(N).
oom_disarm() -> oom_disarm_nif().
oom_live() -> oom_live_nif().

pool_sum_nif(_) -> erlang:nif_error(not_loaded).
thread_sum_nif(_) -> erlang:nif_error(not_loaded).
oom_arm_nif(_, _) -> erlang:nif_error(not_loaded).
oom_disarm_nif() -> erlang:nif_error(not_loaded).
oom_trace_nif() -> erlang:nif_error(not_loaded).
oom_live_nif() -> erlang:nif_error(not_loaded).
