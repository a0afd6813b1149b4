%% cnif -- finding a cnif NIF library, and the result of loading it. The
%% loading itself happens in the on_load function cnif_transform (or
%% `use Cnif`) generates, since erlang:load_nif/2 must be called from the
%% module the library belongs to.
-module(cnif).
-export([priv_path/2, load_path/1, load_result/1, load_info/2, load_info/3, load_info/4,
         set_load_options/2, check_load_options/1, isolate/2, secret/1]).
-export_type([load_options/0]).

-include_lib("kernel/include/file.hrl").

-type load_options() :: #{fault_barrier => boolean(), quarantine => boolean()}.
-type load_info() :: {'$cnif_load', non_neg_integer(), term()}
                   | {'$cnif_load', non_neg_integer(), term(), load_options()}
                   | {'$cnif_load', non_neg_integer(), term(), load_options(),
                      [{atom(), arity()}]}.

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

%% What to hand erlang:load_nif/2 for the library at Path (no extension):
%% Path itself, unless a library loaded from Path before, in this VM, is
%% not the file there now, because it has been built again since (c/1,
%% r3:compile(), recompile in IEx). dlopen gives back the library already
%% loaded from a path, which the module's old code still holds, so the old
%% C code would run on: the new file is copied under a path of its own,
%% in a directory of this VM's under TMPDIR, and loaded from there. The
%% copy stays there: a fault report reads function names from it.
-spec load_path(string()) -> string().
load_path(Path) ->
    So = Path ++ ".so",
    Key = {?MODULE, library, filename:absname(So)},
    Known = persistent_term:get(Key, undefined),
    case {stat(So), Known} of
        {missing, _} ->
            Path; % for erlang:load_nif/2 to report
        {{Stat, _}, {Stat, true, _, Loaded}} ->
            Loaded;
        {{Stat, Settled}, _} ->
            Digest = digest(So),
            Loaded = case Known of
                         {_, _, Digest, Same} -> Same;
                         undefined -> Path;
                         _Rebuilt -> copy(So, Path)
                     end,
            remember(Key, Known, {Stat, Settled, Digest, Loaded}),
            Loaded
    end.

