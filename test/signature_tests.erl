%% signature_tests -- a function whose C type is not the one its macro
%% declares, or a type with no codecs, fails the compile with a message
%% that names the function and the type it must have, with gcc and clang.
%%
%% test/signature/mistakes.c is a library that compiles cleanly as it is;
%% each MISTAKE_X it defines makes one function wrong. Each is compiled
%% with each compiler, without -Werror: the mistake must be an error by
%% itself, whatever flags the user builds with.
-module(signature_tests).
-include_lib("eunit/include/eunit.hrl").

-define(SOURCE, "test/signature/mistakes.c").
-define(COMPILERS, ["gcc", "clang"]).

%% {Mistake, [What every compiler's output must contain]} or, where the
%% compilers word it differently, {Mistake, #{Compiler => [...]}}.
mistakes() ->
    [{"NARROW_ARGUMENT",
      ["cnif: add must be int64_t add(cnif_env *, int64_t, int64_t), "
       "as CNIF_EXPORT declares it"]},
     {"DOUBLE_AS_INTEGER",
      ["cnif: half must be double half(cnif_env *, int64_t), as CNIF_EXPORT declares it"]},
     {"RETURN_TYPE",
      ["cnif: twice must be celsius twice(cnif_env *, celsius), as CNIF_EXPORT declares it"]},
     {"RAW",
      ["cnif: raw must be ERL_NIF_TERM raw(cnif_env *, int, const ERL_NIF_TERM *), "
       "as CNIF_EXPORT_RAW declares it"]},
     {"YIELDING_INIT",
      ["cnif: sum_init must be void sum_init(cnif_env *, sum_state *, int64_t), "
       "as CNIF_EXPORT_YIELDING declares it"]},
     {"YIELDING_STEP",
      ["cnif: sum_step must be _Bool sum_step(cnif_env *, sum_state *, int64_t *), "
       "as CNIF_EXPORT_YIELDING declares it"]},
     {"THREADED",
      ["cnif: negate must be int64_t negate(cnif_env *, int64_t), "
       "as CNIF_EXPORT_THREADED declares it"]},
     {"ENCODER",
      ["cnif: cnif_encode_celsius must be ERL_NIF_TERM cnif_encode_celsius(cnif_env *, celsius)"]},
     {"NO_CODEC",
      #{"gcc" => ["'cnif_decode_counter' undeclared"],
        "clang" => ["use of undeclared identifier 'cnif_decode_counter'"]}},
     {"RESOURCE_CALLBACK",
      #{"gcc" => ["error: initialization of 'void (*)(cnif_env *, counter *)' from "
                  "incompatible pointer type 'void (*)(cnif_env *, int64_t *)'"],
        "clang" => ["error: incompatible function pointer types initializing "
                    "'void (*)(cnif_env *, counter *)'"]}},
     {"LOAD_HOOK",
      ["cnif: the load hook load must be int load(cnif_env *, void **, ERL_NIF_TERM), or NULL"]},
     {"UNLOAD_HOOK",
      ["cnif: the unload hook unload must be void unload(cnif_env *, void *), or NULL"]}].

%% Without a mistake, the library compiles with no diagnostic at all.
clean_test_() ->
    [{Cc, fun() -> ?assertEqual({0, ""}, compile(Cc, ["-Werror"])) end} || Cc <- ?COMPILERS].

%% Each is a compiler run of its own, two at once.
mistakes_test_() ->
    {inparallel, 2,
     [{Cc ++ " " ++ Mistake, {timeout, 60, fun() -> mistake(Cc, Mistake, Expected) end}}
      || Cc <- ?COMPILERS, {Mistake, Expected} <- mistakes()]}.

mistake(Cc, Mistake, Expected) ->
    {Status, Output} = compile(Cc, ["-DMISTAKE_" ++ Mistake]),
    ?assertNotEqual(0, Status),
    Wanted = case Expected of
                 #{Cc := PerCompiler} -> PerCompiler;
                 Common when is_list(Common) -> Common
             end,
    ?assertEqual([], [W || W <- Wanted, string:find(Output, W) =:= nomatch]),
    %% The error is the compiler's, not the preprocessor's or the
    %% linker's: the message comes with the word error.
    ?assertNotEqual(nomatch, string:find(Output, "error")).

%% Compiles ?SOURCE to nothing (syntax and semantics only);
%% {ExitStatus, Output}.
compile(Cc, Flags) ->
    ?assert(filelib:is_regular(?SOURCE)),
    ErlInclude = filename:join([code:root_dir(), "usr", "include"]),
    test_command:run(Cc, ["-std=gnu11", "-Wall", "-Wextra", "-fsyntax-only",
                          "-fvisibility=hidden", "-Iinclude", "-I" ++ ErlInclude
                          | Flags] ++ [?SOURCE]).
