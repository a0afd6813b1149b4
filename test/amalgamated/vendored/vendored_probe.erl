%% vendored_probe -- run by vendored_tests in a fresh VM whose code path
%% holds the vendored project alone: what its NIF modules do, as a list
%% of {What, Outcome} the suite asserts.
-module(vendored_probe).
-export([run/0, log/2]).

run() ->
    [{cnif_app, [code:which(M) || M <- [cnif, cnif_error, cnif_reporter, cnif_transform]]},
     {add, vdemo:add(2, 40)},
     {badarg, badarg(fun() -> vdemo:add(1, foo) end)},
     {report_value, report_value()},
     {panic, caught(fun() -> vdemo:fail(7) end)},
     {bare_badarg, caught(fun() -> vbare:add_nif(1, foo) end)},
     {reporter, reporter()},
     {reported, reported()}].

%% A bad argument as the shell prints it (up to the caller's frames), and
%% as the vendored formatter gives it.
badarg(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:badarg:Stack ->
            Text = lists:flatten(erl_error:format_exception(error, badarg, Stack)),
            {hd(string:split(Text, "\n  in call from")), cnif_vendored:format_error(badarg, Stack)}
    end.

caught(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        Class:Reason -> {Class, Reason}
    end.

%% The NIF itself, called as the wrapper does: its report carries the
%% secret the vendored loader passed, and no other.
report_value() ->
    Secret = persistent_term:get({cnif_secret, vdemo}),
    {is_integer(Secret) andalso Secret > 0,
     vdemo:'$cnif_call'(add_nif, [1, foo]) =:= {'$cnif_badarg', Secret, 2, <<>>,
                                                {expected, <<"an integer">>, foo}}}.

reporter() ->
    Pid = whereis(cnif_reporter),
    {is_pid(Pid), proc_lib:translate_initial_call(Pid)}.

%% A destructor's panic has no caller: the reporter logs it.
reported() ->
    ok = logger:add_handler(?MODULE, ?MODULE, #{config => self()}),
    ok = logger:update_handler_config(default, level, none),
    {_, Monitor} = spawn_monitor(fun() -> _ = vdemo:doomed_new(5) end),
    receive {'DOWN', Monitor, _, _, _} -> ok end,
    erlang:garbage_collect(),
    receive
        {cnif_report, Report} -> maps:remove(location, Report)
    after 5000 ->
        no_report
    end.

log(#{msg := {report, #{label := {cnif, _}} = Report}}, #{config := Pid}) ->
    Pid ! {cnif_report, Report};
log(_Event, _Config) ->
    ok.
