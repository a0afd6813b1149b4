%% thread_struct_dup -- the Erlang side of test/nifs/thread_struct_dup.c,
%% whose struct declaration fails the load (see thread_tests).
-module(thread_struct_dup).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([twice_make/1]).
