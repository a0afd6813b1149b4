%% demo_run -- what `make demo` shows, in order: normal calls, a bad
%% argument explained, three panics contained, a VM still alive, a
%% segfault contained by the fault barrier, and the same segfault and a
%% hang, each costing one worker process in isolated mode.
-module(demo_run).
-export([main/0, log/2]).

main() ->
    section("1. Normal calls"),
    show("demo:add(2, 40)", fun() -> demo:add(2, 40) end),
    show("demo:greet(<<\"BEAM\">>)", fun() -> demo:greet(<<"BEAM">>) end),
    show("demo:mean([1, 2.5, 4])", fun() -> demo:mean([1, 2.5, 4]) end),
    show("demo:factorial(20)", fun() -> demo:factorial(20) end),

    section("2. A bad argument, explained the way OTP's own BIFs do"),
    show("demo:add(1, foo)", fun() -> demo:add(1, foo) end),
    show("demo:mean([1.0, 2.0, <<\"x\">>])", fun() -> demo:mean([1.0, 2.0, <<"x">>]) end),
    show("demo:factorial(21)", fun() -> demo:factorial(21) end),

    section("3. Panics, each caught as the exception term the caller gets"),
    show("in the body:            demo:factorial(-3)", fun() -> demo:factorial(-3) end),
    show("in an argument decoder: demo:ratio_negate({1, 0})", fun() -> demo:ratio_negate({1, 0}) end),
    show("in a return encoder:    demo:ratio_negate({1, 2})", fun() -> demo:ratio_negate({1, 2}) end),

    section("4. The VM is still alive"),
    show("demo:add(1, 1)", fun() -> demo:add(1, 1) end),
    alive(),

    section("5. A segfault, contained"),
    catch_reports(),
    show("a normal call:   demo:path_entries(<<\"PATH\">>)", fun() -> demo:path_entries(<<"PATH">>) end),
    show("a NULL read:     demo:path_entries(<<\"NO_SUCH_VARIABLE\">>)",
         fun() -> demo:path_entries(<<"NO_SUCH_VARIABLE">>) end),
    Report = receive {logged, R} -> R after 5000 -> none end,
    io:format("logged once, through OTP's logger~n    -> ~0tp~n", [Report]),
    show("then any call:   demo:add(1, 1)", fun() -> demo:add(1, 1) end),
    show("loaded again:    c:l(demo)", fun() -> c:l(demo) end),
    show("and back:        demo:add(1, 1)", fun() -> demo:add(1, 1) end),
    alive(),

    section("6. Isolated: the same library, run by a worker OS process"),
    show("cnif:isolate(demo, #{workers => 1, timeout => 1000})",
         fun() -> cnif:isolate(demo, #{workers => 1, timeout => 1000}) end),
    show("the first call starts the worker:  demo:add(2, 40)", fun() -> demo:add(2, 40) end),
    worker(),
    show("a NULL read:        demo:path_entries(<<\"NO_SUCH_VARIABLE\">>)",
         fun() -> demo:path_entries(<<"NO_SUCH_VARIABLE">>) end),
    show("the next call:      demo:path_entries(<<\"PATH\">>)", fun() -> demo:path_entries(<<"PATH">>) end),
    worker(),
    show("a lock taken twice: demo:counter_add(1)", fun() -> demo:counter_add(1) end),
    show("the next call:      demo:counter_get()", fun() -> demo:counter_get() end),
    worker(),
    show("back in process:    cnif:isolate(demo, false)", fun() -> cnif:isolate(demo, false) end),
    show("demo:add(1, 1)", fun() -> demo:add(1, 1) end),
    alive().

%% The worker's OS process: a new one after each crash or hang.
worker() ->
    [{_Slot, _Node, OsPid}] = cnif_isolated:workers(demo),
    io:format("worker: OS process ~p (this node's is ~s)~n", [OsPid, os:getpid()]).

alive() ->
    io:format("processes: ~p, uptime: ~p ms~n",
              [erlang:system_info(process_count),
               element(1, erlang:statistics(wall_clock))]).

section(Title) ->
    io:format("~n== ~ts ==~n", [Title]).

show(Call, Fun) ->
    try Fun() of
        Value -> io:format("~ts~n    -> ~0tp~n", [Call, Value])
    catch
        error:badarg:Stack ->
            io:format("~ts~n    -> error:badarg~n~ts", [Call, indent(Stack)]);
        Class:Reason ->
            io:format("~ts~n    -> ~p:~0tp~n", [Call, Class, Reason])
    end.

%% The quarantine's logger report comes to this process, to be shown in
%% its place, rather than printed by the console handler whenever it gets
%% to it.
catch_reports() ->
    ok = logger:add_handler(demo_run, ?MODULE, #{config => self()}),
    ok = logger:add_handler_filter(default, demo_run,
                                   {fun(#{msg := {report, #{label := {cnif, quarantined}}}}, _) -> stop;
                                       (_, _) -> ignore
                                    end, []}).

log(#{msg := {report, Report = #{label := {cnif, quarantined}}}}, #{config := Demo}) ->
    Demo ! {logged, Report};
log(_, _) ->
    ok.

%% The text the Erlang shell prints for the exception, error_info included.
indent(Stack) ->
    Text = erl_error:format_exception(error, badarg, [hd(Stack)]),
    [["       ", Line, "\n"] || Line <- string:split(lists:flatten(Text), "\n", all),
                               Line =/= ""].
