%% fault_tests -- the fault barrier (src/barrier.c) in a real BEAM: every
%% kind of fault in every phase becomes nif_crashed and quarantines the
%% library until it is loaded again; faults that are not the barrier's
%% still kill the VM (in a child VM started here); another library's
%% handler chains with it; a soak, and faults under concurrent calls.
-module(fault_tests).
-include_lib("eunit/include/eunit.hrl").
-export([log/2]).

-define(M, fault_nif).
-define(KINDS, [null_read, ro_write, abort, bus, div_zero, trap, recursion]).

%%% The exception each kind raises, as far as a test can know it: the
%%% address of a NULL read is 0, and of the two pages fault_pages/0 gives,
%%% theirs; div_zero, trap and recursion fault at an address of the
%%% library's own; abort sends its signal, with no address or instruction.

expected(Kind) ->
    {RoPage, EofPage} = get(fault_pages),
    case Kind of
        null_read -> {segv, 0, <<"fault_null_read">>};
        ro_write -> {segv, RoPage, <<"fault_ro_write">>};
        abort -> {abrt, undefined, undefined};
        bus -> {bus, EofPage, <<"fault_bus">>};
        div_zero -> {fpe, code, <<"fault_div_zero">>};
        trap -> {ill, code, <<"fault_trap">>};
        recursion -> {stack_overflow, stack, <<"fault_recursion">>}
    end.

%% Fault is the nif_crashed map: it must be Kind's, in Phase, of Nif.
check_fault(Kind, Phase, Nif, Fault) ->
    {Signal, Address, Function} = expected(Kind),
    ?assertEqual(lists:sort([address, function, nif, phase, signal]),
                 lists:sort(maps:keys(Fault))),
    ?assertMatch(#{signal := Signal, phase := Phase, nif := Nif}, Fault),
    #{address := Got, function := Named} = Fault,
    case Address of
        code -> ?assert(is_integer(Got) andalso Got > 0);
        stack -> ?assert(is_integer(Got) andalso Got > 0);
        _ -> ?assertEqual(Address, Got)
    end,
    case Function of
        undefined -> ?assertEqual(undefined, Named);
        _ -> ?assertMatch({0, _}, binary:match(Named, Function), Named),
             ?assertMatch([_, <<"0x", _/binary>>], binary:split(Named, <<"+">>), Named)
    end.

%%% The library is loaded again between cases: that lifts the quarantine.

reload() ->
    _ = code:purge(?M),
    {module, ?M} = code:load_file(?M),
    ?assertEqual(harmless, ?M:in_call(harmless)).

%% The next call is refused with Fault; one report said why.
check_quarantined(Fault) ->
    ?assertError({nif_quarantined, #{module := ?M, fault := Fault,
                                     destructors_skipped := 0}},
                 ?M:in_call(harmless)),
    ?assertEqual({nif_quarantined, Fault}, receive_report(quarantined)),
    ?assertEqual(none, receive_report(quarantined, 0)).

receive_report(Label) ->
    receive_report(Label, 5000).

