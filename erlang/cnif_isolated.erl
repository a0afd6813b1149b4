%% cnif_isolated -- isolated mode: a cnif module's calls run by a pool of
%% worker BEAMs (cnif_pool), each of which loads the same module and the
%% same NIF library in process, so that a crash, a hang or a leak costs a
%% worker and never this node (docs/isolation.md).
%%
%% An isolated module does not load its library here. Its NIF stubs, which
%% cnif_transform and `use Cnif` generate, call call/3 instead, which
%% raises {not_loaded, Module} as the stub did when the module is not
%% isolated.
-module(cnif_isolated).
-export([on_load/2, call/3, isolate/2, check_options/1, pool_of/1, workers/1]).
-export_type([options/0]).

-type options() :: #{workers => pos_integer(),
                     timeout => pos_integer() | infinity,
                     max_memory => pos_integer() | infinity,
                     nodes => [node(), ...]}.

-define(DEFAULTS, #{workers => 2, timeout => 5000, max_memory => infinity}).
%% How many times a call that no worker started is tried again, on
%% workers that die between taking the call and running it.
-define(RETRIES, 3).

%% What the on_load function of Module does: `in_process` (load the
%% library here) or the result of starting its pool. Own is the module's
%% -cnif_isolated attribute (or `use Cnif`'s option), undefined if none;
%% the operator's setting (isolate/2, or the cnif application's
%% environment key `isolated`, #{Module => Options | false}) wins. A
%% worker always loads in process.
-spec on_load(module(), options() | undefined) -> in_process | ok | {error, term()}.
on_load(Module, Own) ->
    case persistent_term:get(cnif_worker, false) of
        true ->
            in_process;
        false ->
            _ = application:load(cnif),
            Operator = maps:get(Module, application:get_env(cnif, isolated, #{}), undefined),
            case if Operator =:= undefined -> Own; true -> Operator end of
                Unset when Unset =:= undefined; Unset =:= false ->
                    stop_pool(Module),
                    in_process;
                Options ->
                    Checked = check_options(Options),
                    stop_pool(Module),
                    start_pool(Module, maps:merge(?DEFAULTS, Checked))
            end
    end.

start_pool(Module, Options) ->
    case application:ensure_all_started(cnif) of
        {ok, _} ->
            Config = Options#{nodes => maps:get(nodes, Options, [node()]),
                              secret => cnif:secret(Module)},
            case supervisor:start_child(cnif_pool_sup, [Module, Config]) of
                {ok, _} -> ok;
                {error, Why} -> {error, {cnif_pool_not_started, Why}}
            end;
        {error, Why} ->
            {error, {cnif_not_started, Why}}
    end.

%% The pool of the code of Module being replaced stops, and its workers
%% with it, before the new code runs: calls that are running fail.
stop_pool(Module) ->
    case pool_of(Module) of
        #{pid := Pid} ->
            persistent_term:erase({cnif_isolated, Module}),
            _ = supervisor:terminate_child(cnif_pool_sup, Pid),
            ok;
        undefined ->
            ok
    end.

%% The pool of an isolated Module, as its pool recorded it (cnif_pool), or
%% undefined.
-spec pool_of(module()) -> map() | undefined.
pool_of(Module) ->
    persistent_term:get({cnif_isolated, Module}, undefined).

%% Runs the NIF F of Module on a worker, with Args, and returns or raises
%% what it did, or raises why no worker could.
-spec call(module(), atom(), [term()]) -> term().
call(Module, F, Args) ->
    case persistent_term:get({cnif_isolated, Module}, undefined) of
        undefined ->
            erlang:nif_error({not_loaded, Module});
        Pool ->
            case local_argument(Args, 1) of
                none -> call(Pool, Module, F, Args, ?RETRIES);
                N -> error({nif_isolated_unsupported,
                            #{nif => nif(Module, F, Args), argument => N,
                              reason => <<"a pid or port cannot cross to a worker: "
                                          "there it would name a process of its own">>}})
            end
    end.

call(_Pool, Module, F, Args, -1) ->
    error({nif_unavailable, #{module => Module, nif => nif(Module, F, Args),
                              reason => workers_lost}});
call(#{handles := Handles} = Pool, Module, F, Args, Retries) ->
    {Sent, Where, Back} = case atomics:get(Handles, 1) of
                              0 -> {Args, none, #{}};
                              _ -> cnif_handle:unwrap(Args)
                          end,
    case checkout(Pool, Where) of
        {ok, Slot, Owner} ->
            Alias = monitor(process, Owner, [{alias, demonitor}]),
            %% Encoded here: a large request is then this process's garbage.
            Owner ! {call, Alias, self(), term_to_binary({call, self(), F, Sent})},
            receive
                {Alias, {outcome, Outcome}} ->
                    demonitor(Alias, [flush]),
                    case binary_to_term(Outcome) of
                        {value, Value, Kept} ->
                            Kept =:= [] orelse atomics:put(Handles, 1, 1),
                            cnif_handle:wrap(Value, Kept, {maps:get(pid, Pool), Owner, Slot}, Back);
                        Raised ->
                            outcome(Raised, Module, F, Args)
                    end;
                {Alias, retry} ->
                    demonitor(Alias, [flush]),
                    call(Pool, Module, F, Args, Retries - 1);
                {Alias, Failed} ->
                    demonitor(Alias, [flush]),
                    outcome(Failed, Module, F, Args);
                {'DOWN', Alias, process, _, noconnection} ->
                    error({nif_crashed, #{worker => {node(Owner), undefined},
                                          nif => nif(Module, F, Args),
                                          reason => {nodedown, node(Owner)}}});
                {'DOWN', Alias, process, _, _} ->
                    %% The worker's process was gone before it took the
                    %% call: the call never ran.
                    call(Pool, Module, F, Args, Retries - 1)
            end;
        {unavailable, Why} ->
            error({nif_unavailable, #{module => Module, nif => nif(Module, F, Args),
                                      reason => Why}});
        {stale, Workers} ->
            error({nif_stale_resource, #{nif => nif(Module, F, Args), workers => Workers}})
    end.

%% The first of Args that holds a pid or a port, or none.
local_argument([], _N) ->
    none;
local_argument([Arg | Args], N) ->
    case holds_local(Arg) of
        true -> N;
        false -> local_argument(Args, N + 1)
    end.

holds_local(Term) when is_pid(Term); is_port(Term) ->
    true;
holds_local([H | T]) ->
    holds_local(H) orelse holds_local(T);
holds_local(Tuple) when is_tuple(Tuple) ->
    holds_local_elements(Tuple, tuple_size(Tuple));
holds_local(Map) when is_map(Map) ->
    holds_local(maps:to_list(Map));
holds_local(_) ->
    false.

holds_local_elements(_Tuple, 0) -> false;
holds_local_elements(Tuple, I) ->
    holds_local(element(I, Tuple)) orelse holds_local_elements(Tuple, I - 1).

%% A worker for a call: any, or the one that holds the resources of its
%% arguments, if it still runs.
checkout(Pool, none) ->
    cnif_pool:checkout(Pool);
checkout(_Pool, {apart, Workers}) ->
    {stale, Workers};
checkout(Pool, {Worker, _Slot} = Where) ->
    case cnif_pool:checkout(Pool, Where) of
        stale -> {stale, [Worker]};
        Taken -> Taken
    end.

outcome({raised, Class, Reason}, _Module, _F, _Args) ->
    erlang:raise(Class, Reason, []);
outcome({failed, {timeout, Ms}, Worker}, Module, F, Args) ->
    error({nif_timeout, #{worker => Worker, nif => nif(Module, F, Args), timeout => Ms}});
outcome({failed, Why, Worker}, Module, F, Args) ->
    error({nif_crashed, #{worker => Worker, nif => nif(Module, F, Args), reason => Why}}).

%% The NIF as the caller knows it: add/2 for the stub add_nif/2.
nif(Module, F, Args) ->
    Name = atom_to_list(F),
    {Module, list_to_atom(lists:sublist(Name, length(Name) - length("_nif"))), length(Args)}.

%% Makes Module isolated with Options (false: in process again), as the
%% operator: this wins over the module's own -cnif_isolated. A loaded
%% Module is loaded again, so that it takes effect now; a module whose old
%% code is still running cannot be, and {error, not_purged} says so.
-spec isolate(module(), options() | false) -> ok | {error, term()}.
isolate(Module, Options) when is_atom(Module) ->
    Checked = case Options of
                  false -> false;
                  _ -> check_options(Options)
              end,
    _ = application:load(cnif),
    All = application:get_env(cnif, isolated, #{}),
    ok = application:set_env(cnif, isolated, All#{Module => Checked}),
    case erlang:module_loaded(Module) of
        false ->
            ok;
        true ->
            _ = code:soft_purge(Module),
            case code:load_file(Module) of
                {module, Module} -> ok;
                {error, _} = Error -> Error
            end
    end.

%% Options if they are isolation options, else error
%% {bad_isolated_options, Bad, Why}, Bad in the order of the keys (as the
%% map's own order is not, from OTP 26 on).
-spec check_options(term()) -> options().
check_options(Options) when is_map(Options) ->
    case [{K, V} || {K, V} <- lists:sort(maps:to_list(Options)), not valid(K, V)] of
        [] -> Options;
        Bad -> error({bad_isolated_options, Bad,
                      "the isolated options are workers (a positive integer), timeout and "
                      "max_memory (a positive integer or infinity) and nodes (a list of nodes)"})
    end;
check_options(Options) ->
    error({bad_isolated_options, Options, "the isolated options are a map"}).

valid(workers, N) -> is_integer(N) andalso N > 0;
valid(timeout, T) -> T =:= infinity orelse is_integer(T) andalso T > 0;
valid(max_memory, M) -> M =:= infinity orelse is_integer(M) andalso M > 0;
valid(nodes, [_ | _] = Nodes) -> lists:all(fun is_atom/1, Nodes);
valid(_, _) -> false.

%% The workers of an isolated Module that are running: {Slot, Node, OsPid},
%% in slot order.
-spec workers(module()) -> [{pos_integer(), node(), non_neg_integer()}].
workers(Module) ->
    case pool_of(Module) of
        #{pid := Pid} -> cnif_pool:workers(Pid);
        undefined -> []
    end.
