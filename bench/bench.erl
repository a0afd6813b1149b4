%% bench -- the runner of `make bench`: cnif against hand-written erl_nif
%% code doing the same work, in one BEAM.
%%
%% Every benchmark is a group of variants (raw, cnif, ...). A round runs
%% every variant of the group for a fixed number of calls, in slices: the
%% variants take turns slice by slice, in an order rotated from round to
%% round, so that a burst of noise hits all of them alike. The first round
%% is a warm-up and is thrown away. Reported per benchmark: the median
%% over rounds of ns per call of each side, and the median over rounds of
%% the per-round ratio cnif/raw, which cancels most of the drift of a
%% shared machine.
%%
%% The responsiveness benchmark, isolated mode and the transports run
%% before, each in a BEAM of its own (bench_latency, bench_isolated,
%% bench_transports); their results are read from the files that
%% BENCH_LATENCY, BENCH_ISOLATED and BENCH_TRANSPORTS name and printed as
%% more tables. The last two use group/4 and row/5 from here.
%%
%% Environment: BENCH_JSON=Path also writes the results as JSON;
%% BENCH_ROUNDS=N changes the number of measured rounds (default 41);
%% BENCH_LATENCY, BENCH_ISOLATED, BENCH_TRANSPORTS=Path are where the
%% other BEAMs left their results. report/0 prints those alone.
-module(bench).
-export([main/0, report/0, rounds/0, group/4, row/5, median/1]).

-define(ADD_SLICE, 100000).   % add calls per slice
-define(ADD_SLICES, 10).      % slices per variant per round: 1,000,000 calls
-define(LIST_LEN, 1000000).   % elements of the list benchmarks
-define(LIST_SLICES, 6).      % one list call per slice: 6 per variant per round
-define(LIST_10K, 10000).     % elements of list_encode_10k
-define(LIST_10K_SLICE, 20).  % 10k-list calls per slice (about 1 ms)
-define(SEND_N, 100000).      % messages per flood call
-define(SEND_SLICES, 4).      % one flood call per slice: 4 per variant per round
-define(STRUCT_SLICES, 10).   % slices per variant per round, for both groups:
-define(DECODE_SLICE, 200).   % 200 decode calls per slice (a round: about 3 ms)
-define(ROUNDTRIP_SLICE, 50). % 50 decode+encode calls per slice (about 3 ms)
-define(SHORT_SLICE, 10000).  % yield_short calls per slice (about 3 ms)
-define(SHORT_SLICES, 10).    % slices per variant per round
-define(SHORT_STEPS, 256).    % xorshift steps per call: about 0.3 us of work
-define(ERR_SLICE, 10000).    % bad-argument calls per slice (a few ms)
-define(ERR_SLICES, 10).      % slices per variant per round
-define(BIN_SIZE, 1 bsl 20).  % bytes of the bin_size binary

%% A loop of N calls of Mod:Fun(I, 1), one per variant, so that each
%% variant runs the same code with a direct remote call to its NIF.
-define(ADD_LOOP(Name, Mod, Fun),
        Name(0) -> ok;
        Name(I) -> _ = Mod:Fun(I, 1), Name(I - 1)).

?ADD_LOOP(add_raw, bench_raw, add).
?ADD_LOOP(add_raw_wrapped, bench_raw, add_wrapped).
?ADD_LOOP(add_cnif, bench_cnif, add_nif).
?ADD_LOOP(add_wrapped, bench_cnif, add).
?ADD_LOOP(add_libc, bench_cnif_libc, add_nif).
?ADD_LOOP(add_barrier, bench_cnif_barrier, add_nif).

%% bin_size: N calls of Mod:Fun(Bin) on one 1 MB binary.
-define(BIN_LOOP(Name, Mod, Fun),
        Name(0, _) -> ok;
        Name(I, B) -> _ = Mod:Fun(B), Name(I - 1, B)).

?BIN_LOOP(bin_size_raw, bench_raw, bin_size).
?BIN_LOOP(bin_size_cnif, bench_cnif, bin_size_nif).

%% The error benchmarks: N calls of Mod:Fun(Args...) that raise
%% error:badarg, each caught. The cnif side is the generated wrapper, so
%% the error_info it attaches is part of the time.
-define(ERR_LOOP(Name, Call),
        Name(0, _) -> ok;
        Name(I, T) ->
            try Call of
                _ -> error(no_badarg)
            catch
                error:badarg -> Name(I - 1, T)
            end).

?ERR_LOOP(err_add_raw, bench_raw:add(T, 2)).
?ERR_LOOP(err_add_cnif, bench_cnif:add(T, 2)).
?ERR_LOOP(err_struct_raw, bench_struct_raw:decode_map(T)).
?ERR_LOOP(err_struct_cnif, bench_struct_cnif:decode_map(T)).