%% What the library at a path is, cheaply: its device, inode, size and
%% modification second, and whether that second had passed when they were
%% read. A changed file whose stat is the same cannot be told apart by
%% the stat alone: once the VM maps a copy, a rebuild can reuse the
%% unlinked file's inode, with the same size, within the same second
%% (seen in reload_tests). It can be only if the file was written in the
%% second the stat was read or later, though: a stat read a second after
%% the file's modification stands for the file until the stat changes.
%% Until then the bytes decide (digest/1). A reload then costs a stat,
%% not a read and a digest of the whole library (3 ms for 370 kB).
stat(File) ->
    case file:read_file_info(File, [{time, posix}]) of
        {ok, #file_info{major_device = Dev, inode = Inode, size = Size, mtime = Mtime}} ->
            {{Dev, Inode, Size, Mtime}, Mtime < os:system_time(second)};
        {error, _} ->
            missing
    end.

%% The bytes' digest: equal bytes are the same library, so the copy
%% already loaded is right for them.
digest(File) ->
    case file:read_file(File) of
        {ok, Bytes} -> erlang:md5(Bytes);
        {error, _} -> missing % gone since its stat: load_nif reports it
    end.

%% Path's library under a path of its own, for dlopen to load anew.
copy(So, Path) ->
    Copy = filename:join([os:getenv("TMPDIR", "/tmp"), "cnif-" ++ os:getpid(),
                          integer_to_list(erlang:unique_integer([positive])),
                          filename:basename(Path)]),
    ok = filelib:ensure_dir(Copy),
    {ok, _} = file:copy(So, Copy ++ ".so"),
    Copy.

%% A persistent term is put only when it changes: each put makes every
%% process scan for the old value.
remember(_Key, Same, Same) -> ok;
remember(Key, _, New) -> persistent_term:put(Key, New).

beam_file(Module) ->
    case code:where_is_file(atom_to_list(Module) ++ ".beam") of
        non_existing -> code:which(Module);
        Beam -> Beam
    end.

%% What erlang:load_nif/2 returned, with the message a failed load or
%% upgrade hook sent to this process in place of erts's text, which only
%% gives the hook's return code. A NIF the library exports that the
%% module does not declare is named as the module's caller knows it: erts
%% names the stub F_nif/A.
-spec load_result(ok | {error, {atom(), string()}}) ->
          ok | {error, {atom(), string()}}.
load_result(ok) ->
    ok;
load_result({error, {bad_lib, Text}} = Error) ->
    case re:run(Text, "^Function not found (.+):(.+)_nif/([0-9]+)$",
                [unicode, {capture, all_but_first, list}]) of
        {match, [Module, F, A]} ->
            {error, {bad_lib, lists:flatten(
                                io_lib:format("cnif: the library exports ~ts/~s, which ~ts does not "
                                              "declare: add ~ts/~s to -cnif_nifs (or a defnif)",
                                              [F, A, Module, F, A]))}};
        nomatch ->
            Error
    end;
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

%% The load info a cnif library is loaded with, with no load options of
%% the module's own.
-spec load_info(module(), term()) -> load_info().
load_info(Module, UserInfo) ->
    load_info(Module, UserInfo, #{}).

%% The load info a cnif library is loaded with: UserInfo for its load or
%% upgrade hook, the load options, and the module's secret.
%%
%% The load options are the module's own (Options: the -cnif_load_options
%% attribute, or `use Cnif`'s), over the C library's defaults
%% (CNIF_MODULE_WITH), under the operator's: the cnif application's
%% environment key load_options, #{Module => Options}, which sys.config or
%% set_load_options/2 sets, so that a library in production can have its
%% fault barrier turned on without a rebuild (docs/faults.md).
%%
%% The secret: a NIF returns a bad-argument report as the value
%% {'$cnif_badarg', Secret, ArgNo, Path, Reason}, and the generated wrapper
%% raises only a report that carries the secret, so no value a NIF returns
%% (a caller's own data, say) can pass for one.
%% The secret is made once per module and node and kept across reloads:
%% old and new code of the module share it.
-spec load_info(module(), term(), load_options()) -> load_info().
load_info(Module, UserInfo, Options) ->
    case load_options(Module, Options) of
        %% The form a library built before load options understands.
        Merged when map_size(Merged) =:= 0 -> {'$cnif_load', secret(Module), UserInfo};
        Merged -> {'$cnif_load', secret(Module), UserInfo, Merged}
    end.

%% The same, with the functions the module declares as NIFs (the wrappers
%% of -cnif_nifs, or defnif): the load fails, naming the first one the
%% library does not export, rather than the call later.
-spec load_info(module(), term(), load_options(), [{atom(), arity()}]) -> load_info().
load_info(Module, UserInfo, Options, Declared) ->
    {'$cnif_load', secret(Module), UserInfo, load_options(Module, Options), Declared}.

load_options(Module, Options) ->
    %% sys.config's environment reaches an application only once it is
    %% loaded, which nothing else may have done yet.
    _ = application:load(cnif),
    Operator = maps:get(Module, application:get_env(cnif, load_options, #{}), #{}),
    %% In a worker of an isolated module a fault ends the worker, which is
    %% replaced: the barrier would leave a quarantined library in it.
    Worker = case persistent_term:get(cnif_worker, false) of
                 true -> #{fault_barrier => false};
                 false -> #{}
             end,
    maps:merge(maps:merge(check_load_options(Options), check_load_options(Operator)), Worker).

%% Module's secret, which its bad-argument reports carry (a worker of an
%% isolated module is given the origin's). The wrappers cnif_transform and
%% `use Cnif` generate read it from the persistent term {cnif_secret,
%% Module} themselves.
-spec secret(module()) -> non_neg_integer().
secret(Module) ->
    Key = {cnif_secret, Module},
    case persistent_term:get(Key, undefined) of
        undefined ->
            %% A small integer (a report carries it without a copy), never
            %% 0: the library's mark of having no wrapper (badarg.c).
            Secret = rand:uniform((1 bsl 59) - 1),
            persistent_term:put(Key, Secret),
            Secret;
        Secret ->
            Secret
    end.

%% Set the load options of Module for the operator: they win over the
%% module's own, and apply from the next load of Module (a code upgrade,
%% or a purge and load). #{} drops them.
-spec set_load_options(module(), load_options()) -> ok.
set_load_options(Module, Options) when is_atom(Module) ->
    All = application:get_env(cnif, load_options, #{}),
    application:set_env(cnif, load_options, All#{Module => check_load_options(Options)}).

%% Runs Module's calls in a pool of worker BEAMs from now on, with Options
%% (false: in process again); see cnif_isolated:isolate/2 and
%% docs/isolation.md.
-spec isolate(module(), cnif_isolated:options() | false) -> ok | {error, term()}.
isolate(Module, Options) ->
    cnif_isolated:isolate(Module, Options).

%% Options if they are load options, else error {bad_load_options, ...},
%% the bad ones in the order of their keys.
-spec check_load_options(term()) -> load_options().
check_load_options(Options) when is_map(Options) ->
    case [{K, V} || {K, V} <- lists:sort(maps:to_list(Options)),
                    not lists:member(K, [fault_barrier, quarantine]) orelse not is_boolean(V)] of
        [] -> Options;
        Bad -> error({bad_load_options, Bad,
                      "the load options are fault_barrier and quarantine, each a boolean"})
    end;
check_load_options(Options) ->
    error({bad_load_options, Options, "the load options are a map"}).
