%% amalgamated_tests -- NIFs built from the single header of `make
%% amalgamate` alone (see amalgamated.mk) behave as those built against
%% libcnif.a: the demo's calls, its bad arguments and panics, the symbols
%% it exports (a Clang build's too, where Clang is installed), and the
%% geometry example's whole EUnit suite.
-module(amalgamated_tests).
-include_lib("eunit/include/eunit.hrl").

dir(Name) ->
    filename:join(filename:dirname(filename:dirname(code:which(?MODULE))), Name).

demo_test_() ->
    {setup,
     fun() -> code:add_patha(dir("demo")) end,
     fun(_) -> code:purge(demo), code:delete(demo), code:del_path(dir("demo")) end,
     [fun normal_calls/0, fun bad_argument/0, fun panics/0]}.

normal_calls() ->
    ?assertEqual(filename:join(dir("demo"), "demo.beam"), code:which(demo)),
    ?assertEqual(42, demo:add(2, 40)),
    ?assertEqual(<<"Hello, BEAM!">>, demo:greet(<<"BEAM">>)),
    ?assertEqual(2.5, demo:mean([1, 2.5, 4])),
    ?assertEqual(2432902008176640000, demo:factorial(20)).

bad_argument() ->
    try demo:add(1, foo) of
        Value -> ?assertEqual(badarg, {returned, Value})
    catch
        error:badarg:Stack ->
            ?assertEqual(#{2 => "expected an integer, got: foo"},
                         cnif_error:format_error(badarg, Stack))
    end.

panics() ->
    ?assertError({nif_panicked, #{message := <<"expected a positive number, got -3">>,
                                  phase := call, location := <<"demo.c:", _/binary>>}},
                 demo:factorial(-3)),
    ?assertError({nif_panicked, #{message := <<"assertion failed: out->den != 0">>,
                                  phase := decode}},
                 demo:ratio_negate({1, 0})),
    ?assertError({nif_panicked, #{message := <<"cannot encode negative ratio -1/2">>,
                                  phase := encode}},
                 demo:ratio_negate({1, 2})).

only_nif_init_is_exported_test_() ->
    [{filename:basename(So),
      fun() ->
              Out = os:cmd("nm -D --defined-only " ++ So),
              ?assertEqual(["nif_init"],
                           [lists:last(string:lexemes(Line, " "))
                            || Line <- string:lexemes(Out, "\n")])
      end}
     || So <- [filename:join([dir("demo"), "demo.so"]),
               filename:join([dir("geometry"), "priv", "geometry.so"])
               | filelib:wildcard(filename:join(dir("clang"), "*.so"))]].

%% The geometry modules are also on the main suite's code path, built
%% against libcnif.a: their amalgamated builds run in a VM of their own.
geometry_suite_test_() ->
    {timeout, 120,
     fun() ->
             Erl = filename:join([code:root_dir(), "bin", "erl"]),
             Ebin = filename:join(dir("geometry"), "ebin"),
             Script = "halt(try {code:which(geometry), eunit:test(geometry_tests)} of"
                 "  {\"" ++ Ebin ++ "/geometry.beam\", ok} -> 0; _ -> 1"
                 " catch _:_ -> 2 end).",
             Out = os:cmd(Erl ++ " -noshell -pa " ++ Ebin ++ " -eval '" ++ Script
                          ++ "' 2>&1; echo \"exit $?\""),
             ?assertMatch({_, "exit 0"}, {Out, lists:last(string:lexemes(Out, "\n"))}),
             ?assertMatch({match, _}, re:run(Out, "All \\d+ tests passed"))
     end}.
