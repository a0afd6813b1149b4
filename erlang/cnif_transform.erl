%% cnif_transform -- the parse transform that turns
%%
%%     -module(demo).
%%     -include_lib("cnif/include/cnif.hrl").
%%     -cnif_nifs([add/2]).
%%     -cnif_lib("demo_nif").        % optional; default: the module name
%%     -cnif_load_options(#{fault_barrier => true}).   % optional (cnif:load_info/3)
%%     -cnif_isolated(#{workers => 4}).                 % optional (cnif_isolated)
%%     -cnif_load_data(Term).        % optional: the load hook's load_info
%%     -cnif_load_data_from(F/0).    % optional: F() at load time is
%%
%% into a module that loads its NIF library on load and exports, for each
%% listed F/A, the wrapper F/A that calls the NIF F_nif/A, a local
%% function (a stub until the library is loaded, which runs the call on a
%% worker if the module is isolated). The NIF returns a bad argument as
%% the value {'$cnif_badarg', Secret, ArgNo, Path, Reason}; the wrapper
%% raises it as error:badarg with EEP-54 error_info (see cnif_error).
%% '$cnif_call'(F_nif, Args), exported, calls a NIF by name: a worker of
%% an isolated module runs the calls it is sent through it.
%%
%% A module's own -on_load function runs after the library has loaded.
%% Mistakes in the attributes are compile errors at their line.
-module(cnif_transform).
-export([parse_transform/2, format_error/1]).

parse_transform(Forms, _Options) ->
    try transform(Forms, located(Forms))
    catch throw:{cnif_error, {File, Line}, Error} ->
        {error, [{File, [{Line, ?MODULE, Error}]}], []}
    end.

transform(Forms, Located) ->
    case values(Located, cnif_nifs) of
        [] ->
            Forms;
        [{First, _}, {Second, _} | _] ->
            throw({cnif_error, Second, {twice, cnif_nifs, First}});
        [{{_, Line} = Where, Nifs}] ->
            check_nifs(Nifs, Where),
            Module = hd([M || {attribute, _, module, M} <- Forms]),
            Lib = case one(Located, cnif_lib) of
                      {_, Lb} -> Lb;
                      none -> atom_to_list(Module)
                  end,
            Options = case one(Located, cnif_load_options) of
                          {OWhere, O} -> checked_load_options(O, OWhere);
                          none -> #{}
                      end,
            Isolated = case one(Located, cnif_isolated) of
                           {IWhere, I} -> isolated_options(I, IWhere);
                           none -> undefined
                       end,
            OnLoad = case one(Located, on_load) of
                         none -> none;
                         {_, {F, 0}} -> F;
                         {OnLoadWhere, Bad} -> throw({cnif_error, OnLoadWhere, {bad_on_load, Bad}})
                     end,
            check_defined(Located, Nifs),
            Data = load_data(Forms, Located),
            Generated = functions(Module, Nifs, Lib, Options, Isolated, Data, OnLoad, Line),
            insert([F || F <- Forms, not is_on_load(F)], attributes(Forms, Nifs, Line), Generated)
    end.

is_on_load({attribute, _, on_load, _}) -> true;
is_on_load(_) -> false.

%% Each form with where it is, {File, Line}: the preprocessor's -file
%% attributes say which file the lines after them are in.
located(Forms) ->
    {Located, _} = lists:mapfoldl(
                     fun({attribute, _, file, {File, _}} = Form, _) ->
                             {{{File, 0}, Form}, File};
                        ({Error, {Line, _, _}} = Form, File) when Error =:= error;
                                                                  Error =:= warning ->
                             {{{File, erl_anno:line(Line)}, Form}, File};
                        (Form, File) ->
                             {{{File, erl_anno:line(element(2, Form))}, Form}, File}
                     end, "nofile", Forms),
    Located.

%% The values of the attributes Name, each with where it is.
values(Located, Name) ->
    [{Where, V} || {Where, {attribute, _, N, V}} <- Located, N =:= Name].

%% The value of the one attribute Name, with where it is, or none.
one(Located, Name) ->
    case values(Located, Name) of
        [] -> none;
        [Found] -> Found;
        [{First, _}, {Second, _} | _] -> throw({cnif_error, Second, {twice, Name, First}})
    end.

check_nifs(Nifs, Where) when is_list(Nifs), Nifs =/= [] ->
    [throw({cnif_error, Where, {bad_nif, Entry}})
     || Entry <- Nifs, not is_name_arity(Entry)],
    case Nifs -- lists:usort(Nifs) of
        [] -> ok;
        [Twice | _] -> throw({cnif_error, Where, {listed_twice, Twice}})
    end;
check_nifs(Nifs, Where) ->
    throw({cnif_error, Where, {not_a_list, Nifs}}).

%% A NIF takes 0 to 8 arguments (CNIF_EXPORT).
is_name_arity({F, A}) -> is_atom(F) andalso is_integer(A) andalso A >= 0 andalso A =< 8;
is_name_arity(_) -> false.

%% A listed function the module also defines would lose one of the two
%% definitions: refused at the module's own.
check_defined(Located, Nifs) ->
    Generated = [{'$cnif_resources', 1}, {'$cnif_call', 2}, {'$cnif_on_load', 0}
                 | lists:append([[{F, A}, {nif_name(F), A}] || {F, A} <- Nifs])],
    case [{Where, {F, A}} || {Where, {function, _, F, A, _}} <- Located,
                             lists:member({F, A}, Generated)] of
        [] -> ok;
        [{Where, FA} | _] -> throw({cnif_error, Where, {defined, FA}})
    end.

nif_name(F) -> list_to_atom(atom_to_list(F) ++ "_nif").

%% The expression that gives the load hook its load_info: a term, or a
%% call of the module's own function at load time.
load_data(Forms, Located) ->
    case {one(Located, cnif_load_data), one(Located, cnif_load_data_from)} of
        {none, none} ->
            "[]";
        {{_, Term}, none} ->
            io_lib:format("~tp", [Term]);
        {none, {Where, {F, 0}}} ->
            case [x || {function, _, F1, 0, _} <- Forms, F1 =:= F] of
                [] -> throw({cnif_error, Where, {undefined_load_data, F}});
                _ -> io_lib:format("~tw()", [F])
            end;
        {none, {Where, Bad}} ->
            throw({cnif_error, Where, {bad_load_data_from, Bad}});
        {{_, _}, {Where, _}} ->
            throw({cnif_error, Where, load_data_both})
    end.

%% Bad load options fail the compile, not the load.
checked_load_options(Options, Where) ->
    try cnif:check_load_options(Options)
    catch error:{bad_load_options, Bad, Why} ->
        throw({cnif_error, Where, {bad_options, cnif_load_options, Bad, Why}})
    end.

isolated_options(Options, Where) ->
    case runtime(?MODULE) of
        #{isolated := none} ->
            throw({cnif_error, Where, isolated_vendored});
        #{isolated := Isolated} ->
            try Isolated:check_options(Options)
            catch error:{bad_isolated_options, Bad, Why} ->
                throw({cnif_error, Where, {bad_options, cnif_isolated, Bad, Why}})
            end
    end.

%% The modules the generated code calls: the cnif application's, or, when
%% this transform runs as part of the one module scripts/vendor makes for
%% projects that vendor cnif, that module for all of them. Isolated mode
%% needs the application (its pools are supervised there), so a vendored
%% module has none.
runtime(cnif_transform) ->
    #{load => cnif, error => cnif_error, reporter => cnif_reporter, isolated => cnif_isolated};
runtime(Vendored) ->
    #{load => Vendored, error => Vendored, reporter => Vendored, isolated => none}.

%% A term in a message, on one line.
term(Term) -> io_lib:print(Term, 1, 1 bsl 20, -1).

format_error({twice, Name, {_, First}}) ->
    io_lib:format("-~s appears twice (first at line ~w): give it once", [Name, First]);
format_error({not_a_list, Nifs}) ->
    io_lib:format("-cnif_nifs expects a non-empty list of Name/Arity, got: ~ts", [term(Nifs)]);
format_error({bad_nif, Entry}) ->
    io_lib:format("-cnif_nifs: ~ts is not Name/Arity with an arity from 0 to 8", [term(Entry)]);
format_error({listed_twice, {F, A}}) ->
    io_lib:format("-cnif_nifs lists ~tw/~w twice", [F, A]);
format_error({defined, {F, A}}) ->
    io_lib:format("~tw/~w is generated from -cnif_nifs: remove this definition "
                  "(or the entry)", [F, A]);
format_error({bad_on_load, Bad}) ->
    io_lib:format("-on_load expects Name/0, got: ~ts", [term(Bad)]);
format_error({undefined_load_data, F}) ->
    io_lib:format("-cnif_load_data_from: ~tw/0 is not defined in this module", [F]);
format_error({bad_load_data_from, Bad}) ->
    io_lib:format("-cnif_load_data_from expects Name/0, got: ~ts", [term(Bad)]);
format_error(load_data_both) ->
    "-cnif_load_data and -cnif_load_data_from both given: give one";
format_error(isolated_vendored) ->
    io_lib:format("-cnif_isolated: isolated mode needs the cnif application, which a "
                  "vendored ~tw does not include: depend on cnif, or remove the attribute",
                  [?MODULE]);
format_error({bad_options, Name, Bad, Why}) ->
    io_lib:format("-~s: ~ts, got: ~ts", [Name, Why, term(Bad)]).

%% Exports the wrappers, except those the module already exports.
attributes(Forms, Nifs, Line) ->
    Exported = lists:append([Fs || {attribute, _, export, Fs} <- Forms]),
    Anno = anno(Line),
    [{attribute, Anno, export, [{'$cnif_resources', 1}, {'$cnif_call', 2} | Nifs -- Exported]},
     {attribute, Anno, nifs, [{'$cnif_resources', 1} | [{nif_name(F), A} || {F, A} <- Nifs]]},
     {attribute, Anno, on_load, {'$cnif_on_load', 0}}].

functions(Module, Nifs, Lib, Options, Isolated, Data, OnLoad, Line) ->
    %% erlang:load_nif/2 must be called from the module itself. A load hook
    %% that fails sends its message to this process: erts itself only
    %% reports the hook's return code. An isolated module loads no library
    %% here (cnif_isolated). The module's own on_load runs once it loaded.
    #{load := Cnif, reporter := Reporter} = Runtime = runtime(?MODULE),
    InProcess = io_lib:format("case ~tw:priv_path(~tw, ~tp) of~n"
                              "    {ok, Path} ->~n"
                              "        ~tw:load_result(erlang:load_nif(~tw:load_path(Path), "
                              "~tw:load_info(~tw, ~s, ~w, ~w)));~n"
                              "    Error -> Error~n"
                              "end",
                              [Cnif, Module, Lib, Cnif, Cnif, Cnif, Module, Data, Options, Nifs]),
    Load = case Runtime of
               #{isolated := none} ->
                   InProcess;
               #{isolated := IsolatedMode} ->
                   io_lib:format("case ~tw:on_load(~tw, ~w) of~n"
                                 "    in_process -> ~s;~n"
                                 "    Isolated -> Isolated~n"
                                 "end",
                                 [IsolatedMode, Module, Isolated, InProcess])
           end,
    Body = case OnLoad of
               none -> Load;
               F -> io_lib:format("case ~s of ok -> ~tw(); Failed -> Failed end", [Load, F])
           end,
    Source = [io_lib:format("'$cnif_on_load'() ->~n    ~tw:ensure_started(),~n", [Reporter]),
              Body, ".\n",
              "%% Replaced by the library only in a worker of an isolated module\n"
              "%% (cnif_worker): there, the resources a term holds.\n"
              "'$cnif_resources'(_Term) -> [].\n",
              lists:join(";\n", [io_lib:format("'$cnif_call'(~tw, [~s]) -> ~tw(~s)",
                                               [nif_name(F), args(A), nif_name(F), args(A)])
                                 || {F, A} <- Nifs]), ".\n"
              | [wrapper(Module, F, A, Runtime) || {F, A} <- Nifs]],
    parse(unicode:characters_to_list(Source), Line).

args(A) -> lists:join(", ", args_list(A)).

args_list(A) -> ["A" ++ integer_to_list(I) || I <- lists:seq(1, A)].

%% The NIF returns a bad-argument report as a value (a tag test on the
%% result costs less than a try): the wrapper raises it as badarg with
%% error_info, if it carries the module's secret (see cnif:load_info/2),
%% read straight from its persistent term: a remote call to cnif for it
%% measured 5 ns more on the error path. A returned value of the same
%% shape is just a value. Panics and raised terms pass through as
%% exceptions. Until the library is loaded, the NIF is a stub that runs
%% the call on a worker if the module is isolated, and otherwise raises
%% {not_loaded, Module}, as cnif_isolated:call/3 does.
wrapper(Module, F, A, #{error := Error, isolated := IsolatedMode}) ->
    Args = args(A),
    Nif = nif_name(F),
    Stub = case IsolatedMode of
               none -> io_lib:format("~tw(~s) -> erlang:nif_error({not_loaded, ~tw})",
                                     [Nif, lists:join(", ", ["_" ++ Arg || Arg <- args_list(A)]),
                                      Module]);
               _ -> io_lib:format("~tw(~s) -> ~tw:call(~tw, ~tw, [~s])",
                                  [Nif, Args, IsolatedMode, Module, Nif, Args])
           end,
    io_lib:format(
      "~tw(~s) ->~n"
      "    case ~tw(~s) of~n"
      "        {'$cnif_badarg', Secret, ArgNo, Path, Reason} = Result ->~n"
      "            case persistent_term:get({cnif_secret, ~tw}, undefined) of~n"
      "                Secret ->~n"
      "                    erlang:error(badarg, [~s],~n"
      "                                 [{error_info, #{module => ~tw,~n"
      "                                                 cause => {ArgNo, Path, Reason}}}]);~n"
      "                _ ->~n"
      "                    Result~n"
      "            end;~n"
      "        Result ->~n"
      "            Result~n"
      "    end.~n"
      "~s.~n",
      [F, Args, Nif, Args, Module, Args, Error, Stub]).

%% Generated source is parsed form by form (the preprocessor has already
%% run, so it names the module literally). Every token is given the line
%% of -cnif_nifs, so that a stack trace through generated code names a
%% line of the source file, and marked generated (no warnings of its own).
parse(Source, Line) ->
    {ok, Tokens, _} = erl_scan:string(Source),
    Anno = anno(Line),
    split([setelement(2, T, Anno) || T <- Tokens], []).

anno(Line) -> erl_anno:set_generated(true, erl_anno:new(Line)).

split([], []) ->
    [];
split([{dot, _} = Dot | Rest], Acc) ->
    {ok, Form} = erl_parse:parse_form(lists:reverse([Dot | Acc])),
    [Form | split(Rest, [])];
split([T | Rest], Acc) ->
    split(Rest, [T | Acc]).

insert(Forms, Attributes, Functions) ->
    {Before, [Module | After]} =
        lists:splitwith(fun({attribute, _, module, _}) -> false;
                           (_) -> true end, Forms),
    {Body, Eof} = lists:splitwith(fun({eof, _}) -> false; (_) -> true end, After),
    Before ++ [Module | Attributes] ++ Body ++ Functions ++ Eof.
