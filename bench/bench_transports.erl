%% bench_transports -- the round trip of the transports isolated mode could
%% use to reach a worker BEAM, in a BEAM of its own that starts
%% distribution (see bench.mk and README.md). One group, interleaved like
%% the others, each variant a call of I + 1 or its echo:
%%
%%   c_port_echo      port_echo (C), as in bench_isolated: the floor
%%   beam_port_echo   a plain port to a BEAM that echoes (bench_echo)
%%   peer_call        peer:call/4 to a peer over its standard_io connection
%%   erpc             erpc:call/4 to a peer over loopback distribution
%%   dist_message     a message to a process on that peer, and its answer
%%
%% Every peer BEAM gets a worker's flags (cnif_pool_worker:worker_args/0).
%% epmd is started if it is not running, and stopped at the end if it was
%% started here.
%%
%% main(Path) writes the results to Path (term_to_binary of a list of
%% maps); bench:main/0 prints them with the other results.
-module(bench_transports).
-export([main/1, echo/0]).

main(Path) ->
    Rounds = bench:rounds(),
    io:format("transports: ~b rounds (+1 warm-up), the origin distributed~n", [Rounds]),
    Started = ensure_epmd(),
    try
        {ok, _} = net_kernel:start(list_to_atom("cnif_bench_" ++ os:getpid()),
                                   #{name_domain => shortnames}),
        Times = bench:group(Rounds, 5, [], variants()),
        %% The peers stop with the group's process; epmd can be stopped
        %% only when no node is left in it.
        wait_nodes_gone(100),
        ok = net_kernel:stop(),
        Rows = [(bench:row(atom_to_list(V), Times, V, c_port_echo, none))#{unit => us}
                || V <- [c_port_echo, beam_port_echo, peer_call, erpc, dist_message]],
        ok = file:write_file(Path, term_to_binary(Rows))
    after
        Started andalso os:cmd(epmd() ++ " -kill")
    end.

wait_nodes_gone(0) ->
    error({peers_left, nodes()});
wait_nodes_gone(N) ->
    case nodes() of
        [] -> ok;
        _ -> timer:sleep(100), wait_nodes_gone(N - 1)
    end.

%% true if epmd was started here.
ensure_epmd() ->
    case erl_epmd:names() of
        {ok, _} ->
            false;
        {error, _} ->
            _ = os:cmd(epmd() ++ " -daemon"),
            wait_epmd(50),
            true
    end.

wait_epmd(0) ->
    error(epmd_not_started);
wait_epmd(N) ->
    case erl_epmd:names() of
        {ok, _} -> ok;
        {error, _} -> timer:sleep(100), wait_epmd(N - 1)
    end.

epmd() ->
    filename:join([code:root_dir(), "bin", "epmd"]).

%% The peers are started by Setup in the group's process, and go down
%% with it (peer:start_link/1).
variants() ->
    Args = cnif_pool_worker:worker_args() -- ["-noshell", "-noinput"],
    Ebin = filename:dirname(code:which(?MODULE)),
    Slice = fun(Call) -> fun(State) -> bench_isolated:slice(fun(I) -> Call(State, I) end) end end,
    [{c_port_echo, fun bench_isolated:echo_port/0, Slice(fun bench_isolated:port_roundtrip/2)},
     {beam_port_echo, fun bench_isolated:beam_echo_port/0,
      Slice(fun bench_isolated:port_roundtrip/2)},
     {peer_call,
      fun() ->
              {ok, Peer, _} = peer:start_link(#{connection => standard_io, args => Args}),
              Peer
      end,
      Slice(fun(Peer, I) -> I1 = I + 1, I1 = peer:call(Peer, erlang, '+', [I, 1]) end)},
     {erpc,
      fun() ->
              {ok, _, Node} = peer:start_link(#{name => peer:random_name(), args => Args}),
              Node
      end,
      Slice(fun(Node, I) -> I1 = I + 1, I1 = erpc:call(Node, erlang, '+', [I, 1]) end)},
     {dist_message,
      fun() ->
              {ok, _, Node} = peer:start_link(#{name => peer:random_name(),
                                                args => Args ++ ["-pa", Ebin]}),
              spawn_link(Node, ?MODULE, echo, [])
      end,
      Slice(fun(Pid, I) ->
                    Pid ! {self(), I},
                    receive {Pid, I1} -> I1 = I + 1 end
            end)}].

%% The process on the peer that answers dist_message.
-spec echo() -> no_return().
echo() ->
    receive {From, I} -> From ! {self(), I + 1} end,
    echo().
