%% soak -- `make soak`: 16 processes call soak_nif (test/soak/soak_nif.c)
%% for SOAK_SECONDS (default 600) while the module is reloaded every few
%% seconds, then the VM must be as it was after the warm-up.
%%
%% The processes mix, at random:
%%   - calls that return, panic in each phase (decode, call, encode,
%%     cleanup), raise, and report bad arguments (from the decoder and
%%     from the body), 20 at a time;
%%   - threaded jobs on the pool and on threads of their own that return,
%%     panic, raise, report a bad argument or panic in a cleanup;
%%   - the same jobs with their caller killed while they run;
%%   - yielding calls that complete, and yielding calls whose caller is
%%     killed between slices;
%%   - resources made and dropped in batches of 10 to 100, the first of
%%     each batch with a destructor that panics (each such panic must reach
%%     logger exactly once);
%%   - floods of cnif_send messages, from normal calls and from job threads.
%% Meanwhile a reloader loads the other build of soak_nif (version 1 over
%% 2, 2 over 1: a hot upgrade with resource type takeover) every 3 s and
%% purges the old one once no process runs its code.
%%
%% Every call's outcome is checked exactly (the exact exception term, the
%% panic's location included). After the warm-up and again at the end, all
%% work is stopped and collected and the VM is measured: erlang:memory(total),
%% VmRSS, the atom count, the live soak resources and the OS threads. The
%% end must match the baseline within the tolerances below (tolerances/0),
%% every job and yielding call must have run its cleanup exactly once, and
%% every killed caller's job must have seen cnif_job_cancelled.
-module(soak).
-export([main/2, log/2, drop_expected/2]).

-define(WORKERS, 16).
-define(WARMUP_SECONDS, 10).
-define(RELOAD_MS, 3000).
-define(BATCH_STRIDE, 100).  % resource ids of a batch start at a multiple of this
-define(TABLE, soak_counts).

%%% Entry point

main(Dir, Seconds) ->
    Code = try run(Dir, Seconds) of
               ok -> 0;
               failed -> 1
           catch Class:Reason:Stack ->
                   io:format("soak: crashed: ~p~n", [{Class, Reason, Stack}]),
                   2
           end,
    halt(Code).

run(Dir, Seconds) ->
    ets:new(?TABLE, [named_table, public, {write_concurrency, true}]),
    Dirs = {filename:join(Dir, "v1"), filename:join(Dir, "v2")},
    {module, soak_nif} = load_version(1, Dirs),
    quiet_logger(),
    Sites = sites(),
    io:format("soak: ~b processes, warm-up ~b s, then ~b s; a reload every ~b ms~n",
              [?WORKERS, ?WARMUP_SECONDS, Seconds, ?RELOAD_MS]),
    phase(warmup, ?WARMUP_SECONDS, Sites, Dirs),
    {ok, Base} = quiesce(),
    ets:delete_all_objects(?TABLE),
    Started = erlang:monotonic_time(millisecond),
    Reloads = phase(main, Seconds, Sites, Dirs),
    Elapsed = erlang:monotonic_time(millisecond) - Started,
    Settled = quiesce(),
    verdict(Base, Settled, Reloads, Elapsed).

%%% Tolerances

%% {Measure, Allowed growth, Why}. Only growth counts: a leak never makes
%% memory shrink, while the warm-up's garbage may still be freed.
tolerances() ->
    [{memory, 8 * 1024 * 1024,
      "erlang:memory(total), bytes: the allocators' carriers and the code of "
      "the other module version move it by a few hundred KB; a leak of 8 bytes "
      "a call over 1M calls, or of one module's code per reload, exceeds 8 MB"},
     {rss_kb, 64 * 1024,
      "VmRSS, kB: the OS's view also counts memory erts keeps cached in "
      "carriers and the stacks of exited threads, returned lazily; a leak of "
      "one 256-byte resource in 100 of those made here exceeds 64 MB"},
     {atoms, 0,
      "atom count: atoms are never collected; the warm-up ran every path and "
      "both versions, so any new atom is made from data (a leak)"},
     {resources, 0,
      "live soak resources (created minus destroyed, counted in the NIF): "
      "exactly back after every process is collected"},
     {threads, 0,
      "OS threads (/proc/self/task): old versions' pools joined at purge, "
      "threads of their own joined, nothing left behind"}].

