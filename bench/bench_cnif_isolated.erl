%% bench_cnif_isolated -- bench_cnif.c once more, as a module of its own
%% that bench_isolated runs in isolated mode (cnif:isolate/2), while
%% bench_cnif stays in process for the in-process side of the same runs.
-module(bench_cnif_isolated).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([add/2, bin_size/1, sum/1, seq/1, flood/2]).
