%% vendored_tests -- a project that vendors cnif: the files `make
%% amalgamate` writes (cnif.h, cnif.map, cnif_vendored.erl and .hrl), a
%% NIF library and its module (test/amalgamated/vendored/), built in a
%% directory of their own with plain erlc and cc as the docs say, and run
%% in a fresh VM with nothing of the cnif application on its code path
%% (no ERL_LIBS): calls, bad arguments with the vendored formatter's
%% messages, a panic, a report of the vendored reporter, and a library
%% loaded with no wrapper. Isolated mode is a compile error there.
-module(vendored_tests).
-include_lib("eunit/include/eunit.hrl").

-define(FIXTURES, ["vdemo.c", "vdemo.erl", "vbare.erl", "vendored_probe.erl", "vdemo.ex"]).
-define(VENDORED, ["cnif.h", "cnif.map", "cnif_vendored.erl", "cnif_vendored.hrl",
                   "cnif_vendored.ex"]).

amalgamated() ->
    filename:dirname(filename:dirname(code:which(?MODULE))).

config() ->
    {ok, Terms} = file:consult(filename:join(amalgamated(), "vendored.config")),
    maps:from_list(Terms).

bin(Tool) -> filename:join([code:root_dir(), "bin", Tool]).

%% Run Command in Dir with no ERL_LIBS: its output, and exit status.
%% The project's directory is on the code path as "$PWD": from OTP 27, erlc
%% does not find a parse transform through -pa . (a relative path).
run(Dir, Command) ->
    Out = os:cmd("cd '" ++ Dir ++ "' && env -u ERL_LIBS " ++ Command ++ " 2>&1; echo \"exit $?\""),
    [Status | Lines] = lists:reverse(string:split(string:trim(Out, trailing), "\n", all)),
    {string:trim(lists:flatten(lists:join("\n", lists:reverse(Lines))), trailing), Status}.

%% Runs the lists of Commands at once, the commands of each list in turn
%% (erlc's while cc builds the libraries): each must print nothing and
%% exit with 0.
ok(Dir, Commands) ->
    Self = self(),
    Pids = [spawn_link(fun() -> Self ! {self(), [{C, run(Dir, C)} || C <- Cs]} end)
            || Cs <- Commands],
    [?assertEqual({C, "", "exit 0"}, {C, Out, Status})
     || Pid <- Pids, {C, {Out, Status}} <- receive {Pid, Ran} -> Ran end].

%% The project: the vendored files and the fixtures, nothing else; its
%% modules compiled with warnings as errors (the generated code has none).
project() ->
    #{cc := CC, cflags := CFlags, ldflags := LdFlags, fixtures := Fixtures} = config(),
    Dir = filename:join(amalgamated(), "vendored-project"),
    case file:del_dir_r(Dir) of
        ok -> ok;
        {error, enoent} -> ok
    end,
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    [{ok, _} = file:copy(filename:join(From, F), filename:join(Dir, F))
     || {From, Files} <- [{amalgamated(), ?VENDORED}, {Fixtures, ?FIXTURES}], F <- Files],
    ok(Dir, [[bin("erlc") ++ " +warnings_as_errors cnif_vendored.erl",
              bin("erlc") ++ " -pa \"$PWD\" +warnings_as_errors vdemo.erl vbare.erl vendored_probe.erl"],
             [CC ++ " " ++ CFlags ++ " vdemo.c " ++ LdFlags ++ " -o vdemo.so"],
             [CC ++ " " ++ CFlags ++ " -DVBARE vdemo.c " ++ LdFlags ++ " -o vbare.so"],
             [CC ++ " " ++ CFlags ++ " -DVDEMO_ELIXIR vdemo.c " ++ LdFlags ++ " -o VDemo.so"]]),
    Dir.

vendored_test_() ->
    {setup, fun project/0, fun(_) -> ok end,
     fun(Dir) ->
             %% Each runs programs of its own in the project: at once.
             {inparallel,
              [{timeout, 60, ?_test(runs_without_cnif(Dir))},
               {timeout, 60, ?_test(isolated_is_a_compile_error(Dir))},
               {timeout, 120, ?_test(elixir_runs_without_cnif(Dir))}]}
     end}.

runs_without_cnif(Dir) ->
    {Out, Status} = run(Dir, bin("erl") ++ " -noshell -pa \"$PWD\" -eval "
                        "'io:format(\"~p.~n\", [vendored_probe:run()]), halt().'"),
    ?assertEqual({"exit 0", ""}, {Status, ""}),
    {ok, Tokens, _} = erl_scan:string(Out),
    {ok, Probe} = erl_parse:parse_term(Tokens),
    ?assertEqual([cnif_app, add, badarg, report_value, panic, bare_badarg, reporter, reported],
                 [K || {K, _} <- Probe]),
    %% Nothing of the application was there to be used.
    ?assertEqual([non_existing, non_existing, non_existing, non_existing],
                 proplists:get_value(cnif_app, Probe)),
    ?assertEqual(42, proplists:get_value(add, Probe)),
    ?assertEqual({"exception error: bad argument\n"
                  "  in function  vdemo:add/2\n"
                  "     called as vdemo:add(1,foo)\n"
                  "     *** argument 2: expected an integer, got: foo",
                  #{2 => "expected an integer, got: foo"}},
                 proplists:get_value(badarg, Probe)),
    %% The vendored loader gave the library a secret: the NIF's report
    %% carries it.
    ?assertEqual({true, true}, proplists:get_value(report_value, Probe)),
    ?assertEqual({error, {nif_panicked, #{location => <<"vdemo.c:25">>,
                                          message => <<"failed with 7">>, phase => call}}},
                 proplists:get_value(panic, Probe)),
    %% With no wrapper and no secret, the same bad argument is a plain badarg.
    ?assertEqual({error, badarg}, proplists:get_value(bare_badarg, Probe)),
    %% The reporter runs as the vendored module, under the name the C
    %% library sends to.
    ?assertEqual({true, {cnif_vendored, init, 1}}, proplists:get_value(reporter, Probe)),
    ?assertEqual(#{label => {cnif, callback_failed}, module => vdemo, callback => destroy,
                   resource => <<"doomed">>, message => <<"cannot destroy 5">>},
                 proplists:get_value(reported, Probe)).