%%% Phases

%% Run the workers and the reloader for Seconds; returns the reloader's
%% {Reloads, MaxPurgeMs, ForcedPurges}.
phase(Name, Seconds, Sites, Dirs) ->
    Deadline = erlang:monotonic_time(millisecond) + Seconds * 1000,
    Parent = self(),
    Reloader = spawn_link(fun() -> reloader(Dirs, soak_nif:version(), 0, 0, 0) end),
    Workers = [spawn_link(fun() -> worker(I, Deadline, Sites, Parent) end)
               || I <- lists:seq(1, ?WORKERS)],
    progress(Name, Workers, Deadline, erlang:monotonic_time(millisecond)),
    Reloader ! {stop, self()},
    receive {reloads, R} -> R end.

%% Wait for the workers, printing totals every minute.
progress(_Name, [], _Deadline, _Started) ->
    ok;
progress(Name, Workers, Deadline, Started) ->
    receive
        {done, Pid} -> progress(Name, lists:delete(Pid, Workers), Deadline, Started)
    after 60000 ->
            Now = erlang:monotonic_time(millisecond),
            io:format("soak: ~s ~b s: ~b calls, memory(total) ~b, ~b threads~n",
                      [Name, (Now - Started) div 1000, total_calls(counts()),
                       erlang:memory(total), threads()]),
            progress(Name, Workers, Deadline, Started)
    end.

%%% Reloading

load_version(V, {D1, D2}) ->
    code:del_path(D1),
    code:del_path(D2),
    true = code:add_patha(element(V, {D1, D2})),
    code:load_file(soak_nif).

%% Every ?RELOAD_MS, load the other build over the current one, check the
%% new library answers, and purge the old code once no process runs it
%% (soft_purge; after 10 s, purge, which kills such processes).
reloader(Dirs, V, N, MaxPurge, Forced) ->
    receive
        {stop, From} -> From ! {reloads, {N, MaxPurge, Forced}}
    after ?RELOAD_MS ->
            Next = 3 - V,
            {module, soak_nif} = load_version(Next, Dirs),
            Next = soak_nif:version(),
            T0 = erlang:monotonic_time(millisecond),
            F = purge_old(T0),
            T = erlang:monotonic_time(millisecond) - T0,
            reloader(Dirs, Next, N + 1, max(MaxPurge, T), Forced + F)
    end.

purge_old(T0) ->
    case code:soft_purge(soak_nif) of
        true -> 0;
        false ->
            case erlang:monotonic_time(millisecond) - T0 > 10000 of
                true -> code:purge(soak_nif), 1;
                false -> timer:sleep(5), purge_old(T0)
            end
    end.

%%% Workers

worker(I, Deadline, Sites, Parent) ->
    rand:seed(exsss, {I, 17, erlang:unique_integer()}),
    put(id, I),
    put(seq, 0),
    loop(Deadline, Sites),
    Parent ! {done, self()}.

loop(Deadline, Sites) ->
    case erlang:monotonic_time(millisecond) < Deadline of
        true -> act(pick(rand:uniform(100)), Sites), loop(Deadline, Sites);
        false -> ok
    end.

pick(R) when R =< 40 -> probes;
pick(R) when R =< 50 -> job;
pick(R) when R =< 56 -> job_killed;
pick(R) when R =< 64 -> yield;
pick(R) when R =< 70 -> yield_killed;
pick(R) when R =< 80 -> resources;
pick(R) when R =< 90 -> flood;
pick(_) -> flood_job.

