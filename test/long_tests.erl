%% long_tests -- long work (section 10 of cnif.h) end to end in a real VM:
%% dirty CPU and IO NIFs with four times as many callers as schedulers;
%% yielding NIFs (slices, state carried between them, other processes
%% running meanwhile, cleanups exactly once on completion, panic and
%% cancellation, no leak over 10,000 cancelled calls); threaded jobs on the
%% pool and on threads of their own (replies, panics, bad arguments,
%% cancellation, 2,000 at once, unload); cnif_send from every kind of
%% thread, and each rule it enforces.
%%
%% Nothing here is timed. Where calls must overlap, a gate in long_nif.c
%% makes each wait until the pool is full (see gate_pass); where something
%% happens asynchronously (a destructor, a job), the test waits for its
%% effect with wait_for/2, which gives up after 10 s and lets the
%% assertion fail with what it saw.
%%
%% Panic locations are not written down: each deliberate panic in
%% long_nif.c sits on a line marked "site:NAME", and site/1 finds it.
-module(long_tests).
-include_lib("eunit/include/eunit.hrl").
%% run/3, reply/1 and wait_for/2 serve thread_tests too.
-export([log/2, site/1, run/3, reply/1, wait_for/2]).

-define(M, long_nif).
-define(FAULTS, <<"none, panic, raise, badarg, encode, init or cleanup">>).

%%% Helpers

%% <<"File:Line">> of the one line of Dir/File (from the repository root)
%% that contains Text.
location(Dir, File, Text) ->
    Source = proplists:get_value(source, ?MODULE:module_info(compile)),
    Root = filename:dirname(filename:dirname(Source)),
    {ok, Bin} = file:read_file(filename:join([Root, Dir, File])),
    Lines = binary:split(Bin, <<"\n">>, [global]),
    Pattern = iolist_to_binary(Text),
    [N] = [N || {N, Line} <- lists:zip(lists:seq(1, length(Lines)), Lines),
                binary:match(Line, Pattern) =/= nomatch],
    iolist_to_binary([File, ":", integer_to_list(N)]).

%% Also used by test/elixir/long_test.exs.
site(Name) ->
    location("test/nifs", "long_nif.c", ["/* site:", Name, " */"]).

panicked(Message, Phase, Site) ->
    {nif_panicked, #{message => Message, phase => Phase, location => site(Site)}}.

%% cnif_send's refusals all panic from one line of src/send.c.
%% cnif's own panic, located at the export line of the NIF that sent.
refused(Where, Why) ->
    {nif_panicked, #{message => <<"cnif_send: ", Why/binary>>, phase => call,
                     location => location("test/nifs", "long_nif.c",
                                          ["(", atom_to_list(Where), ","])}}.

%% How M:F(Args) ended: {ok, Value}, {error, Reason}, or {badarg, Cause}
%% with the error_info cause the generated wrapper attached. A job's reply
%% stands for its value: {Ref, {error, Reason}} is {error, Reason}.
run(F, Args) ->
    run(?M, F, Args).

run(M, F, Args) ->
    try apply(M, F, Args) of
        Ref when is_reference(Ref) -> reply(Ref);
        Value -> {ok, Value}
    catch
        error:badarg:Stack ->
            [{M, F, Args, Info} | _] = Stack,
            #{module := cnif_error, cause := Cause} = proplists:get_value(error_info, Info),
            {badarg, Cause};
        error:Reason ->
            {error, Reason}
    end.

reply(Ref) ->
    receive
        {Ref, {error, Reason}} -> {error, Reason};
        {Ref, Value} -> {ok, Value}
    after 10000 -> {no_reply, Ref}
    end.

%% F() once it returns Want, or what it returned when 10 s ran out.
wait_for(F, Want) ->
    wait_for(F, Want, 1000).

wait_for(F, Want, Tries) ->
    case F() of
        Want -> Want;
        Got when Tries =< 1 -> Got;
        _ -> timer:sleep(10), wait_for(F, Want, Tries - 1)
    end.

%% sum(Seed + I) for I in [0, N), what long_nif's loops add up.
sum(Seed, N) ->
    N * Seed + N * (N - 1) div 2.

