%% transform_nif -- the Erlang side of test/nifs/transform_nif.c, for
%% transform_tests: a NIF named valid?, load data made at load time (the
%% path of a file beside the library) and an -on_load of the module's own,
%% which runs after the library's load.
-module(transform_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs(['valid?'/1, answer/0, loaded/0]).
-cnif_load_data_from(load_data/0).
-on_load(after_load/0).
-export([fails/0]).

load_data() ->
    {ok, Library} = cnif:priv_path(?MODULE, ?MODULE_STRING),
    list_to_binary(filename:join(filename:dirname(Library), "transform_nif.txt")).

%% What the library read is already there: it loaded first.
after_load() ->
    persistent_term:put(transform_nif_after_load, loaded()),
    ok.

%% A stack trace through a wrapper names the line of -cnif_nifs.
fails() ->
    'valid?'(not_an_integer).
