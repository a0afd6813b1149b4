%% bench_cnif_libc -- bench_cnif.c against a libcnif.a built with
%% -DCNIF_USE_LIBC_SETJMP.
-module(bench_cnif_libc).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([add/2, sum/1, seq/1, flood/2]).
