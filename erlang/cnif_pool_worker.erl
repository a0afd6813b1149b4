%% cnif_pool_worker -- one worker of an isolated module's pool, as seen from
%% the origin: the process that starts a worker BEAM behind a port
%% (cnif_worker runs there), passes it one call at a time, and watches it.
%%
%% It lives as long as its worker BEAM. When the worker dies (a signal, an
%% exit, the kill that ends a call past its timeout, or past max_memory)
%% it tells the caller whose call was running there, then exits with
%% {shutdown, #{reason := Why, calls := Served}}; the pool (cnif_pool)
%% starts the next one.
%%
%% A plain port, not peer's standard_io connection nor distribution:
%% bench/README.md has the round trips that decided it.
-module(cnif_pool_worker).
-export([start_link/5, init/6, worker_args/0]).

%% How long a worker may take to start and load its module.
-define(BOOT_TIMEOUT, 60000).
%% How long a worker that closed its output may take to exit.
-define(EXIT_TIMEOUT, 5000).
%% How often a slot taken with no call is looked for (reclaim/2).
-define(RECLAIM_INTERVAL, 500).
%% A request this large is collected as soon as it is written.
-define(LARGE, 1048576).
%% How often a worker's memory is read, when it has a max_memory.
-define(MEMORY_INTERVAL, 50).

-record(state, {pool, module, slot, slots, size, port, os_pid, timeout, max_memory,
                call = idle,          % idle | {Alias, Caller, TimerRef}
                callers = #{},        % the callers it monitors => true
                calls = 0}).          % calls served

%% Starts the worker for Slot of Pool, on Node (this node, or one that
%% `nodes` names). It tells the pool {ready, Slot, self(), Id} once the
%% module is loaded there. Slots is the pool's atomics, which only a
%% worker on the pool's own node can reach.
-spec start_link(node(), pid(), module(), pos_integer(), map()) -> pid().
start_link(Node, Pool, Module, Slot, Config) ->
    Slots = maps:get(slots, Config),
    proc_lib:spawn_link(Node, ?MODULE, init,
                        [Pool, Module, Slot, Slots, Config, code:get_path()]).

init(Pool, Module, Slot, Slots, Config, OriginPath) ->
    process_flag(trap_exit, true),
    Erl = filename:join([code:root_dir(), "bin", "erl"]),
    %% No core file: a worker that crashes is expected to.
    Port = open_port({spawn_executable, "/bin/sh"},
                     %% eof: the port stays open until the exit status
                     %% comes, which it may not if the end of the output
                     %% closes it first.
                     [{packet, 4}, binary, nouse_stdio, exit_status, eof,
                      %% CNIF_WORKER: the library adds '$cnif_resources'/1
                      %% (src/worker.c).
                      {env, [{"ERL_CRASH_DUMP_SECONDS", "0"}, {"CNIF_WORKER", "1"}]},
                      {args, ["-c", "ulimit -c 0; exec \"$0\" \"$@\"", Erl
                              | worker_args() ++ path_args(OriginPath)
                                ++ ["-s", "cnif_worker", "main"]]}]),
    {os_pid, OsPid} = erlang:port_info(Port, os_pid),
    State = #state{pool = Pool, module = Module, slot = Slot,
                   slots = case node(Pool) =:= node() of
                               true -> Slots;
                               false -> remote
                           end,
                   size = maps:get(workers, Config),
                   port = Port, os_pid = OsPid,
                   timeout = maps:get(timeout, Config),
                   max_memory = maps:get(max_memory, Config)},
    port_command(Port, term_to_binary({boot, Module, maps:get(secret, Config)})),
    Timer = erlang:start_timer(?BOOT_TIMEOUT, self(), boot),
    receive
        {Port, {data, Answer}} ->
            erlang:cancel_timer(Timer),
            case binary_to_term(Answer) of
                ready ->
                    Pool ! {ready, Slot, self(), id(State)},
                    watch_memory(State),
                    loop(reclaim(0, State));
                {load_failed, What} ->
                    stop(State, {load_failed, What})
            end;
        {Port, {exit_status, Status}} ->
            exit({shutdown, #{reason => {load_failed, status(Status)}, calls => 0}});
        {timeout, Timer, boot} ->
            stop(State, {load_failed, boot_timeout});
        {'EXIT', Pool, _} ->
            stop(State, shutdown)
    end.

%% The flags of a worker BEAM: no shell, no input, and two schedulers,
%% so that its port is still read while a call hangs on the other one.
-spec worker_args() -> [string()].
worker_args() ->
    ["-noshell", "-noinput", "+S", "2:2"].

%% The origin's code path, less OTP's own (the worker has those): the
%% module, cnif and whatever the module calls, in the origin's order.
%% Each -pa puts its directory before those already there: the last one
%% given comes first.
path_args(OriginPath) ->
    Root = code:root_dir(),
    lists:append([["-pa", Dir] || Dir <- lists:reverse(OriginPath),
                                  not lists:prefix(Root, Dir)]).

loop(#state{port = Port, call = Call} = State) ->
    receive
        {call, Alias, Caller, Request} when Call =:= idle ->
            port_command(Port, Request),
            %% The request is garbage now: a large one is not kept alive
            %% until this process happens to collect.
            byte_size(Request) < ?LARGE orelse erlang:garbage_collect(),
            loop(begin_call(Alias, Caller, State));
        {Port, {data, <<0, Outcome/binary>>}} ->
            loop(reply(Outcome, State));
        {Port, {data, <<1, Message/binary>>}} ->
            loop(forward(binary_to_term(Message), State));
        {timeout, Timer, call} when element(3, Call) =:= Timer ->
            stop(State, {timeout, State#state.timeout});
        {timeout, _, call} ->
            %% The timer of a call answered as it ran out.
            loop(State);
        {release, Key} ->
            port_command(Port, term_to_binary({release, Key})),
            loop(State);
        {reclaim, Seen} ->
            loop(reclaim(Seen, State));
        check_memory ->
            case rss(State#state.os_pid) of
                Bytes when Bytes > State#state.max_memory ->
                    stop(State, {max_memory, Bytes});
                _ ->
                    watch_memory(State),
                    loop(State)
            end;
        {'DOWN', _, process, Caller, _} ->
            port_command(Port, term_to_binary({caller_down, Caller})),
            loop(State#state{callers = maps:remove(Caller, State#state.callers)});
        {Port, {exit_status, Status}} ->
            gone(State, status(Status));
        {Port, eof} ->
            receive
                {Port, {exit_status, Status}} -> gone(State, status(Status))
            after ?EXIT_TIMEOUT ->
                stop(State, closed_its_output)
            end;
        {'EXIT', Port, Why} ->
            %% A write to a worker that just died fails, which closes the
            %% port before its exit status comes.
            kill(State),
            gone(State, {port_closed, Why});
        {'EXIT', _, Why} ->
            %% The pool stops, or the node of a remote pool went down.
            retire(State, {shutdown, Why})
    end.

%% A caller is monitored from its first call, so that the worker can
%% drop its proxy when it dies.
begin_call(Alias, Caller, #state{callers = Callers} = State) ->
    Callers1 = case Callers of
                   #{Caller := _} -> Callers;
                   #{} -> erlang:monitor(process, Caller), Callers#{Caller => true}
               end,
    State#state{call = {Alias, Caller, timer(State)}, callers = Callers1}.

%% The outcome goes to the caller as the worker encoded it.
reply(Outcome, #state{call = {Alias, _, Timer}} = State) ->
    cancel(Timer),
    %% The slot is free before the caller has its answer, so that the
    %% caller's next call finds it free (and a caller that died meanwhile
    %% cannot keep it).
    checkin(State),
    Alias ! {Alias, {outcome, Outcome}},
    State#state{call = idle, calls = State#state.calls + 1}.

forward({Caller, Message, Kept}, State) ->
    Caller ! cnif_handle:wrap(Message, Kept, {State#state.pool, self(), State#state.slot}, #{}),
    State.

%% A caller that takes the slot and dies before its call reaches this
%% process leaves the slot taken: a slot found taken while no call runs,
%% by the same calls served, a tick apart, is freed. Freeing one that a
%% caller is about to use is harmless: its call waits here for the one
%% before it.
reclaim(Seen, #state{slots = Slots, slot = Slot, call = idle, calls = Calls} = State)
  when Slots =/= remote ->
    Taken = atomics:get(Slots, Slot) =/= 0,
    case Taken andalso Seen =:= {taken, Calls} of
        true -> checkin(State);
        false -> ok
    end,
    erlang:send_after(?RECLAIM_INTERVAL, self(), {reclaim, case Taken of
                                                              true -> {taken, Calls};
                                                              false -> free
                                                          end}),
    State;
reclaim(_Seen, State) ->
    erlang:send_after(?RECLAIM_INTERVAL, self(), {reclaim, busy}),
    State.

checkin(#state{slots = remote, pool = Pool, slot = Slot}) ->
    Pool ! {checkin, Slot};
checkin(#state{slots = Slots, size = Size, pool = Pool, slot = Slot}) ->
    cnif_pool:checkin(Slots, Size, Slot, Pool).

timer(#state{timeout = infinity}) -> infinity;
timer(#state{timeout = Ms}) -> erlang:start_timer(Ms, self(), call).

cancel(infinity) -> ok;
cancel(Timer) -> erlang:cancel_timer(Timer, [{async, true}, {info, false}]).

watch_memory(#state{max_memory = infinity}) -> ok;
watch_memory(_) -> erlang:send_after(?MEMORY_INTERVAL, self(), check_memory).

%% The resident memory of an OS process, in bytes (0 once it is gone).
rss(OsPid) ->
    case file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/status") of
        {ok, Status} ->
            case re:run(Status, "VmRSS:\\s*(\\d+) kB", [{capture, all_but_first, list}]) of
                {match, [Kb]} -> list_to_integer(Kb) * 1024;
                nomatch -> 0
            end;
        {error, _} ->
            0
    end.

%% Kills the worker, waits until it is reaped (no zombie is left: erts
%% reaps it, and then sends its status or, if the port was closed by
%% then, nothing; its port is closed either way), and ends as gone/2
%% does, with Why as the reason.
stop(#state{port = Port} = State, Why) ->
    kill(State),
    receive
        {Port, {exit_status, _}} -> port_close(Port);
        {'EXIT', Port, _} -> ok
    end,
    gone(State, Why).

%% Ends a worker that is not at fault as stop/2 does, but lets it exit
%% by itself first, so that what the library does at exit (a file it
%% flushes, the counts of a coverage build) is done. A worker whose loop
%% cannot read the request in time is killed.
retire(#state{port = Port} = State, Why) ->
    try port_command(Port, term_to_binary(stop)) of
        true ->
            receive
                {Port, {exit_status, _}} -> gone(State, Why);
                {'EXIT', Port, _} -> stop(State, Why)
            after ?EXIT_TIMEOUT ->
                stop(State, Why)
            end
    catch
        error:badarg -> stop(State, Why)
    end.

kill(#state{os_pid = OsPid}) ->
    _ = os:cmd("kill -KILL " ++ integer_to_list(OsPid)),
    ok.

%% The worker is gone: its call fails with Why, and calls that reached
%% this process after it are told to try another worker.
gone(#state{call = Call, calls = Calls} = State, Why) ->
    case Call of
        {Alias, _, Timer} ->
            cancel(Timer),
            Alias ! {Alias, {failed, Why, id(State)}};
        idle ->
            ok
    end,
    retry_waiting(),
    exit({shutdown, #{reason => Why, calls => Calls}}).

retry_waiting() ->
    receive
        {call, Alias, _, _} -> Alias ! {Alias, retry}, retry_waiting()
    after 0 -> ok
    end.

%% How the caller's error names the worker.
id(#state{os_pid = OsPid}) -> {node(), OsPid}.

%% A port's exit status: 128 + N when signal N ended the worker.
status(Status) when Status > 128, Status < 160 -> {signal, signal_name(Status - 128)};
status(Status) -> {exit_status, Status}.

signal_name(4) -> ill;
signal_name(5) -> trap;
signal_name(6) -> abrt;
signal_name(7) -> bus;
signal_name(8) -> fpe;
signal_name(9) -> kill;
signal_name(11) -> segv;
signal_name(13) -> pipe;
signal_name(15) -> term;
signal_name(N) -> N.
