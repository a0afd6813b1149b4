%% bench_cnif_barrier -- bench_cnif.c built as a library that arms the
%% fault barrier itself (CNIF_FAULT_BARRIER), against the default libcnif.a.
-module(bench_cnif_barrier).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([add/2, bin_size/1, sum/1, seq/1, flood/2]).
%% The NIFs themselves, local to the module otherwise: bench.erl times them
%% without the wrapper.
-export([add_nif/2, bin_size_nif/1, sum_nif/1, seq_nif/1]).
