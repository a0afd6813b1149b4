%% isolated_nodes_tests -- an isolated module whose workers run on two
%% other Erlang nodes (`nodes => [A, B]`), here two local peers: calls,
%% crashes, messages and resources work as with local workers, the
%% workers name their node, and nothing is left when the peers stop.
%% This test makes its own node distributed for the while (the peers are
%% reached by distribution) and stops it after.
-module(isolated_nodes_tests).
-include_lib("eunit/include/eunit.hrl").

nodes_test_() ->
    {setup, fun start/0, fun stop/1,
     fun(Nodes) -> {timeout, 120, fun() -> on_nodes(Nodes) end} end}.

start() ->
    _ = os:cmd("epmd -daemon"),
    {ok, _} = net_kernel:start([list_to_atom(peer:random_name(iso_origin)), shortnames]),
    Path = lists:append([["-pa", Dir] || Dir <- code:get_path()]),
    Peers = [begin
                 {ok, Peer, Node} = peer:start_link(#{name => peer:random_name(iso_worker),
                                                      %% Peers that know only this node: global
                                                      %% warns when one of a mesh stops.
                                                      args => ["-connect_all", "false" | Path]}),
                 {Peer, Node}
             end || _ <- [a, b]],
    ok = cnif:isolate(iso_remote, #{workers => 2, timeout => 5000,
                                    nodes => [Node || {_, Node} <- Peers]}),
    Peers.

stop(Peers) ->
    ok = cnif:isolate(iso_remote, false),
    [peer:stop(Peer) || {Peer, _} <- Peers],
    net_kernel:stop().

on_nodes(Peers) ->
    Nodes = [Node || {_, Node} <- Peers],
    ?assertEqual(3, iso_remote:add(1, 2)),
    %% One worker on each node, in the order named.
    ?assertEqual(Nodes, [Node || {_, Node, _} <- wait_for_workers(2, 100)]),
    %% A crash costs the worker on its node.
    {nif_crashed, #{nif := {iso_remote, in_call, 1}, reason := Why,
                    worker := {Where, OsPid}}} =
        try iso_remote:in_call(segv) catch error:E -> E end,
    ?assert(lists:member(Where, Nodes)),
    ?assert(is_integer(OsPid)),
    ?assertEqual(segv_reason(), Why),
    ?assertEqual(5, iso_remote:add(2, 3)),
    %% Messages reach the caller across the nodes.
    Ref = iso_remote:mul_later(6, 7),
    ?assertEqual(42, receive {Ref, Product} -> Product after 5000 -> timeout end),
    ok = iso_remote:greet(<<"hello">>),
    ?assertEqual({greeting, <<"hello">>}, receive {greeting, _} = G -> G after 5000 -> timeout end),
    %% A resource stays on its worker's node; the handle works here.
    Box = iso_remote:box_new(9),
    ?assertEqual(9, iso_remote:box_get(Box)),
    %% Back in process: the pool stops, and its workers with it.
    OsPids = [OsPid1 || {_, _, OsPid1} <- wait_for_workers(2, 100)],
    ?assertEqual(2, length(OsPids)),
    ok = cnif:isolate(iso_remote, false),
    ?assertEqual([], wait_gone(OsPids, 100)).

%% The OS processes of OsPids still running after up to Tries * 50 ms.
wait_gone(OsPids, Tries) ->
    case [P || P <- OsPids, filelib:is_dir("/proc/" ++ integer_to_list(P))] of
        Alive when Alive =:= []; Tries =:= 0 -> Alive;
        _ -> timer:sleep(50), wait_gone(OsPids, Tries - 1)
    end.

%% How a worker that writes to address 0 dies: under the sanitizers,
%% UBSan reports the store and exits with status 1.
segv_reason() ->
    case string:find(os:getenv("LD_PRELOAD", ""), "asan") of
        nomatch -> {signal, segv};
        _ -> {exit_status, 1}
    end.

%% The workers once N of them run (they start with the first call).
wait_for_workers(N, Tries) ->
    case cnif_isolated:workers(iso_remote) of
        Workers when length(Workers) =:= N; Tries =:= 0 -> Workers;
        _ -> timer:sleep(50), wait_for_workers(N, Tries - 1)
    end.