%% The same for the struct benchmarks: N calls of Mod:Fun(Term).
-define(STRUCT_LOOP(Name, Mod, Fun),
        Name(0, _) -> ok;
        Name(I, T) -> _ = Mod:Fun(T), Name(I - 1, T)).

?STRUCT_LOOP(dec_map_raw, bench_struct_raw, decode_map).
?STRUCT_LOOP(dec_map_cnif, bench_struct_cnif, decode_map_nif).
?STRUCT_LOOP(dec_elixir_raw, bench_struct_raw, decode_elixir).
?STRUCT_LOOP(dec_elixir_cnif, bench_struct_cnif, decode_elixir_nif).
?STRUCT_LOOP(dec_record_raw, bench_struct_raw, decode_record).
?STRUCT_LOOP(dec_record_cnif, bench_struct_cnif, decode_record_nif).
?STRUCT_LOOP(rt_map_raw, bench_struct_raw, roundtrip_map).
?STRUCT_LOOP(rt_map_cnif, bench_struct_cnif, roundtrip_map_nif).
?STRUCT_LOOP(rt_elixir_raw, bench_struct_raw, roundtrip_elixir).
?STRUCT_LOOP(rt_elixir_cnif, bench_struct_cnif, roundtrip_elixir_nif).
?STRUCT_LOOP(rt_record_raw, bench_struct_raw, roundtrip_record).
?STRUCT_LOOP(rt_record_cnif, bench_struct_cnif, roundtrip_record_nif).
?STRUCT_LOOP(rt_map_raw_sorted, bench_struct_raw, roundtrip_map_sorted).
?STRUCT_LOOP(rt_elixir_raw_sorted, bench_struct_raw, roundtrip_elixir_sorted).

%% yield_short: the same short work as a plain NIF and as a yielding NIF
%% that ends in its first slice (bench_spin.c).
-define(SHORT_LOOP(Name, Fun),
        Name(0) -> ok;
        Name(I) -> _ = bench_spin:Fun(I, ?SHORT_STEPS), Name(I - 1)).

?SHORT_LOOP(short_plain, spin).
?SHORT_LOOP(short_yield, spin_yield).

main() ->
    Rounds = rounds(),
    io:format("cnif bench: OTP ~s (~s), ~b rounds (+1 warm-up), "
              "variants interleaved, order rotated per round~n",
              [erlang:system_info(otp_release), erlang:system_info(emu_flavor), Rounds]),
    check(),
    Add = group(Rounds, ?ADD_SLICES, [], add_variants()),
    Decode = group(Rounds, ?LIST_SLICES, [], decode_variants()),
    %% Room on the heap for the encoded list, so the timed call builds it
    %% in place; the garbage of the previous call is collected untimed.
    Encode = group(Rounds, ?LIST_SLICES, [{min_heap_size, 3 * ?LIST_LEN}],
                   encode_variants(?LIST_LEN, 1)),
    Encode10k = group(Rounds, ?LIST_SLICES, [{min_heap_size, 3 * ?LIST_10K}],
                      encode_variants(?LIST_10K, ?LIST_10K_SLICE)),
    Send = group(Rounds, ?SEND_SLICES, [], send_variants()),
    StructDecode = group(Rounds, ?STRUCT_SLICES, [], struct_decode_variants()),
    %% Room on the heap for a slice's worth of results (at most 66 words a
    %% call), so no collection falls in a timed slice; the garbage of the
    %% previous slice is collected untimed.
    StructRoundtrip = group(Rounds, ?STRUCT_SLICES, [{min_heap_size, 20000}],
                            struct_roundtrip_variants()),
    Short = group(Rounds, ?SHORT_SLICES, [], short_variants()),
    BinSize = group(Rounds, ?ADD_SLICES, [], bin_size_variants()),
    Err = group(Rounds, ?ERR_SLICES, [], err_variants()),
    %% add_wrapped compares like with like: both NIFs behind the same
    %% Erlang wrapper. add_wrapper_cost shows what the wrapper itself adds
    %% to the bare raw call; it has no target of its own (see README).
    %% add_fault_barrier's target is relative: what the armed barrier adds
    %% to the guarded call, so within 2% of add's ratio in the same rounds.
    AddRow = row("add", Add, cnif, raw, 1.04),
    Rows = [AddRow,
            row("add_wrapped", Add, wrapped, raw_wrapped, 1.08),
            row("add_wrapper_cost", Add, wrapped, raw, none),
            row("add_libc_setjmp", Add, libc, raw, 1.10),
            row("add_fault_barrier", Add, barrier, raw, 1.02 * maps:get(ratio, AddRow)),
            row("bin_size", BinSize, cnif, raw, 1.04),
            %% A bad argument raised and caught: the cnif wrapper with its
            %% full error_info against raw's enif_make_badarg.
            row("err_add", Err, add, raw_add, 1.20),
            row("err_struct_field", Err, struct, raw_struct, 1.30),
            row("list_decode_1m", Decode, cnif, raw, 1.03),
            row("list_encode_1m", Encode, cnif, raw, 0.85),
            row("list_encode_10k", Encode10k, cnif, raw, 0.85),
            row("thread_send_100k", Send, cnif, raw, none),
            row("struct_decode_map", StructDecode, map, raw_map, 1.03),
            row("struct_decode_elixir", StructDecode, elixir, raw_elixir, 1.03),
            row("struct_decode_record", StructDecode, record, raw_record, 1.03),
            row("struct_roundtrip_map", StructRoundtrip, map, raw_map, 1.03),
            row("struct_roundtrip_elixir", StructRoundtrip, elixir, raw_elixir, 1.03),
            row("struct_roundtrip_record", StructRoundtrip, record, raw_record, 1.03),
            %% Against raw that hands erts its keys in term order, as cnif does.
            row("struct_roundtrip_map_sorted", StructRoundtrip, map, raw_sorted_map, 1.05),
            row("struct_roundtrip_elixir_sorted", StructRoundtrip, elixir,
                raw_sorted_elixir, 1.05),
            %% Against cnif's own plain NIF: what being yielding costs.
            row("yield_short", Short, yield, plain, 1.20)],
    print(Rows),
    report(Rows).

