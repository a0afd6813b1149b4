%% doctest -- every code sample of a Markdown file, compiled and run, so
%% the docs cannot drift from the code. doc_tests runs it on README.md and
%% docs/*.md under make test; `make doctest` runs it alone.
%%
%% The convention, by fence language:
%%
%% ```c       The C blocks of a file, in order, make C files. A file starts
%%            at a block that includes <cnif.h> (or at the first C block
%%            after the previous file ended) and ends at the block that
%%            declares CNIF_MODULE(name, ...) (or CNIF_MODULE_WITH, or
%%            the _NAMED forms): the file name.c is then
%%            built into the NIF library of module name, against
%%            libcnif.a. A file that declares no module is only compiled.
%%            Either way, with -Wall -Wextra -Werror (unused parameters
%%            allowed: samples stay short). Lines count from the
%%            file's first block, so a panic's location reads name.c:LINE
%%            as the reader counts.
%% ```erlang  A block of shell lines ("1> Expr." and what the shell prints
%%            after it, up to the next prompt) runs in a real Erlang shell,
%%            one session per file, in order; the output must match
%%            exactly. A block that starts with -module(name). is that
%%            module, compiled beside the libraries. A library whose module
%%            the file does not show gets the usual one: -cnif_nifs with
%%            every function its CNIF_EXPORT* lines export. Other blocks
%%            (rebar.config terms, function fragments) must parse; a line
%%            "..." in them stands for what is left out.
%% ```elixir  "iex> expr" lines ("...>" continues one), each followed by
%%            its expected result up to a blank line or the next iex>
%%            (an exception's message, which may hold blank lines, up to
%%            the next iex>):
%%            inspect/1 of the value, or "** (Module) message" for an
%%            exception, as in ExUnit doctests. One session per file, in
%%            order, with the file's Erlang modules on the code path.
%%            Blocks without iex> must parse, alone or as the contents of
%%            a list (a keyword fragment); "..." lines are left out.
%%
%% A block that stands verbatim in a source file the doc links to is an
%% excerpt: it is checked to be there, and that file's own suite runs it.
%% Other fences (sh, text, none) are not run.
%%
%% A fence that names the word unsanitized after its language (```erlang
%% unsanitized) shows what a build without sanitizers prints: with the
%% samples built under ASan/UBSan (make test-asan) it is left out. A
%% sample that faults on purpose needs it: UBSan reports the fault first.
-module(doctest).
-export([check/2]).

-record(block, {lang, line, lines, words = []}).

%% Check one Markdown file, building into Dir; Config holds the compiler
%% (cc, cflags, lib, ldflags). Returns the failures as text, [] if none.
-spec check(file:filename(), map()) -> [string()].
check(Doc, Config) ->
    Sources = linked_sources(Doc),
    Sanitized = string:find(maps:get(cflags, Config), "-fsanitize") =/= nomatch,
    Blocks = [B || B <- blocks(Doc), not excerpt(B, Sources),
                   not (Sanitized andalso lists:member("unsanitized", B#block.words))],
    %% README.md and docs/README.md each get a directory of their own.
    DirName = re:replace(filename:rootname(Doc), "[^A-Za-z0-9_-]", "_", [global, {return, list}]),
    Dir = filename:join(maps:get(dir, Config), DirName),
    ok = del_dir(Dir),
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    CFiles = c_files(Doc, [B || B = #block{lang = "c"} <- Blocks]),
    Built = lists:append(pmap(fun(F) -> build_c(F, Dir, Config) end, CFiles)),
    {Modules, Other} = lists:partition(fun is_module/1, [B || B = #block{lang = "erlang"} <- Blocks]),
    {Shell, Fragments} = lists:partition(fun is_transcript/1, Other),
    Given = [module_name(B) || B <- Modules],
    Compiled = [compile_erl(B#block.line, module_source(B), Dir) || B <- Modules]
        ++ [compile_erl(Line, default_module(Name, Bs), Dir)
            || {library, Name, Line, Bs} <- CFiles, not lists:member(Name, Given)],
    Parsed = lists:append([parse_erl(B) || B <- Fragments]),
    Failures = Built ++ lists:append(Compiled) ++ Parsed,
    Failures ++ case Failures of
                    [] -> run_shell(Shell, Dir) ++ run_elixir(Doc, Blocks, Dir);
                    _ -> []   % nothing to run against
                end.

%%% Markdown

%% The fenced blocks of a file: language, line of the first content line,
%% content lines, and the words after the language.
blocks(Doc) ->
    {ok, Bin} = file:read_file(Doc),
    Lines = string:split(unicode:characters_to_list(Bin), "\n", all),
    fences(lists:zip(lists:seq(1, length(Lines)), Lines)).

fences([]) ->
    [];
fences([{N, Line} | Rest]) ->
    case string:prefix(Line, "```") of
        nomatch ->
            fences(Rest);
        Info ->
            {Lang, Words} = case string:lexemes(Info, " \t") of
                                [L | Ws] -> {L, Ws};
                                [] -> {"", []}
                            end,
            {Body, After} = lists:splitwith(fun({_, L}) -> string:prefix(L, "```") =:= nomatch end, Rest),
            [#block{lang = Lang, line = N + 1, lines = [L || {_, L} <- Body], words = Words}
             | fences(tl_or_empty(After))]
    end.

tl_or_empty([]) -> [];
tl_or_empty([_ | T]) -> T.

%% A sample that stands verbatim in a source file the doc links to
%% ("[...](../test/nifs/res_guide.c)") is an excerpt of it: that file is
%% built and run by its own suite, so only the quote is checked.
linked_sources(Doc) ->
    {ok, Text} = file:read_file(Doc),
    Links = case re:run(Text, "\\]\\(([^)#\\s]+\\.(?:c|h|erl|hrl|ex|exs))\\)",
                        [global, {capture, all_but_first, list}]) of
                {match, Ms} -> lists:usort([L || [L] <- Ms]);
                nomatch -> []
            end,
    [Bin || L <- Links,
            {ok, Bin} <- [file:read_file(filename:join(filename:dirname(Doc), L))]].

excerpt(#block{lines = Lines}, Sources) ->
    Quote = unicode:characters_to_binary(["\n", lists:join("\n", Lines), "\n"]),
    Lines =/= [] andalso
        lists:any(fun(Src) -> binary:match(<<"\n", Src/binary, "\n">>, Quote) =/= nomatch end,
                  Sources).

%%% C

%% Cut the C blocks into files: {library, Module, Line, Blocks} or
%% {fragment, Name, Line, Blocks}.
c_files(Doc, Blocks) ->
    Base = filename:rootname(filename:basename(Doc)),
    cut(Blocks, [], Base, 1).

cut([], [], _Base, _N) ->
    [];
cut([], Open, Base, N) ->
    [fragment(lists:reverse(Open), Base, N)];
cut([B | Rest], Open, Base, N) when Open =/= [] ->
    case includes_cnif(B) of
        true -> [fragment(lists:reverse(Open), Base, N) | cut([B | Rest], [], Base, N + 1)];
        false -> close([B | Open], Rest, Base, N)
    end;
cut([B | Rest], [], Base, N) ->
    close([B], Rest, Base, N).

close(Open = [Last | _], Rest, Base, N) ->
    case re:run(text(Last), "CNIF_MODULE(?:_NAMED)?(?:_WITH)?\\(\\s*\"?([^,\")\\s]+)",
                [{capture, all_but_first, list}]) of
        {match, [Module]} ->
            Blocks = lists:reverse(Open),
            [{library, Module, (hd(Blocks))#block.line, Blocks} | cut(Rest, [], Base, N)];
        nomatch ->
            cut(Rest, Open, Base, N)
    end.

fragment(Blocks, Base, N) ->
    {fragment, Base ++ "_" ++ integer_to_list(N), (hd(Blocks))#block.line, Blocks}.

includes_cnif(B) ->
    re:run(text(B), "^\\s*#\\s*include\\s*<cnif\\.h>", [multiline]) =/= nomatch.

text(#block{lines = Lines}) ->
    lists:flatten(lists:join("\n", Lines)).

%% The file as the reader assembles it from its blocks, numbered from its
%% first line; <cnif.h> is included first if the file does not.
c_source(Name, Blocks = [First | _]) ->
    Include = case includes_cnif(First) of
                  true -> "";
                  false -> "#include <cnif.h>\n"
              end,
    [Include, "#line 1 \"", Name, "\"\n", lists:join("\n", [text(B) || B <- Blocks]), "\n"].

build_c({library, Module, Line, Blocks}, Dir, Config) ->
    File = filename:join(Dir, Module ++ ".c"),
    ok = file:write_file(File, c_source(Module ++ ".c", Blocks)),
    Out = filename:join(Dir, Module ++ ".so"),
    cc(Line, File, [maps:get(lib, Config), " ", maps:get(ldflags, Config), " -o ", Out], Config);
build_c({fragment, Name, Line, Blocks}, Dir, Config) ->
    File = filename:join(Dir, Name ++ ".c"),
    ok = file:write_file(File, c_source(Name ++ ".c", Blocks)),
    cc(Line, File, ["-c -o ", filename:rootname(File), ".o"], Config).

cc(Line, File, Rest, Config) ->
    case sh(["LC_ALL=C ", maps:get(cc, Config), " ", maps:get(cflags, Config),
             " -Wno-unused-parameter ", File, " ", Rest]) of
        {0, _} -> [];
        {_, Out} -> [failure(Line, "the C sample does not compile", Out)]
    end.

%% The Erlang module a library gets when the file shows none: every
%% function its CNIF_EXPORT* lines export, with its arity.
default_module(Module, Blocks) ->
    Exports = re:run(lists:flatten(lists:join("\n", [text(B) || B <- Blocks])),
                     "CNIF_EXPORT(_FLAGS|_RAW|_RAW_FLAGS|_YIELDING|_THREADED|_THREAD)?"
                     "\\(([^()]*)\\)", [global, {capture, all_but_first, list}]),
    Nifs = case Exports of
               {match, Ms} -> [nif(Kind, [string:trim(A) || A <- string:split(Args, ",", all)])
                               || [Kind, Args] <- Ms];
               nomatch -> []
           end,
    io_lib:format("-module(~tw).~n-include_lib(\"cnif/include/cnif.hrl\").~n-cnif_nifs(~w).~n",
                  [list_to_atom(Module), Nifs]).

nif("", [F | Types]) -> {list_to_atom(F), length(Types) - 1};
nif("_FLAGS", [F, _ | Types]) -> {list_to_atom(F), length(Types) - 1};
nif("_RAW", [F, Arity]) -> {list_to_atom(F), list_to_integer(Arity)};
nif("_RAW_FLAGS", [F, Arity, _]) -> {list_to_atom(F), list_to_integer(Arity)};
nif("_YIELDING", [F, _Ret, _State | Types]) -> {list_to_atom(F), length(Types)};
nif(_Threaded, [F | Types]) -> {list_to_atom(F), length(Types) - 1}.

%%% Erlang

is_module(B) -> module_name(B) =/= none.

module_name(#block{lines = Lines}) ->
    case re:run(lists:flatten(lists:join("\n", Lines)), "\\A\\s*-module\\('?([^')]+)'?\\)\\.",
                [{capture, all_but_first, list}]) of
        {match, [Name]} -> Name;
        nomatch -> none
    end.

module_source(B) -> text(B) ++ "\n".

is_transcript(#block{lines = Lines}) ->
    lists:any(fun is_prompt/1, Lines).

is_prompt(Line) -> re:run(Line, "^\\d+> ") =/= nomatch.

compile_erl(Line, Source, Dir) ->
    {match, [Name]} = re:run(Source, "-module\\('?([^')]+)'?\\)", [{capture, all_but_first, list}, unicode]),
    File = filename:join(Dir, Name ++ ".erl"),
    %% Stack traces name the file as a reader's build would, not its path
    %% in the build directory.
    Named = ["-file(\"", Name, ".erl\", 1).\n", Source],
    ok = file:write_file(File, unicode:characters_to_binary(Named)),
    case compile:file(File, [{outdir, Dir}, {i, Dir}, return_errors, report_warnings]) of
        {ok, _} -> [];
        {error, Errors, _} -> [failure(Line, "the Erlang module does not compile",
                                       io_lib:format("~tp", [Errors]))]
    end.

%% A block that is neither a module nor a shell session: terms (such as a
%% rebar.config) or forms (functions, attributes).
parse_erl(B = #block{line = Line}) ->
    case erl_scan:string(text(elided(B)), Line) of
        {ok, Tokens, _} ->
            case [Why || Form <- split_dots(Tokens), Why <- [parse_form(Form)], Why =/= ok] of
                [] -> [];
                [Why | _] -> [failure(Line, "the Erlang sample does not parse", Why)]
            end;
        {error, Why, _} ->
            [failure(Line, "the Erlang sample does not scan", io_lib:format("~tp", [Why]))]
    end.

split_dots(Tokens) ->
    case lists:splitwith(fun(T) -> element(1, T) =/= dot end, Tokens) of
        {[], []} -> [];
        {Form, [Dot | Rest]} -> [Form ++ [Dot] | split_dots(Rest)];
        {Form, []} -> [Form]
    end.

parse_form(Tokens) ->
    case {erl_parse:parse_form(Tokens), erl_parse:parse_exprs(Tokens)} of
        {{ok, _}, _} -> ok;
        {_, {ok, _}} -> ok;
        {{error, Why}, _} -> io_lib:format("~tp", [Why])
    end.

%% The file's shell lines, fed to a real erl in the build directory; its
%% output is cut at the prompts and compared line for line.
run_shell([], _Dir) ->
    [];
run_shell(Blocks, Dir) ->
    Calls = lists:append([calls(B#block.line, B#block.lines) || B <- Blocks]),
    Input = filename:join(Dir, "shell.in"),
    ok = file:write_file(Input, unicode:characters_to_binary([[C, "\n"] || {_, C, _} <- Calls])),
    {_, Out} = sh(["cd ", Dir, " && ERL_LIBS=", absolute_libs(), " erl -pa . < shell.in"]),
    [_Banner | Lines] = string:split(Out, "\n", all),
    Outputs = outputs(Lines, []),
    compare(Calls, Outputs).

%% [{Line, Call, ExpectedLines}]: a call is its prompt line and the lines
%% up to the one that ends with a dot; then come what the shell prints.
calls(_N, []) ->
    [];
calls(N, [L | Rest]) ->
    case re:run(L, "^\\d+> (.*)$", [{capture, all_but_first, list}, unicode]) of
        {match, [First]} ->
            {More, Rest1} = call_end(First, Rest),
            {Expected, Rest2} = lists:splitwith(fun(X) -> not is_prompt(X) end, Rest1),
            Skip = 1 + length(More) + length(Expected),
            [{N, lists:join("\n", [First | More]), trim_lines(Expected)}
             | calls(N + Skip, Rest2)];
        nomatch ->
            calls(N + 1, Rest)
    end.

call_end(Line, Rest) ->
    case re:run(Line, "\\.\\s*(%.*)?$") of
        {match, _} -> {[], Rest};
        nomatch ->
            case Rest of
                [] -> {[], []};
                [Next | Rest1] -> {More, Rest2} = call_end(Next, Rest1),
                                  {[Next | More], Rest2}
            end
    end.

%% The output after each prompt; the last prompt met end of input.
outputs([], Acc) ->
    lists:reverse(tl_or_empty(Acc));
outputs([L | Rest], Acc) ->
    case re:run(L, "^\\d+> (.*)$", [{capture, all_but_first, list}, unicode]) of
        {match, [Text]} -> outputs(Rest, [[Text] | Acc]);
        nomatch when Acc =:= [] -> outputs(Rest, Acc);
        nomatch -> [Cur | Acc1] = Acc, outputs(Rest, [Cur ++ [L] | Acc1])
    end.

compare(Calls, Outputs) ->
    Padded = Outputs ++ lists:duplicate(max(0, length(Calls) - length(Outputs)), ["(no output)"]),
    [failure(N, "the shell printed something else for " ++ Call,
             ["expected:\n", indent(Expected), "got:\n", indent(Actual)])
     || {{N, Call, Expected}, Got} <- lists:zip(Calls, lists:sublist(Padded, length(Calls))),
        Actual <- [trim_lines(Got)],
        not same_shown(Expected, Actual)].

%% Whether the shell printed what the doc shows. The docs show maps in
%% the order OTP 25 prints them (by key); from OTP 26 on, a map prints in
%% its own order (of atoms, the order they were made). So where the text
%% differs, the terms are compared: a value; or an exception's reason,
%% the call it names (as a parse tree) and its other lines (as text, with
%% a stack entry's place in OTP 25's words: OTP 29 writes "(m.erl:19)"
%% where earlier ones write "(m.erl, line 19)").
same_shown(Same, Same) ->
    true;
same_shown(Expected, Actual) ->
    case {shown(Expected), shown(Actual)} of
        {{ok, Shown}, {ok, Shown}} -> true;
        _ -> false
    end.

shown(["** exception " ++ First | Rest] = Lines) ->
    case string:split(First, ": ") of
        [Class, Reason] ->
            {ReasonLines, Entries} = lists:splitwith(fun(L) -> entry(L) =:= none end, Rest),
            {ok, {Class, reason(lists:join("\n", [Reason | ReasonLines])), entries(Entries)}};
        _ ->
            {ok, {text, Lines}}
    end;
shown(Lines) ->
    term(lists:flatten(lists:join("\n", Lines))).

%% A line that starts an entry of an exception, after its reason.
entry(Line) ->
    case re:run(Line, "^\\s+(in function|called as|in call from|\\*\\*\\*) ",
                [{capture, all_but_first, list}, unicode]) of
        {match, [Kind]} -> Kind;
        nomatch -> none
    end.

%% The shell writes some reasons out in words ("bad argument").
reason(Text) ->
    case term(lists:flatten(Text)) of
        {ok, Term} -> Term;
        error -> {words, string:trim(Text)}
    end.

%% Each entry with the lines that continue it; a call as its parse tree.
entries([]) ->
    [];
entries([Line | Rest]) ->
    {More, Next} = lists:splitwith(fun(L) -> entry(L) =:= none end, Rest),
    Text = string:trim(lists:flatten(lists:join(" ", [Line | More]))),
    [case {entry(Line), Text} of
         {"called as", "called as " ++ Call} -> {called_as, call(Call)};
         _ -> re:replace(Text, "\\(([^(), ]+):([0-9]+)\\)$", "(\\1, line \\2)",
                         [unicode, {return, list}])
     end | entries(Next)].

term(Text) ->
    case erl_scan:string(Text ++ ".") of
        {ok, Tokens, _} ->
            case erl_parse:parse_term(Tokens) of
                {ok, Term} -> {ok, Term};
                _ -> error
            end;
        _ -> error
    end.

%% A call's text as its parse tree, with no positions and every map's
%% fields in one order.
call(Text) ->
    case erl_scan:string(Text ++ ".") of
        {ok, Tokens, _} ->
            case erl_parse:parse_exprs(Tokens) of
                {ok, Exprs} -> sort_maps(erl_parse:map_anno(fun(_) -> 0 end, Exprs));
                _ -> {unparsed, Text}
            end;
        _ -> {unparsed, Text}
    end.

sort_maps({map, A, Fields}) -> {map, A, lists:sort(sort_maps(Fields))};
sort_maps(T) when is_tuple(T) -> list_to_tuple(sort_maps(tuple_to_list(T)));
sort_maps(L) when is_list(L) -> [sort_maps(X) || X <- L];
sort_maps(X) -> X.

trim_lines(Lines) ->
    Trimmed = [string:trim(L, trailing) || L <- Lines],
    lists:reverse(lists:dropwhile(fun(L) -> L =:= "" end, lists:reverse(Trimmed))).

%%% Elixir

%% iex> examples and syntax checks, run by doctest_iex.exs in one elixir
%% process; its results come back as a term file.
run_elixir(Doc, Blocks, Dir) ->
    Items = lists:append([iex(B) || B = #block{lang = "elixir"} <- Blocks]),
    case Items of
        [] -> [];
        _ ->
            In = filename:join(Dir, "iex.terms"),
            Out = filename:join(Dir, "iex.results"),
            ok = file:write_file(In, unicode:characters_to_binary(
                                       ["%% -*- coding: utf-8 -*-\n"
                                        | [io_lib:format("~tp.~n", [I]) || I <- Items]])),
            Source = proplists:get_value(source, ?MODULE:module_info(compile)),
            Script = filename:join(filename:dirname(Source), "doctest_iex.exs"),
            case sh(["elixir -pa ", Dir, " ", Script, " ", Doc, " ", In, " ", Out]) of
                {0, _} ->
                    {ok, Bin} = file:read_file(Out),
                    [failure(N, Why, Detail) || {N, Why, Detail} <- binary_to_term(Bin)];
                {_, Log} ->
                    [failure(element(2, hd(Items)), "the Elixir session failed", Log)]
            end
    end.

%% {example, Line, Code, Expected} for each iex> line; {syntax, Line, Code}
%% for a block without any.
iex(B = #block{line = Line, lines = Lines}) ->
    case lists:any(fun is_iex/1, Lines) of
        false -> [{syntax, Line, unicode:characters_to_binary(text(elided(B)))}];
        true -> examples(Line, Lines)
    end.

is_iex(L) -> re:run(L, "^\\s*iex(\\(\\d+\\))?> ") =/= nomatch.

examples(_N, []) ->
    [];
examples(N, [L | Rest]) ->
    case re:run(L, "^\\s*iex(?:\\(\\d+\\))?> (.*)$", [{capture, all_but_first, list}, unicode]) of
        {match, [First]} ->
            {More, Rest1} = lists:splitwith(fun(X) -> re:run(X, "^\\s*\\.\\.\\.(\\(\\d+\\))?> ") =/= nomatch end, Rest),
            Code = [First | [re:replace(X, "^\\s*\\.\\.\\.(\\(\\d+\\))?> ", "", [{return, list}]) || X <- More]],
            {Expected, Used, Rest2} = expected(Rest1),
            [{example, N, unicode:characters_to_binary(lists:join("\n", Code)),
              unicode:characters_to_binary(lists:join("\n", [string:trim(X, trailing) || X <- Expected]))}
             | examples(N + 1 + length(More) + Used, Rest2)];
        nomatch ->
            examples(N + 1, Rest)
    end.

%% A result runs to a blank line or the next iex>; an exception's message
%% (which may hold blank lines) to the next iex>.
expected(Lines = [First | _]) ->
    Exception = string:prefix(First, "** (") =/= nomatch,
    {Expected, Rest} = lists:splitwith(fun(X) -> not is_iex(X) andalso
                                                     (Exception orelse string:trim(X) =/= "")
                                       end, Lines),
    {trim_lines(Expected), length(Expected), Rest};
expected([]) ->
    {[], 0, []}.

%%% Helpers

%% A sample that is only parsed may leave things out with a line "...".
elided(B = #block{lines = Lines}) ->
    B#block{lines = [case re:run(L, "^\\s*\\.\\.\\.\\s*([%#].*)?$") of
                         {match, _} -> "";
                         nomatch -> L
                     end || L <- Lines]}.

failure(Line, What, Detail) ->
    {Line, lists:flatten(io_lib:format("~ts~n~ts", [What, Detail]))}.

indent(Lines) ->
    [["    ", L, "\n"] || L <- Lines].

%% ERL_LIBS (where the cnif application is) for a shell that runs in
%% another directory.
absolute_libs() ->
    lists:join(":", [filename:absname(D) || D <- string:lexemes(os:getenv("ERL_LIBS", ""), ":")]).

%% Run a shell command: {ExitStatus, Output}.
sh(Command) ->
    Port = open_port({spawn_executable, "/bin/sh"},
                     [{args, ["-c", lists:flatten(Command) ++ " 2>&1"]},
                      exit_status, binary, stderr_to_stdout, hide]),
    collect(Port, []).

collect(Port, Acc) ->
    receive
        {Port, {data, D}} -> collect(Port, [D | Acc]);
        {Port, {exit_status, S}} ->
            {S, text_of(iolist_to_binary(lists:reverse(Acc)))}
    end.

%% Output is UTF-8, except where a shell with a pipe for its terminal
%% writes Latin-1 (a binary such as <<"ÿ">>).
text_of(Bin) ->
    case unicode:characters_to_list(Bin) of
        Chars when is_list(Chars) -> Chars;
        _ -> binary_to_list(Bin)
    end.

pmap(F, Xs) ->
    Self = self(),
    Refs = [begin R = make_ref(), spawn_link(fun() -> Self ! {R, F(X)} end), R end || X <- Xs],
    [receive {R, V} -> V end || R <- Refs].

del_dir(Dir) ->
    case file:del_dir_r(Dir) of
        ok -> ok;
        {error, enoent} -> ok
    end.
