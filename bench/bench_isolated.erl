%% bench_isolated -- isolated mode in `make bench`, in a BEAM of its own
%% (see bench.mk and README.md): what a call costs when a worker BEAM runs
%% it, against the floor of any call out of the process.
%%
%% - Round trip: add/2 of bench_cnif_isolated (bench_cnif.c, isolated with
%%   one worker) against port_echo, a C program that sends every packet
%%   back, fed the request a worker is sent ({call, N, add_nif, [I, 1]},
%%   term_to_binary, {packet, 4}); and a plain port to a BEAM that echoes
%%   (bench_echo, started as a worker is), which tells cnif's own work from
%%   that of a BEAM at the far end. One group, interleaved like the
%%   others; a slice counts its median round trip, so that one stall of the
%%   machine does not weigh as a hundred calls.
%% - Throughput: 16 callers, 4 workers, against the same 16 callers calling
%%   bench_cnif:add/2 in process; bursts of fixed length, interleaved.
%% - Start: from cnif:isolate/2 to the first answer of a fresh worker,
%%   against the boot of bench_echo to its first answer.
%%
%% main(Path) writes the results to Path (term_to_binary of a list of
%% maps); bench:main/0 prints them with the other results.
-module(bench_isolated).
-export([main/1, echo_port/0, beam_echo_port/0, port_roundtrip/2, slice/1]).

-define(ISOLATED, bench_cnif_isolated).
-define(RT_SLICE, 100).          % round trips per slice
-define(RT_SLICES, 5).           % slices per variant per round
-define(CALLERS, 16).
-define(WORKERS, 4).
-define(BURST_ISOLATED_MS, 50).  % one burst per slice
-define(BURST_IN_PROCESS_MS, 10).
-define(BURST_SLICES, 2).
-define(START_ROUNDS, 7).        % starts of each kind, after a warm-up
-define(BOOT_TIMEOUT, 60000).
-define(ROUNDTRIP_TARGET, 3.0).  % × the C echo
-define(ROUNDTRIP_TARGET_US, 25.0).

