%% bench_struct_cnif -- bench_struct_cnif.c: the cnif side of the struct
%% benchmarks.
-module(bench_struct_cnif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([decode_map/1, decode_elixir/1, decode_record/1,
            roundtrip_map/1, roundtrip_elixir/1, roundtrip_record/1]).
%% The NIFs themselves, local to the module otherwise: bench.erl times them
%% without the wrapper.
-export([decode_map_nif/1, decode_elixir_nif/1, decode_record_nif/1,
         roundtrip_map_nif/1, roundtrip_elixir_nif/1, roundtrip_record_nif/1]).