receive_report(Label, Timeout) ->
    receive
        {cnif_report, #{label := {cnif, quarantined}, fault := Fault,
                        message := <<"quarantined after a fault: every call raises nif_quarantined"
                                     " and callbacks are skipped until the module is loaded again">>}}
          when Label =:= quarantined ->
            {nif_quarantined, Fault};
        {cnif_report, #{label := {cnif, callback_failed}} = Report}
          when Label =:= callback_failed ->
            Report
    after Timeout ->
        none
    end.

%%% Reports reach the test process through a logger handler (the default
%%% handler is silenced meanwhile).

with_reports(Fun) ->
    {ok, #{level := Level}} = logger:get_handler_config(default),
    ok = logger:add_handler(?MODULE, ?MODULE, #{config => self()}),
    ok = logger:update_handler_config(default, level, none),
    try
        reload(), % healthy, whatever the last test left
        put(fault_pages, ?M:fault_pages()), % a quarantined library tells nothing
        Fun()
    after
        logger:update_handler_config(default, level, Level),
        logger:remove_handler(?MODULE)
    end.

log(#{msg := {report, #{label := {cnif, _}, module := ?M} = Report}}, #{config := Pid}) ->
    Pid ! {cnif_report, Report};
log(#{msg := {report, #{label := {error_logger, warning_msg},
                         format := "The on_load function for module ~s returned:~n~P\n",
                         args := [Module, Returned, _Depth]}}},
    #{config := Pid}) when Module =:= ?M; Module =:= fault_opts ->
    Pid ! {on_load, Module, Returned};
log(_Event, _Config) ->
    ok.

%%% Every kind in every phase of a call.

call_phases() ->
    [{decode, in_decode, fun(K) -> ?M:in_decode(K) end},
     {call, in_call, fun(K) -> ?M:in_call(K) end},
     {encode, in_encode, fun(K) -> ?M:in_encode(K) end},
     {cleanup, in_cleanup, fun(K) -> ?M:in_cleanup(K) end},
     {call, in_dirty, fun(K) -> ?M:in_dirty(K) end},
     {call, in_try, fun(K) -> ?M:in_try(K) end},
     {call, in_yield, fun(K) -> ?M:in_yield(K) end},
     {call, in_job, fun(K) -> job(?M:in_job(K)) end}].

%% A threaded NIF's reply: its exception comes back as {error, E}.
job(Ref) ->
    receive
        {Ref, {error, Exception}} -> erlang:error(Exception);
        {Ref, Result} -> Result
    after 10000 -> error(no_reply)
    end.

call_phases_test_() ->
    {timeout, 120,
     fun() ->
             with_reports(
               fun() ->
                       [call_case(Kind, Phase, Name, Call)
                        || {Phase, Name, Call} <- call_phases(), Kind <- ?KINDS]
               end)
     end}.

call_case(Kind, Phase, Name, Call) ->
    ?assertEqual(harmless, Call(harmless)),
    try Call(Kind) of
        Result -> error({no_fault, Kind, Name, Result})
    catch
        error:{nif_crashed, Fault} ->
            check_fault(Kind, Phase, {?M, Name, 1}, Fault),
            check_quarantined(Fault)
    end,
    reload().

%%% A general protection fault: the kernel tells no address.

wild_read_test() ->
    with_reports(
      fun() ->
              try ?M:in_call(wild_read) of
                  R -> error({no_fault, R})
              catch error:{nif_crashed, Fault} ->
                      ?assertMatch(#{signal := segv, address := undefined, phase := call,
                                     nif := {?M, in_call, 1}, function := <<"fault_wild_read", _/binary>>},
                                   Fault),
                      check_quarantined(Fault)
              end
      end).

%% A fault in the guard page below the stack is an overflow only if the
%% stack pointer went there too; from a shallow frame it is a segv (an
%% unrelated mapping may also lie just below a stack).
guard_write_test() ->
    with_reports(
      fun() ->
              [begin
                   {nif_crashed, Fault} = try Call(guard_write) catch error:E -> E end,
                   ?assertMatch(#{signal := segv, phase := Phase, nif := {?M, Name, 1},
                                  function := <<"fault_guard_write", _/binary>>},
                                Fault),
                   #{address := Address} = Fault,
                   ?assert(is_integer(Address) andalso Address > 0),
                   check_quarantined(Fault),
                   reload()
               end || {Phase, Name, Call} <- call_phases()]
      end).

%%% Callbacks: no caller, so the fault is reported, and quarantines.

callback_test_() ->
    {timeout, 60,
     fun() ->
             with_reports(
               fun() ->
                       [callback_case(Kind, Callback)
                        || Callback <- [destroy, down], Kind <- ?KINDS]
               end)
     end}.

callback_case(Kind, destroy) ->
    collect(fun() -> ?M:in_destroy(Kind) end),
    callback_reported(Kind, destroy, <<"trap_res">>);
callback_case(Kind, down) ->
    Pid = spawn(fun() -> receive stop -> ok end end),
    Res = ?M:in_down(Kind, Pid),
    Pid ! stop,
    callback_reported(Kind, down, <<"trap_res">>),
    _ = Res.

