%% bench_cnif -- bench_cnif.c against the default libcnif.a.
-module(bench_cnif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([add/2, sum/1, seq/1, flood/2]).
