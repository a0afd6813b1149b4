%% bench_cnif_barrier -- bench_cnif.c built as a library that arms the
%% fault barrier itself (CNIF_FAULT_BARRIER), against the default libcnif.a.
-module(bench_cnif_barrier).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([add/2, sum/1, seq/1, flood/2]).