%% Make a resource in a process of its own and let it be collected there.
collect(Make) ->
    {Pid, MRef} = spawn_monitor(fun() -> _ = Make(), ok end),
    receive {'DOWN', MRef, process, Pid, Reason} -> ?assertEqual(normal, Reason) end.

callback_reported(Kind, Callback, Resource) ->
    #{fault := Fault} = Report = receive_report(callback_failed),
    check_fault(Kind, Callback, undefined, Fault),
    ?assertMatch(#{module := ?M, callback := Callback, resource := Resource,
                   location := <<>>}, Report),
    #{message := <<"crashed: ", _/binary>>} = Report,
    check_quarantined(Fault),
    reload().

%%% Load and upgrade hooks: the load fails with the fault's description.

load_hook_test_() ->
    {timeout, 60,
     fun() ->
             with_reports(
               fun() ->
                       [load_case(Kind, Phase) || Phase <- [load, upgrade], Kind <- ?KINDS]
               end)
     end}.

%% A load when the module is not loaded, an upgrade when it is.
load_case(Kind, Phase) ->
    {Signal, _, Function} = expected(Kind),
    Trigger = filename:join(os:getenv("TEST_PRIV"), "fault_next_load"),
    ok = file:write_file(Trigger, atom_to_list(Kind)),
    try
        _ = code:purge(?M),
        Phase =:= load andalso code:delete(?M),
        _ = code:purge(?M),
        ?assertEqual({error, on_load_failure}, code:load_file(?M))
    after
        file:delete(Trigger)
    end,
    Hook = atom_to_list(Phase) ++ " hook crashed: " ++ atom_to_list(Signal),
    receive
        {on_load, ?M, {error, {Phase, "cnif: " ++ Text}}} ->
            ?assertEqual(Hook, lists:sublist(Text, length(Hook)), Text)
    after 5000 -> error(no_on_load_report)
    end,
    {nif_quarantined, Fault} = receive_report(quarantined),
    ?assertMatch(#{signal := Signal, phase := Phase, nif := undefined}, Fault),
    case Function of
        undefined -> ok;
        _ -> ?assertMatch({0, _}, binary:match(maps:get(function, Fault), Function))
    end,
    reload().

%%% The unload hook: no caller, so its fault is reported. The library is
%%% gone with it; a new load starts afresh.

unload_hook_test() ->
    with_reports(
      fun() ->
              Trigger = filename:join(os:getenv("TEST_PRIV"), "fault_next_unload"),
              _ = code:purge(?M), % the old code the reload left
              ok = file:write_file(Trigger, "abort"),
              try
                  true = code:delete(?M),
                  _ = code:purge(?M)
              after
                  file:delete(Trigger)
              end,
              #{fault := Fault} = Report = receive_report(callback_failed),
              ?assertMatch(#{module := ?M, callback := unload, resource := undefined,
                             message := <<"crashed: abrt">>}, Report),
              ?assertEqual(#{signal => abrt, nif => undefined, phase => unload,
                             address => undefined, function => undefined}, Fault),
              ?assertEqual({nif_quarantined, Fault}, receive_report(quarantined)),
              reload()
      end).

%%% A load that fails lifts nothing: the code that goes on running is the
%%% quarantined one.

