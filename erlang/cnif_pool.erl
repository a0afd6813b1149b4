%% cnif_pool -- the pool of worker BEAMs that runs an isolated module's
%% calls (cnif_isolated), one call per worker at a time, so that a crash
%% or a hang costs the call that caused it and no other.
%%
%% Callers take a free worker themselves, with one compare-and-swap on the
%% pool's atomics (slot I: 0 free, 1 busy, 2 down); the worker's process
%% (cnif_pool_worker) frees it when the call is answered. Only a caller
%% that finds none free asks this process, which answers `retry` when one
%% may be free and queues it otherwise. The last counter of the atomics
%% counts such callers, so that a worker that frees its slot wakes the pool
%% only when someone waits. The pool never takes a slot on a caller's
%% behalf: a caller that died between the answer and its call cannot keep
%% a worker.
%%
%% Workers start with the first call. A dead worker is replaced at once
%% if it had served a call, else after a backoff that doubles with each
%% worker in a row that died without serving one; after ?MAX_FAILURES of
%% those the module is unavailable (calls raise nif_unavailable, with the
%% last reason) until a worker started after ?COOLDOWN ms boots again.
%% This process replaces workers itself because an OTP supervisor restarts
%% without a backoff and gives up for good; the pools themselves are
%% supervised (cnif_pool_sup).
-module(cnif_pool).
-behaviour(gen_server).
-export([start_link/2, checkout/1, checkout/2, checkin/4, workers/1]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2, terminate/2]).

-define(MAX_FAILURES, 5).
-define(FIRST_BACKOFF, 50).
-define(COOLDOWN, 5000).
%% How often the pool checks that its module is still loaded.
-define(WATCH_INTERVAL, 500).

-define(FREE, 0).
-define(BUSY, 1).
-define(DOWN, 2).

-record(state, {module, config, slots, table, size,
                owners = #{},          % worker process => slot
                started = false,
                waiting = queue:new(),
                failures = 0,
                unavailable = false}). % false | Reason

-spec start_link(module(), map()) -> {ok, pid()}.
start_link(Module, Config) ->
    gen_server:start_link(?MODULE, {Module, Config}, []).

