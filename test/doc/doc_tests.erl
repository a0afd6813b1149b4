%% doc_tests -- the documentation is tested like the code: every sample of
%% README.md and docs/*.md compiles and runs with the results it shows
%% (doctest), and docs/reference.md is what scripts/gen-reference makes of
%% the header today, naming every public symbol the header declares.
-module(doc_tests).
-include_lib("eunit/include/eunit.hrl").

%% doc.mk writes the compiler settings beside the ebin directory.
config() ->
    Dir = filename:dirname(filename:dirname(code:which(?MODULE))),
    {ok, Terms} = file:consult(filename:join(Dir, "doctest.config")),
    maps:put(dir, Dir, maps:from_list(Terms)).

%% docs/reference.md is generated: its code is the header's own.
docs() ->
    ["README.md" | filelib:wildcard("docs/*.md") -- ["docs/reference.md"]].

samples_test_() ->
    Config = config(),
    {inparallel, 2,
     [{Doc, {timeout, 600, fun() -> samples(Doc, Config) end}} || Doc <- docs()]}.

%% Failures are written out as they are, for a person to read, before the
%% test fails.
samples(Doc, Config) ->
    case doctest:check(Doc, Config) of
        [] ->
            ok;
        Failures ->
            io:setopts(user, [{encoding, unicode}]),
            [io:format(user, "~n~ts:~b: ~ts~n", [Doc, Line, Text]) || {Line, Text} <- Failures],
            erlang:error({doc_samples_failed, Doc, length(Failures)})
    end.

reference_is_up_to_date_test() ->
    Generated = case gen_reference("include/cnif.h") of
                    {0, Output} -> Output;
                    {_, Why} -> erlang:error({'scripts/gen-reference failed', Why})
                end,
    {ok, Committed} = file:read_file("docs/reference.md"),
    case Generated of
        Committed -> ok;
        _ -> erlang:error({'docs/reference.md is out of date with include/cnif.h',
                           'run make docs and commit the result'})
    end.

%% Every public entry says what it does: a declaration with no comment of
%% its own (only a section's, or one cut off by a blank line) makes the
%% generator print nothing and fail, naming each such entry and its line.
%% Private cnif__ names need none.
reference_requires_a_comment_per_entry_test() ->
    Header = filename:join(os:getenv("TMPDIR", "/tmp"),
                           "doc_tests_" ++ os:getpid() ++ ".h"),
    ok = file:write_file(Header,
                         "/*\n** t.h -- a header.\n*/\n"
                         "/* Documented. */\n"
                         "int cnif_good(void);\n"
                         "\n"
                         "int cnif_bare(void);\n"              % line 7
                         "#define CNIF_BARE_TOO 1\n"
                         "\n"
                         "/* Cut off by the blank line. */\n"
                         "\n"
                         "#define CNIF_FAR(x) (x)\n"           % line 12
                         "\n"
                         "int cnif__private(void);\n"
                         "/* */\n"
                         "typedef int cnif_empty;\n"),         % line 16
    try
        ?assertEqual(
           {1, iolist_to_binary(
                 [["gen-reference: ", Header, ":", Line, ": ", Names,
                   ": no comment says what it does (write one right above the declaration)\n"]
                  || {Line, Names} <- [{"7", "cnif_bare, CNIF_BARE_TOO"},
                                       {"12", "CNIF_FAR"},
                                       {"16", "cnif_empty"}]])},
           gen_reference(Header)),
        ok = file:write_file(Header, "/*\n** t.h\n*/\n/* Documented. */\nint cnif_good(void);\n"),
        {0, Reference} = gen_reference(Header),
        ?assertMatch({_, _}, binary:match(Reference, <<"#### `cnif_good`\n\n```c\nint cnif_good(void);\n```\n\nDocumented.\n">>))
    after
        file:delete(Header)
    end.

%% The exit status of scripts/gen-reference and what it wrote (stdout and
%% stderr).
gen_reference(Header) ->
    Port = open_port({spawn_executable, os:find_executable("sh")},
                     [{args, ["scripts/gen-reference", Header]},
                      exit_status, binary, stderr_to_stdout]),
    gen_reference_output(Port, <<>>).

gen_reference_output(Port, Acc) ->
    receive
        {Port, {data, Data}} -> gen_reference_output(Port, <<Acc/binary, Data/binary>>);
        {Port, {exit_status, Status}} -> {Status, Acc}
    end.

%% Independently of gen-reference: every macro, function, type and enum
%% constant the header declares, except the private cnif__/CNIF__ ones,
%% is named in the reference.
reference_names_every_public_symbol_test() ->
    {ok, Header} = file:read_file("include/cnif.h"),
    {ok, Reference} = file:read_file("docs/reference.md"),
    Code = re:replace(Header, "/\\*.*?\\*/", "", [global, dotall, {return, binary}]),
    Patterns = ["(?m)^#define\\s+(\\w+)",                  % macros
                "\\b(cnif_\\w*[a-z0-9])\\s*\\(",            % functions
                "\\b(cnif_\\w*[a-z0-9])\\s*;",              % types, variables
                "\\b(CNIF_[A-Z0-9_]*[A-Z0-9])\\b"],         % macros, constants
    Names = lists:usort([N || P <- Patterns,
                              {match, Ms} <- [re:run(Code, P, [global, {capture, all_but_first, binary}])],
                              [N] <- Ms,
                              re:run(N, "^(cnif__|CNIF__)|^CNIF_H$") =:= nomatch]),
    Missing = [N || N <- Names,
                    re:run(Reference, <<"(?<![A-Za-z0-9_])", N/binary, "(?![A-Za-z0-9_])">>) =:= nomatch],
    case Missing of
        [] -> ok;
        _ -> erlang:error({'public symbols missing from docs/reference.md',
                           'run make docs and commit the result', Missing})
    end,
    ?assert(length(Names) > 100).
