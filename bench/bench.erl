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
%% Environment: BENCH_JSON=Path also writes the results as JSON;
%% BENCH_ROUNDS=N changes the number of measured rounds (default 41).
-module(bench).
-export([main/0]).

-define(ADD_SLICE, 100000).   % add calls per slice
-define(ADD_SLICES, 10).      % slices per variant per round: 1,000,000 calls
-define(LIST_LEN, 1000000).   % elements of the list benchmarks
-define(LIST_SLICES, 6).      % one list call per slice: 6 per variant per round

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
                   encode_variants()),
    %% add_wrapped compares like with like: both NIFs behind the same
    %% Erlang wrapper. add_wrapper_cost shows what the wrapper itself adds
    %% to the bare raw call; it has no target of its own (see README).
    Rows = [row("add", Add, cnif, raw, 1.10),
            row("add_wrapped", Add, wrapped, raw_wrapped, 1.10),
            row("add_wrapper_cost", Add, wrapped, raw, none),
            row("add_libc_setjmp", Add, libc, raw, 1.10),
            row("list_decode_1m", Decode, cnif, raw, 1.05),
            row("list_encode_1m", Encode, cnif, raw, 1.05)],
    print(Rows),
    case os:getenv("BENCH_JSON") of
        false -> ok;
        "" -> ok;
        Path ->
            ok = file:write_file(Path, json(Rows)),
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
                             fun bench_cnif_libc:seq_nif/1}]],
    ok.

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
     {libc, None, Loop(fun add_libc/1)}].

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

encode_variants() ->
    None = fun() -> none end,
    Calls = fun(F) ->
                    fun(_) ->
                            {once(fun() -> [0 | _] = F(?LIST_LEN) end, true), 1}
                    end
            end,
    [{raw, None, Calls(fun bench_raw:seq/1)},
     {cnif, None, Calls(fun bench_cnif:seq_nif/1)}].

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
    io:format("~n~-20s ~14s ~14s ~7s ~15s ~7s  ~s~n",
              ["benchmark", "cnif ns/call", "raw ns/call", "ratio",
               "ratio p25-p75", "target", "result"]),
    [io:format("~-20s ~14s ~14s ~7.3f ~15s ~7s  ~s~n",
               [N, ns(C), ns(R), Ratio, io_lib:format("~.3f-~.3f", [P25, P75]),
                target(T), pass(Row)])
     || #{name := N, cnif_ns := C, raw_ns := R, ratio := Ratio, target := T,
          p25 := P25, p75 := P75} = Row <- Rows],
    io:format("~nratio: median of the per-round ratios cnif/raw; ns/call: median "
              "over rounds; bench/README.md explains the figures.~n"),
    ok.

target(none) -> "-";
target(T) -> io_lib:format("~.2f", [T]).

ns(X) when X < 1000 -> io_lib:format("~.1f", [X]);
ns(X) -> integer_to_list(round(X)).

json(Rows) ->
    Objects = [io_lib:format("  {\"name\": \"~s\", \"cnif_ns\": ~s, \"raw_ns\": ~s, "
                             "\"ratio\": ~s, \"target\": ~s}",
                             [N, num(C), num(R), num(Ratio), num(T)])
               || #{name := N, cnif_ns := C, raw_ns := R, ratio := Ratio,
                    target := T} <- Rows],
    ["[\n", lists:join(",\n", Objects), "\n]\n"].

num(none) -> "null";
num(X) -> float_to_list(float(X), [{decimals, 4}, compact]).
