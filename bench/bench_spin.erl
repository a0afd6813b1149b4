%% bench_spin -- bench_spin.c: the CPU job of the responsiveness benchmark
%% (bench_latency): one loop exported in the four ways, the yielding one
%% with two slice lengths; a yielding fetch_all that carries its rows
%% across slices, and its longest step.
-module(bench_spin).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([spin/2, spin_dirty/2, spin_yield/2, spin_yield_1ms/2, spin_thread/2,
            fetch_all/1, step_max_take/0, run_delay/0]).
