%% fault_opts -- loads test/nifs/fault_opts.c with the load info found in
%% the persistent term fault_opts, as a hand-written loader could, for
%% fault_tests.
-module(fault_opts).
-export([loaded_nif/0]).
-nifs([loaded_nif/0]).
-on_load(init/0).

init() ->
    {ok, Path} = cnif:priv_path(?MODULE, "fault_opts"),
    cnif:load_result(erlang:load_nif(Path, persistent_term:get(fault_opts))).

loaded_nif() ->
    erlang:nif_error({not_loaded, ?MODULE}).
