%% bench_struct_raw -- bench_struct_raw.c: the hand-written erl_nif
%% baseline of the struct benchmarks, loaded the usual way.
-module(bench_struct_raw).
-export([decode_map/1, decode_elixir/1, decode_record/1,
         roundtrip_map/1, roundtrip_elixir/1, roundtrip_record/1,
         roundtrip_map_sorted/1, roundtrip_elixir_sorted/1]).
-nifs([decode_map/1, decode_elixir/1, decode_record/1,
       roundtrip_map/1, roundtrip_elixir/1, roundtrip_record/1,
       roundtrip_map_sorted/1, roundtrip_elixir_sorted/1]).
-on_load(init/0).

init() ->
    Dir = filename:join(filename:dirname(filename:dirname(code:which(?MODULE))), "priv"),
    erlang:load_nif(filename:join(Dir, atom_to_list(?MODULE)), []).

decode_map(_) -> erlang:nif_error(not_loaded).
decode_elixir(_) -> erlang:nif_error(not_loaded).
decode_record(_) -> erlang:nif_error(not_loaded).
roundtrip_map(_) -> erlang:nif_error(not_loaded).
roundtrip_elixir(_) -> erlang:nif_error(not_loaded).
roundtrip_record(_) -> erlang:nif_error(not_loaded).
roundtrip_map_sorted(_) -> erlang:nif_error(not_loaded).
roundtrip_elixir_sorted(_) -> erlang:nif_error(not_loaded).
