%% isolated_resource_tests -- what crosses to a worker of an isolated
%% module (iso_nif): resources, and pids, which cannot. Resources:
%% a caller gets handles, calls with them go to the worker that holds the
%% resources, a handle the caller drops is released on that worker, and a
%% handle whose worker died is stale.
-module(isolated_resource_tests).
-include_lib("eunit/include/eunit.hrl").

%% Boxes of this value or more are counted by boxes_of/1 (iso_nif.c).
-define(MARKED, 1000000).

handles_test_() ->
    {timeout, 60, fun handles/0}.

handles() ->
    B = iso_nif:box_new(5),
    C = iso_nif:box_new(7),
    ?assert(is_reference(B)),
    ?assertEqual(5, iso_nif:box_get(B)),
    ?assertEqual(12, iso_nif:box_add(B, C)),
    %% A handle inside a term comes back as the same handle.
    ?assertEqual(7, iso_nif:box_get(hd([C]))),
    %% A box is no integer: the bad argument is the caller's, as in process.
    ?assertError(badarg, iso_nif:box_get(make_ref())),
    ?assertEqual({5, 7}, {iso_nif:box_get(B), iso_nif:box_get(C)}),
    %% Handles anywhere in a term come back as themselves; a resource
    %% made in a nested term is a handle wherever it is.
    Nested = {B, #{key => [C | B], B => []}, [1, {C}]},
    ?assertEqual(Nested, iso_nif:echo(Nested)),
    %% More terms than the worker's first stack of them holds.
    Long = [B | lists:seq(1, 300)] ++ [{C, #{B => C}}],
    ?assertEqual(Long, iso_nif:echo(Long)),
    {D, #{k := [E | x]}} = iso_nif:echo({iso_nif:box_new(11), #{k => [iso_nif:box_new(12) | x]}}),
    ?assertEqual({11, 12}, {iso_nif:box_get(D), iso_nif:box_get(E)}).

released_when_collected_test_() ->
    {timeout, 60, fun released_when_collected/0}.

%% 1,000 boxes made and dropped by a process of their own: once it is gone
%% and collected, the workers hold none of them.
released_when_collected() ->
    Probes = probes(),
    Before = live_boxes(Probes),
    {Pid, MRef} = spawn_monitor(fun() ->
                                        Boxes = [iso_nif:box_new(?MARKED + I)
                                                 || I <- lists:seq(1, 1000)],
                                        exit({made, live_boxes(Probes) - Before, length(Boxes)})
                                end),
    receive {'DOWN', MRef, process, Pid, Made} -> ?assertEqual({made, 1000, 1000}, Made) end,
    %% Releases travel as messages: the pool, the worker's process, the
    %% worker.
    ?assertEqual(Before, wait_for_boxes(Probes, Before, 100)).

%% A box on each of iso_nif's two workers: while the first box's worker
%% naps, the other makes the second. A call with a box runs on the worker
%% that holds it. On a loaded machine the nap can end before the other
%% worker takes the call: then both boxes are on one worker, and another
%% round is tried, up to 5 in all. The boxes of a round that does not count
%% stay held (by a process linked to this one), so the workers' counts do
%% not change when they would have been collected.
probes() ->
    probes(5).

probes(Rounds) ->
    First = iso_nif:box_new(0),
    Self = self(),
    Napper = spawn_link(fun() -> iso_nif:box_nap(First, 500), Self ! {self(), rested} end),
    wait_busy(100),
    Second = iso_nif:box_new(0),
    receive {Napper, rested} -> ok end,
    Probes = [First, Second],
    case length(lists:usort([iso_nif:os_pid_of(P) || P <- Probes])) of
        1 when Rounds > 1 ->
            spawn_link(fun() -> receive never -> Probes end end),
            probes(Rounds - 1);
        Workers -> ?assertEqual(2, Workers), Probes
    end.

%% Waits until one of the two workers (the napping one) is busy: a call of
%% this process's then goes to the other.
wait_busy(Tries) ->
    #{slots := Slots} = cnif_isolated:pool_of(iso_nif),
    Busy = [I || I <- [1, 2], atomics:get(Slots, I) =:= 1],
    case length(Busy) of
        1 -> ok;
        _ when Tries > 0 -> timer:sleep(10), wait_busy(Tries - 1)
    end.

live_boxes(Probes) ->
    lists:sum([iso_nif:boxes_of(P) || P <- Probes]).

%% Waits (up to N times 20 ms) until the workers hold Want boxes; the
%% count they hold last.
wait_for_boxes(Probes, Want, N) ->
    erlang:garbage_collect(),
    case live_boxes(Probes) of
        Want -> Want;
        Other when N =:= 0 -> Other;
        _ -> timer:sleep(20), wait_for_boxes(Probes, Want, N - 1)
    end.

stale_after_crash_test_() ->
    {timeout, 60, fun stale_after_crash/0}.

stale_after_crash() ->
    B = iso_nif:box_new(1),
    Worker = iso_nif:os_pid_of(B),
    %% Kill the box's worker from outside, as the OS would.
    os:cmd("kill -KILL " ++ integer_to_list(Worker)),
    ?assertError({nif_stale_resource, #{nif := {iso_nif, box_get, 1}, workers := [_]}},
                 retry_until_stale(B, 50)),
    %% New boxes work on the new workers.
    ?assertEqual(3, iso_nif:box_get(iso_nif:box_new(3))).

retry_until_stale(B, 0) ->
    iso_nif:box_get(B);
retry_until_stale(B, N) ->
    %% The kill takes effect a moment later: until then the old worker
    %% still answers.
    try iso_nif:box_get(B) of
        1 -> timer:sleep(20), retry_until_stale(B, N - 1)
    catch
        error:{nif_crashed, _} -> retry_until_stale(B, N - 1)
    end.

%% A pid or a port would name another process in the worker: refused,
%% with the argument's position, before anything is sent.
pid_argument_test() ->
    Unsupported = <<"a pid or port cannot cross to a worker: there it would name a process of its own">>,
    ?assertError({nif_isolated_unsupported, #{nif := {iso_nif, box_get, 1}, argument := 1,
                                              reason := Unsupported}},
                 iso_nif:box_get(self())),
    ?assertError({nif_isolated_unsupported, #{nif := {iso_nif, add, 2}, argument := 2,
                                              reason := Unsupported}},
                 iso_nif:add(1, [{x, #{k => hd(erlang:ports())}}])),
    ?assertEqual(3, iso_nif:add(1, 2)).
