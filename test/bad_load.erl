%% bad_load -- the Erlang side of test/nifs/bad_load.c, whose load hook
%% panics: this module never finishes loading (see boundary_tests).
-module(bad_load).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([never/0]).
