%% iso_mem -- the NIFs of test/nifs/iso_nif.c (built as iso_mem.so), run by
%% one worker that may not use more than 200 MiB (an attribute holds no
%% arithmetic: 209715200 is 200 * 1024 * 1024).
-module(iso_mem).
-include_lib("cnif/include/cnif.hrl").
-cnif_isolated(#{workers => 1, max_memory => 209715200, timeout => 10000}).
-include("iso_nifs.hrl").