isolated_is_a_compile_error(Dir) ->
    ok = file:write_file(filename:join(Dir, "viso.erl"),
                         "-module(viso).\n"
                         "-include(\"cnif_vendored.hrl\").\n"
                         "-cnif_nifs([add/2]).\n"
                         "-cnif_isolated(#{workers => 2}).\n"),
    ?assertEqual({"viso.erl:4: -cnif_isolated: isolated mode needs the cnif application, "
                  "which a vendored cnif_vendored does not include: depend on cnif, or "
                  "remove the attribute\n"
                  "%    4| -cnif_isolated(#{workers => 2}).", "exit 1"},
                 run(Dir, bin("erlc") ++ " -pa \"$PWD\" viso.erl")).

%% The same NIFs from Elixir, with the vendored .ex compiled by plain
%% elixirc. (Elixir's compiler loads VDemo before it writes its .beam, so
%% that first load finds no library and says so: Mix projects give
%% :otp_app for it.) Maps print sorted: Elixir prints a small map in the
%% VM's order, which for atom keys differs between OTP releases.
elixir_runs_without_cnif(Dir) ->
    {_, "exit 0"} = run(Dir, "elixirc -pa \"$PWD\" -o . cnif_vendored.ex vdemo.ex"),
    Probe = "IO.inspect({:code.which(Cnif), VDemo.add(2, 40),"
        " (try do VDemo.add(1, :x) rescue e -> Exception.message(e) end),"
        " (try do VDemo.fail(7) rescue e in ErlangError -> e.original end)},"
        " custom_options: [sort_maps: true])",
    ?assertEqual({"{:non_existing, 42,\n \"errors were found at the given arguments:\\n\\n"
                  "  * 2nd argument: expected an integer, got: :x\\n\",\n"
                  " {:nif_panicked,\n  %{location: \"vdemo.c:25\", message: \"failed with 7\","
                  " phase: :call}}}", "exit 0"},
                 run(Dir, "elixir -pa \"$PWD\" -e '" ++ Probe ++ "'")).
