%% thread_struct_key -- the Erlang side of test/nifs/thread_struct_key.c,
%% whose struct declaration fails the load (see thread_tests).
-module(thread_struct_key).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([tagged_make/1]).
