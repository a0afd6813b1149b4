%% bench_echo -- a BEAM that sends back every packet it is sent, unchanged:
%% the far end of the "plain port to a BEAM" rows (bench_isolated,
%% bench_transports). It is started as a worker of isolated mode is (the
%% same shell line and flags, cnif_pool_worker:worker_args/0) and talks as
%% cnif_worker does: {packet, 4} on file descriptors 3 and 4, so that the
%% difference to isolated mode's round trip is cnif's own work.
-module(bench_echo).
-export([main/0]).

-spec main() -> no_return().
main() ->
    loop(open_port({fd, 3, 4}, [{packet, 4}, binary, eof])).

loop(Port) ->
    receive
        {Port, {data, Packet}} ->
            port_command(Port, Packet),
            loop(Port);
        {Port, eof} ->
            erlang:halt(0, [{flush, false}])
    end.
