%% cnif_transform -- the parse transform that turns
%%
%%     -module(demo).
%%     -include_lib("cnif/include/cnif.hrl").
%%     -cnif_nifs([add/2]).
%%     -cnif_lib("demo_nif").        % optional; default: the module name
%%     -cnif_load_options(#{fault_barrier => true}).   % optional (cnif:load_info/3)
%%     -cnif_isolated(#{workers => 4}).                 % optional (cnif_isolated)
%%
%% into a module that loads its NIF library on load and exports, for each
%% listed F/A:
%%   F_nif/A  the NIF itself (a stub until the library is loaded, which
%%            runs the call on a worker if the module is isolated). It
%%            returns a bad argument as the value
%%            {'$cnif_badarg', Secret, ArgNo, Path, Reason}: call F/A
%%            instead;
%%   F/A      the wrapper that raises that report as error:badarg with
%%            EEP-54 error_info (see cnif_error).
-module(cnif_transform).
-export([parse_transform/2]).

parse_transform(Forms, _Options) ->
    case [{L, Nifs} || {attribute, L, cnif_nifs, Nifs} <- Forms] of
        [] ->
            Forms;
        [{Line, Nifs}] ->
            Module = hd([M || {attribute, _, module, M} <- Forms]),
            Lib = case [Lb || {attribute, _, cnif_lib, Lb} <- Forms] of
                      [Lb] -> Lb;
                      [] -> atom_to_list(Module)
                  end,
            Options = case [O || {attribute, _, cnif_load_options, O} <- Forms] of
                          [O] -> load_options(O, Line);
                          [] -> #{}
                      end,
            Isolated = case [I || {attribute, _, cnif_isolated, I} <- Forms] of
                           [I] -> isolated_options(I, Line);
                           [] -> undefined
                       end,
            check(Forms, Nifs, Line),
            insert(Forms, attributes(Forms, Nifs, Line),
                   functions(Module, Nifs, Lib, Options, Isolated, Line))
    end.

%% A listed function the module also defines, or a second on_load, would
%% silently lose one of the two definitions: refuse both.
check(Forms, Nifs, Line) ->
    Defined = [{F, A} || {function, _, F, A, _} <- Forms],
    case [FA || FA <- expand(Nifs), lists:member(FA, Defined)] of
        [] -> ok;
        Clash -> error({cnif_nifs_already_defined, Line, Clash})
    end,
    case [x || {attribute, _, on_load, _} <- Forms] of
        [] -> ok;
        _ -> error({cnif_nifs_with_on_load, Line})
    end.

expand(Nifs) ->
    lists:append([[{F, A}, {nif_name(F), A}] || {F, A} <- Nifs]).

nif_name(F) -> list_to_atom(atom_to_list(F) ++ "_nif").

%% Bad load options fail the compile, not the load.
load_options(Options, Line) ->
    try cnif:check_load_options(Options)
    catch error:{bad_load_options, Bad, Why} ->
        error({cnif_bad_load_options, Line, Bad, Why})
    end.

isolated_options(Options, Line) ->
    try cnif_isolated:check_options(Options)
    catch error:{bad_isolated_options, Bad, Why} ->
        error({cnif_bad_isolated_options, Line, Bad, Why})
    end.

%% Exports the wrappers and NIFs, except those the module already exports.
attributes(Forms, Nifs, Line) ->
    Exported = lists:append([Fs || {attribute, _, export, Fs} <- Forms]),
    [{attribute, Line, export, [{'$cnif_resources', 1} | expand(Nifs) -- Exported]},
     {attribute, Line, nifs, [{'$cnif_resources', 1} | [{nif_name(F), A} || {F, A} <- Nifs]]},
     {attribute, Line, on_load, {'$cnif_on_load', 0}}].

functions(Module, Nifs, Lib, Options, Isolated, Line) ->
    %% erlang:load_nif/2 must be called from the module itself. A load hook
    %% that fails sends its message to this process: erts itself only
    %% reports the hook's return code. An isolated module loads no library
    %% here (cnif_isolated).
    Source = [io_lib:format("'$cnif_on_load'() ->~n"
                            "    cnif_reporter:ensure_started(),~n"
                            "    case cnif_isolated:on_load(~tw, ~w) of~n"
                            "        in_process ->~n"
                            "            case cnif:priv_path(~tw, ~tp) of~n"
                            "                {ok, Path} ->~n"
                            "                    cnif:load_result(erlang:load_nif(cnif:load_path(Path), cnif:load_info(~tw, [], ~w)));~n"
                            "                Error -> Error~n"
                            "            end;~n"
                            "        Isolated -> Isolated~n"
                            "    end.~n", [Module, Isolated, Module, Lib, Module, Options])
              | ["%% Replaced by the library only in a worker of an isolated module\n"
                 "%% (cnif_worker): there, the resources a term holds.\n"
                 "'$cnif_resources'(_Term) -> [].\n"
                 | [wrapper(Module, F, A) || {F, A} <- Nifs]]],
    parse(lists:flatten(Source), Line).

%% The NIF returns a bad-argument report as a value (a tag test on the
%% result costs less than a try): the wrapper raises it as badarg with
%% error_info, if it carries the module's secret (see cnif:load_info/2);
%% a returned value of the same shape is just a value. Panics and raised
%% terms pass through as exceptions.
wrapper(Module, F, A) ->
    Args = string:join(["A" ++ integer_to_list(I) || I <- lists:seq(1, A)], ", "),
    Nif = list_to_atom(atom_to_list(nif_name(F))),
    io_lib:format(
      "~tw(~s) ->~n"
      "    case ~tw(~s) of~n"
      "        {'$cnif_badarg', Secret, ArgNo, Path, Reason} = Result ->~n"
      "            case cnif:is_report(~tw, Secret) of~n"
      "                true ->~n"
      "                    erlang:error(badarg, [~s],~n"
      "                                 [{error_info, #{module => cnif_error,~n"
      "                                                 cause => {ArgNo, Path, Reason}}}]);~n"
      "                false ->~n"
      "                    Result~n"
      "            end;~n"
      "        Result ->~n"
      "            Result~n"
      "    end.~n"
      "~tw(~s) -> cnif_isolated:call(~tw, ~tw, [~s]).~n",
      [F, Args, Nif, Args, Module, Args, Nif, Args, Module, Nif, Args]).

%% Generated source is parsed form by form (the preprocessor has already
%% run, so it names the module literally).
parse(Source, Line) ->
    {ok, Tokens, _} = erl_scan:string(Source, Line),
    split(Tokens, []).

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