failed_upgrade_test() ->
    with_reports(
      fun() ->
              ?assertError({nif_crashed, _}, ?M:in_call(null_read)),
              {nif_quarantined, Fault} = receive_report(quarantined),
              Trigger = filename:join(os:getenv("TEST_PRIV"), "fault_next_load"),
              ok = file:write_file(Trigger, "fail"),
              try
                  _ = code:purge(?M),
                  ?assertEqual({error, on_load_failure}, code:load_file(?M))
              after
                  file:delete(Trigger)
              end,
              receive {on_load, ?M, {error, {upgrade, _}}} -> ok after 5000 -> error(no_report) end,
              ?assertError({nif_quarantined, #{fault := Fault}}, ?M:in_call(harmless))
      end).

%%% Destructors of a quarantined library are skipped, and counted.

destructors_skipped_test() ->
    with_reports(
      fun() ->
              Self = self(),
              Holder = spawn(fun() ->
                                     Held = [?M:in_destroy(harmless) || _ <- lists:seq(1, 2)],
                                     Self ! {self(), holding},
                                     receive drop -> length(Held) end
                             end),
              receive {Holder, holding} -> ok end,
              ?assertError({nif_crashed, _}, ?M:in_call(null_read)),
              {nif_quarantined, Fault} = receive_report(quarantined),
              MRef = monitor(process, Holder),
              Holder ! drop,
              receive {'DOWN', MRef, process, Holder, normal} -> ok end,
              ?assertMatch({nif_quarantined, #{fault := Fault, destructors_skipped := 2}},
                           quarantined_once_skipped(2, 500))
      end).

%% What a call raises once Skipped destructors have been counted, or after
%% Tries more calls 10 ms apart: erts releases a dead process's resources
%% as it cleans the process up, which on a busy machine can come after the
%% 'DOWN' message.
quarantined_once_skipped(Skipped, Tries) ->
    try ?M:in_call(harmless) of
        Value -> {returned, Value}
    catch
        error:{nif_quarantined, #{destructors_skipped := N}} when N < Skipped, Tries > 0 ->
            timer:sleep(10),
            quarantined_once_skipped(Skipped, Tries - 1);
        error:Reason ->
            Reason
    end.

%%% A resource whose last reference a thread cnif did not start releases:
%%% erts runs its destructor later, on a scheduler, where the fault is the
%%% callback's.

foreign_destroy_test() ->
    with_reports(
      fun() ->
              ?assert(?M:in_foreign_destroy(null_read)),
              #{fault := Fault} = receive_report(callback_failed),
              check_fault(null_read, destroy, undefined, Fault),
              check_quarantined(Fault)
      end).

%%% quarantine => false: the library goes on; the call's cleanups run.

no_quarantine_test() ->
    with_reports(
      fun() ->
              ok = cnif:set_load_options(?M, #{quarantine => false}),
              try
                  reload(),
                  ?assertError({nif_crashed, #{signal := segv, phase := call}},
                               ?M:in_call(null_read)),
                  ?assertEqual(harmless, ?M:in_call(harmless)),
                  %% The first fault's cleanup runs, and faults in turn.
                  ?assertError({nif_crashed, #{signal := abrt, phase := cleanup}},
                               ?M:in_cleanup(abort)),
                  ?assertEqual(none, receive_report(quarantined, 0))
              after
                  ok = cnif:set_load_options(?M, #{})
              end,
              reload()
      end).

%% With quarantine, a crashed call's cleanups are abandoned: the second
%% fault, in a cleanup, never runs.
abandoned_cleanup_test() ->
    with_reports(
      fun() ->
              ?assertError({nif_crashed, #{signal := ill, phase := call}},
                           ?M:twice(trap, null_read)),
              {nif_quarantined, _} = receive_report(quarantined),
              reload()
      end).

%%% A recursive user codec on deeply nested input.

deep_input_test_() ->
    {timeout, 60,
     fun() ->
             with_reports(
               fun() ->
                       ?assertEqual(3, ?M:nest_depth({{{leaf}}})),
                       Deep = lists:foldl(fun(_, T) -> {T} end, leaf, lists:seq(1, 1000000)),
                       try ?M:nest_depth(Deep) of
                           R -> error({no_fault, R})
                       catch error:{nif_crashed, Fault} ->
                               ?assertMatch(#{signal := stack_overflow, phase := decode,
                                              nif := {?M, nest_depth, 1}}, Fault),
                               check_quarantined(Fault)
                       end,
                       reload()
               end)
     end}.

%%% Load options.

%% cnif's own check, for load info that cnif:load_info/3 did not make.
load_options_in_c_test() ->
    with_reports(
      fun() ->
              [begin
                   persistent_term:put(fault_opts, {'$cnif_load', 1, [], Options}),
                   _ = code:purge(fault_opts),
                   _ = code:delete(fault_opts),
                   _ = code:purge(fault_opts),
                   ?assertEqual({error, on_load_failure}, code:load_file(fault_opts)),
                   receive
                       {on_load, fault_opts, Returned} ->
                           ?assertEqual({error, {load, "cnif: " ++ Why}}, Returned)
                   after 5000 -> error(no_on_load_report)
                   end
               end || {Options, Why} <-
                          [{[], "the load options are not a map"},
                           {#{fault_barrier => yes}, "a load option is not a boolean"},
                           {#{bogus => true}, "unknown load option: the options are "
                                              "fault_barrier and quarantine"}]],
              persistent_term:put(fault_opts, {'$cnif_load', 1, [], #{quarantine => false}}),
              ?assertEqual({module, fault_opts}, code:load_file(fault_opts)),
              ?assert(fault_opts:loaded_nif()),
              persistent_term:erase(fault_opts)
      end).

load_options_test() ->
    ?assertError({bad_load_options, [{fault_barrier, yes}], _},
                 cnif:check_load_options(#{fault_barrier => yes})),
    ?assertError({bad_load_options, [{quarantined, true}], _},
                 cnif:set_load_options(?M, #{quarantined => true})),
    ?assertError({bad_load_options, [fault_barrier], _},
                 cnif:load_info(?M, [], [fault_barrier])),
    ?assertMatch({'$cnif_load', _, info, #{fault_barrier := true}},
                 cnif:load_info(?M, info, #{fault_barrier => true})),
    %% No options: the form a library built before them understands.
    ?assertMatch({'$cnif_load', _, info}, cnif:load_info(?M, info, #{})),
    Forms = [{attribute, 1, module, bad_opts}, {attribute, 2, cnif_nifs, [{f, 0}]},
             {attribute, 3, cnif_load_options, #{barrier => true}}],
    Why = "the load options are fault_barrier and quarantine, each a boolean",
    Error = {bad_options, cnif_load_options, [{barrier, true}], Why},
    %% A compile error at the attribute's line, as erlc prints it.
    ?assertEqual({error, [{"nofile", [{3, cnif_transform, Error}]}], []},
                 cnif_transform:parse_transform(Forms ++ [{eof, 4}], [])),
    ?assertEqual("-cnif_load_options: " ++ Why ++ ", got: [{barrier,true}]",
                 lists:flatten(cnif_transform:format_error(Error))).

%%% Concurrency: a fault on a dirty scheduler while 8 processes call the
%%% library. Each call returns or raises nif_quarantined; none hangs.

concurrent_test_() ->
    {timeout, 120,
     fun() ->
             with_reports(
               fun() ->
                       [concurrent_round(Kind) || Kind <- ?KINDS, _ <- lists:seq(1, 3)]
               end)
     end}.

concurrent_round(Kind) ->
    Self = self(),
    Callers = [spawn_link(fun() -> Self ! {self(), hammer(0)} end) || _ <- lists:seq(1, 8)],
    timer:sleep(5),
    ?assertError({nif_crashed, #{nif := {?M, in_dirty, 1}}}, ?M:in_dirty(Kind)),
    Outcomes = [receive {Pid, Outcome} -> Outcome after 30000 -> {hung, Pid} end
                || Pid <- Callers],
    [?assertMatch({quarantined, N} when N >= 0, Outcome) || Outcome <- Outcomes],
    {nif_quarantined, _} = receive_report(quarantined),
    reload().

%% Calls until the library is quarantined; how many returned first.
hammer(N) ->
    try ?M:in_call(harmless) of
        harmless -> hammer(N + 1)
    catch
        error:{nif_quarantined, #{module := ?M}} -> {quarantined, N}
    end.

%%% Soak: 10,000 faults, each followed by a reload (3,000 where STRESS
%%% asks for less: test/stress.erl). Memory, the C heap,
%%% the library's mappings and the threads stay flat. erts itself keeps
%%% some C heap for every module version it loaded (about 8 kB per reload
%%% of fault_nif, the same for a module with no NIF), so what faults add
%%% is compared with what as many reloads without a fault add, in rounds
%%% of 1,000, and the median round decides. The C heap is counted by
%%% malloc itself: the resident size, which counts freed pages malloc
%%% keeps and reuses as it likes, varies by 18 MB between runs.

soak_test_() ->
    {timeout, 600,
     fun() ->
             with_reports(
               fun() ->
                       soak(200), % warm: every thread that runs calls set up
                       Before = footprint(),
                       Rounds = [soak_round(1000) || _ <- lists:seq(1, stress:scaled(10, 3))],
                       check_flat(Before, footprint(), Rounds)
               end)
     end}.

%% The C heap N faults add, less what N reloads add (bytes).
soak_round(N) ->
    H0 = ?M:malloc_in_use(),
    soak(N),
    H1 = ?M:malloc_in_use(),
    [reload() || _ <- lists:seq(1, N)],
    H2 = ?M:malloc_in_use(),
    (H1 - H0) - (H2 - H1).

soak(N) ->
    Kinds = list_to_tuple(?KINDS),
    lists:foreach(
      fun(I) ->
              Kind = element(I rem tuple_size(Kinds) + 1, Kinds),
              {nif_crashed, _} =
                  try
                      case I rem 3 of
                          0 -> ?M:in_call(Kind);
                          1 -> ?M:in_dirty(Kind);
                          2 -> job(?M:in_job(Kind))
                      end
                  catch error:E -> E
                  end,
              {nif_quarantined, _} = receive_report(quarantined),
              _ = code:purge(?M),
              {module, ?M} = code:load_file(?M)
      end, lists:seq(1, N)).

footprint() ->
    erlang:garbage_collect(),
    {ok, Maps} = file:read_file("/proc/self/maps"),
    Lines = binary:split(Maps, <<"\n">>, [global, trim]),
    {ok, Status} = file:read_file("/proc/self/status"),
    [Threads] = [list_to_integer(string:trim(binary_to_list(V)))
                 || <<"Threads:", V/binary>> <- binary:split(Status, <<"\n">>, [global])],
    #{memory => erlang:memory(total), threads => Threads,
      mappings => length(Lines),
      library => length([L || L <- Lines, binary:match(L, <<"fault_nif.so">>) =/= nomatch])}.

check_flat(#{memory := M0, threads := T0, mappings := P0, library := L0} = Before,
           #{memory := M1, threads := T1, mappings := P1, library := L1} = After,
           Rounds) ->
    Seen = {Before, After, Rounds},
    ?assertEqual(L0, L1),
    ?assert(T1 =< T0 + 1, Seen),          % a job thread may be between jobs
    ?assert(P1 =< P0 + 8, Seen),          % no alternate stack per fault
    ?assert(M1 - M0 < 8 bsl 20, Seen),    % bytes
    %% Under ASan, malloc is ASan's, and glibc's count tells nothing.
    Median = lists:nth(length(Rounds) div 2 + 1, lists:sort(Rounds)),
    ?assert(asan() orelse Median < 32 bsl 10, Seen). % bytes per 1,000 faults

%%% Faults that are not the barrier's kill the VM, as they would without
%%% it: run in a child VM, which must die of the signal.

%% Exit status of a child VM that runs Expr, and what it printed. First
%% makes modules in Dirs win over the suite's own.
child(Expr) ->
    child(Expr, []).

child(Expr, First) ->
    Erl = os:find_executable("erl"),
    Paths = lists:append([["-pa", P] || P <- code:get_path(),
                                         filelib:is_regular(filename:join(P, "fault_nif.beam"))
                                             orelse filelib:is_regular(filename:join(P, "cnif.beam"))]
                         ++ [["-pa", D] || D <- First]),
    Port = open_port({spawn_executable, "/bin/sh"},
                     [{args, ["-c", "ulimit -c 0; exec \"$0\" \"$@\"", Erl, "-noshell" | Paths]
                       ++ ["-eval", Expr ++ ", halt(0)."]},
                      exit_status, stderr_to_stdout, binary]),
    child_wait(Port, <<>>).

child_wait(Port, Out) ->
    receive
        {Port, {data, D}} -> child_wait(Port, <<Out/binary, D/binary>>);
        {Port, {exit_status, Status}} -> {Status, Out}
    after 60000 -> error({child_hung, Out})
    end.

%% 128 + the signal, as erts reports a child killed by it. Under ASan the
%% faults ASan handles (SEGV, BUS) are reported by it, then abort.
killed_by(Signal) ->
    Number = #{segv => 11, bus => 7, fpe => 8, ill => 4, abrt => 6},
    case asan() andalso lists:member(Signal, [segv, bus]) of
        true -> 128 + 6;
        false -> 128 + maps:get(Signal, Number)
    end.

%% The signal each kind dies of with no barrier: an overflow is a SIGSEGV.
signal_of(Kind) ->
    maps:get(Kind, #{null_read => segv, ro_write => segv, abort => abrt, bus => bus,
                     div_zero => fpe, trap => ill, recursion => segv}).

barrier_off_test_() ->
    children(
      [{atom_to_list(Kind),
        fun() ->
                Expr = "application:set_env(cnif, load_options, #{fault_nif => #{fault_barrier => false}}), "
                       "fault_nif:in_call(" ++ atom_to_list(Kind) ++ ")",
                {Status, Out} = child(Expr),
                ?assertEqual(killed_by(signal_of(Kind)), Status, Out)
        end} || Kind <- ?KINDS]).

%% Tests that each run child VMs: most of their time is a VM's boot and
%% end, so four run at once. Each has the time a child may take
%% (child_wait/2), twice over.
children(Tests) ->
    {inparallel, 4, [{Name, {timeout, 120, Test}} || {Name, Test} <- Tests]}.

not_ours_test_() ->
    children(
     [{"a thread cnif did not start",
       fun() -> ?assertMatch({139, _}, asan_or(child("fault_nif:foreign_fault()"))) end},
      {"a corrupt term inside erts",
       fun() -> ?assertMatch({139, _}, asan_or(child("fault_nif:erts_fault()"))) end},
      {"a second fault in the same call",
       fun() ->
               Expr = "cnif:set_load_options(fault_nif, #{quarantine => false}), "
                      "catch fault_nif:twice(null_read, null_read)",
               ?assertMatch({139, _}, asan_or(child(Expr)))
       end},
      {"a handler installed before the barrier's",
       fun() ->
               Expr = "{module, _} = code:ensure_loaded(fault_chain), fault_nif:foreign_fault()",
               {Status, Out} = asan_or(child(Expr)),
               ?assertEqual(139, Status, Out),
               ?assertNotEqual(nomatch, binary:match(Out, <<"fault_chain: saw SIGSEGV">>))
       end}]).

%% Under ASan, a SIGSEGV that is not the barrier's reaches ASan's handler,
%% which reports it and ends the VM (abort, or exit 1 for one it cannot
%% place): 139 stands for either.
asan_or({Status, Out}) ->
    case asan() andalso lists:member(Status, [134, 1]) of
        true ->
            ?assertNotEqual(nomatch, binary:match(Out, <<"AddressSanitizer">>), Out),
            {139, Out};
        false ->
            {Status, Out}
    end.

asan() ->
    string:find(os:getenv("LD_PRELOAD", ""), "libasan") =/= nomatch.

%% A handler installed after the barrier's, which chains to it: the
%% barrier still catches a guarded fault, which the handler saw first.
handler_after_test() ->
    with_reports(
      fun() ->
              {module, fault_chain} = code:ensure_loaded(fault_chain),
              Seen = fault_chain:seen(),
              ?assertError({nif_crashed, #{signal := segv, address := 0}}, ?M:in_call(null_read)),
              ?assertEqual(Seen + 1, fault_chain:seen()),
              {nif_quarantined, _} = receive_report(quarantined),
              reload()
      end).

%%% The last unload takes the barrier's handlers back and lets erts unmap
%%% the library (so a rebuilt one loads in its place), unless another
%%% handler was installed over them: that one may chain to them.

%% The job threads set up end with the unload, and the library is unmapped
%% once they have: the check waits up to a second for them.
unload_test_() ->
    Unload = "{module, _} = code:ensure_loaded(fault_nif), harmless = fault_nif:in_call(harmless), "
             "Ref = fault_nif:in_job(harmless), receive {Ref, harmless} -> ok end, "
             "true = code:delete(fault_nif), code:purge(fault_nif), "
             "Mapped = fun() -> {ok, Maps} = file:read_file(\"/proc/self/maps\"), "
             "                  binary:match(Maps, <<\"fault_nif.so\">>) =/= nomatch end, "
             "Wait = fun W(0) -> Mapped(); W(N) -> case Mapped() of true -> timer:sleep(20), W(N - 1); "
             "                                                      false -> false end end, "
             "io:format(\"mapped=~p~n\", [Wait(50)])",
    children(
     [{"alone: unmapped",
       fun() ->
               {Status, Out} = child(Unload),
               ?assertEqual(0, Status, Out),
               ?assertNotEqual(nomatch, binary:match(Out, <<"mapped=false">>), Out)
       end},
      {"under another handler: kept",
       fun() ->
               Expr = "{module, _} = code:ensure_loaded(fault_nif), "
                      "{module, _} = code:ensure_loaded(fault_chain), " ++ Unload,
               {Status, Out} = child(Expr),
               ?assertEqual(0, Status, Out),
               ?assertNotEqual(nomatch, binary:match(Out, <<"mapped=true">>), Out)
       end}]).

%%% Three more child VMs: a handler that recovers, a signal queued by the
%%% process, a stripped library.

more_children_test_() ->
    children([{"a handler installed before the barrier's recovers", fun chain_recovers/0},
              {"a queued SIGSEGV is not the call's", fun queued_signal/0},
              {"a stripped library names the object", fun stripped/0}]).

%%% A handler installed before the barrier's gets what is not the
%%% barrier's, and may recover from it: fault_chain's probe faults in its
%%% own code, on a scheduler the barrier has set up.

chain_recovers() ->
    Expr = "{module, _} = code:ensure_loaded(fault_chain), "
           "harmless = fault_nif:in_call(harmless), "
           "true = fault_chain:probe(), "
           "{nif_crashed, #{signal := segv}} = try fault_nif:in_call(null_read) catch error:E -> E end, "
           "io:format(\"probed~n\")",
    {Status, Out} = child(Expr),
    ?assertEqual(0, Status, Out),
    ?assertNotEqual(nomatch, binary:match(Out, <<"probed">>), Out).

%%% A SIGSEGV queued by the process itself is a signal sent, not the
%%% call's fault: it goes on to what was there before, here an ignore.

queued_signal() ->
    Expr = "{module, _} = code:ensure_loaded(fault_chain), true = fault_chain:ignore_segv(), "
           "true = fault_nif:queue_segv(), harmless = fault_nif:in_call(harmless), "
           "io:format(\"ignored~n\")",
    {Status, Out} = child(Expr),
    ?assertEqual(0, Status, Out),
    ?assertNotEqual(nomatch, binary:match(Out, <<"ignored">>), Out).

%%% A stripped library: its functions have no names left, so a fault
%%% names the object and the offset in it, for addr2line.

stripped() ->
    Dir = filename:join(os:getenv("TEST_PRIV"), "fault_stripped"),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    {ok, _} = file:copy(code:which(?M), filename:join(Dir, "fault_nif.beam")),
    {ok, Lib} = cnif:priv_path(?M, "fault_nif"),
    So = filename:join(Dir, "fault_nif.so"),
    {ok, _} = file:copy(Lib ++ ".so", So),
    ?assertEqual("", os:cmd("strip --strip-all " ++ So)),
    Expr = "{nif_crashed, #{function := F}} = try fault_nif:in_call(null_read) catch error:E -> E end, "
           "io:format(\"function=~s~n\", [F])",
    {Status, Out} = child(Expr, [Dir]),
    ?assertEqual(0, Status, Out),
    ?assertMatch({match, _}, re:run(Out, "function=fault_nif\\.so\\+0x[0-9a-f]+\n"), Out).
