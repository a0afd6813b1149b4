%% resource_tests -- resources and the module lifecycle, end to end in a real
%% VM: typed resources and their type checks, the call's own reference,
%% keep and release, resource binaries, monitors, select on a pipe, dynamic
%% calls between two NIF libraries, a callback of each kind that fails and
%% is reported through logger, load/upgrade/unload hooks with private data,
%% hot upgrade cycles that keep old resources alive, 100,000 resources
%% collected, and the code of docs/resources.md.
%%
%% NIFs: test/nifs/res_nif.c, res_caller.c, res_guide.c, and
%% test/res_upgrade/res_upgrade.c built twice (res_upgrade.mk). Callbacks
%% report to the process registered as res_observer; deliberate panics sit
%% on lines marked "site:NAME", which site/2 finds, so the tests run from
%% the repository root (as `make test` runs them).
-module(resource_tests).
-include_lib("eunit/include/eunit.hrl").
-export([log/2]).

-define(M, res_nif).
-define(U, res_upgrade).
%% How long to wait for something that must happen (a callback's message).
-define(WAIT, 5000).

%%% Helpers

%% <<"File:Line">> of the one line of File (under src/, test/nifs/ or
%% test/res_upgrade/) that holds Needle.
site(File, Needle) ->
    [Path] = [P || Dir <- ["src", "test/nifs", "test/res_upgrade"],
                   P <- [filename:join(Dir, File)], filelib:is_regular(P)],
    {ok, Source} = file:read_file(Path),
    Lines = binary:split(Source, <<"\n">>, [global]),
    [Line] = [N || {N, Text} <- lists:zip(lists:seq(1, length(Lines)), Lines),
                   binary:match(Text, iolist_to_binary(Needle)) =/= nomatch],
    iolist_to_binary([File, ":", integer_to_list(Line)]).

marker(File, Site) ->
    site(File, ["/* site:", Site, " */"]).

%% {ArgNo, Cause, Text} of the bad argument Fun raised: the error_info
%% cause the wrapper attached and the text the shell prints for it.
badarg(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:badarg:Stack ->
            [{_, _, _, Info} | _] = Stack,
            #{module := cnif_error, cause := {ArgNo, Path, Reason} = Cause} =
                proplists:get_value(error_info, Info),
            {ArgNo, Cause, cnif_error:message(Path, Reason)}
    end.

%% The exception a contained panic raises: exactly these three keys.
panicked(Phase, Message, Location) ->
    {nif_panicked, #{phase => Phase, message => Message, location => Location}}.

printed(Term) ->
    lists:flatten(io_lib:format("~0tP", [Term, 20])).

%% Run Fun with this process registered as res_observer, so callbacks
%% report to it. What this process dropped before is collected first,
%% while nobody observes; and only resources made to be observed report
%% at all, so other tests' garbage, whenever destroyed, sends nothing.
observed(Fun) ->
    erlang:garbage_collect(),
    true = register(res_observer, self()),
    try Fun() after unregister(res_observer) end.

%% The next message matching Pattern, or fail.
-define(NEXT(Pattern),
        (fun() ->
                 receive Pattern = Msg__ -> Msg__
                 after ?WAIT -> error({timeout, ??Pattern})
                 end
         end)()).

%% Every message in the mailbox now.
mailbox() ->
    receive Msg -> [Msg | mailbox()] after 0 -> [] end.

%% Run Fun in a fresh process and return its result; the resources it
%% dropped are collected before this returns (a destructor may still run
%% a little later), unless something else holds them.
isolated(Fun) ->
    {Pid, MRef} = spawn_monitor(fun() ->
                                        Result = Fun(),
                                        erlang:garbage_collect(),
                                        exit({done, Result})
                                end),
    receive {'DOWN', MRef, process, Pid, Exit} -> {done, Result} = Exit, Result end.

kill(Pid) ->
    MRef = monitor(process, Pid),
    exit(Pid, kill),
    receive {'DOWN', MRef, process, Pid, killed} -> ok end.

idle() ->
    spawn(fun() -> receive after infinity -> ok end end).

%% Run Fun with a logger handler that forwards cnif's reports and the code
%% server's on_load warnings to this process, and the default handler
%% silenced (what it would print is asserted here instead).
reported(Fun) ->
    {ok, #{level := Level}} = logger:get_handler_config(default),
    ok = logger:add_handler(?MODULE, ?MODULE, #{config => self()}),
    ok = logger:update_handler_config(default, level, none),
    try Fun()
    after
        logger:update_handler_config(default, level, Level),
        logger:remove_handler(?MODULE)
    end.

log(#{msg := {report, #{label := {cnif, callback_failed}} = Report}}, #{config := Pid}) ->
    Pid ! {cnif_report, Report};
log(#{msg := {report, #{label := {error_logger, warning_msg},
                         format := "The on_load function for module ~s returned:~n~P\n",
                         args := [?U, Returned, _Depth]}}},
    #{config := Pid}) ->
    Pid ! {on_load, ?U, Returned};
log(_Event, _Config) ->
    ok.

report(Module, Callback, Resource, Message, Location) ->
    {cnif_report, #{label => {cnif, callback_failed}, module => Module,
                    callback => Callback, resource => Resource,
                    message => Message, location => Location}}.

%%% Typed resources

resource_is_a_reference_with_its_value_test() ->
    C = ?M:counter_new(5, quiet),
    ?assert(is_reference(C)),
    ?assertEqual(5, ?M:counter_get(C)),
    ?assertEqual(10, ?M:counter_sum(C, C)),
    ?assertEqual(15, ?M:counter_total([C, C, C])),
    ?assertEqual(2.5, ?M:gauge_get(?M:gauge_new(2.5))).

another_type_is_a_bad_argument_test() ->
    C = ?M:counter_new(1, quiet),
    G = ?M:gauge_new(1.0),
    B = ?M:blob_new(0, false),
    Expect = fun(ArgNo, Path, Type, Got) ->
                     Text = case Path of <<>> -> ""; _ -> binary_to_list(Path) ++ ": " end
                         ++ "expected a " ++ Type ++ " resource, got: " ++ printed(Got),
                     {ArgNo, {ArgNo, Path, {expected, iolist_to_binary(["a ", Type, " resource"]), Got}},
                      Text}
             end,
    ?assertEqual(Expect(1, <<>>, "counter", G), badarg(fun() -> ?M:counter_get(G) end)),
    ?assertEqual(Expect(1, <<>>, "counter", B), badarg(fun() -> ?M:counter_get(B) end)),
    ?assertEqual(Expect(1, <<>>, "gauge", C), badarg(fun() -> ?M:gauge_get(C) end)),
    ?assertEqual(Expect(2, <<>>, "counter", G), badarg(fun() -> ?M:counter_sum(C, G) end)),
    ?assertEqual(Expect(1, <<"[2]">>, "counter", G),
                 badarg(fun() -> ?M:counter_total([C, C, G, C]) end)).

any_other_term_is_a_bad_argument_test_() ->
    Ref = make_ref(),
    [?_assertEqual({1, {1, <<>>, {expected, <<"a counter resource">>, Term}},
                    "expected a counter resource, got: " ++ Text},
                   badarg(fun() -> ?M:counter_get(Term) end))
     || {Term, Text} <- [{42, "42"}, {foo, "foo"}, {<<"blob 0">>, "<<\"blob 0\">>"},
                         {{x}, "{x}"}, {[], "[]"}, {self(), printed(self())},
                         {Ref, printed(Ref)}]].

%% The reference cnif_resource_new gives the call is dropped when the call
%% ends: a counter not returned is destroyed then, also after a panic.
call_drops_its_own_reference_test() ->
    observed(fun() ->
        ?assertEqual(ok, ?M:counter_forget(701)),
        ?NEXT({counter_destroyed, 701}),
        Panicked = panicked(call, <<"panicked holding counter 702">>,
                            marker("res_nif.c", "holding")),
        ?assertError(Panicked, ?M:counter_new_then_panic(702)),
        ?NEXT({counter_destroyed, 702}),
        ?assertEqual([], mailbox())
    end).

returning_a_null_resource_panics_test() ->
    Panicked = panicked(encode, <<"cannot encode a NULL resource">>,
                        site("res_nif.c", "CNIF_EXPORT(counter_null,")),
    ?assertError(Panicked, ?M:counter_null()).

%% A resource dropped by every term is destroyed; a kept one is not, until
%% released. The control counter, made and dropped with the kept one,
%% shows when its destructor would have run.
keep_holds_a_resource_until_release_test() ->
    observed(fun() ->
        ok = isolated(fun() ->
                              ?M:counter_keep(?M:counter_new(711, observed)),
                              _ = ?M:counter_new(712, observed),
                              ok
                      end),
        ?NEXT({counter_destroyed, 712}),
        ?assertEqual([], mailbox()),
        ?assertEqual(711, isolated(fun() -> ?M:counter_get(?M:counter_kept()) end)),
        ?assertEqual(ok, ?M:counter_release()),
        ?NEXT({counter_destroyed, 711}),
        Panicked = panicked(call, <<"assertion failed: c != NULL">>,
                            marker("res_nif.c", "release")),
        ?assertError(Panicked, ?M:counter_release())
    end).

%%% Resource binaries

%% A process holding what it is told to hold: the test process itself
%% never holds the blobs or their binaries.
holder(Held) ->
    receive
        {From, {drop, Keys}} ->
            From ! {self(), ok},
            holder([KV || {K, _} = KV <- Held, not lists:member(K, Keys)]);
        {From, gc} ->
            erlang:garbage_collect(),
            From ! {self(), ok},
            holder(Held);
        {From, Fun} when is_function(Fun, 1) ->
            {Reply, New} = Fun(Held),
            From ! {self(), Reply},
            holder(New)
    end.

ask(Pid, Request) ->
    Pid ! {self(), Request},
    receive {Pid, Reply} -> Reply end.

%% Blob 7 and its binary, blob 8 and its binary: blob 8, dropped with all
%% its terms, shows when blob 7 would have been destroyed had its binary
%% not kept it alive.
resource_binary_keeps_its_resource_alive_test() ->
    observed(fun() ->
        H = spawn_link(fun() -> holder([]) end),
        Made = fun(Held) ->
                       Blobs = [{Id, ?M:blob_new(Id, true)} || Id <- [7, 8]],
                       Bins = [{{bin, Id}, ?M:blob_binary(B)} || {Id, B} <- Blobs],
                       {[binary:copy(Bin) || {_, Bin} <- Bins], Blobs ++ Bins ++ Held}
               end,
        ?assertEqual([<<"blob 7">>, <<"blob 8">>], ask(H, Made)),
        %% The binary shares the blob's bytes: no copy was made.
        Bin7 = fun(Held) -> {binary:copy(proplists:get_value({bin, 7}, Held)), Held} end,
        ?assertEqual(<<"Blob 7">>,
                     ask(H, fun(Held) ->
                                    ?M:blob_poke(proplists:get_value(7, Held), 0, $B),
                                    Bin7(Held)
                            end)),
        ok = ask(H, {drop, [7, 8, {bin, 8}]}),
        ok = ask(H, gc),
        ?NEXT({blob_destroyed, 8}),
        ?assertEqual([], mailbox()),
        ?assertEqual(<<"Blob 7">>, ask(H, Bin7)),
        ok = ask(H, {drop, [{bin, 7}]}),
        ok = ask(H, gc),
        ?NEXT({blob_destroyed, 7}),
        unlink(H),
        kill(H)
    end).

%%% Monitors

down_runs_when_the_monitored_process_dies_test() ->
    observed(fun() ->
        W = ?M:watch_new(1, false),
        P = idle(),
        ?assertEqual({0, 0}, ?M:watch_monitor(W, P)),
        kill(P),
        ?NEXT({down, 1, P, 0}),
        ?assertEqual(false, ?M:watch_demonitor(W, 0)),
        ?assertEqual([], mailbox())
    end).

%% P1's monitor is removed: only P2's fires, though P1 dies first.
demonitor_stops_the_down_callback_test() ->
    observed(fun() ->
        W = ?M:watch_new(2, false),
        P1 = idle(),
        P2 = idle(),
        ?assertEqual({0, 0}, ?M:watch_monitor(W, P1)),
        ?assertEqual({0, 1}, ?M:watch_monitor(W, P2)),
        ?assertEqual(true, ?M:watch_demonitor(W, 0)),
        ?assertEqual(false, ?M:watch_demonitor(W, 0)),
        kill(P1),
        kill(P2),
        ?NEXT({down, 2, P2, 1}),
        ?assertEqual([], mailbox())
    end).

monitoring_a_dead_process_returns_1_test() ->
    observed(fun() ->
        W = ?M:watch_new(3, false),
        P = idle(),
        kill(P),
        ?assertEqual({1, 0}, ?M:watch_monitor(W, P)),
        ?assertEqual(false, ?M:watch_demonitor(W, 0)),
        ?assertEqual([], mailbox())
    end).

monitor_from_a_type_without_down_panics_test() ->
    Panicked = panicked(call, <<"cnif_resource_monitor: the resource type has no .down callback">>,
                        site("res_nif.c", "CNIF_EXPORT(counter_monitor,")),
    ?assertError(Panicked, ?M:counter_monitor(?M:counter_new(0, quiet), self())).

%%% Select on a pipe

select_read_write_and_stop_test() ->
    observed(fun() ->
        F = ?M:fdpair_new(false),
        In = make_ref(),
        ?assertEqual(0, ?M:fdpair_select(F, read, In)),
        ?assertEqual({error, eagain}, ?M:fdpair_read(F)),
        ?assertEqual([], mailbox()),
        ?assertEqual(4, ?M:fdpair_write(F, <<"ping">>)),
        ?NEXT({select, F, In, ready_input}),
        ?assertEqual(<<"ping">>, ?M:fdpair_read(F)),
        Out = make_ref(),
        ?assertEqual(0, ?M:fdpair_select(F, write, Out)),
        ?NEXT({select, F, Out, ready_output}),
        %% The write end is stopped: its stop callback closes it, so the
        %% read end sees end of file.
        StopW = ?M:fdpair_stop_select(F, write),
        {stopped, write, DirectW} = ?NEXT({stopped, write, _}),
        ?assertEqual({StopW band 3 =/= 0, DirectW}, {true, StopW band 1 =:= 1}),
        ?assertEqual({true, false}, ?M:fdpair_open(F)),
        ?assertEqual(eof, ?M:fdpair_read(F)),
        %% At end of file the read end stays ready: each select brings
        %% one message, here with the atom undefined for a reference.
        ?assertEqual(0, ?M:fdpair_select(F, read, undefined)),
        ?NEXT({select, F, undefined, ready_input}),
        ?assertEqual(0, ?M:fdpair_select(F, read, undefined)),
        ?NEXT({select, F, undefined, ready_input}),
        StopR = ?M:fdpair_stop_select(F, read),
        {stopped, read, DirectR} = ?NEXT({stopped, read, _}),
        ?assertEqual({StopR band 3 =/= 0, DirectR}, {true, StopR band 1 =:= 1}),
        ?assertEqual({false, false}, ?M:fdpair_open(F)),
        ?assertEqual([], mailbox()),
        Panicked = panicked(call, <<"cnif_select on fd -1 failed: invalid event">>,
                            site("res_nif.c", "CNIF_EXPORT(fdpair_select,")),
        ?assertError(Panicked, ?M:fdpair_select(F, read, In))
    end).

stop_cancels_an_active_selection_test() ->
    observed(fun() ->
        F = ?M:fdpair_new(false),
        ?assertEqual(0, ?M:fdpair_select(F, read, make_ref())),
        Stop = ?M:fdpair_stop_select(F, read),
        ?assertEqual(16, Stop band 16), % ERL_NIF_SELECT_READ_CANCELLED
        ?NEXT({stopped, read, _}),
        %% The read end is closed: writing fails with EPIPE.
        ?assertEqual({error, epipe}, ?M:fdpair_write(F, <<"x">>)),
        ?assertEqual([], mailbox())
    end).

%%% Dynamic calls from another NIF library

dynamic_call_reaches_the_defining_library_test() ->
    C = ?M:counter_new(10, quiet),
    ?assertEqual({ok, 15}, res_caller:call_add(<<"res_nif">>, <<"counter">>, C, 5)),
    ?assertEqual({ok, 12}, res_caller:call_add(<<"res_nif">>, <<"counter">>, C, -3)),
    ?assertEqual(12, ?M:counter_get(C)).

dynamic_call_to_the_wrong_module_or_type_is_false_test_() ->
    C = ?M:counter_new(20, quiet),
    G = ?M:gauge_new(0.0),
    B = ?M:blob_new(1, false),
    [{Name, ?_assertEqual(false, res_caller:call_add(Module, Type, Term, 1))}
     || {Name, Module, Type, Term} <-
            [{"another type's resource", <<"res_nif">>, <<"counter">>, G},
             {"a type without .dyncall", <<"res_nif">>, <<"blob">>, B},
             {"the wrong type name", <<"res_nif">>, <<"gauge">>, C},
             {"a type name no atom has", <<"res_nif">>, <<"no such type">>, C},
             {"another library", <<"res_caller">>, <<"counter">>, C},
             {"a module not loaded", <<"no such module">>, <<"counter">>, C},
             {"not a resource", <<"res_nif">>, <<"counter">>, 42}]] ++
        [?_assertEqual(20, ?M:counter_get(C))].

%%% Failures with no caller: reported through logger, never fatal

destroy_panic_is_reported_test() ->
    reported(fun() ->
        ok = isolated(fun() -> _ = ?M:counter_new(31, destroy_panics), ok end),
        ?assertEqual(report(?M, destroy, <<"counter">>, <<"cannot destroy counter 31">>,
                            marker("res_nif.c", "destroy")),
                     ?NEXT({cnif_report, _})),
        ?assertEqual(32, ?M:counter_get(?M:counter_new(32, quiet)))
    end).

%% A killed reporter is started again by the cnif application's
%% supervisor: the next failure is logged all the same.
killed_reporter_is_restarted_test() ->
    reported(fun() ->
        ok = cnif_reporter:ensure_started(),
        Old = whereis(cnif_reporter),
        kill(Old),
        ?assertNotEqual(Old, restarted_reporter(Old, 100)),
        ok = isolated(fun() -> _ = ?M:counter_new(34, destroy_panics), ok end),
        ?assertEqual(report(?M, destroy, <<"counter">>, <<"cannot destroy counter 34">>,
                            marker("res_nif.c", "destroy")),
                     ?NEXT({cnif_report, _}))
    end).

%% The reporter registered in Old's place, waiting up to Tries * 10 ms.
restarted_reporter(Old, Tries) ->
    case whereis(cnif_reporter) of
        Pid when is_pid(Pid), Pid =/= Old -> Pid;
        _ when Tries > 0 -> timer:sleep(10), restarted_reporter(Old, Tries - 1)
    end.

%% With no cnif_reporter to send it to (the cnif application stopped), a
%% failure is written to stderr. Only a fresh VM's stderr can be read, so
%% one is started for this.
unreported_failure_goes_to_stderr_test_() ->
    {timeout, 60,
     fun() ->
             Erl = filename:join([code:root_dir(), "bin", "erl"]),
             Ebin = filename:dirname(code:which(?M)),
             Script = "true = register(res_observer, self()),"
                 " 0 = res_nif:counter_get(res_nif:counter_new(0, quiet)),"
                 " ok = logger:remove_handler(default),"
                 " ok = application:stop(cnif),"
                 " undefined = whereis(cnif_reporter),"
                 " spawn(fun() -> res_nif:counter_new(31, destroy_panics) end),"
                 " receive {counter_destroyed, 31} -> ok end,"
                 " timer:sleep(100),"
                 " halt().",
             Out = os:cmd(Erl ++ " -noshell -pa " ++ Ebin ++ " -eval '" ++ Script ++ "' 2>&1"),
             ?assertEqual("cnif: res_nif: destroy callback of counter panicked at "
                          ++ binary_to_list(marker("res_nif.c", "destroy"))
                          ++ ": cannot destroy counter 31\n", Out)
     end}.

destroy_that_raises_is_reported_test() ->
    reported(fun() ->
        ok = isolated(fun() -> _ = ?M:counter_new(33, destroy_raises), ok end),
        {cnif_report, Report} = report(?M, destroy, <<"counter">>,
                                       <<"raised an exception">>, <<>>),
        ?assertEqual({cnif_report, Report#{raised => destroy_raised}},
                     ?NEXT({cnif_report, _}))
    end).

down_panic_is_reported_test() ->
    reported(fun() -> observed(fun() ->
        W = ?M:watch_new(5, true),
        P = idle(),
        ?assertEqual({0, 0}, ?M:watch_monitor(W, P)),
        kill(P),
        ?NEXT({down, 5, P, 0}),
        ?assertEqual(report(?M, down, <<"watch">>, <<"watch 5 saw slot 0 go down">>,
                            marker("res_nif.c", "down")),
                     ?NEXT({cnif_report, _}))
    end) end).

stop_panic_is_reported_test() ->
    reported(fun() -> observed(fun() ->
        F = ?M:fdpair_new(true),
        ?assertEqual(0, ?M:fdpair_select(F, read, make_ref())),
        ?M:fdpair_stop_select(F, read),
        ?NEXT({stopped, read, _}),
        ?assertEqual(report(?M, stop, <<"fdpair">>,
                            <<"stop of the read end panicked after closing it">>,
                            marker("res_nif.c", "stop")),
                     ?NEXT({cnif_report, _})),
        ?assertEqual({false, true}, ?M:fdpair_open(F))
    end) end).

%% The call was made, so cnif_resource_call says true; the callback's
%% panic is reported, and the call data is left as it was.
dyncall_panic_is_reported_test() ->
    reported(fun() ->
        C = ?M:counter_new(40, dyncall_panics),
        ?assertEqual({ok, -1}, res_caller:call_add(<<"res_nif">>, <<"counter">>, C, 2)),
        ?assertEqual(report(?M, dyncall, <<"counter">>, <<"counter 40 refuses to add 2">>,
                            marker("res_nif.c", "dyncall")),
                     ?NEXT({cnif_report, _})),
        ?assertEqual(40, ?M:counter_get(C))
    end).

%%% 100,000 resources

%% Destructors may run a little after the collection that freed their
%% resources: wait for the count to reach 100,000, then check it is exact.
many_resources_are_all_destroyed_test_() ->
    {timeout, 60,
     fun() ->
             {Made, Destroyed} = ?M:cell_stats(),
             ?assertEqual(Made, Destroyed),
             Held = isolated(fun() -> make_cells(100000) end),
             ?assertEqual({Made + 100000, Destroyed}, Held),
             ?assertEqual({Made + 100000, Destroyed + 100000},
                          settle(fun ?M:cell_stats/0, {Made + 100000, Destroyed + 100000}))
     end}.

%% ?M:cell_stats() while N new cells are alive; they are garbage once this
%% returns.
make_cells(N) ->
    Cells = [?M:cell_new(I) || I <- lists:seq(1, N)],
    Stats = ?M:cell_stats(),
    N = length(Cells),
    Stats.

%% Fun() once it returns Want, or what it returns when ?WAIT ms have passed.
settle(Fun, Want) ->
    settle(Fun, Want, erlang:monotonic_time(millisecond) + ?WAIT).

settle(Fun, Want, Deadline) ->
    case Fun() of
        Want -> Want;
        Got ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> Got;
                false -> timer:sleep(1), settle(Fun, Want, Deadline)
            end
    end.

%%% Module lifecycle: load, upgrade and unload hooks, hot upgrade
%%%
%%% res_upgrade is built twice, as version 1 and 2 (test/res_upgrade), in
%%% directories of their own that are put on the code path in turn. Its
%%% hooks and destructor report {load, V, Gen}, {upgrade, V, OldV, Gen},
%%% {unload, V, Gen} and {destroyed, V, Id, CreatedBy}, where V is the
%%% version of the code that ran and Gen counts loads and upgrades in the
%%% private data.

upgrade_dir(V) ->
    Test = filename:dirname(filename:dirname(code:which(?MODULE))),
    filename:join([Test, "res_upgrade", "v" ++ integer_to_list(V)]).

%% Load version V of res_upgrade from its own directory.
load(V) ->
    [code:del_path(upgrade_dir(W)) || W <- [1, 2]],
    true = code:add_patha(upgrade_dir(V)),
    code:load_file(?U).

%% No code of res_upgrade left, nothing of it on the code path.
unload_all() ->
    code:purge(?U),
    code:delete(?U),
    code:purge(?U),
    [code:del_path(upgrade_dir(W)) || W <- [1, 2]],
    false = code:is_loaded(?U).

%% Run Fun(Holder) from a clean slate, observed and with reports
%% forwarded; Holder holds items for the test. Messages the cleanup
%% causes are nobody's.
lifecycle(Fun) ->
    unload_all(),
    H = spawn_link(fun() -> holder([]) end),
    try
        reported(fun() -> observed(fun() -> Fun(H) end) end)
    after
        unlink(H),
        kill(H),
        unload_all()
    end.

%% Make items with ids Ids in the holder with the current code.
make_items(H, Ids) ->
    ask(H, fun(Held) -> {ok, [{Id, ?U:new(Id, false)} || Id <- Ids] ++ Held} end).

%% What the current code reads from the holder's item Id.
item_info(H, Id) ->
    ask(H, fun(Held) -> {?U:info(proplists:get_value(Id, Held)), Held} end).

drop_item(H, Id) ->
    ok = ask(H, {drop, [Id]}),
    ok = ask(H, gc).

%% A process registered as Name while Fun runs: arms the hook that
%% checks for Name.
armed(Name, Fun) ->
    Pid = idle(),
    true = register(Name, Pid),
    try Fun() after kill(Pid) end.

running(V, Gen) ->
    ?assertEqual({V, V, {V, Gen}}, {?U:beam_version(), ?U:version(), ?U:priv()}).

%% Version 1, then five upgrades alternating 2, 1, 2, 1, 2, purged in turn
%% with code:purge and code:soft_purge. Item 0, made by version 1, lives
%% through all of them; each cycle also makes an item under the old code,
%% reads it with the new code, and has the new code destroy it.
upgrade_cycles_keep_old_resources_test_() ->
    {timeout, 60, fun() -> lifecycle(fun upgrade_cycles/1) end}.

upgrade_cycles(H) ->
    ?assertEqual({module, ?U}, load(1)),
    ?NEXT({load, 1, 1}),
    running(1, 1),
    ok = make_items(H, [0]),
    Cycles = lists:zip3([1, 2, 1, 2, 1], [2, 1, 2, 1, 2], lists:seq(2, 6)),
    [begin
         Id = Gen * 10,
         ok = make_items(H, [Id]),
         ?assertEqual({Id, Old, Old}, item_info(H, Id)),
         ?assertEqual({module, ?U}, load(New)),
         ?NEXT({upgrade, New, Old, Gen}),
         running(New, Gen),
         ?assertEqual({Id, Old, New}, item_info(H, Id)),
         ?assertEqual({0, 1, New}, item_info(H, 0)),
         case Gen rem 2 of
             0 -> ?assertEqual(false, code:purge(?U));
             1 -> ?assertEqual(true, code:soft_purge(?U))
         end,
         OldGen = Gen - 1,
         ?NEXT({unload, Old, OldGen}),
         drop_item(H, Id),
         ?NEXT({destroyed, New, Id, Old}),
         ?assertEqual([], mailbox())
     end || {Old, New, Gen} <- Cycles],
    ?assertEqual({0, 1, 2}, item_info(H, 0)),
    drop_item(H, 0),
    ?NEXT({destroyed, 2, 0, 1}),
    ?assertEqual(true, code:delete(?U)),
    ?assertEqual(false, code:purge(?U)),
    ?NEXT({unload, 2, 6}),
    ?assertEqual([], mailbox()).

%% soft_purge leaves old code that a process still runs; purge kills the
%% process. The old library is unloaded only when its code goes.
purge_waits_for_processes_in_old_code_test() ->
    lifecycle(fun(_H) ->
        ?assertEqual({module, ?U}, load(1)),
        ?NEXT({load, 1, 1}),
        P1 = spawn(?U, park, []),
        ?assertEqual({module, ?U}, load(2)),
        ?NEXT({upgrade, 2, 1, 2}),
        ?assertEqual(false, code:soft_purge(?U)),
        ?assertEqual([], mailbox()),
        MRef1 = monitor(process, P1),
        P1 ! release,
        receive {'DOWN', MRef1, process, P1, normal} -> ok end,
        ?assertEqual(true, code:soft_purge(?U)),
        ?NEXT({unload, 1, 1}),
        P2 = spawn(?U, park, []),
        MRef2 = monitor(process, P2),
        ?assertEqual({module, ?U}, load(1)),
        ?NEXT({upgrade, 1, 2, 3}),
        ?assertEqual(true, code:purge(?U)),
        receive {'DOWN', MRef2, process, P2, killed} -> ok end,
        ?NEXT({unload, 2, 2}),
        running(1, 3),
        ?assertEqual([], mailbox())
    end).

%% A module deleted and purged while its resources live on: erts keeps its
%% library for them, so its unload hook waits for the last one, and their
%% destructor is the old code's. A later load is a fresh one, with a type
%% of its own that the orphans are not of.
orphaned_resources_keep_their_library_test() ->
    lifecycle(fun(H) ->
        ?assertEqual({module, ?U}, load(1)),
        ?NEXT({load, 1, 1}),
        ok = make_items(H, [1]),
        ?assertEqual(true, code:delete(?U)),
        ?assertEqual(false, code:purge(?U)),
        ?assertEqual([], mailbox()),
        ?assertEqual({module, ?U}, load(2)),
        ?NEXT({load, 2, 1}),
        running(2, 1),
        ?assertEqual({1, "expected an item resource, got: #Ref<"},
                     ask(H, fun(Held) ->
                                    {ArgNo, _, Text} =
                                        badarg(fun() -> ?U:info(proplists:get_value(1, Held)) end),
                                    {{ArgNo, lists:sublist(Text, 37)}, Held}
                            end)),
        drop_item(H, 1),
        ?NEXT({destroyed, 1, 1, 1}),
        ?NEXT({unload, 1, 1}),
        ?assertEqual([], mailbox())
    end).

%% The load fails with the hook's message, as often as it is tried; the
%% module is not loaded, and loads once the hook lets it.
failing_load_hook_fails_the_load_test() ->
    lifecycle(fun(_H) ->
        Panicked = {error, {load, "cnif: load hook panicked at "
                            ++ binary_to_list(marker("res_upgrade.c", "load"))
                            ++ ": version 1 refuses to load"}},
        armed(res_upgrade_panic_load, fun() ->
            ?assertEqual({error, on_load_failure}, load(1)),
            ?assertEqual({on_load, ?U, Panicked}, ?NEXT({on_load, ?U, _})),
            ?assertEqual({error, on_load_failure}, code:ensure_loaded(?U)),
            ?assertEqual({on_load, ?U, Panicked}, ?NEXT({on_load, ?U, _}))
        end),
        ?assertEqual(false, code:is_loaded(?U)),
        armed(res_upgrade_refuse, fun() ->
            ?assertEqual({error, on_load_failure}, code:ensure_loaded(?U)),
            ?assertEqual({on_load, ?U, {error, {load, "cnif: load hook returned 7"}}},
                         ?NEXT({on_load, ?U, _}))
        end),
        ?assertEqual({module, ?U}, code:ensure_loaded(?U)),
        ?NEXT({load, 1, 1}),
        running(1, 1),
        ?assertEqual([], mailbox())
    end).

%% A failed upgrade leaves the old version running and owning its
%% resources: their destructor runs the old code, whose library stayed.
failing_upgrade_hook_keeps_the_old_version_test() ->
    lifecycle(fun(H) ->
        ?assertEqual({module, ?U}, load(1)),
        ?NEXT({load, 1, 1}),
        ok = make_items(H, [5]),
        Panicked = {error, {upgrade, "cnif: upgrade hook panicked at "
                            ++ binary_to_list(marker("res_upgrade.c", "upgrade"))
                            ++ ": version 2 refuses to replace version 1"}},
        armed(res_upgrade_panic_upgrade, fun() ->
            ?assertEqual({error, on_load_failure}, load(2)),
            ?assertEqual({on_load, ?U, Panicked}, ?NEXT({on_load, ?U, _}))
        end),
        armed(res_upgrade_refuse, fun() ->
            ?assertEqual({error, on_load_failure}, load(2)),
            ?assertEqual({on_load, ?U, {error, {upgrade, "cnif: upgrade hook returned 7"}}},
                         ?NEXT({on_load, ?U, _}))
        end),
        running(1, 1),
        ?assertEqual({5, 1, 1}, item_info(H, 5)),
        drop_item(H, 5),
        ?NEXT({destroyed, 1, 5, 1}),
        ?assertEqual({module, ?U}, load(2)),
        ?NEXT({upgrade, 2, 1, 2}),
        ?assertEqual([], mailbox())
    end).

unload_panic_is_reported_test() ->
    lifecycle(fun(_H) ->
        ?assertEqual({module, ?U}, load(1)),
        ?NEXT({load, 1, 1}),
        ?assertEqual({module, ?U}, load(2)),
        ?NEXT({upgrade, 2, 1, 2}),
        armed(res_upgrade_panic_unload, fun() ->
            ?assertEqual(false, code:purge(?U)),
            ?NEXT({unload, 1, 1}),
            ?assertEqual(report(?U, unload, undefined,
                                <<"version 1 fails to unload generation 1">>,
                                marker("res_upgrade.c", "unload")),
                         ?NEXT({cnif_report, _}))
        end),
        running(2, 2),
        ?assertEqual([], mailbox())
    end).

%% An item of version 1 whose destructor panics, destroyed after the
%% upgrade: version 2's destructor ran and its panic is reported.
destroy_panic_after_upgrade_is_reported_test() ->
    lifecycle(fun(H) ->
        ?assertEqual({module, ?U}, load(1)),
        ?NEXT({load, 1, 1}),
        ok = ask(H, fun(Held) -> {ok, [{9, ?U:new(9, true)} | Held]} end),
        ?assertEqual({module, ?U}, load(2)),
        ?NEXT({upgrade, 2, 1, 2}),
        ?assertEqual(true, code:soft_purge(?U)),
        ?NEXT({unload, 1, 1}),
        drop_item(H, 9),
        ?NEXT({destroyed, 2, 9, 1}),
        ?assertEqual(report(?U, destroy, <<"item">>, <<"version 2 cannot destroy item 9">>,
                            marker("res_upgrade.c", "destroy")),
                     ?NEXT({cnif_report, _})),
        ?assertEqual([], mailbox())
    end).

%%% docs/resources.md: its code is test/nifs/res_guide.c, run here

-define(G, res_guide).

%% The guide's code blocks, each as {Language, Text}.
%% The guide's code blocks: fragments of res_guide.c and of this suite. A
%% whole library (from #include <cnif.h>) and a shell session (1> ...)
%% are samples the doc tests build and run on their own.
guide_blocks() ->
    {ok, Doc} = file:read_file("docs/resources.md"),
    {match, Blocks} = re:run(Doc, "```(c|erlang)\n(.*?)```", [dotall, global, {capture, all_but_first, binary}]),
    [{Lang, Text} || [Lang, Text] <- Blocks,
                     not lists:any(fun(Start) -> binary:longest_common_prefix([Text, Start]) =:= byte_size(Start) end,
                                   [<<"#include <cnif.h>">>, <<"1> ">>])].

guide_code_is_the_tested_code_test() ->
    Sources = fun(Files) ->
                      iolist_to_binary([element(2, file:read_file(F)) || F <- Files])
              end,
    C = Sources(["test/nifs/res_guide.c"]),
    Erlang = Sources(["test/res_guide.erl", "test/resource_tests.erl"]),
    Blocks = guide_blocks(),
    ?assertEqual({9, 2}, {length([c || {<<"c">>, _} <- Blocks]),
                          length([e || {<<"erlang">>, _} <- Blocks])}),
    ?assertEqual([], [Text || {<<"c">>, Text} <- Blocks, binary:match(C, Text) =:= nomatch]),
    ?assertEqual([], [Text || {<<"erlang">>, Text} <- Blocks,
                              binary:match(Erlang, Text) =:= nomatch]).

guide_config_test() ->
    Alive = ?G:config_alive(),
    ?assertEqual(ok, isolated(fun guide_config/0)),
    ?assertEqual(Alive, settle(fun ?G:config_alive/0, Alive)).

guide_config() ->
    C = res_guide:config_new(<<"primary">>, 3),
    ?assertEqual(3, res_guide:config_retries(C)),
    ?assertEqual(<<"primary">>, res_guide:config_name(C)),
    ok = res_guide:config_set_default(C),
    ?assertEqual(C, res_guide:config_default()),
    ok = res_guide:config_clear_default(),
    ?assertError(no_default, res_guide:config_default()).

%% The default is kept from C: it outlives the process that made it (the
%% control config, dropped with it, shows when it would have gone), and
%% a reload of the module hands it over to the new code.
guide_default_outlives_its_terms_test() ->
    Alive = ?G:config_alive(),
    ok = isolated(fun() ->
                          ok = ?G:config_set_default(?G:config_new(<<"kept">>, 5)),
                          _ = ?G:config_new(<<"control">>, 0),
                          ok
                  end),
    ?assertEqual(Alive + 1, settle(fun ?G:config_alive/0, Alive + 1)),
    ?assertEqual({module, ?G}, code:load_file(?G)),
    ?assertEqual(false, code:purge(?G)),
    ?assertEqual({5, <<"kept">>},
                 isolated(fun() ->
                                  C = ?G:config_default(),
                                  {?G:config_retries(C), binary:copy(?G:config_name(C))}
                          end)),
    ?assertEqual(ok, ?G:config_clear_default()),
    ?assertEqual(Alive, settle(fun ?G:config_alive/0, Alive)).

%% A config kept in the private data keeps the library loaded after the
%% module is deleted and purged: the unload hook that would free the state
%% waits for the last config, the kept one included. A fresh load then
%% gets the same library, still counting the orphan, and a state of its
%% own. The orphan stays for the rest of the run.
guide_kept_config_keeps_the_library_test() ->
    Alive = ?G:config_alive(),
    ok = isolated(fun() -> ?G:config_set_default(?G:config_new(<<"orphan">>, 1)) end),
    ?assertEqual(true, code:delete(?G)),
    ?assertEqual(false, code:purge(?G)),
    ?assertEqual({module, ?G}, code:ensure_loaded(?G)),
    ?assertError(no_default, ?G:config_default()),
    ?assertEqual(Alive + 1, ?G:config_alive()).

guide_bad_argument_test() ->
    L = ?G:lease_new(),
    ?assertEqual({1, {1, <<>>, {expected, <<"a config resource">>, L}},
                  "expected a config resource, got: " ++ printed(L)},
                 badarg(fun() -> ?G:config_retries(L) end)).

guide_lease_test() ->
    L = ?G:lease_new(),
    Self = self(),
    Holder = spawn(fun() ->
                           Self ! {self(), ?G:lease_take(L)},
                           receive after infinity -> ok end
                   end),
    ?assertEqual(true, receive {Holder, Taken} -> Taken end),
    ?assertEqual(false, ?G:lease_take(L)),
    kill(Holder),
    ?assertEqual(true, settle(fun() -> ?G:lease_take(L) end, true)),
    ?assertEqual(false, ?G:lease_take(L)).
