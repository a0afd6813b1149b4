%% vbare -- vdemo.c's library loaded with no wrapper and no load info of
%% cnif's: a bad argument must still be a plain badarg (vendored_tests).
-module(vbare).
-export([add_nif/2, fail_nif/1, doomed_new_nif/1]).
-nifs([add_nif/2, fail_nif/1, doomed_new_nif/1]).
-on_load(init/0).

init() ->
    erlang:load_nif(filename:join(filename:dirname(code:which(?MODULE)), "vbare"), 0).

add_nif(_A, _B) -> erlang:nif_error(not_loaded).
fail_nif(_Code) -> erlang:nif_error(not_loaded).
doomed_new_nif(_Id) -> erlang:nif_error(not_loaded).
