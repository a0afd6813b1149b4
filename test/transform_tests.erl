%% transform_tests -- what cnif_transform makes of a module: a NIF whose
%% name is no C identifier, the exports (wrappers, never the NIF stubs),
%% the line generated code carries, load data and the module's own
%% -on_load; mistakes in the attributes as compile errors at their line,
%% and a list that does not match the library's NIFs as a load error that
%% names the function. transform_nif is test/transform_nif.erl over
%% test/nifs/transform_nif.c; the modules with mistakes are compiled here.
-module(transform_tests).
-include_lib("eunit/include/eunit.hrl").
-export([log/2]).

-define(M, transform_nif).
-define(DATA, filename:join(os:getenv("TEST_PRIV"), "transform_nif.txt")).

transform_test_() ->
    {setup, fun loaded/0, fun(_) -> file:delete(?DATA) end,
     [fun named/0, fun exports/0, fun load_data_and_on_load/0, fun generated_line/0,
      fun erlc_prints_file_and_line/0 | [{Name, fun() -> mistake(Source, Expected) end}
                                          || {Name, Source, Expected} <- mistakes()]]
     ++ [{Name, fun() -> load_error(Attributes, Expected) end}
         || {Name, Attributes, Expected} <- load_errors()]}.

%% The module loaded afresh, with the file its load data names in place.
loaded() ->
    ok = file:write_file(?DATA, "read at load\nnot this line\n"),
    persistent_term:erase(transform_nif_after_load),
    code:purge(?M),
    {module, ?M} = code:load_file(?M).

named() ->
    ?assertEqual(true, ?M:'valid?'(5)),
    ?assertEqual(false, ?M:'valid?'(-1)),
    try ?M:'valid?'(x) of
        Value -> ?assertEqual(raised, Value)
    catch error:badarg:Stack ->
        [{?M, 'valid?', [x], Info} | _] = Stack,
        ?assertEqual(#{module => cnif_error, cause => {1, <<>>, {expected, <<"an integer">>, x}}},
                     proplists:get_value(error_info, Info))
    end,
    ?assertEqual({'$cnif_badarg', persistent_term:get({cnif_secret, ?M}), 1, <<>>,
                  {expected, <<"an integer">>, x}},
                 ?M:'$cnif_call'('valid?_nif', [x])).

%% The NIF stubs are local: only the wrappers, the module's own exports
%% and cnif's two '$' functions are exported.
exports() ->
    ?assertEqual([{'$cnif_call', 2}, {'$cnif_resources', 1}, {answer, 0}, {fails, 0},
                  {loaded, 0}, {module_info, 0}, {module_info, 1}, {'valid?', 1}],
                 lists:sort(?M:module_info(exports))),
    ?assertEqual(42, ?M:answer()).