%% The tables of the other BEAMs' results (and the JSON, with Rows).
report() ->
    report([]).

report(Rows) ->
    Latency = saved("BENCH_LATENCY"),
    print_latency(Latency),
    Isolated = saved("BENCH_ISOLATED"),
    print_isolated(Isolated),
    Transports = saved("BENCH_TRANSPORTS"),
    print_transports(Transports),
    case os:getenv("BENCH_JSON") of
        false -> ok;
        "" -> ok;
        Path ->
            ok = file:write_file(Path, json(Rows, Latency, Isolated, Transports)),
            io:format("JSON written to ~s~n", [Path])
    end.

rounds() ->
    case os:getenv("BENCH_ROUNDS") of
        false -> 41;
        N -> list_to_integer(N)
    end.

%% Every variant must compute the same thing before it is worth timing.
check() ->
    List = lists:seq(1, 1000),
    Expected = {3, lists:sum(List), lists:seq(0, 999)},
    [Expected = {Add(1, 2), Sum(List), Seq(1000)}
     || {Add, Sum, Seq} <- [{fun bench_raw:add/2, fun bench_raw:sum/1, fun bench_raw:seq/1},
                            {fun bench_cnif:add/2, fun bench_cnif:sum/1, fun bench_cnif:seq/1},
                            {fun bench_raw:add_wrapped/2, fun bench_raw:sum/1,
                             fun bench_raw:seq/1},
                            {fun bench_cnif:add_nif/2, fun bench_cnif:sum_nif/1,
                             fun bench_cnif:seq_nif/1},
                            {fun bench_cnif_libc:add_nif/2, fun bench_cnif_libc:sum_nif/1,
                             fun bench_cnif_libc:seq_nif/1},
                            {fun bench_cnif_barrier:add_nif/2, fun bench_cnif_barrier:sum_nif/1,
                             fun bench_cnif_barrier:seq_nif/1}]],
    {1000, 1000} = {flood_raw(1000), flood_cnif(1000)},
    Bin = bin_size_binary(),
    {?BIN_SIZE, ?BIN_SIZE} = {bench_raw:bin_size(Bin), bench_cnif:bin_size_nif(Bin)},
    ok = err_add_raw(1, foo),
    ok = err_add_cnif(1, foo),
    ok = err_struct_raw(1, bad_order()),
    ok = err_struct_cnif(1, bad_order()),
    Short = bench_spin:spin(7, ?SHORT_STEPS),
    Short = bench_spin:spin_yield(7, ?SHORT_STEPS),
    check_struct().