main(Path) ->
    Rounds = bench:rounds(),
    io:format("isolated: ~b rounds (+1 warm-up) of round trips and of ~b-caller bursts, "
              "~b starts; worker flags ~s~n",
              [Rounds, ?CALLERS, ?START_ROUNDS,
               lists:join(" ", cnif_pool_worker:worker_args())]),
    isolate(1),
    RoundTrip = bench:group(Rounds, ?RT_SLICES, [], roundtrip_variants()),
    isolate(?WORKERS),
    Throughput = bench:group(Rounds, ?BURST_SLICES, [], throughput_variants()),
    Start = bench:group(?START_ROUNDS, 1, [], start_variants()),
    in_process(),
    Add = bench:row("isolated_add_roundtrip", RoundTrip, isolated, echo, ?ROUNDTRIP_TARGET),
    Beam = bench:row("beam_port_echo", RoundTrip, beam_echo, echo, none),
    Burst = bench:row("isolated_throughput_4w", Throughput, isolated, in_process, none),
    Boot = bench:row("isolated_worker_start", Start, isolated, beam, none),
    Results = [Add#{unit => us, reference => "C port echo", target_us => ?ROUNDTRIP_TARGET_US},
               Beam#{unit => us, reference => "C port echo"},
               Burst#{unit => calls_per_s, reference => "in process"},
               Boot#{unit => ms, reference => "BEAM echo boot"}],
    ok = file:write_file(Path, term_to_binary(Results)).

%% ?ISOLATED isolated with N workers, all of them up; the pool it had
%% before is gone.
isolate(N) ->
    Old = cnif_isolated:pool_of(?ISOLATED),
    ok = cnif:isolate(?ISOLATED, #{workers => N}),
    wait_gone(Old),
    3 = ?ISOLATED:add(1, 2),
    wait_workers(N, erlang:monotonic_time(millisecond) + ?BOOT_TIMEOUT).

wait_workers(N, Deadline) ->
    case length(cnif_isolated:workers(?ISOLATED)) of
        N -> ok;
        _ ->
            erlang:monotonic_time(millisecond) < Deadline
                orelse error({workers_not_started, ?ISOLATED, N}),
            timer:sleep(20),
            wait_workers(N, Deadline)
    end.

%% In process again, the pool stopped.
in_process() ->
    Old = cnif_isolated:pool_of(?ISOLATED),
    ok = cnif:isolate(?ISOLATED, false),
    wait_gone(Old).

wait_gone(undefined) ->
    ok;
wait_gone(#{pid := Pid}) ->
    Ref = monitor(process, Pid),
    receive {'DOWN', Ref, process, Pid, _} -> ok end.

%% Variants: {Label, Setup, Run}, as bench:group/4 takes them; the ports
%% are opened by Setup, in the group's process, which receives their data.
roundtrip_variants() ->
    Port = fun(Open) -> {Open, fun(P) -> slice(fun(I) -> port_roundtrip(P, I) end) end} end,
    {OpenEcho, Echo} = Port(fun echo_port/0),
    {OpenBeam, Beam} = Port(fun beam_echo_port/0),
    [{echo, OpenEcho, Echo},
     {beam_echo, OpenBeam, Beam},
     {isolated, fun() -> none end,
      fun(_) -> slice(fun(I) -> I1 = I + 1, I1 = ?ISOLATED:add(I, 1) end) end}].

%% ?RT_SLICE timed calls of Call(I): {the median × calls, calls}, so that
%% the round's figure is the mean of its slices' medians.
slice(Call) ->
    Times = [begin
                 T0 = erlang:monotonic_time(nanosecond),
                 _ = Call(I),
                 erlang:monotonic_time(nanosecond) - T0
             end || I <- lists:seq(1, ?RT_SLICE)],
    {bench:median(Times) * ?RT_SLICE, ?RT_SLICE}.

%% One request as a worker is sent it, and back.
port_roundtrip(Port, I) ->
    Request = {call, 1, add_nif, [I, 1]},
    port_command(Port, term_to_binary(Request)),
    receive
        {Port, {data, Data}} -> Request = binary_to_term(Data)
    after ?BOOT_TIMEOUT ->
            error({no_echo, erlang:port_info(Port, name)})
    end.

%% port_echo, opened as a worker's port is (fds 3 and 4, {packet, 4}).
echo_port() ->
    open_port({spawn_executable, filename:join(priv_dir(), "port_echo")},
              [{packet, 4}, binary, nouse_stdio, exit_status]).

%% bench_echo in a BEAM started as cnif_pool_worker starts a worker, once
%% it answers.
beam_echo_port() ->
    Erl = filename:join([code:root_dir(), "bin", "erl"]),
    Ebin = filename:dirname(code:which(bench_echo)),
    Port = open_port({spawn_executable, "/bin/sh"},
                     [{packet, 4}, binary, nouse_stdio, exit_status,
                      {args, ["-c", "ulimit -c 0; exec \"$0\" \"$@\"", Erl
                              | cnif_pool_worker:worker_args()
                                ++ ["-pa", Ebin, "-s", "bench_echo", "main"]]}]),
    port_roundtrip(Port, 0),
    Port.

priv_dir() ->
    filename:join(filename:dirname(filename:dirname(code:which(?MODULE))), "priv").

%% ?CALLERS callers, kept from burst to burst so that the workers serve
%% callers they know; a burst is {Ns, Calls} of all of them.
throughput_variants() ->
    [{isolated, fun() -> callers(fun(I) -> ?ISOLATED:add(I, 1) end, 0) end,
      fun(Callers) -> burst(Callers, ?BURST_ISOLATED_MS) end},
     %% The clock is read every 64 calls only, as it costs more than one.
     {in_process, fun() -> callers(fun(I) -> bench_cnif:add(I, 1) end, 63) end,
      fun(Callers) -> burst(Callers, ?BURST_IN_PROCESS_MS) end}].

callers(Call, Mask) ->
    Group = self(),
    [spawn_link(fun() -> caller(Call, Mask, monitor(process, Group)) end)
     || _ <- lists:seq(1, ?CALLERS)].

%% Ends with the group's process (a normal exit does not take linked
%% processes along).
caller(Call, Mask, Group) ->
    receive
        {go, From, End} ->
            From ! {self(), calls(Call, Mask, End, 0)},
            caller(Call, Mask, Group);
        {'DOWN', Group, process, _, _} ->
            ok
    end.

calls(Call, Mask, End, N) ->
    case N band Mask =:= 0 andalso erlang:monotonic_time(nanosecond) >= End of
        true -> N;
        false -> _ = Call(N), calls(Call, Mask, End, N + 1)
    end.

burst(Callers, Ms) ->
    T0 = erlang:monotonic_time(nanosecond),
    [C ! {go, self(), T0 + Ms * 1000000} || C <- Callers],
    Calls = lists:sum([receive {C, N} -> N end || C <- Callers]),
    {erlang:monotonic_time(nanosecond) - T0, Calls}.

%% A start is timed from cnif:isolate/2 on the module in process (it is
%% loaded again, isolated) to the first answer, which waits for the pool's
%% worker; the previous pool is stopped before, untimed.
start_variants() ->
    None = fun() -> none end,
    [{isolated, None,
      fun(_) ->
              in_process(),
              T0 = erlang:monotonic_time(nanosecond),
              ok = cnif:isolate(?ISOLATED, #{workers => 1}),
              3 = ?ISOLATED:add(1, 2),
              {erlang:monotonic_time(nanosecond) - T0, 1}
      end},
     {beam, None,
      fun(_) ->
              T0 = erlang:monotonic_time(nanosecond),
              Port = beam_echo_port(),
              Ns = erlang:monotonic_time(nanosecond) - T0,
              port_close(Port),
              {Ns, 1}
      end}].