%% [{Count, HowManyIds}]: [{1, N}] when each of N cleanups ran once.
histogram(Counts) ->
    lists:sort(maps:to_list(lists:foldl(fun(C, Acc) ->
                                                maps:update_with(C, fun(X) -> X + 1 end, 1, Acc)
                                        end, #{}, Counts))).

%% erlang:memory(total) in bytes and VmRSS in kB, after every process was
%% collected.
footprint() ->
    lists:foreach(fun erlang:garbage_collect/1, processes()),
    timer:sleep(100),
    {ok, Status} = file:read_file("/proc/self/status"),
    {match, [Kb]} = re:run(Status, "VmRSS:\\s+(\\d+) kB", [{capture, all_but_first, list}]),
    {erlang:memory(total), list_to_integer(Kb)}.

%% Round(Big) must leave memory as it found it, measured after a warm-up
%% Round(Small) so that the allocators already hold the carriers a round
%% needs. Only growth counts (a leak never shrinks memory, while garbage
%% of earlier tests may be freed meanwhile): erlang:memory(total) may grow
%% by less than 4 MB (it moves by a few hundred KB between identical
%% rounds) and VmRSS by less than 32 MB (freed carriers are not always
%% returned to the OS at once, and it moves by up to 15 MB). The rounds
%% here would leave 640 MB or more behind if anything leaked.
assert_no_growth(What, Round, Small, Big) ->
    Round(Small),
    {Memory0, Rss0} = footprint(),
    Round(Big),
    {Memory1, Rss1} = footprint(),
    ?debugFmt("~s: memory(total) ~b -> ~b (~b bytes), VmRSS ~b -> ~b kB (~b kB)",
              [What, Memory0, Memory1, Memory1 - Memory0, Rss0, Rss1, Rss1 - Rss0]),
    ?assert(Memory1 - Memory0 < 4 * 1024 * 1024),
    ?assert(Rss1 - Rss0 < 32 * 1024).

%% The threads of every cnif library's pool in this VM.
pool_threads() ->
    {ok, Tasks} = file:list_dir("/proc/self/task"),
    length([T || T <- Tasks,
                 {ok, <<"cnif_worker", _/binary>>} <-
                     [file:read_file(filename:join(["/proc/self/task", T, "comm"]))]]).

%%% Work: dirty schedulers and jobs

%% What work(Seed, Iters, Gate, Fault) ends with on a thread of Kind, with
%% the thread id taken out of a result.
expected_work(Kind, Seed, Iters, Fault) ->
    K = atom_to_binary(Kind),
    S = integer_to_binary(Seed),
    case Fault of
        none -> {ok, {Kind, sum(Seed, Iters), true}};
        panic -> {error, panicked(<<K/binary, " call ", S/binary, " gave up">>, call, "work")};
        raise -> {error, {gave_up, Seed}};
        encode -> {error, panicked(<<K/binary, " result ", S/binary, " cannot be encoded">>,
                                   encode, "work_encode")};
        badarg when Kind =:= thread ->
            {error, {badarg, #{argno => 1, path => <<>>, reason => <<"seed ", S/binary, " refused">>}}};
        badarg -> {badarg, {1, <<>>, <<"seed ", S/binary, " refused">>}}
    end.

%% {Outcome without the thread id, [ThreadId]} of a work call.
run_work(F, Seed, Iters, Gate, Fault) ->
    strip_tid(run(F, [Seed, Iters, Gate, Fault])).

strip_tid({ok, {Kind, Tid, Sum, Reached}}) -> {{ok, {Kind, Sum, Reached}}, [Tid]};
strip_tid(Other) -> {Other, []}.

%% N callers at once, each with its own seed and its own way of ending,
%% all through the gate {Total, Target} (see long_nif.c). Every caller gets
%% exactly its own outcome, and every call, a failed one too, left the
%% gate. Returns the threads that ran them.
many_callers(F, Kind, N, Gate, Faults, Iters) ->
    ?M:reset(),
    Parent = self(),
    Calls = [{I, lists:nth(1 + I rem length(Faults), Faults)} || I <- lists:seq(1, N)],
    Pids = [spawn_link(fun() -> Parent ! {self(), run_work(F, I, Iters + I, Gate, Fault)} end)
            || {I, Fault} <- Calls],
    {Outcomes, Tids} = lists:unzip([receive {Pid, Got} -> Got end || Pid <- Pids]),
    ?assertEqual([{I, expected_work(Kind, I, Iters + I, Fault)} || {I, Fault} <- Calls],
                 lists:zip(lists:seq(1, N), Outcomes)),
    ?assertMatch({N, 0, _}, ?M:gate_stats()),
    lists:usort(lists:append(Tids)).

%% 4 callers per thread of a pool, held until the whole pool runs them at
%% once: the peak is exactly Pool (the pool was full and never exceeded),
%% and no more than Pool threads ran them.
under_load(F, Kind, Pool, Faults, Iters) ->
    N = 4 * Pool,
    Tids = many_callers(F, Kind, N, {N, Pool}, Faults, Iters),
    ?assertEqual({N, 0, Pool}, ?M:gate_stats()),
    ?assert(length(Tids) =< Pool).

dirty_cpu_under_load_test_() ->
    {timeout, 60,
     fun() ->
             under_load(work_dirty_cpu, dirty_cpu,
                        erlang:system_info(dirty_cpu_schedulers_online),
                        [none, panic, raise, encode, badarg], 2000000)
     end}.

dirty_io_under_load_test_() ->
    {timeout, 60,
     fun() ->
             under_load(work_dirty_io, dirty_io, erlang:system_info(dirty_io_schedulers),
                        [none, panic, raise, encode, badarg], 200000)
     end}.

%%% Yielding NIFs

ysum(Opts) ->
    run(ysum, [Opts]).

without_ticks({ok, {Sum, Slices, _Ticks}}) -> {ok, {Sum, Slices}};
without_ticks(Other) -> Other.

%% n iterations in chunks, 100% of a timeslice reported after each chunk
%% but the last: exactly one slice per chunk, and the state (the running
%% sum) carried across all of them.
yielding_results_test() ->
    ?M:reset(),
    Cases = [{#{id => 1, n => 0}, 1},
             {#{id => 2, n => 10}, 1},
             {#{id => 3, n => 1000}, 1},
             {#{id => 4, n => 1001}, 2},
             {#{id => 5, n => 1000, chunk => 10}, 100},
             {#{id => 6, n => 1001, chunk => 10}, 101},
             {#{id => 7, n => 1000, chunk => 10, percent => 1000}, 100},
             {#{id => 8, n => 300000, chunk => 1000, scratch => 65536}, 300}],
    [?assertEqual({Opts, {ok, {sum(Id, N), Slices}}}, {Opts, without_ticks(ysum(Opts))})
     || {#{id := Id, n := N} = Opts, Slices} <- Cases],
    %% Each call's cleanup ran once, and found its memory intact.
    ?assertEqual([1, 1, 1, 1, 1, 1, 1, 1], ?M:cleanup_counts(1, 9)),
    ?assertEqual(0, ?M:damaged()).

%% A process bound to the same scheduler ticks while ysum runs only if
%% ysum gives the scheduler back between slices: with every slice's
%% timeslice used up, it must tick after each of the 99 yields. The same
%% 100 steps run back to back in one call (block_sum) see no tick at all.
%% ({scheduler, N} is an undocumented spawn_opt option of OTP's own tests.)
yielding_lets_other_processes_run_test() ->
    Ticker = spawn_opt(fun Tick() -> ?M:tick(), Tick() end, [{scheduler, 1}]),
    Opts = #{id => 9, n => 100000, chunk => 1000},
    On1 = fun(F) ->
                  Parent = self(),
                  spawn_opt(fun() -> Parent ! {done, ?M:F(Opts)} end, [{scheduler, 1}]),
                  receive {done, Result} -> Result end
          end,
    try
        Sum = sum(9, 100000),
        {Sum, 100, Yielding} = On1(ysum),
        {Sum, 100, Blocking} = On1(block_sum),
        ?assertEqual(0, Blocking),
        ?assert(Yielding >= 99)
    after
        exit(Ticker, kill)
    end.

%% Every way a yielding call can fail, in the first slice (inside the
%% call itself) and in later ones (rescheduled calls): the exact error,
%% and the cleanup registered in init run exactly once, its 64 KB intact.
yielding_failures_test() ->
    ?M:reset(),
    Call = fun(Id, Fault, At) ->
                   ysum(#{id => Id, n => 1000, chunk => 10, scratch => 65536,
                          fail => Fault, fail_at => At})
           end,
    Text = fun(Parts) -> iolist_to_binary(Parts) end,
    Cases = [{init, 1, fun(Id, _) -> {error, panicked(Text(["init of call ", Id, " gave up"]),
                                                      call, "yinit")} end},
             {panic, 1, fun(Id, At) -> {error, panicked(Text(["call ", Id, " gave up in slice ", At]),
                                                        call, "ystep")} end},
             {panic, 3, fun(Id, At) -> {error, panicked(Text(["call ", Id, " gave up in slice ", At]),
                                                        call, "ystep")} end},
             {panic, 100, fun(Id, At) -> {error, panicked(Text(["call ", Id, " gave up in slice ", At]),
                                                          call, "ystep")} end},
             {raise, 1, fun(Id, At) -> {error, {gave_up, binary_to_integer(Id), binary_to_integer(At)}} end},
             {raise, 3, fun(Id, At) -> {error, {gave_up, binary_to_integer(Id), binary_to_integer(At)}} end},
             {badarg, 1, fun(Id, At) -> {badarg, {1, <<>>, Text(["call ", Id, " refused slice ", At])}} end},
             {badarg, 3, fun(Id, At) -> {badarg, {1, <<>>, Text(["call ", Id, " refused slice ", At])}} end},
             {encode, 1, fun(Id, _) -> {error, panicked(Text(["result of call ", Id, " cannot be encoded"]),
                                                        encode, "yencode")} end},
             {cleanup, 1, fun(Id, _) -> {error, panicked(Text(["cleanup of call ", Id, " panicked"]),
                                                         cleanup, "ycleanup")} end}],
    Ids = lists:seq(10, 9 + length(Cases)),
    [?assertEqual({Fault, At, Expected(integer_to_binary(Id), integer_to_binary(At))},
                  {Fault, At, Call(Id, Fault, At)})
     || {Id, {Fault, At, Expected}} <- lists:zip(Ids, Cases)],
    ?assertEqual([1 || _ <- Ids], ?M:cleanup_counts(10, 10 + length(Cases))),
    ?assertEqual(0, ?M:damaged()).

%% Bad arguments, from the decoder and from init: error_info names them,
%% and a call rejected before its cleanup was registered has none to run.
yielding_bad_arguments_test() ->
    ?M:reset(),
    Cases = [{foo, {1, <<>>, {expected, <<"a map">>, foo}}},
             {#{id => 30}, {1, <<>>, {expected, <<"a map with key n">>, #{id => 30}}}},
             {#{id => 30, n => foo}, {1, <<".n">>, {expected, <<"an integer">>, foo}}},
             {#{id => 30, n => 5, bogus => 1}, {1, <<>>, <<"unknown key bogus in a map">>}},
             {#{id => 30, n => 5, fail => bogus}, {1, <<".fail">>, {expected, ?FAULTS, bogus}}},
             {#{id => 20000, n => 5}, {1, <<>>, <<"id 20000 is not below 16384">>}},
             {#{id => 30, n => 5, chunk => 0}, {1, <<>>, <<"chunk 0 is not positive">>}}],
    [?assertEqual({Opts, {badarg, Cause}}, {Opts, ysum(Opts)}) || {Opts, Cause} <- Cases],
    ?assertEqual([0], ?M:cleanup_counts(30, 31)).

%% The caller is killed in the middle (slice 2 of a call that would take
%% years): the state is collected with the process and its cleanup runs
%% then, once.
yielding_call_cancelled_mid_way_test() ->
    ?M:reset(),
    Parent = self(),
    {Pid, MRef} = spawn_monitor(fun() ->
                                        ?M:ysum(#{id => 31, n => 1 bsl 62, scratch => 65536,
                                                  notify => Parent})
                                end),
    receive {mid_way, 31} -> ok end,
    ?assertEqual([0], ?M:cleanup_counts(31, 32)),
    exit(Pid, kill),
    receive {'DOWN', MRef, process, Pid, killed} -> ok end,
    ?assertEqual([1], wait_for(fun() -> ?M:cleanup_counts(31, 32) end, [1])),
    ?assertEqual(0, ?M:damaged()).

%% A cleanup that panics after the caller died has no one to raise to: it
%% is reported through logger, and the other cleanup still runs once.
cancelled_call_with_a_panicking_cleanup_is_reported_test() ->
    ?M:reset(),
    {ok, #{level := Level}} = logger:get_handler_config(default),
    ok = logger:add_handler(?MODULE, ?MODULE, #{config => self()}),
    ok = logger:update_handler_config(default, level, none),
    Parent = self(),
    try
        {Pid, MRef} = spawn_monitor(fun() ->
                                            ?M:ysum(#{id => 32, n => 1 bsl 62, fail => cleanup,
                                                      notify => Parent})
                                    end),
        receive {mid_way, 32} -> ok end,
        exit(Pid, kill),
        receive {'DOWN', MRef, process, Pid, killed} -> ok end,
        ?assertEqual(#{label => {cnif, callback_failed}, module => long_nif,
                       callback => cleanup, resource => <<"cancelled yielding call">>,
                       message => <<"cleanup of call 32 panicked">>,
                       location => site("ycleanup")},
                     receive {cnif_report, Report} -> Report after 10000 -> none end),
        ?assertEqual([1], wait_for(fun() -> ?M:cleanup_counts(32, 33) end, [1]))
    after
        logger:update_handler_config(default, level, Level),
        logger:remove_handler(?MODULE)
    end.

%% The logger handler for the test above: forwards cnif's reports.
log(#{msg := {report, #{label := {cnif, callback_failed}} = Report}}, #{config := Pid}) ->
    Pid ! {cnif_report, Report};
log(_Event, _Config) ->
    ok.

many_yielding_calls_at_once_test_() ->
    {timeout, 60,
     fun() ->
             ?M:reset(),
             Parent = self(),
             Ids = lists:seq(100, 299),
             Pids = [spawn_link(fun() ->
                                        Parent ! {self(), ysum(#{id => Id, n => 20000 + Id, chunk => 100})}
                                end) || Id <- Ids],
             Got = [receive {Pid, {ok, {Sum, Slices, _}}} -> {Sum, Slices} end || Pid <- Pids],
             ?assertEqual([{sum(Id, 20000 + Id), (20000 + Id + 99) div 100} || Id <- Ids], Got),
             ?assertEqual([{1, 200}], histogram(?M:cleanup_counts(100, 300)))
     end}.

%% Calls F (ysum or yrows) with ids 0..N-1 and options Extra, 250 at a
%% time, each holding 64 KB of call-scoped memory and killed once it
%% reached its second slice. Every cleanup of a
%% batch must have run, exactly once and with its memory intact, before
%% the next batch starts (so no more than one batch is ever alive).
cancel_calls(F, Extra, N) ->
    ?M:reset(),
    Parent = self(),
    Batch = fun(Ids) ->
                    Callers = [spawn_monitor(fun() ->
                                                     ?M:F(Extra#{id => Id, n => 1 bsl 62, scratch => 65536,
                                                                 notify => Parent})
                                             end) || Id <- Ids],
                    [receive {mid_way, Id} -> ok end || Id <- Ids],
                    [exit(Pid, kill) || {Pid, _} <- Callers],
                    [receive {'DOWN', MRef, process, Pid, killed} -> ok end || {Pid, MRef} <- Callers],
                    Counts = fun() -> histogram(?M:cleanup_counts(hd(Ids), lists:last(Ids) + 1)) end,
                    ?assertEqual([{1, length(Ids)}], wait_for(Counts, [{1, length(Ids)}]))
            end,
    [Batch(lists:seq(From, min(From + 249, N - 1))) || From <- lists:seq(0, N - 1, 250)],
    ?assertEqual([{1, N}], histogram(?M:cleanup_counts(0, N))),
    ?assertEqual(0, ?M:damaged()).

%% 10,000 cancelled calls of 64 KB each would leak 640 MB if their state
%% or memory outlived them (warm-up: 2,000).
no_leaks_after_10000_cancelled_yielding_calls_test_() ->
    {timeout, 120,
     fun() ->
             assert_no_growth("10,000 cancelled yielding calls",
                              fun(N) -> cancel_calls(ysum, #{}, N) end, 2000, 10000)
     end}.

%% The same for calls carrying rows (2,000 of them would leak 128 MB;
%% warm-up: 500): the carried lists die with their process. One row a
%% slice, so that the heaps the rows grow until the kill stay small
%% against the VmRSS margin.
no_leaks_after_2000_cancelled_carrying_calls_test_() ->
    {timeout, 120,
     fun() ->
             assert_no_growth("2,000 cancelled carrying calls",
                              fun(N) -> cancel_calls(yrows, #{chunk => 1}, N) end, 500, 2000)
     end}.

%%% Carrying terms across slices

%% What yrows(#{n => N}) returns: the rows in order.
rows(N) ->
    [{I, <<"name">>, I * 2} || I <- lists:seq(0, N - 1)].

yrows(Opts) ->
    run(yrows, [Opts]).

%% Rows accumulated in a carried list and reversed into another, chunk
%% cells a slice, so max(1, ceil(2n / chunk)) slices: exact rows for 0, 1
%% and 200,000 of them, carried directly and from inside cnif_try, and the
%% call's cleanup run once each time.
carried_rows_test_() ->
    {timeout, 60,
     fun() ->
             ?M:reset(),
             Cases = [{#{id => 40, n => 0, chunk => 10}, 1},
                      {#{id => 41, n => 1, chunk => 10}, 1},
                      {#{id => 42, n => 1, chunk => 1}, 2},
                      {#{id => 43, n => 5, chunk => 3}, 4},
                      {#{id => 44, n => 200000, chunk => 1000}, 400},
                      {#{id => 45, n => 200000, chunk => 997}, 402},
                      {#{id => 46, n => 0, chunk => 10, carry_in_try => true}, 1},
                      {#{id => 47, n => 1000, chunk => 7, carry_in_try => true}, 286}],
             [?assertEqual({Opts, {ok, {rows(N), Slices}}}, {Opts, yrows(Opts)})
              || {#{n := N} = Opts, Slices} <- Cases],
             ?assertEqual([1 || _ <- Cases], ?M:cleanup_counts(40, 40 + length(Cases)))
     end}.

%% Carried terms live on the caller's heap: collected while the call
%% yields (forced every millisecond here, besides the collections the
%% growing heap makes), they move and still read back exactly.
carried_rows_survive_garbage_collection_test_() ->
    {timeout, 60,
     fun() ->
             Parent = self(),
             Opts = #{id => 48, n => 100000, chunk => 500},
             Caller = spawn(fun() -> Parent ! {self(), yrows(Opts)} end),
             Collect = fun Loop() ->
                               case erlang:is_process_alive(Caller) of
                                   true ->
                                       erlang:garbage_collect(Caller),
                                       timer:sleep(1),
                                       Loop();
                                   false -> ok
                               end
                       end,
             Collector = spawn(Collect),
             Got = receive {Caller, Result} -> Result end,
             exit(Collector, kill),
             ?assertEqual({ok, {rows(100000), 400}}, Got)
     end}.

%% A middle slice that panics, raises or refuses its argument ends the
%% call with its exact error, carried terms or not, and the cleanup runs
%% once.
carried_rows_failures_test() ->
    ?M:reset(),
    Text = fun(Parts) -> iolist_to_binary(Parts) end,
    Cases = [{50, panic, false, {error, panicked(<<"call 50 gave up in slice 3">>, call, "ystep")}},
             {51, panic, true, {error, panicked(<<"call 51 gave up in slice 3">>, call, "ystep")}},
             {52, raise, false, {error, {gave_up, 52, 3}}},
             {53, raise, true, {error, {gave_up, 53, 3}}},
             {54, badarg, false, {badarg, {1, <<>>, Text(["call 54 refused slice 3"])}}},
             {55, badarg, true, {badarg, {1, <<>>, Text(["call 55 refused slice 3"])}}}],
    [?assertEqual({Id, Expected},
                  {Id, yrows(#{id => Id, n => 1000, chunk => 10, fail => Fault, fail_at => 3,
                               carry_in_try => InTry})})
     || {Id, Fault, InTry, Expected} <- Cases],
    ?assertEqual([1 || _ <- Cases], ?M:cleanup_counts(50, 56)).

%% Misuse of the slots panics at the export line of the NIF, with the
%% message naming the function and what was wrong. A call never sees a
%% term carried by an earlier one.
carry_misuse_test() ->
    Panic = fun(Message, Nif) ->
                    {error, {nif_panicked, #{message => Message, phase => call,
                                             location => location("test/nifs", "long_nif.c",
                                                                  ["(", Nif, ","])}}}
            end,
    NoTerm = fun(Slot) ->
                     Panic(<<"cnif_yield_carried: slot ", Slot/binary,
                             " holds no term: carry one with cnif_yield_carry first">>, "ymisuse")
             end,
    {ok, _} = yrows(#{id => 56, n => 10}),
    ?assertEqual(NoTerm(<<"0">>), run(ymisuse, [unset])),
    ?assertEqual(NoTerm(<<"1">>), run(ymisuse, [unset_later])),
    ?assertEqual(Panic(<<"cnif_yield_carry: slot 4 is not in 0..3">>, "ymisuse"),
                 run(ymisuse, [carry_high])),
    ?assertEqual(Panic(<<"cnif_yield_carried: slot -1 is not in 0..3">>, "ymisuse"),
                 run(ymisuse, [read_low])),
    ?assertEqual(Panic(<<"cnif_yield_carry: not in a yielding NIF's init or step">>, "carry_plain"),
                 run(carry_plain, [])),
    ?assertEqual(Panic(<<"cnif_yield_carried: not in a yielding NIF's init or step">>,
                       "carried_plain"),
                 run(carried_plain, [])),
    ?assertEqual(Panic(<<"cnif_yield_carry: not in a yielding NIF's init or step">>, "carry_job"),
                 run(carry_job, [])).

%%% Threaded jobs

%% The call returns a reference at once; exactly one reply follows.
job_replies_test_() ->
    [{atom_to_list(F) ++ " " ++ atom_to_list(Fault),
      fun() ->
              ?assertEqual(expected_work(thread, 7, 1000, Fault),
                           element(1, run_work(F, 7, 1000, {0, 0}, Fault))),
              ?assertEqual(none, receive {Ref, _} = Extra when is_reference(Ref) -> Extra
                                 after 0 -> none end)
      end} || F <- [work_pool, work_thread], Fault <- [none, panic, raise, encode, badarg]].

%% Arguments are decoded by the call, so a bad one is raised at once and
%% no job starts.
job_bad_arguments_are_raised_by_the_call_test_() ->
    [{atom_to_list(F),
      fun() ->
              ?M:reset(),
              ?assertEqual({badarg, {2, <<>>, {expected, <<"an integer">>, foo}}},
                           run(F, [1, foo, {0, 0}, none])),
              ?assertEqual({badarg, {3, <<>>, {expected, <<"a tuple of 2 elements">>, {1}}}},
                           run(F, [1, 1, {1}, none])),
              ?assertEqual({badarg, {4, <<>>, {expected, ?FAULTS, bogus}}},
                           run(F, [1, 1, {0, 0}, bogus])),
              ?assertEqual({0, 0, 0}, ?M:gate_stats())
      end} || F <- [work_pool, work_thread]].

%% 2,000 callers at once on the pool (one thread per scheduler): each gets
%% its own result; exactly the pool's threads ran them, all at once.
two_thousand_jobs_on_the_pool_test_() ->
    {timeout, 60,
     fun() ->
             Pool = erlang:system_info(schedulers),
             Tids = many_callers(work_pool, thread, 2000, {2000, Pool},
                                 [none, panic, raise, encode, badarg], 1000),
             ?assertEqual({2000, 0, Pool}, ?M:gate_stats()),
             ?assertEqual(Pool, length(Tids))
     end}.

%% A thread of its own per job: 200 jobs all run at the same time (the
%% gate would hold them 10 s and report it if any waited for another), on
%% 200 threads; then 2,000 more, each with its own result.
jobs_on_threads_of_their_own_test_() ->
    {timeout, 60,
     fun() ->
             Tids = many_callers(work_thread, thread, 200, {200, 200}, [none], 1000),
             ?assertEqual({200, 0, 200}, ?M:gate_stats()),
             ?assertEqual(200, length(Tids)),
             many_callers(work_thread, thread, 2000, {0, 0}, [none, panic, raise, encode, badarg], 1000)
     end}.

%% The decoded arguments stay valid while the job runs, though the caller
%% dropped and collected them: a sub-binary of a 64 KB binary, and an
%% iolist flattened into the job's memory.
job_arguments_stay_valid_while_it_runs_test() ->
    Make = fun() -> binary:part(binary:copy(<<"0123456789abcdef">>, 4096), 100, 1000) end,
    Ref = ?M:job_views({Make(), [<<"héllo "/utf8>>, [<<"wörld"/utf8>>], $!]}, 50),
    erlang:garbage_collect(),
    ?assertEqual({ok, {Make(), <<"héllo wörld!"/utf8>>}}, reply(Ref)).

%% The caller dies while its job runs: the job sees cnif_job_cancelled,
%% stops (the counter of iterations stays where it stopped), and tells a
%% third process from its thread; its reply goes nowhere. A live caller's
%% job runs to its limit.
job_stops_early_when_its_caller_dies_test_() ->
    [{atom_to_list(F),
      fun() ->
              ?M:reset(),
              Parent = self(),
              ?assertEqual({ok, 3}, run(F, [3, Parent])),
              ?assertEqual({watch_stopped, 3, false}, receive {watch_stopped, _, _} = S -> S end),
              ?M:reset(),
              Caller = spawn(fun() -> ?M:F(100000, Parent), receive after infinity -> ok end end),
              ?assertEqual(true, wait_for(fun() -> ?M:watched() >= 5 end, true)),
              exit(Caller, kill),
              {watch_stopped, Done, Cancelled} =
                  receive {watch_stopped, _, _} = S -> S after 10000 -> {watch_stopped, none, none} end,
              ?assertEqual(true, Cancelled),
              ?assert(Done >= 5 andalso Done < 100000),
              ?assertEqual(Done, ?M:watched())
      end} || F <- [watch_pool, watch_thread]].

%% A job whose caller died while it waited in the pool's queue still runs,
%% and sees at once that it was cancelled.
queued_job_of_a_dead_caller_runs_cancelled_test() ->
    ?M:reset(),
    ?M:latch_set(false),
    Holders = [?M:latch_wait() || _ <- lists:seq(1, erlang:system_info(schedulers))],
    Parent = self(),
    {Caller, MRef} = spawn_monitor(fun() ->
                                           Parent ! {queued, ?M:watch_pool(100000, Parent)},
                                           receive after infinity -> ok end
                                   end),
    receive {queued, _} -> ok end,
    exit(Caller, kill),
    receive {'DOWN', MRef, process, Caller, killed} -> ok end,
    ?M:latch_set(true),
    ?assertEqual([{ok, true} || _ <- Holders], [reply(R) || R <- Holders]),
    {watch_stopped, Done, Cancelled} =
        receive {watch_stopped, _, _} = S -> S after 10000 -> {watch_stopped, none, none} end,
    ?assertEqual(true, Cancelled),
    ?assert(Done < 100000),
    ?assertEqual(Done, ?M:watched()).

%% 10,000 jobs, each holding a 64 KB binary argument and 64 KB of
%% call-scoped memory, ending in each way (2,500 returned, panicked,
%% raised, and refused for a bad argument before starting): the job, its
%% env and its memory must all be freed (warm-up: 2,000).
no_leaks_after_10000_jobs_test_() ->
    {timeout, 120,
     fun() ->
             Round = fun(N) -> [job_round(Fault, N) || Fault <- [none, panic, raise, bogus]] end,
             assert_no_growth("10,000 jobs", Round, 500, 2500)
     end}.

%% Each job gets a binary of its own, so that a job env left behind would
%% keep 64 KB alive.
job_round(Fault, N) ->
    Expected = case Fault of
                   none -> {ok, 65536};
                   panic -> {error, panicked(<<"job holding 65536 bytes gave up">>, call, "hold")};
                   raise -> {error, gave_up};
                   bogus -> {badarg, {2, <<>>, {expected, ?FAULTS, bogus}}}
               end,
    ?assertEqual([], [Got || Got <- [run(job_hold, [binary:copy(<<7>>, 65536), Fault])
                                     || _ <- lists:seq(1, N)],
                             Got =/= Expected]).

%%% Messages from any thread

%% send_X(To, Msg, How) sends from a normal or dirty scheduler, a pool or
%% own-thread job, or a thread cnif did not start (raw), as How says (see
%% long_nif.c). A refused send panics where there is a guard; on a raw
%% thread it can only return false (and print why on stderr).
expected_send(Where, How) ->
    Scheduler = lists:member(Where, [send_normal, send_dirty]),
    Raw = Where =:= send_raw,
    case How of
        owned -> {ok, true};
        direct when Scheduler -> {ok, true};
        direct when Raw -> {ok, false};
        direct -> {error, refused(Where, <<"a message env is needed outside a NIF call">>)};
        own_env when Raw -> {badarg, {3, <<>>, <<"a raw thread has no env of its own">>}};
        own_env -> {error, refused(Where, <<"the call's own env cannot be a message env: "
                                     "build the message in an env from enif_alloc_env">>)};
        null_env when Scheduler -> {error, refused(Where, <<"on a scheduler thread, pass the call's env">>)};
        null_env -> {ok, true};
        stale_env when Raw -> {ok, false};
        stale_env -> {error, refused(Where, <<"the env belongs to another thread or to a call "
                                       "that has ended">>)}
    end.

send_rules_test_() ->
    [{atom_to_list(Where) ++ " " ++ atom_to_list(How),
      fun() ->
              Msg = {How, Where, make_ref(), lists:seq(1, 100), binary:copy(<<"x">>, 1000)},
              Expected = expected_send(Where, How),
              ?assertEqual(Expected, run(Where, [self(), Msg, How])),
              Delivered = case Expected of
                              {ok, true} -> receive Msg -> true after 10000 -> false end;
                              _ -> receive Msg -> true after 0 -> false end
                          end,
              ?assertEqual(Expected =:= {ok, true}, Delivered)
      end} || Where <- [send_normal, send_dirty, send_pool, send_thread, send_raw],
              How <- [owned, direct, own_env, null_env, stale_env]].

%% A send to a process that is gone returns false, from every thread.
send_to_a_dead_process_test_() ->
    {Dead, MRef} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', MRef, process, Dead, normal} -> ok end,
    [{atom_to_list(Where) ++ " " ++ atom_to_list(How),
      ?_assertEqual({ok, false}, run(Where, [Dead, hello, How]))}
     || {Where, How} <- [{send_normal, owned}, {send_normal, direct}, {send_dirty, owned},
                         {send_dirty, direct}, {send_pool, owned}, {send_pool, null_env},
                         {send_thread, owned}, {send_raw, owned}]].

%%% Unload

%% A job keeps the library loaded after its module was deleted and purged;
%% loading the module again maps the same shared object, whose pool the
%% two instances then share: no thread of it is lost (the gate needs all
%% of them at once), and only the last unload stops it. The queued jobs
%% keep the library until they are done (their resources do), so they run
%% uncancelled to the end; then the pool's threads end. The module is
%% loaded again at the end for whatever runs next.
unload_finishes_the_jobs_and_ends_the_pool_test_() ->
    {timeout, 60,
     fun() ->
             Pool = erlang:system_info(schedulers),
             ?M:latch_set(false),
             Held = ?M:latch_wait(),
             Threads = pool_threads(),
             ?assertEqual({true, false}, {code:delete(?M), code:purge(?M)}),
             ?assertEqual({module, ?M}, code:ensure_loaded(?M)),
             ?M:latch_set(true),
             ?assertEqual({ok, true}, reply(Held)),
             many_callers(work_pool, thread, Pool + 1, {Pool + 1, Pool}, [none], 1000),
             ?assertEqual({Pool + 1, 0, Pool}, ?M:gate_stats()),
             ?assertEqual(Threads, pool_threads()),
             Queued = [?M:work_pool(I, 1000000, {0, 0}, none) || I <- lists:seq(1, 20)],
             Parent = self(),
             spawn(fun() -> Parent ! {purged, code:delete(?M), code:purge(?M)} end),
             ?assertEqual({purged, true, false}, receive {purged, _, _} = P -> P after 10000 -> hung end),
             ?assertEqual([{ok, {thread, sum(I, 1000000), true}} || I <- lists:seq(1, 20)],
                          [element(1, strip_tid(reply(R))) || R <- Queued]),
             ?assertEqual(Threads - Pool, wait_for(fun pool_threads/0, Threads - Pool)),
             ?assertEqual({module, ?M}, code:ensure_loaded(?M))
     end}.

%% Outside a yielding call's step there is no slice to end.
%% A slice's budget counts from its first cnif_yield_due, here always
%% asked inside cnif_try: the outer call's clock starts too, so each slice
%% ends. ytry's State points to itself and asserts it in every slice: it
%% never moves, neither in the first slice nor when the call first yields.
yield_due_inside_try_test() ->
    ?assertEqual([1, 2, 5], [?M:ytry(N) || N <- [1, 2, 5]]).

yield_due_outside_a_step_test() ->
    ?assertEqual(false, ?M:yield_due_outside()).