%% A number no other call of this process used.
seq() ->
    N = get(seq) + 1,
    put(seq, N),
    get(id) * 1000000000 + N.

count(Kind) -> count(Kind, 1).
count(Kind, N) -> ets:update_counter(?TABLE, {Kind, get(id)}, N, {{Kind, get(id)}, 0}).

check(Kind, Expected, Got) ->
    count(Kind),
    case Expected =:= Got of
        true -> ok;
        false -> count(mismatches),
                 ets:insert(?TABLE, {{mismatch, erlang:unique_integer()}, Kind, Expected, Got})
    end.

act(probes, Sites) ->
    [probe(lists:nth(rand:uniform(9), [ok, panic, raise, badarg, cleanup, decode_panic,
                                        encode_panic, bad_value, bad_how]), Sites)
     || _ <- lists:seq(1, 20)];
act(job, Sites) ->
    F = lists:nth(rand:uniform(2), [job_pool, job_thread]),
    How = lists:nth(rand:uniform(5), [ok, panic, raise, badarg, cleanup]),
    X = rand:uniform(1000),
    Ref = soak_nif:F(X, rand:uniform(3) - 1, How, undefined),
    Got = receive {Ref, R} -> R after 60000 -> no_reply end,
    Expected = case expected(X, How, Sites) of
                   {ok, V} -> V;
                   {badarg, {ArgNo, Path, Reason}} ->
                       {error, {badarg, #{argno => ArgNo, path => Path, reason => Reason}}};
                   Error -> Error
               end,
    check({F, How}, Expected, Got);
act(job_killed, _Sites) ->
    F = lists:nth(rand:uniform(2), [job_pool, job_thread]),
    Seed = seq(),
    Self = self(),
    killed({F, killed}, fun() -> soak_nif:F(Seed, 10000, ok, Self) end, {job_started, Seed});
act(yield, _Sites) ->
    Id = rand:uniform(1000),
    N = 1000 + rand:uniform(4000),
    check(ysum, {ok, N * Id + N * (N - 1) div 2}, outcome(fun() -> soak_nif:ysum(Id, N, undefined) end));
act(yield_killed, _Sites) ->
    Id = seq(),
    Self = self(),
    killed(ysum_killed, fun() -> soak_nif:ysum(Id, 1 bsl 40, Self) end, {mid_way, Id});
act(resources, _Sites) ->
    From = seq() * ?BATCH_STRIDE,
    N = 10 + rand:uniform(?BATCH_STRIDE - 10),
    Rs = soak_nif:res_new(From, N, ?BATCH_STRIDE),
    Pick = rand:uniform(N),
    check(res_new, From + Pick - 1, soak_nif:res_id(lists:nth(Pick, Rs))),
    count(resources, N),
    count(panicking_resources, 1);
act(flood, _Sites) ->
    Tag = seq(),
    N = 100 + rand:uniform(200),
    Owned = rand:uniform(2) =:= 1,
    check(flood, {ok, N}, outcome(fun() -> soak_nif:flood(self(), Tag, N, Owned) end)),
    check(flood_received, N, drain(Tag, 0, N)),
    count(messages, N);
act(flood_job, _Sites) ->
    Tag = seq(),
    N = 100 + rand:uniform(200),
    Ref = soak_nif:flood_job(self(), Tag, N),
    check(flood_job_received, N, drain(Tag, 0, N)),
    check(flood_job, N, receive {Ref, Sent} -> Sent after 60000 -> no_reply end),
    count(messages, N).

%% The caller runs Call in a process of its own; once it is told Started,
%% it is killed mid-call.
killed(Kind, Call, Started) ->
    {Pid, MRef} = spawn_monitor(fun() -> Call(), receive after infinity -> ok end end),
    Got = receive Started -> ok after 60000 -> {never_started, Started} end,
    exit(Pid, kill),
    receive {'DOWN', MRef, process, Pid, _} -> ok end,
    check(Kind, ok, Got).

%% The N messages {flood, Tag, I} for I in [From, N), in any order.
drain(_Tag, N, N) -> N;
drain(Tag, I, N) ->
    receive {flood, Tag, I} -> drain(Tag, I + 1, N)
    after 60000 -> {missing, I}
    end.

probe(Case, Sites) ->
    X = rand:uniform(1000),
    {Arg, How} = case Case of
                     decode_panic -> {1001, ok};
                     encode_panic -> {1003, ok};
                     bad_value -> {[X], ok};
                     bad_how -> {X, bogus};
                     _ -> {X, Case}
                 end,
    check({probe, Case}, expected(Arg, How, Sites), outcome(fun() -> soak_nif:probe(Arg, How) end)).

%% What probe(X, How) and a job's end_as(X, How) end with.
expected(1001, ok, Sites) -> {error, panicked(<<"decoder refused 1001">>, decode, decode, Sites)};
expected(1003, ok, Sites) -> {error, panicked(<<"encoder refused 1003">>, encode, encode, Sites)};
expected([_] = X, _, _) -> {badarg, {1, <<>>, {expected, <<"an integer">>, X}}};
expected(_, bogus, _) ->
    {badarg, {2, <<>>, {expected, <<"ok, panic, raise, badarg or cleanup">>, bogus}}};
expected(X, ok, _) -> {ok, X};
expected(X, panic, Sites) -> {error, panicked(text("body gave up on ", X), call, body, Sites)};
expected(X, raise, _) -> {error, {raised, X}};
expected(X, badarg, _) -> {badarg, {2, <<>>, text("", X, " refused")}};
expected(X, cleanup, Sites) -> {error, panicked(text("cleanup of ", X, " panicked"), cleanup, cleanup, Sites)}.

text(Before, X) -> text(Before, X, "").
text(Before, X, After) -> iolist_to_binary([Before, integer_to_list(X), After]).

panicked(Message, Phase, Site, Sites) ->
    {nif_panicked, #{message => Message, phase => Phase, location => maps:get(Site, Sites)}}.

%% How F() ended: {ok, Value}, {badarg, Cause} with the error_info cause
%% the wrapper attached, or {error, Reason}.
outcome(F) ->
    try F() of
        Value -> {ok, Value}
    catch
        error:badarg:Stack ->
            [{soak_nif, _, _, Info} | _] = Stack,
            #{cause := Cause} = proplists:get_value(error_info, Info),
            {badarg, Cause};
        error:Reason ->
            {error, Reason}
    end.

%%% Where the deliberate panics are

%% #{Site => <<"soak_nif.c:Line">>} for each "/* site:Site */" marker.
sites() ->
    Source = proplists:get_value(source, ?MODULE:module_info(compile)),
    {ok, Text} = file:read_file(filename:join(filename:dirname(Source), "soak_nif.c")),
    Lines = lists:zip(lists:seq(1, length(binary:split(Text, <<"\n">>, [global]))),
                      binary:split(Text, <<"\n">>, [global])),
    maps:from_list([{binary_to_atom(Site), iolist_to_binary(["soak_nif.c:", integer_to_list(N)])}
                    || {N, Line} <- Lines,
                       {match, [Site]} <- [re:run(Line, "/\\* site:(\\w+) \\*/",
                                                  [{capture, all_but_first, binary}])]]).

%%% Reports of the panicking destructors

%% The deliberate reports are counted by the handler soak (log/2) and kept
%% from the default handler; anything else cnif reports is kept for the
%% verdict and still printed.
quiet_logger() ->
    ok = logger:add_handler(soak, ?MODULE, #{}),
    ok = logger:add_handler_filter(default, soak_expected, {fun ?MODULE:drop_expected/2, []}).

expected_report(#{label := {cnif, callback_failed}, module := soak_nif, callback := destroy,
                  resource := <<"soak_res">>, message := <<"soak resource ", _/binary>>}) ->
    true;
expected_report(_) ->
    false.

log(#{msg := {report, #{label := {cnif, callback_failed}} = Report}}, _Config) ->
    case expected_report(Report) of
        true -> ets:update_counter(?TABLE, reports, 1, {reports, 0});
        false -> ets:insert(?TABLE, {{unexpected_report, erlang:unique_integer()}, Report})
    end;
log(_Event, _Config) ->
    ok.

drop_expected(#{msg := {report, Report}} = Event, _) ->
    case expected_report(Report) of
        true -> stop;
        false -> Event
    end;
drop_expected(Event, _) ->
    Event.

%%% Settling and measuring

%% Let everything finish and be collected, then measure: the current
%% version's pool runs (one job), every process is collected, every
%% destructor, job and yielding cleanup and report has come, and the
%% thread count has stopped moving.
quiesce() ->
    Ref = soak_nif:job_pool(0, 0, ok, undefined),
    0 = receive {Ref, R} -> R after 60000 -> no_reply end,
    Settled = fun() ->
                      gc_all(),
                      S = soak_nif:stats(),
                      maps:get(res_live, S) =:= 0
                          andalso maps:get(job_started, S) =:= maps:get(job_cleaned, S)
                          andalso maps:get(yield_started, S) =:= maps:get(yield_cleaned, S)
                          andalso reports() =:= sum(panicking_resources)
              end,
    Waited = wait_until(Settled, 600),
    wait_stable(fun threads/0, 0, threads(), 100),
    gc_all(),
    timer:sleep(200),
    Measures = #{memory => erlang:memory(total), rss_kb => rss_kb(),
                 atoms => erlang:system_info(atom_count),
                 resources => maps:get(res_live, soak_nif:stats()), threads => threads()},
    case Waited of
        true -> {ok, Measures};
        false -> {not_settled, Measures}
    end.

%% F() until it is true, every 100 ms, at most Tries times.
wait_until(F, Tries) ->
    case F() of
        true -> true;
        false when Tries =< 1 -> false;
        false -> timer:sleep(100), wait_until(F, Tries - 1)
    end.

%% F() until it gave the same value 10 times in a row, 100 ms apart.
wait_stable(_F, 10, _Last, _Tries) -> ok;
wait_stable(_F, _Same, _Last, 0) -> ok;
wait_stable(F, Same, Last, Tries) ->
    timer:sleep(100),
    case F() of
        Last -> wait_stable(F, Same + 1, Last, Tries - 1);
        Other -> wait_stable(F, 0, Other, Tries - 1)
    end.

gc_all() ->
    [erlang:garbage_collect(P) || P <- processes()],
    ok.

rss_kb() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    {match, [Kb]} = re:run(Status, "VmRSS:\\s+(\\d+) kB", [{capture, all_but_first, list}]),
    list_to_integer(Kb).

threads() ->
    {ok, Tasks} = file:list_dir("/proc/self/task"),
    length(Tasks).

reports() ->
    case ets:lookup(?TABLE, reports) of
        [{reports, N}] -> N;
        [] -> 0
    end.

%%% Counts and verdict

%% #{Kind => Count}, summed over the workers.
counts() ->
    lists:foldl(fun({{Kind, _Worker}, N}, Acc) when is_integer(N) ->
                        maps:update_with(Kind, fun(M) -> M + N end, N, Acc);
                   (_, Acc) -> Acc
                end, #{}, ets:tab2list(?TABLE)).

sum(Kind) -> maps:get(Kind, counts(), 0).

%% The NIF calls made: every checked outcome is one call, but the floods'
%% receipts are not, and res_new's check is a second call (res_id).
call_kinds(Counts) ->
    maps:without([mismatches, resources, panicking_resources, messages, flood_received,
                  flood_job_received], Counts).

total_calls(Counts) ->
    lists:sum(maps:values(call_kinds(Counts))) + maps:get(res_new, Counts, 0).

verdict(Base, {Settled, End}, {Reloads, MaxPurge, Forced}, Elapsed) ->
    Counts = counts(),
    Stats = soak_nif:stats(),
    io:format("~nsoak: ~b s, ~b reloads (longest purge ~b ms, ~b forced to kill old code)~n",
              [Elapsed div 1000, Reloads, MaxPurge, Forced]),
    io:format("~ncalls by kind:~n"),
    [io:format("  ~-44s ~12b~n", [kind_name(K), N])
     || {K, N} <- lists:sort(maps:to_list(call_kinds(Counts)))],
    io:format("  ~-44s ~12b~n", ["res_id (on one resource of each res_new)",
                                 maps:get(res_new, Counts, 0)]),
    Total = total_calls(Counts),
    io:format("  ~-44s ~12b~n  ~-44s ~12b~n  ~-44s ~12b~n  ~-44s ~12b~n",
              ["total NIF calls", Total, "resources made", maps:get(resources, Counts, 0),
               "messages flooded", maps:get(messages, Counts, 0),
               "destructor panics reported", reports()]),
    io:format("  ~-44s ~12b~n", ["NIF calls a second", Total * 1000 div max(Elapsed, 1)]),
    io:format("~n  ~-14s ~14s ~14s ~12s ~12s~n", ["measure", "baseline", "end", "delta", "tolerance"]),
    Checks = [begin
                  B = maps:get(M, Base), E = maps:get(M, End),
                  io:format("  ~-14s ~14b ~14b ~12b ~12s~n",
                            [M, B, E, E - B, "+" ++ integer_to_list(Tol)]),
                  {M, E - B =< Tol}
              end || {M, Tol, _} <- tolerances()],
    io:format("~ntolerances:~n"),
    [io:format("  ~s: ~s.~n", [M, Why]) || {M, _, Why} <- tolerances()],
    Mismatches = [{K, Want, Got} || {{mismatch, _}, K, Want, Got} <- ets:tab2list(?TABLE)],
    Unexpected = [R || {{unexpected_report, _}, R} <- ets:tab2list(?TABLE)],
    Killed = sum({job_pool, killed}) + sum({job_thread, killed}),
    Failures =
        [{M, "outside its tolerance"} || {M, false} <- Checks]
        ++ [{settled, "work still outstanding at the end"} || Settled =/= ok]
        ++ [{mismatches, length(Mismatches)} || Mismatches =/= []]
        ++ [{unexpected_reports, length(Unexpected)} || Unexpected =/= []]
        ++ [{reports, reports(), sum(panicking_resources)} || reports() =/= sum(panicking_resources)]
        ++ [{job_cleanups, maps:get(job_started, Stats), maps:get(job_cleaned, Stats)}
            || maps:get(job_started, Stats) =/= maps:get(job_cleaned, Stats)]
        ++ [{yield_cleanups, maps:get(yield_started, Stats), maps:get(yield_cleaned, Stats)}
            || maps:get(yield_started, Stats) =/= maps:get(yield_cleaned, Stats)]
        ++ [{calls, Total, "fewer than 1,000,000 per 10 minutes"}
            || Total < 1000000 * Elapsed div 600000]
        ++ [{cancelled_jobs_seen, maps:get(job_cancel_seen, Stats), Killed}
            || maps:get(job_cancel_seen, Stats) < Killed],
    io:format("~nshared counters (whole run): ~p~n", [Stats]),
    [io:format("mismatch: ~p~n  expected ~p~n  got      ~p~n", [K, W, G])
     || {K, W, G} <- lists:sublist(Mismatches, 20)],
    [io:format("unexpected report: ~p~n", [R]) || R <- lists:sublist(Unexpected, 20)],
    case Failures of
        [] -> io:format("~nsoak: passed~n"), ok;
        _ -> io:format("~nsoak: FAILED: ~p~n", [Failures]), failed
    end.

kind_name({A, B}) -> io_lib:format("~s ~s", [A, B]);
kind_name(A) -> atom_to_list(A).
