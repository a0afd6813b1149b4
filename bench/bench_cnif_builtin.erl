%% bench_cnif_builtin -- bench_cnif.c against a libcnif.a built with
%% -DCNIF_USE_BUILTIN_SETJMP.
-module(bench_cnif_builtin).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([add/2, sum/1, seq/1]).
