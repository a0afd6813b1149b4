%% cnif -- finding a cnif NIF library, and the result of loading it. The
%% loading itself happens in the on_load function cnif_transform (or
%% `use Cnif`) generates, since erlang:load_nif/2 must be called from the
%% module the library belongs to. (cnif_transform spells load_result/1 out
%% in the code it generates: the line numbers of its generated wrappers,
%% which stack traces show, follow from that code's length.)
-module(cnif).
-export([priv_path/2, load_result/1, load_info/2, is_report/2]).

%% The path (without extension, as erlang:load_nif/2 wants it) of the
%% library Lib for Module: in the priv/ directory next to the module's
%% ebin/ directory, else beside the .beam file itself.
%%
%% The .beam is looked up in the code path first: while a new version's
%% on_load runs, code:which/1 still names the old version's file, whose
%% library is the one being replaced.
-spec priv_path(module(), string() | atom()) -> {ok, string()} | {error, term()}.
priv_path(Module, Lib) when is_atom(Lib) ->
    priv_path(Module, atom_to_list(Lib));
priv_path(Module, Lib) ->
    case beam_file(Module) of
        Beam when is_list(Beam) ->
            Ebin = filename:dirname(Beam),
            Candidates = [filename:join([Ebin, "..", "priv", Lib]),
                          filename:join(Ebin, Lib)],
            case [C || C <- Candidates, filelib:is_regular(C ++ ".so")] of
                [Path | _] -> {ok, Path};
                [] -> {error, {cnif_library_not_found, Lib, Candidates}}
            end;
        Other ->
            {error, {cnif_module_not_found, Module, Other}}
    end.

beam_file(Module) ->
    case code:where_is_file(atom_to_list(Module) ++ ".beam") of
        non_existing -> code:which(Module);
        Beam -> Beam
    end.

%% What erlang:load_nif/2 returned, with the message a failed load or
%% upgrade hook sent to this process in place of erts's text, which only
%% gives the hook's return code.
-spec load_result(ok | {error, {atom(), string()}}) ->
          ok | {error, {atom(), string()}}.
load_result(ok) ->
    ok;
load_result({error, {Reason, _Text}} = Error) ->
    receive
        %% undefined if the VM could not make the text: erts's stands.
        {'$cnif_load_failed', Message} when is_binary(Message) ->
            {error, {Reason, binary_to_list(Message)}};
        {'$cnif_load_failed', _} ->
            Error
    after 0 ->
        Error
    end.

%% The load info a cnif library is loaded with: UserInfo for its load or
%% upgrade hook, and the module's secret. A NIF returns a bad-argument
%% report as the value {'$cnif_badarg', Secret, ArgNo, Path, Reason}, and
%% the generated wrapper raises only a report that carries the secret, so
%% no value a NIF returns (a caller's own data, say) can pass for one.
%% The secret is made once per module and node and kept across reloads:
%% old and new code of the module share it.
-spec load_info(module(), term()) -> {'$cnif_load', non_neg_integer(), term()}.
load_info(Module, UserInfo) ->
    Key = {cnif_secret, Module},
    Secret = case persistent_term:get(Key, undefined) of
                 undefined ->
                     %% A small integer: a report carries it without a copy.
                     S = rand:uniform(1 bsl 59) - 1,
                     persistent_term:put(Key, S),
                     S;
                 S ->
                     S
             end,
    {'$cnif_load', Secret, UserInfo}.

%% Whether Secret is Module's: the value a NIF of Module returned is then a
%% bad-argument report of cnif's, not a value that looks like one.
-spec is_report(module(), term()) -> boolean().
is_report(Module, Secret) ->
    persistent_term:get({cnif_secret, Module}, undefined) =:= Secret.