%% A free slot of the pool Pool (cnif_isolated's record of it), taken by
%% this caller: {ok, Slot, WorkerProcess} or {unavailable, Reason}.
-spec checkout(map()) -> {ok, pos_integer(), pid()} | {unavailable, term()}.
checkout(#{slots := Slots, size := Size} = Pool) ->
    case take(Slots, Size) of
        none -> wait(Pool, any, fun checkout/1);
        Slot -> owner(Pool, Slot)
    end.

%% Slot, taken by this caller if Worker still runs there (the worker that
%% holds the resources of a call's arguments): {ok, Slot, Worker}, or
%% stale once Worker is gone.
-spec checkout(map(), {pid(), pos_integer()}) -> {ok, pos_integer(), pid()} | stale.
checkout(#{slots := Slots, size := Size, pid := Pid} = Pool, {Worker, Slot} = Where) ->
    case atomics:compare_exchange(Slots, Slot, ?FREE, ?BUSY) of
        ok ->
            case owner(Pool, Slot) of
                {ok, Slot, Worker} = Taken -> Taken;
                _ -> checkin(Slots, Size, Slot, Pid), stale
            end;
        ?BUSY ->
            wait(Pool, Slot, fun(P) -> checkout(P, Where) end);
        ?DOWN ->
            stale
    end.

%% Waits for Slot (or any slot) to be freed, then calls Retry: see the
%% module's comment.
wait(#{slots := Slots, size := Size, pid := Pid} = Pool, Slot, Retry) ->
    Waiting = Size + 1,
    atomics:add(Slots, Waiting, 1),
    Answer = case Slot of
                 any ->
                     case take(Slots, Size) of
                         none -> gen_server:call(Pid, {checkout, any}, infinity);
                         Taken -> {taken, Taken}
                     end;
                 _ ->
                     case atomics:get(Slots, Slot) of
                         ?FREE -> retry;
                         _ -> gen_server:call(Pid, {checkout, Slot}, infinity)
                     end
             end,
    atomics:sub(Slots, Waiting, 1),
    case Answer of
        {taken, Free} -> owner(Pool, Free);
        retry -> Retry(Pool);
        {unavailable, _} = Unavailable -> Unavailable
    end.

owner(#{table := Table}, Slot) ->
    [{Slot, Owner, _Id}] = ets:lookup(Table, Slot),
    {ok, Slot, Owner}.

%% The first free slot, from the one this caller took last: the calls of
%% one process go to one worker while it is free, so that the resources
%% they make can be used together (a call's resources must all be of one
%% worker). A caller's first try depends on its scheduler, so that
%% callers spread.
take(Slots, Size) ->
    Start = case get({cnif_slot, Slots}) of
                undefined -> erlang:system_info(scheduler_id);
                Last -> Last - 1
            end,
    case take(Slots, Size, Start, Size) of
        none -> none;
        Slot -> put({cnif_slot, Slots}, Slot), Slot
    end.

take(_Slots, _Size, _I, 0) ->
    none;
take(Slots, Size, I, Left) ->
    Slot = I rem Size + 1,
    case atomics:compare_exchange(Slots, Slot, ?FREE, ?BUSY) of
        ok -> Slot;
        _ -> take(Slots, Size, I + 1, Left - 1)
    end.

%% Frees Slot of a pool of Size slots (its worker has answered), and wakes
%% the pool if a caller waits for one.
-spec checkin(atomics:atomics_ref(), pos_integer(), pos_integer(), pid()) -> ok.
checkin(Slots, Size, Slot, Pool) ->
    atomics:put(Slots, Slot, ?FREE),
    case atomics:get(Slots, Size + 1) > 0 of
        true -> Pool ! wake, ok;
        false -> ok
    end.

%% The pool's workers, as {Slot, Node, OsPid} in slot order: for operators
%% and tests.
-spec workers(pid()) -> [{pos_integer(), node(), non_neg_integer()}].
workers(Pid) ->
    gen_server:call(Pid, workers).

%% The pool records itself where its module's stubs find it: a new pool
%% of the module replaces the record, and the old one then stops.
init({Module, Config}) ->
    process_flag(trap_exit, true),
    Size = maps:get(workers, Config),
    %% One counter per slot, and the last one of waiting callers.
    Slots = atomics:new(Size + 1, []),
    [atomics:put(Slots, I, ?DOWN) || I <- lists:seq(1, Size)],
    Table = ets:new(cnif_pool, [protected, {read_concurrency, true}]),
    %% handles: 1 once a call has returned a resource (cnif_handle), so
    %% that until then no call looks for handles in its arguments.
    persistent_term:put({cnif_isolated, Module},
                        #{pid => self(), slots => Slots, size => Size, table => Table,
                          handles => atomics:new(1, [])}),
    erlang:send_after(?WATCH_INTERVAL, self(), watch),
    {ok, #state{module = Module, config = Config#{slots => Slots}, slots = Slots,
                table = Table, size = Size}}.

handle_call({checkout, any}, _From, #state{unavailable = Why} = State) when Why =/= false ->
    {reply, {unavailable, Why}, State};
handle_call({checkout, Slot}, From, State) ->
    State1 = start_all(State),
    case free(State1) of
        Free when Slot =:= any, Free =/= [] -> {reply, retry, State1};
        Free -> case lists:member(Slot, Free) of
                    true -> {reply, retry, State1};
                    false -> {noreply, State1#state{waiting = queue:in({From, Slot}, State1#state.waiting)}}
                end
    end;
handle_call(workers, _From, #state{owners = Owners, table = Table} = State) ->
    %% Sorted: a set table's order is its hash's, which OTP releases change.
    {reply, lists:sort([{Slot, node(Owner), OsPid}
                        || {Slot, Owner, {_, OsPid}} <- ets:tab2list(Table),
                           maps:is_key(Owner, Owners)]), State}.

handle_cast(_Request, State) ->
    {noreply, State}.

handle_info({'$cnif_release', Worker, Key}, #state{owners = Owners} = State) ->
    %% A handle to a resource of Worker was garbage collected.
    [Worker ! {release, Key} || maps:is_key(Worker, Owners)],
    {noreply, State};
handle_info(wake, State) ->
    {noreply, serve(State)};
handle_info({checkin, Slot}, #state{slots = Slots} = State) ->
    atomics:put(Slots, Slot, ?FREE),
    {noreply, serve(State)};
handle_info({ready, Slot, Owner, Id}, #state{slots = Slots, table = Table} = State) ->
    ets:insert(Table, {Slot, Owner, Id}),
    atomics:put(Slots, Slot, ?FREE),
    State1 = case State#state.unavailable of
                 false -> State;
                 _ -> start_all(State#state{unavailable = false, failures = 0})
             end,
    {noreply, serve(State1)};
handle_info({start, Slot}, State) ->
    {noreply, start(Slot, State)};
handle_info({'EXIT', Owner, Why}, #state{owners = Owners} = State) ->
    case maps:take(Owner, Owners) of
        {Slot, Owners1} -> {noreply, replace(Slot, Why, State#state{owners = Owners1})};
        error -> {stop, Why, State}          % the supervisor
    end;
handle_info(watch, #state{module = Module} = State) ->
    case erlang:module_loaded(Module) andalso cnif_isolated:pool_of(Module) of
        #{pid := Pid} when Pid =:= self() ->
            erlang:send_after(?WATCH_INTERVAL, self(), watch),
            %% A caller told to retry that died before it did leaves a
            %% free slot that no queued caller heard of.
            {noreply, serve(State)};
        _ ->
            %% The module was deleted, or loaded again with a pool of its
            %% own, or in process.
            {stop, normal, State}
    end;
handle_info(_Other, State) ->
    {noreply, State}.

%% Every worker is killed and reaped before the pool is gone.
terminate(_Why, #state{module = Module, owners = Owners}) ->
    Self = self(),
    case cnif_isolated:pool_of(Module) of
        #{pid := Self} -> persistent_term:erase({cnif_isolated, Module});
        _ -> ok
    end,
    [exit(Owner, shutdown) || Owner <- maps:keys(Owners)],
    [receive {'EXIT', Owner, _} -> ok end || Owner <- maps:keys(Owners)],
    ok.

start_all(#state{started = true} = State) ->
    State;
start_all(#state{size = Size} = State) ->
    lists:foldl(fun start/2, State#state{started = true}, lists:seq(1, Size)).

start(Slot, #state{module = Module, config = Config, owners = Owners} = State) ->
    Nodes = maps:get(nodes, Config),
    Node = lists:nth((Slot - 1) rem length(Nodes) + 1, Nodes),
    Owner = cnif_pool_worker:start_link(Node, self(), Module, Slot, Config),
    State#state{owners = Owners#{Owner => Slot}}.

replace(Slot, {shutdown, #{reason := Why, calls := Calls}}, State) ->
    replace(Slot, Why, Calls, State);
replace(Slot, Why, State) ->
    replace(Slot, Why, 0, State).

replace(Slot, Why, Calls, #state{slots = Slots} = State) ->
    atomics:put(Slots, Slot, ?DOWN),
    Failures = case Calls of
                   0 -> State#state.failures + 1;
                   _ -> 1
               end,
    State1 = State#state{failures = Failures},
    if
        Failures =< 1 ->
            start(Slot, State1);
        Failures < ?MAX_FAILURES ->
            erlang:send_after(?FIRST_BACKOFF bsl (Failures - 2), self(), {start, Slot}),
            State1;
        true ->
            erlang:send_after(?COOLDOWN, self(), {start, Slot}),
            unavailable(State1#state{unavailable = Why})
    end.

%% Every waiting caller gets the news: none of them would be served soon.
unavailable(#state{waiting = Waiting, unavailable = Why} = State) ->
    [gen_server:reply(From, {unavailable, Why}) || {From, _} <- queue:to_list(Waiting)],
    State#state{waiting = queue:new()}.

%% The waiting callers that a free slot can serve try again: as many as
%% there are free slots of those that take any, and those that wait for
%% a slot of their own that is free.
serve(#state{waiting = Waiting} = State) ->
    Free = free(State),
    {_, Left} = lists:foldl(
                       fun({From, any}, {N, Keep}) when N > 0 ->
                               gen_server:reply(From, retry), {N - 1, Keep};
                          ({From, Slot} = W, {N, Keep}) when is_integer(Slot) ->
                               case lists:member(Slot, Free) of
                                   true -> gen_server:reply(From, retry), {N, Keep};
                                   false -> {N, [W | Keep]}
                               end;
                          (W, {N, Keep}) ->
                               {N, [W | Keep]}
                       end, {length(Free), []}, queue:to_list(Waiting)),
    State#state{waiting = queue:from_list(lists:reverse(Left))}.

free(#state{slots = Slots, size = Size}) ->
    [I || I <- lists:seq(1, Size), atomics:get(Slots, I) =:= ?FREE].
