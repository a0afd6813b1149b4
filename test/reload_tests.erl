%% reload_tests -- the edit, rebuild, reload loop: a library built again at
%% the same path and loaded again (c/1, r3:compile(), recompile in IEx)
%% runs its new code, through the upgrade hook, where dlopen alone would
%% hand back the old library, which the module's old code still holds.
%% test/reload/reload_answer.{erl,c} are built here, in a directory of
%% their own, with the compiler settings of the suites' own NIFs.
-module(reload_tests).
-include_lib("eunit/include/eunit.hrl").

reload_test_() ->
    {setup, fun project/0, fun remove/1,
     fun(Dir) -> {timeout, 120, fun() -> edit_rebuild_reload(Dir) end} end}.

edit_rebuild_reload(Dir) ->
    build(Dir, 1),
    ?assertEqual({module, reload_answer}, code:load_file(reload_answer)),
    ?assertEqual({1, load}, {reload_answer:answer(), reload_answer:loads()}),
    Library = filename:join([Dir, "priv", "reload_answer"]),
    ?assertEqual(Library, cnif:load_path(Library)),

    %% Edited and built again: the new code runs, as an upgrade of the old.
    build(Dir, 2),
    ?assertEqual({module, reload_answer}, code:load_file(reload_answer)),
    ?assertEqual({2, upgrade}, {reload_answer:answer(), reload_answer:loads()}),
    Copy = cnif:load_path(Library),
    ?assertNotEqual(Library, Copy),
    ?assertEqual("reload_answer", filename:basename(Copy)),
    ?assert(filelib:is_regular(Copy ++ ".so")),

    %% Loaded again, not built again: the same library, upgraded in place.
    code:purge(reload_answer),
    ?assertEqual({module, reload_answer}, code:load_file(reload_answer)),
    ?assertEqual({2, upgrade}, {reload_answer:answer(), reload_answer:loads()}),
    ?assertEqual(Copy, cnif:load_path(Library)),

    %% Built again once more, with the old code purged first: the new code.
    code:purge(reload_answer),
    build(Dir, 3),
    ?assertEqual({module, reload_answer}, code:load_file(reload_answer)),
    ?assertEqual(3, reload_answer:answer()),
    ?assertNotEqual(Copy, cnif:load_path(Library)).

%% A project directory with the module's .beam in ebin/, on the code path.
project() ->
    Dir = filename:join(os:getenv("TMPDIR", "/tmp"),
                        "reload_tests." ++ os:getpid()),
    Ebin = filename:join(Dir, "ebin"),
    ok = filelib:ensure_dir(filename:join(Ebin, "x")),
    {ok, reload_answer} = compile:file("test/reload/reload_answer.erl",
                                       [{outdir, Ebin}, report]),
    true = code:add_patha(Ebin),
    Dir.

remove(Dir) ->
    code:purge(reload_answer),
    code:delete(reload_answer),
    code:purge(reload_answer),
    code:del_path(filename:join(Dir, "ebin")),
    file:del_dir_r(Dir).

%% Builds priv/reload_answer.so with answer/0 returning Answer, as a build
%% tool would: a new file at the same path.
build(Dir, Answer) ->
    {ok, Settings} = file:consult(filename:join(os:getenv("TEST_PRIV"), "../nif_build.config")),
    #{cc := Cc, cflags := Cflags, lib := Lib, ldflags := Ldflags} = maps:from_list(Settings),
    So = filename:join([Dir, "priv", "reload_answer.so"]),
    ok = filelib:ensure_dir(So),
    [Program | CcArgs] = string:lexemes(Cc, " "),
    Args = CcArgs ++ string:lexemes(Cflags, " ")
           ++ ["-DANSWER=" ++ integer_to_list(Answer), "test/reload/reload_answer.c", Lib]
           ++ string:lexemes(Ldflags, " ") ++ ["-o", So],
    ?assertEqual({0, ""}, test_command:run(Program, Args)).
