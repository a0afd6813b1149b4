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
    Generated = os:cmd("sh scripts/gen-reference include/cnif.h"),
    {ok, Committed} = file:read_file("docs/reference.md"),
    case unicode:characters_to_binary(Generated) of
        Committed -> ok;
        _ -> erlang:error({'docs/reference.md is out of date with include/cnif.h',
                           'run make docs and commit the result'})
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