%% The order of the struct benchmarks, 26 fields, as the three terms.
order_fields() ->
    [{id, 1234567890123}, {account, 42}, {symbol, <<"BTC-USD">>},
     {venue, <<"XNAS">>}, {client_ref, <<16#0123456789abcdef0123456789abcdef:128>>},
     {side, sell}, {type, limit}, {tif, gtc}, {status, partial},
     {quantity, 1500}, {filled, 500}, {price, 64250.5}, {stop_price, 0.0},
     {avg_price, 64249.75}, {fee, 1.25}, {created_us, 1700000000000000},
     {updated_us, 1700000000500000}, {expires_us, 0}, {priority, 3},
     {retries, 1}, {flags, 16#a5}, {leverage, -10}, {reduce_only, false},
     {post_only, true}, {hidden, false}, {trader, <<"alice">>}].

order(map) -> maps:from_list(order_fields());
order(elixir) -> (order(map))#{'__struct__' => 'Elixir.Bench.Order'};
order(record) -> list_to_tuple([order | [V || {_, V} <- order_fields()]]).

%% The checksum both NIFs return: every field as an integer (floats
%% truncated, enums as their index, booleans as 0/1, binaries as their
%% size), summed.
order_checksum() ->
    Enums = #{sell => 1, limit => 1, gtc => 0, partial => 1},
    lists:sum([if is_float(V) -> trunc(V);
                  is_binary(V) -> byte_size(V);
                  V =:= true -> 1;
                  V =:= false -> 0;
                  is_atom(V) -> maps:get(V, Enums);
                  true -> V
               end || {_, V} <- order_fields()]).

%% Both sides return the checksum and the same term, and accept and
%% reject the same variations of the order.
check_struct() ->
    [check_struct(Form) || Form <- [map, elixir, record]],
    ok.

check_struct(Form) ->
    Sum = order_checksum(),
    T = order(Form),
    Name = fun(Op, Suffix) -> list_to_atom(Op ++ atom_to_list(Form) ++ Suffix) end,
    {Decode, DecodeNif} = {Name("decode_", ""), Name("decode_", "_nif")},
    {Roundtrip, RoundtripNif} = {Name("roundtrip_", ""), Name("roundtrip_", "_nif")},
    Raw = fun bench_struct_raw:Decode/1,
    Cnif = fun bench_struct_cnif:DecodeNif/1,
    {Sum, Sum} = {Raw(T), Cnif(T)},
    {T, T} = {bench_struct_raw:Roundtrip(T), bench_struct_cnif:RoundtripNif(T)},
    Form =:= record orelse T =:= bench_struct_raw:(Name("roundtrip_", "_sorted"))(T)
        orelse error({differs, Form, sorted}),
    [{Form, Change, Ok, Ok} = {Form, Change, accepts(Raw, V), accepts(Cnif, V)}
     || {Change, Ok, V} <- order_variations(Form, T)].

%% {Name, Accepted, Term}: the order with one thing changed.
order_variations(Form, T) ->
    Set = fun(Key, V) -> set_field(Form, T, Key, V) end,
    [{int_as_float, true, Set(price, 64250)},
     {iolist_text, true, Set(symbol, [<<"BTC">>, $-, "USD"])},
     {utf8_text, true, Set(trader, <<"zoë"/utf8>>)},
     {bad_utf8, false, Set(trader, <<255>>)},
     {bad_utf8_iolist, false, Set(trader, [<<"zo">>, 16#c3])},
     {float_as_int, false, Set(quantity, 1.0)},
     {uint8_over, false, Set(priority, 256)},
     {uint16_max, true, Set(retries, 65535)},
     {int32_under, false, Set(leverage, -2147483649)},
     {int64_over, false, Set(id, 1 bsl 63)},
     {bad_enum, false, Set(side, hold)},
     {bad_bool, false, Set(hidden, nil)},
     {iolist_bytes, true, Set(client_ref, [<<16#0123456789abcdef:64>>, [<<16#01234567:32>>],
                                           16#89, 16#ab, 16#cd, 16#ef])},
     {bytes_as_atom, false, Set(client_ref, ref)},
     {not_a_term, false, 42}]
    ++ case Form of
           record ->
               [{wrong_tag, false, setelement(1, T, other)},
                {short, false, erlang:delete_element(27, T)}];
           _ ->
               [{missing_key, false, maps:remove(fee, T)},
                {extra_key, true, T#{extra => 1}}]
       end
    ++ case Form of
           elixir -> [{wrong_module, false, T#{'__struct__' => 'Elixir.Other'}},
                      {plain_map, false, maps:remove('__struct__', T)}];
           map -> [{elixir_struct, true, T#{'__struct__' => 'Elixir.Bench.Order'}}];
           record -> []
       end.

set_field(record, T, Key, V) ->
    Keys = [K || {K, _} <- order_fields()],
    setelement(index(Key, Keys) + 1, T, V);
set_field(_, T, Key, V) ->
    T#{Key := V}.

index(X, [X | _]) -> 1;
index(X, [_ | Xs]) -> 1 + index(X, Xs).

accepts(F, T) ->
    try F(T) of
        {'$cnif_badarg', _, _, _, _} -> false;
        _ -> true
    catch
        error:badarg -> false
    end.

%% Variants: {Label, Setup, Run}. Setup() runs once in the group's process
%% and returns the state; Run(State) runs one slice of the variant's calls
%% and returns {Nanoseconds, Calls}.
add_variants() ->
    Loop = fun(F) -> fun(_) -> {time(F, ?ADD_SLICE), ?ADD_SLICE} end end,
    None = fun() -> none end,
    [{raw, None, Loop(fun add_raw/1)},
     {raw_wrapped, None, Loop(fun add_raw_wrapped/1)},
     {cnif, None, Loop(fun add_cnif/1)},
     {wrapped, None, Loop(fun add_wrapped/1)},
     {libc, None, Loop(fun add_libc/1)},
     {barrier, None, Loop(fun add_barrier/1)}].

decode_variants() ->
    Make = fun() -> lists:seq(1, ?LIST_LEN) end,
    Sum = ?LIST_LEN * (?LIST_LEN + 1) div 2,
    Calls = fun(F) ->
                    fun(List) ->
                            {once(fun() -> Sum = F(List) end, false), 1}
                    end
            end,
    [{raw, Make, Calls(fun bench_raw:sum/1)},
     {cnif, Make, Calls(fun bench_cnif:sum_nif/1)}].

%% PerSlice calls per slice, each timed alone after an untimed collection.
encode_variants(Len, PerSlice) ->
    None = fun() -> none end,
    Calls = fun(F) ->
                    fun(_) ->
                            Ns = [once(fun() -> [0 | _] = F(Len) end, true)
                                  || _ <- lists:seq(1, PerSlice)],
                            {lists:sum(Ns), PerSlice}
                    end
            end,
    [{raw, None, Calls(fun bench_raw:seq/1)},
     {cnif, None, Calls(fun bench_cnif:seq_nif/1)}].

%% A flood of ?SEND_N messages from a native thread, timed from the call
%% to the last message received.
send_variants() ->
    None = fun() -> none end,
    Calls = fun(F) ->
                    fun(_) ->
                            T0 = erlang:monotonic_time(nanosecond),
                            ?SEND_N = F(?SEND_N),
                            {erlang:monotonic_time(nanosecond) - T0, ?SEND_N}
                    end
            end,
    [{raw, None, Calls(fun flood_raw/1)},
     {cnif, None, Calls(fun flood_cnif/1)}].

bin_size_variants() ->
    Loop = fun(F) -> fun(B) -> {time(fun(N) -> F(N, B) end, ?ADD_SLICE), ?ADD_SLICE} end end,
    [{raw, fun bin_size_binary/0, Loop(fun bin_size_raw/2)},
     {cnif, fun bin_size_binary/0, Loop(fun bin_size_cnif/2)}].

%% One binary off the process heap (a refc binary), as a large one is.
bin_size_binary() ->
    binary:copy(<<0>>, ?BIN_SIZE).

err_variants() ->
    Loop = fun(F) -> fun(T) -> {time(fun(N) -> F(N, T) end, ?ERR_SLICE), ?ERR_SLICE} end end,
    Foo = fun() -> foo end,
    [{raw_add, Foo, Loop(fun err_add_raw/2)},
     {add, Foo, Loop(fun err_add_cnif/2)},
     {raw_struct, fun bad_order/0, Loop(fun err_struct_raw/2)},
     {struct, fun bad_order/0, Loop(fun err_struct_cnif/2)}].

%% The order as a map with one bad field, the tenth of 26: a float where
%% an integer belongs.
bad_order() ->
    (order(map))#{quantity := 1.0}.

short_variants() ->
    Loop = fun(F) -> fun(_) -> {time(F, ?SHORT_SLICE), ?SHORT_SLICE} end end,
    None = fun() -> none end,
    [{plain, None, Loop(fun short_plain/1)},
     {yield, None, Loop(fun short_yield/1)}].

%% The struct benchmarks: decode only, and decode and encode back, of the
%% order as a map, an Elixir struct and a record; each variant a loop of
%% direct calls on the same term.
struct_decode_variants() ->
    struct_variants([{raw_map, map, fun dec_map_raw/2}, {map, map, fun dec_map_cnif/2},
                     {raw_elixir, elixir, fun dec_elixir_raw/2},
                     {elixir, elixir, fun dec_elixir_cnif/2},
                     {raw_record, record, fun dec_record_raw/2},
                     {record, record, fun dec_record_cnif/2}], ?DECODE_SLICE, false).

struct_roundtrip_variants() ->
    struct_variants([{raw_map, map, fun rt_map_raw/2}, {map, map, fun rt_map_cnif/2},
                     {raw_elixir, elixir, fun rt_elixir_raw/2},
                     {elixir, elixir, fun rt_elixir_cnif/2},
                     {raw_record, record, fun rt_record_raw/2},
                     {record, record, fun rt_record_cnif/2},
                     {raw_sorted_map, map, fun rt_map_raw_sorted/2},
                     {raw_sorted_elixir, elixir, fun rt_elixir_raw_sorted/2}],
                    ?ROUNDTRIP_SLICE, true).

struct_variants(Loops, Calls, Gc) ->
    [{Label, fun() -> order(Form) end,
      fun(T) ->
              Gc andalso erlang:garbage_collect(),
              T0 = erlang:monotonic_time(nanosecond),
              ok = Loop(Calls, T),
              {erlang:monotonic_time(nanosecond) - T0, Calls}
      end}
     || {Label, Form, Loop} <- Loops].

%% Both return the last message, N. cnif's job then replies {Ref, Sent}:
%% that reply is received after the last message, outside the timing.
flood_raw(N) ->
    ok = bench_raw:flood(self(), N),
    drain(N, none).

flood_cnif(N) ->
    Ref = bench_cnif:flood(self(), N),
    Last = drain(N, none),
    receive {Ref, N} -> Last end.

drain(0, Last) -> Last;
drain(K, _) -> receive I when is_integer(I) -> drain(K - 1, I) end.

time(F, N) ->
    T0 = erlang:monotonic_time(nanosecond),
    ok = F(N),
    erlang:monotonic_time(nanosecond) - T0.

%% One timed call of Call, after an untimed garbage collection if Gc.
once(Call, Gc) ->
    Gc andalso erlang:garbage_collect(),
    T0 = erlang:monotonic_time(nanosecond),
    _ = Call(),
    erlang:monotonic_time(nanosecond) - T0.

%% Run a group in a fresh process (its own heap): a warm-up round, then
%% Rounds measured rounds of Slices slices. Returns #{Label => [{Ns, Calls}]},
%% one entry per measured round, in round order.
group(Rounds, Slices, SpawnOpts, Variants) ->
    Parent = self(),
    {Pid, Ref} =
        spawn_opt(fun() ->
                          States = [{L, S(), R} || {L, S, R} <- Variants],
                          _ = round(States, Slices, 0),
                          Parent ! {self(), [round(States, Slices, I)
                                             || I <- lists:seq(1, Rounds)]}
                  end, [monitor | SpawnOpts]),
    receive
        {Pid, PerRound} ->
            erlang:demonitor(Ref, [flush]),
            maps:groups_from_list(fun({L, _}) -> L end, fun({_, T}) -> T end,
                                  lists:append(PerRound));
        {'DOWN', Ref, process, Pid, Reason} ->
            error({bench_failed, Reason})
    end.

%% One round: Slices times every variant once, starting at a different
%% variant each round; the slices of a variant are summed.
round(States, Slices, I) ->
    {A, B} = lists:split(I rem length(States), States),
    Order = B ++ A,
    Times = [{L, R(S)} || _ <- lists:seq(1, Slices), {L, S, R} <- Order],
    [{L, lists:foldl(fun({Ns, N}, {AccNs, AccN}) -> {AccNs + Ns, AccN + N} end,
                     {0, 0}, [T || {L1, T} <- Times, L1 =:= L])}
     || {L, _, _} <- Order].

row(Name, Times, Cnif, Raw, Target) ->
    PerCall = fun(L) -> [Ns / N || {Ns, N} <- maps:get(L, Times)] end,
    C = PerCall(Cnif),
    R = PerCall(Raw),
    Ratios = lists:sort([X / Y || {X, Y} <- lists:zip(C, R)]),
    #{name => Name, cnif_ns => median(C), raw_ns => median(R),
      ratio => median(Ratios), target => Target,
      p25 => pct(Ratios, 0.25), p75 => pct(Ratios, 0.75)}.

median(Xs) -> pct(lists:sort(Xs), 0.5).

%% Linear interpolation between the closest ranks of a sorted list.
pct(Sorted, P) ->
    Pos = P * (length(Sorted) - 1),
    Lo = floor(Pos),
    X = lists:nth(Lo + 1, Sorted),
    case Lo + 1 < length(Sorted) of
        true -> X + (Pos - Lo) * (lists:nth(Lo + 2, Sorted) - X);
        false -> X
    end.

pass(#{target := none}) -> "-";
pass(#{ratio := Ratio, target := Target}) when Ratio =< Target -> "PASS";
pass(_) -> "MISS".

print(Rows) ->
    io:format("~n~-24s ~14s ~14s ~7s ~15s ~7s  ~s~n",
              ["benchmark", "cnif ns/call", "raw ns/call", "ratio",
               "ratio p25-p75", "target", "result"]),
    [io:format("~-24s ~14s ~14s ~7.3f ~15s ~7s  ~s~n",
               [N, ns(C), ns(R), Ratio, io_lib:format("~.3f-~.3f", [P25, P75]),
                target(T), pass(Row)])
     || #{name := N, cnif_ns := C, raw_ns := R, ratio := Ratio, target := T,
          p25 := P25, p75 := P75} = Row <- Rows],
    io:format("~nratio: median of the per-round ratios cnif/raw; ns/call: median "
              "over rounds; bench/README.md explains the figures.~n"),
    ok.

target(none) -> "-";
%% Three decimals: a relative target is no round figure.
target(T) -> io_lib:format("~.3f", [T]).

ns(X) when X < 1000 -> io_lib:format("~.1f", [X]);
ns(X) -> integer_to_list(round(X)).

%% The results another BEAM left in the file the variable Var names, or []
%% if it did not run.
saved(Var) ->
    case os:getenv(Var) of
        false -> [];
        "" -> [];
        Path ->
            case file:read_file(Path) of
                {ok, Bin} -> binary_to_term(Bin);
                {error, Reason} -> error({no_results, Var, Path, Reason})
            end
    end.

latency_pass(#{target_ms := none}) -> "-";
latency_pass(#{worst_ms := W, target_ms := T}) when W < T -> "PASS";
latency_pass(_) -> "MISS".

print_latency([]) ->
    ok;
print_latency([#{floor_ms := Floor, late_ms := LateMs, worst_ms_runs := Runs} | _] = Rows) ->
    io:format("~n~-22s ~8s  ~-22s ~8s ~8s ~8s ~5s ~9s ~8s ~6s  ~s~n",
              ["responsiveness", "worst ms", "(each run)", "excl. OS", "step ms",
               "p99 ms", "late", "pings", "wall ms", "target", "result"]),
    [io:format("~-22s ~8s  ~-22s ~8s ~8s ~8s ~5b ~9b ~8b ~6s  ~s~n",
               [N, ms(W), lists:join(" / ", [ms(X) || X <- Ws]), ms(Own),
                case Step == 0 of true -> "-"; false -> ms(Step) end, p99(P, Floor),
                round(Late), round(Pings), round(Wall),
                case T of none -> "-"; _ -> io_lib:format("<~s", [ms(T)]) end,
                latency_pass(Row)])
     || #{name := N, worst_ms := W, worst_ms_runs := Ws, worst_own_ms := Own,
          step_ms := Step, p99_ms := P, late := Late, pings := Pings, wall_ms := Wall,
          target_ms := T} = Row <- Rows],
    io:format("~nworst: a ping process's longest wait for a scheduler while 4 callers "
              "run a ~~1 s CPU~njob each (fetch_all and fetch_all_raw: 10 yielding "
              "fetches of 200,000 rows),~nmedian of ~b runs (+S 2 +SDcpu 2); excl. OS: "
              "without the time Linux kept the ping's~nscheduler thread waiting for a "
              "CPU; step: fetch_all's longest NIF step in CPU time;~nlate: such gaps "
              "over ~b ms. See bench/README.md.~n",
              [length(Runs), LateMs]).

p99(P, Floor) when P =< Floor -> "<" ++ ms(Floor);
p99(P, _) -> ms(P).

ms(X) when X >= 100 -> integer_to_list(round(X));
ms(X) when X >= 10 -> io_lib:format("~.1f", [X]);
ms(X) -> io_lib:format("~.2f", [float(X)]).

print_isolated([]) ->
    ok;
print_isolated(Rows) ->
    io:format("~n~-24s ~15s ~30s ~9s ~17s ~12s  ~s~n",
              ["isolated mode", "median", "reference", "ratio", "ratio p25-p75",
               "target", "result"]),
    [begin
         {V, R, Ratio, P25, P75} = isolated_figures(Row),
         io:format("~-24s ~15s ~30s ~9s ~17s ~12s  ~s~n",
                   [N, V, [R, " ", Ref], ratio(Ratio), [ratio(P25), "-", ratio(P75)],
                    isolated_target(Row), isolated_pass(Row)])
     end || #{name := N, reference := Ref} = Row <- Rows],
    io:format("~nratio: median of the per-round ratios to the reference (calls/s: "
              "isolated/in process);~nround trips: median of each slice's median call. "
              "See bench/README.md.~n").

%% {Value, Reference, Ratio, P25, P75} as printed: throughput in calls/s,
%% whose ratio is the inverse of the ns-per-call one.
isolated_figures(#{unit := calls_per_s, cnif_ns := C, raw_ns := R, ratio := Ratio,
                   p25 := P25, p75 := P75}) ->
    {per_s(1.0e9 / C), per_s(1.0e9 / R), 1 / Ratio, 1 / P75, 1 / P25};
isolated_figures(#{unit := Unit, cnif_ns := C, raw_ns := R, ratio := Ratio,
                   p25 := P25, p75 := P75}) ->
    {duration(C, Unit), duration(R, Unit), Ratio, P25, P75}.

duration(Ns, us) -> io_lib:format("~.1f us", [Ns / 1000]);
duration(Ns, ms) -> io_lib:format("~.1f ms", [Ns / 1.0e6]).

per_s(X) when X >= 1.0e6 -> io_lib:format("~.1fM calls/s", [X / 1.0e6]);
per_s(X) -> io_lib:format("~b calls/s", [round(X)]).

ratio(X) when X < 0.01 -> io_lib:format("~.2e", [X]);
ratio(X) -> io_lib:format("~.3f", [X]).

isolated_target(#{target := none}) -> "-";
isolated_target(#{target := T, target_us := Us}) ->
    io_lib:format("~.1fx, ~b us", [T, round(Us)]).

%% Both targets of the round trip: the ratio, and the time itself.
isolated_pass(#{target := none}) -> "-";
isolated_pass(#{target := T, target_us := Us, ratio := Ratio, cnif_ns := C}) ->
    [result(Ratio =< T), ", ", result(C / 1000 =< Us)].

result(true) -> "PASS";
result(false) -> "MISS".

print_transports([]) ->
    ok;
print_transports(Rows) ->
    io:format("~n~-24s ~10s ~9s ~17s~n", ["transport", "median us", "x C echo", "p25-p75"]),
    [io:format("~-24s ~10.1f ~9.3f ~17s~n",
               [N, C / 1000, Ratio, [ratio(P25), "-", ratio(P75)]])
     || #{name := N, cnif_ns := C, ratio := Ratio, p25 := P25, p75 := P75} <- Rows],
    io:format("~nround trip of one small call (an echo for the ports): median of each "
              "slice's median call,~nmedian over rounds; x C echo: median of the per-round "
              "ratios. See bench/README.md.~n").

json(Rows, Latency, Isolated, Transports) ->
    Objects = [io_lib:format("  {\"name\": \"~s\", \"cnif_ns\": ~s, \"raw_ns\": ~s, "
                             "\"ratio\": ~s, \"target\": ~s}",
                             [N, num(C), num(R), num(Ratio), num(T)])
               || #{name := N, cnif_ns := C, raw_ns := R, ratio := Ratio,
                    target := T} <- Rows],
    LatencyObjects =
        [io_lib:format("  {\"name\": \"~s\", \"worst_ms\": ~s, \"worst_ms_runs\": [~s], "
                       "\"worst_excl_os_ms\": ~s, \"step_ms\": ~s, \"p99_ms\": ~s, "
                       "\"late_pings\": ~s, \"late_ms\": ~s, "
                       "\"pings\": ~s, \"wall_ms\": ~s, \"target_ms\": ~s}",
                       [N, num(W), lists:join(", ", [num(X) || X <- Ws]), num(Own), num(Step), num(P),
                        num(round(Late)), num(LateMs), num(round(Pings)), num(Wall),
                        num(T)])
         || #{name := N, worst_ms := W, worst_ms_runs := Ws, worst_own_ms := Own,
              step_ms := Step, p99_ms := P, late := Late, late_ms := LateMs, pings := Pings,
              wall_ms := Wall, target_ms := T} <- Latency],
    IsolatedObjects =
        [io_lib:format("  {\"name\": \"~s\", \"unit\": \"~s\", \"value\": ~s, "
                       "\"reference\": \"~s\", \"reference_value\": ~s, \"ratio\": ~s, "
                       "\"target\": ~s, \"target_us\": ~s}",
                       [N, Unit, num(value(C, Unit)), Ref, num(value(R, Unit)),
                        sig(case Unit of calls_per_s -> 1 / Ratio; _ -> Ratio end),
                        num(T), num(maps:get(target_us, Row, none))])
         || #{name := N, unit := Unit, cnif_ns := C, raw_ns := R, ratio := Ratio,
              reference := Ref, target := T} = Row <- Isolated],
    TransportObjects =
        [io_lib:format("  {\"name\": \"transport_~s\", \"us\": ~s, \"c_echo_us\": ~s, "
                       "\"ratio\": ~s}", [N, num(C / 1000), num(R / 1000), num(Ratio)])
         || #{name := N, cnif_ns := C, raw_ns := R, ratio := Ratio} <- Transports],
    ["[\n", lists:join(",\n", Objects ++ LatencyObjects ++ IsolatedObjects
                                ++ TransportObjects), "\n]\n"].

%% A figure in its unit: us or ms from ns, calls/s from ns per call.
value(Ns, us) -> Ns / 1000;
value(Ns, ms) -> Ns / 1.0e6;
value(Ns, calls_per_s) -> 1.0e9 / Ns.

%% Four significant digits, for ratios far under 1.
sig(X) when X < 0.01 -> float_to_list(float(X), [{scientific, 3}]);
sig(X) -> num(X).

num(none) -> "null";
num(X) when is_integer(X) -> integer_to_list(X);
num(X) -> float_to_list(float(X), [{decimals, 4}, compact]).
