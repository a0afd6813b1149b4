%% bench_latency -- the scheduler responsiveness benchmark of `make bench`,
%% run in a BEAM of its own with two normal and two dirty CPU schedulers
%% (see bench.mk and README.md).
%%
%% A ping process loops on erlang:yield/0 and records the gap between two
%% consecutive pings: every ping is a trip through its run queue, so a gap
%% is how long a process that is ready to run waits for a scheduler. Each
%% gap is also taken without the time the OS kept the ping's scheduler
%% thread off the CPU meanwhile (Linux's run delay of the thread), which
%% separates the BEAM's own share of a gap from the machine's. While
%% it loops, 4 callers each run the same CPU job of about 1 second
%% (bench_spin.c) in one of four ways: naive (a plain NIF), dirty, yielding
%% (slices ended by cnif_yield_due) and threaded; yielding also with the
%% 1 ms slices erl_nif's docs suggest, counted by hand; yielding_raw is the
%% yielding job by hand against erl_nif (bench_raw.c). Mode fetch_all
%% runs another job: ?FETCHES calls of a yielding NIF that builds ?ROWS
%% rows as a database's fetch_all does, carrying them across slices as
%% terms (bench_spin.c), and fetch_all_raw the same job by hand against
%% erl_nif (bench_raw.c). One more mode, idle, is the control: the callers
%% only sleep for 1 s, so its gaps are what the machine alone costs the
%% ping (other OS threads taking the core). Every mode is run ?REPS times, the modes
%% interleaved and their order rotated from one repetition to the next.
%%
%% main(Path) writes the results to Path (term_to_binary of a list of
%% maps, one per mode); bench:main/0 prints them with the other results.
-module(bench_latency).
-export([main/1]).

-define(CALLERS, 4).
-define(JOB_NS, 1000000000). % the job's length, calibrated on an idle core
-define(REPS, 3).
-define(FLOOR_US, 10).       % gaps shorter than this are only counted
-define(LATE_MS, 2).         % Own gaps over this are counted as late pings
-define(SEED, 88172645463325252).
-define(ROWS, 200000).       % rows of one fetch_all call
-define(FETCHES, 10).        % fetch_all calls of one caller

modes() ->
    [{idle, fun(_, _) -> timer:sleep(1000), idle end, none},
     {naive, fun(S, N) -> bench_spin:spin(S, N) end, none},
     {dirty, fun(S, N) -> bench_spin:spin_dirty(S, N) end, none},
     {yielding, fun(S, N) -> bench_spin:spin_yield(S, N) end, 2.0},
     {yielding_raw, fun(S, N) -> bench_raw:spin_yield(S, N) end, none},
     {yielding_1ms, fun(S, N) -> bench_spin:spin_yield_1ms(S, N) end, none},
     {fetch_all, fun(_, _) -> fetch_all(bench_spin, ?FETCHES) end, 2.0},
     {fetch_all_raw, fun(_, _) -> fetch_all(bench_raw, ?FETCHES) end, none},
     {threaded, fun(S, N) ->
                        Ref = bench_spin:spin_thread(S, N),
                        receive {Ref, R} -> R end
                end, none}].

main(Path) ->
    check(),
    {N, StepNs} = calibrate(),
    io:format("latency: ~b callers x ~b steps (~.2f ns/step, about ~b ms "
              "alone), ~b repetitions of ~b modes, in a BEAM with "
              "~b schedulers and ~b dirty CPU schedulers~n",
              [?CALLERS, N, StepNs, round(N * StepNs / 1.0e6), ?REPS,
               length(modes()),
               erlang:system_info(schedulers),
               erlang:system_info(dirty_cpu_schedulers)]),
    Modes = modes(),
    Runs = lists:append(
             [begin
                  {A, B} = lists:split(Rep rem length(Modes), Modes),
                  [{Mode, run(Fun, N)} || {Mode, Fun, _} <- B ++ A]
              end || Rep <- lists:seq(0, ?REPS - 1)]),
    %% Every call of every spin mode must have computed the same number,
    %% and every fetch_all caller all its rows.
    [_] = lists:usort([R || {_, #{results := Rs}} <- Runs, R <- Rs, is_integer(R)]),
    [{rows, ?FETCHES * ?ROWS}] =
        lists:usort([R || {Mode, #{results := Rs}} <- Runs, fetch_mode(Mode), R <- Rs]),
    Results = [summary(Mode, Target, [S || {M, S} <- Runs, M =:= Mode])
               || {Mode, _, Target} <- Modes],
    ok = file:write_file(Path, term_to_binary(Results)).

%% The spin modes against a plain Erlang xorshift64 on a short run;
%% both fetch_alls against the list built in Erlang.
check() ->
    Expected = xorshift(?SEED, 1000),
    [Expected = Fun(?SEED, 1000)
     || {Mode, Fun, _} <- modes(), Mode =/= idle, not fetch_mode(Mode)],
    [Rows = Mod:fetch_all(N)
     || Mod <- [bench_spin, bench_raw], N <- [0, 1, ?ROWS],
        Rows <- [[{I, <<"name">>, I * 2} || I <- lists:seq(1, N)]]],
    ok.

fetch_mode(Mode) -> lists:member(Mode, [fetch_all, fetch_all_raw]).

%% K calls in a row of Mod's fetch_all: {rows, Count} of the rows they
%% returned, each row checked.
fetch_all(Mod, K) ->
    {rows, lists:sum([count_rows(Mod:fetch_all(?ROWS), 1)
                      || _ <- lists:seq(1, K)])}.

%% How many rows, each checked to be {I, <<"name">>, I * 2} with I
%% counting from 1: walked in Erlang, which the scheduler preempts, where
%% one =:= of ?ROWS rows would hold it for milliseconds.
count_rows([{I, <<"name">>, I2} | Rest], I) when I2 =:= I * 2 ->
    count_rows(Rest, I + 1);
count_rows([], I) ->
    I - 1.

xorshift(X, 0) -> X;
xorshift(X0, N) ->
    Mask = 16#FFFFFFFFFFFFFFFF,
    X1 = X0 bxor ((X0 bsl 13) band Mask),
    X2 = X1 bxor (X1 bsr 7),
    X3 = X2 bxor ((X2 bsl 17) band Mask),
    xorshift(X3, N - 1).

%% Steps for ?JOB_NS on one core, from the fastest of three 50M-step runs
%% on a dirty scheduler (nothing else runs yet).
calibrate() ->
    Steps = 50000000,
    Ns = lists:min([begin
                        T0 = erlang:monotonic_time(nanosecond),
                        _ = bench_spin:spin_dirty(?SEED, Steps),
                        erlang:monotonic_time(nanosecond) - T0
                    end || _ <- lists:seq(1, 3)]),
    StepNs = Ns / Steps,
    {round(?JOB_NS / StepNs), StepNs}.

%% One run: the ping process starts, then the callers; the ping records
%% from the moment the callers exist to the moment the last one is done.
run(Fun, N) ->
    Self = self(),
    State = atomics:new(1, []), % 0: warming up, 1: measuring, 2: stop
    Floor = erlang:convert_time_unit(?FLOOR_US, microsecond, native),
    Late = erlang:convert_time_unit(?LATE_MS, millisecond, native),
    Ping = spawn_link(fun() ->
                              Self ! {self(), ping(State, {Floor, Late})}
                      end),
    _ = bench_spin:step_max_take(),
    T0 = erlang:monotonic_time(),
    Callers = [spawn_caller(I, fun() ->
                                       R = Fun(?SEED, N),
                                       Self ! {self(), R, erlang:monotonic_time()}
                               end) || I <- lists:seq(1, ?CALLERS)],
    atomics:put(State, 1, 1),
    Done = [receive {C, R, T} -> {R, T} end || C <- Callers],
    atomics:put(State, 1, 2),
    {Pings, Max, MaxOwn, Lates, Big} = receive {Ping, Stats} -> Stats end,
    Sorted = lists:reverse(lists:sort(Big)),
    Rank = max(1, ceil(Pings / 100)),  % the 1% longest gaps
    P99 = case Rank =< length(Sorted) of
              true -> lists:nth(Rank, Sorted);
              false -> Floor       % below the floor: reported as the floor
          end,
    #{worst => ms(Max), worst_own => ms(MaxOwn), p99 => ms(P99), pings => Pings,
      late => Lates,
      step => bench_spin:step_max_take() / 1.0e6,
      wall => ms(lists:max([T || {_, T} <- Done]) - T0),
      results => [R || {R, _} <- Done]}.

%% The callers are spread evenly over the normal schedulers (two on each
%% with +S 2), the layout erts's balancing aims at but is too slow to reach
%% within a 1-second job: left alone, the callers stay where the spawning
%% and the first work stealing put them, often three or four on one
%% scheduler, and the ping's share of them (zero to four) would decide the
%% result. Binding uses spawn_opt's undocumented {scheduler, Id}; where it
%% is refused, the callers go where erts puts them. The ping is not bound.
spawn_caller(I, Fun) ->
    Sched = I rem erlang:system_info(schedulers) + 1,
    try spawn_opt(Fun, [link, {scheduler, Sched}])
    catch error:badarg -> spawn_link(Fun)
    end.

ping(State, Limits) ->
    case atomics:get(State, 1) of
        0 -> erlang:yield(), ping(State, Limits);
        _ -> ping(State, Limits, erlang:monotonic_time(), sched(), {0, 0, 0, 0, []})
    end.

%% Each gap is also taken without the time the ping's scheduler thread
%% spent waiting for a CPU meanwhile (Own), if the ping stayed on it.
%% Kept: pings, the longest gap, the longest Own, the Own gaps over ?LATE_MS
%% and every gap over the floor.
ping(State, {Floor, Late} = Limits, Prev, {Sched, Delay}, {Pings, Max, MaxOwn, Lates, Big}) ->
    erlang:yield(),
    Now = erlang:monotonic_time(),
    {Sched1, Delay1} = Here = sched(),
    Gap = Now - Prev,
    Own = case Sched1 of
              Sched -> Gap - erlang:convert_time_unit(Delay1 - Delay, nanosecond, native);
              _ -> Gap
          end,
    case atomics:get(State, 1) of
        1 when Gap >= Floor ->
            ping(State, Limits, Now, Here,
                 {Pings + 1, max(Max, Gap), max(MaxOwn, Own),
                  Lates + if Own > Late -> 1; true -> 0 end, [Gap | Big]});
        1 ->
            ping(State, Limits, Now, Here, {Pings + 1, Max, MaxOwn, Lates, Big});
        _ ->
            {Pings, Max, MaxOwn, Lates, Big}
    end.

sched() -> {erlang:system_info(scheduler_id), bench_spin:run_delay()}.

ms(Native) -> erlang:convert_time_unit(Native, native, nanosecond) / 1.0e6.

%% Per mode: the medians over the repetitions, and every worst case.
summary(Mode, Target, Runs) ->
    Med = fun(K) -> median([maps:get(K, R) || R <- Runs]) end,
    #{name => "latency_" ++ atom_to_list(Mode), worst_ms => Med(worst),
      worst_own_ms => Med(worst_own), p99_ms => Med(p99), wall_ms => Med(wall),
      step_ms => Med(step),
      pings => Med(pings),
      late => Med(late), late_ms => ?LATE_MS,
      worst_ms_runs => [maps:get(worst, R) || R <- Runs], target_ms => Target,
      floor_ms => ?FLOOR_US / 1000}.

median(Xs) ->
    Sorted = lists:sort(Xs),
    Len = length(Sorted),
    case Len rem 2 of
        1 -> lists:nth(Len div 2 + 1, Sorted);
        0 -> (lists:nth(Len div 2, Sorted) + lists:nth(Len div 2 + 1, Sorted)) / 2
    end.