%% The load data (a function of the module's, called at load) gave the
%% hook the path of a file in the priv directory; the module's -on_load
%% ran after the library had loaded.
load_data_and_on_load() ->
    ?assertEqual(<<"read at load">>, ?M:loaded()),
    ?assertEqual(<<"read at load">>, persistent_term:get(transform_nif_after_load)).

%% A stack trace through a wrapper names the line of -cnif_nifs (7).
generated_line() ->
    try ?M:fails() of
        Value -> ?assertEqual(raised, Value)
    catch error:badarg:Stack ->
        [{?M, 'valid?', [not_an_integer], Info} | _] = Stack,
        ?assertEqual({"transform_nif.erl", 7},
                     {filename:basename(proplists:get_value(file, Info)),
                      proplists:get_value(line, Info)})
    end.

%% The source of a module with the library's name.
source(Attributes) ->
    ["-module(transform_nif).\n"
     "-include_lib(\"cnif/include/cnif.hrl\").\n", Attributes].

%% {Name, the attributes after the include, {Line, the message}}.
mistakes() ->
    [{"two -cnif_nifs",
      "-cnif_nifs([answer/0]).\n-cnif_nifs([loaded/0]).\n",
      {4, "-cnif_nifs appears twice (first at line 3): give it once"}},
     {"not a list",
      "-cnif_nifs(answer/0).\n",
      {3, "-cnif_nifs expects a non-empty list of Name/Arity, got: {answer,0}"}},
     {"an empty list",
      "-cnif_nifs([]).\n",
      {3, "-cnif_nifs expects a non-empty list of Name/Arity, got: []"}},
     {"not F/A",
      "-cnif_nifs([answer/0, \"loaded\"]).\n",
      {3, "-cnif_nifs: \"loaded\" is not Name/Arity with an arity from 0 to 8"}},
     {"an arity over 8",
      "-cnif_nifs([wide/9]).\n",
      {3, "-cnif_nifs: {wide,9} is not Name/Arity with an arity from 0 to 8"}},
     {"listed twice",
      "-cnif_nifs([answer/0, answer/0]).\n",
      {3, "-cnif_nifs lists answer/0 twice"}},
     {"a clashing definition",
      "-cnif_nifs([answer/0]).\n\nanswer() -> 41.\n",
      {5, "answer/0 is generated from -cnif_nifs: remove this definition (or the entry)"}},
     {"a clashing stub",
      "-cnif_nifs([answer/0]).\nanswer_nif() -> 41.\n",
      {4, "answer_nif/0 is generated from -cnif_nifs: remove this definition (or the entry)"}},
     {"load data twice",
      "-cnif_nifs([answer/0]).\n-cnif_load_data(a).\n-cnif_load_data_from(f/0).\nf() -> b.\n",
      {5, "-cnif_load_data and -cnif_load_data_from both given: give one"}},
     {"load data from nothing",
      "-cnif_nifs([answer/0]).\n-cnif_load_data_from(f/0).\n",
      {4, "-cnif_load_data_from: f/0 is not defined in this module"}},
     {"load data from not F/0",
      "-cnif_nifs([answer/0]).\n-cnif_load_data_from(f/1).\nf(_) -> b.\n",
      {4, "-cnif_load_data_from expects Name/0, got: {f,1}"}},
     {"an -on_load not F/0",
      "-cnif_nifs([answer/0]).\n-on_load(f/1).\nf(_) -> ok.\n",
      {4, "-on_load expects Name/0, got: {f,1}"}},
     {"bad load options",
      "-cnif_nifs([answer/0]).\n-cnif_load_options(#{barrier => true}).\n",
      {4, "-cnif_load_options: the load options are fault_barrier and quarantine, "
          "each a boolean, got: [{barrier,true}]"}}].

%% Compiled, the source fails with one error, of cnif_transform's, at the
%% line of the attribute or definition at fault.
mistake(Source, {Line, Message}) ->
    File = write(Source),
    {error, [{File, [{Line, cnif_transform, Error}]}], []} =
        compile:file(File, [return_errors, binary]),
    ?assertEqual(Message, lists:flatten(cnif_transform:format_error(Error))).

%% erlc prints the error as FILE:LINE: message (then the line itself).
erlc_prints_file_and_line() ->
    File = write("-cnif_nifs([answer/0]).\n-cnif_nifs([loaded/0]).\n"),
    {Status, Output} = test_command:run("erlc", ["-o", filename:dirname(File), File]),
    ?assertEqual({1, File ++ ":4: -cnif_nifs appears twice (first at line 3): give it once"},
                 {Status, hd(string:split(Output, "\n"))}).

write(Attributes) ->
    Dir = filename:join(os:getenv("TMPDIR", "/tmp"), "transform_tests." ++ os:getpid()),
    File = filename:join(Dir, "transform_nif.erl"),
    ok = filelib:ensure_dir(File),
    ok = file:write_file(File, source(Attributes)),
    File.

%% {Name, the attributes, what the module's on_load returns}.
load_errors() ->
    [{"a listed NIF the library does not export",
      "-cnif_nifs(['valid?'/1, answer/0, loaded/0, missing/1]).\n",
      {error, {load, "cnif: transform_nif:missing/1 is declared (-cnif_nifs, defnif) but "
                     "the library does not export it: export it with CNIF_EXPORT, or "
                     "remove it from the list"}}},
     {"a NIF of the library the list leaves out",
      "-cnif_nifs(['valid?'/1, loaded/0]).\n",
      {error, {bad_lib, "cnif: the library exports answer/0, which transform_nif does not "
                        "declare: add answer/0 to -cnif_nifs (or a defnif)"}}},
     {"an -on_load of the module's own that fails, after the library loaded",
      "-cnif_nifs(['valid?'/1, answer/0, loaded/0]).\n-on_load(refuse/0).\n"
      "refuse() -> {refused, loaded()}.\n",
      {refused, <<"read at load">>}}].

%% The module built with those attributes fails its load with that error, which
%% the code server reports (captured here); the module as built before
%% then loads again. The module is not loaded before: erts calls the load
%% hook, not the upgrade hook.
load_error(Attributes, Expected) ->
    {ok, ?M, Beam} = compile:file(write(["-cnif_load_data(<<\"", ?DATA, "\">>).\n",
                                         Attributes]),
                                  [binary, return_errors]),
    {ok, #{level := Level}} = logger:get_handler_config(default),
    ok = logger:add_handler(?MODULE, ?MODULE, #{config => self()}),
    ok = logger:update_handler_config(default, level, none),
    try
        code:purge(?M),
        code:delete(?M),
        code:purge(?M),
        ?assertEqual({error, on_load_failure}, code:load_binary(?M, "transform_nif.erl", Beam)),
        ?assertEqual(Expected, receive {on_load, Returned} -> Returned after 1000 -> none end)
    after
        logger:update_handler_config(default, level, Level),
        logger:remove_handler(?MODULE),
        loaded()
    end.

%% The logger handler for load_error/2: forwards the code server's report
%% of what transform_nif's on_load returned to the test process.
log(#{msg := {report, #{args := [?M, Returned | _]}}}, #{config := Pid}) ->
    Pid ! {on_load, Returned};
log(_Event, _Config) ->
    ok.
