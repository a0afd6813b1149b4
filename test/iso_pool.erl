%% iso_pool -- the NIFs of test/nifs/iso_nif.c (built as iso_pool.so), run
%% by four workers: isolated_tests crashes three at once, and a thousand in
%% a row.
-module(iso_pool).
-include_lib("cnif/include/cnif.hrl").
-cnif_isolated(#{workers => 4, timeout => 10000}).
-include("iso_nifs.hrl").
