%% scope_tests -- what a call holds for the rest of it: scoped locks
%% (cnif_mutex_lock, cnif_rwlock_*_lock) and resource holds
%% (cnif_resource_hold), released however the call ends and never twice;
%% CNIF_RESOURCE_TYPE; and cnif_value trees built at run time, returned
%% and sent from a message env, with every bad tree a panic.
%%
%% NIFs: test/nifs/scope_nif.c. Deliberate panics sit on lines marked
%% "site:NAME", which site/1 finds, so the tests run from the repository
%% root (as `make test` runs them).
-module(scope_tests).
-include_lib("eunit/include/eunit.hrl").

-define(M, scope_nif).
-define(WAIT, 5000).
-define(LOCKS, [mutex, read, write]).

%%% Helpers

%% <<"scope_nif.c:Line">> of the line marked "site:Name".
site(Name) ->
    {ok, Source} = file:read_file("test/nifs/scope_nif.c"),
    Lines = binary:split(Source, <<"\n">>, [global]),
    Marker = iolist_to_binary(["/* site:", Name, " */"]),
    [Line] = [N || {N, Text} <- lists:zip(lists:seq(1, length(Lines)), Lines),
                   binary:match(Text, Marker) =/= nomatch],
    iolist_to_binary(["scope_nif.c:", integer_to_list(Line)]).

panicked(Phase, Message, Site) ->
    {nif_panicked, #{phase => Phase, message => Message, location => site(Site)}}.

error_of(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:Reason -> Reason
    end.

%% {ArgNo, Path, Reason} of the bad argument Fun raised.
badarg(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:badarg:Stack ->
            [{_, _, _, Info} | _] = Stack,
            #{cause := Cause} = proplists:get_value(error_info, Info),
            Cause
    end.

unlocker(mutex) -> <<"cnif_mutex_unlock">>;
unlocker(read) -> <<"cnif_rwlock_read_unlock">>;
unlocker(write) -> <<"cnif_rwlock_write_unlock">>.

locker(mutex) -> <<"cnif_mutex_lock">>;
locker(read) -> <<"cnif_rwlock_read_lock">>;
locker(write) -> <<"cnif_rwlock_write_lock">>.

no_such_lock(Fn) ->
    <<Fn/binary, ": the call holds no such lock (taken in this mode, and not "
      "yet released)">>.

%% Each test of a lock asserts the lock is free afterwards.
each_lock(Test) ->
    [{atom_to_list(L), fun() -> Test(L), ?assert(?M:lock_free(L)) end}
     || L <- ?LOCKS].

%%% Scoped locks

returned_test_() ->
    each_lock(fun(L) -> ?assertEqual(ok, ?M:lock_then(L, return)) end).

panic_test_() ->
    each_lock(fun(L) ->
        ?assertEqual(panicked(call, <<"panicked under the lock">>, "lock_panic"),
                     error_of(fun() -> ?M:lock_then(L, panic) end))
    end).

raise_test_() ->
    each_lock(fun(L) ->
        ?assertEqual(raised_under_lock,
                     error_of(fun() -> ?M:lock_then(L, raise) end))
    end).

badarg_test_() ->
    each_lock(fun(L) ->
        ?assertEqual({2, <<>>, <<"bad under the lock">>},
                     badarg(fun() -> ?M:lock_then(L, badarg) end))
    end).

early_unlock_then_raise_test_() ->
    each_lock(fun(L) ->
        ?assertEqual(raised_after_unlock,
                     error_of(fun() -> ?M:lock_then(L, unlock_raise) end))
    end).

unlock_twice_test_() ->
    each_lock(fun(L) ->
        ?assertEqual(panicked(call, no_such_lock(unlocker(L)), "lock_then"),
                     error_of(fun() -> ?M:lock_then(L, unlock_twice) end))
    end).

relock_test_() ->
    each_lock(fun(L) ->
        ?assertEqual(panicked(call, <<(locker(L))/binary, ": this call already "
                                      "holds the lock: taking it again would "
                                      "deadlock">>, "lock_then"),
                     error_of(fun() -> ?M:lock_then(L, relock) end))
    end).

wrong_mode_test_() ->
    Wrong = #{mutex => read, read => write, write => read},
    each_lock(fun(L) ->
        ?assertEqual(panicked(call, no_such_lock(unlocker(maps:get(L, Wrong))),
                              "lock_then"),
                     error_of(fun() -> ?M:lock_then(L, wrong_mode) end))
    end).

locked_in_cleanup_test_() ->
    each_lock(fun(L) -> ?assertEqual(ok, ?M:lock_then(L, cleanup)) end).

unlocked_in_nested_guard_test_() ->
    each_lock(fun(L) -> ?assertEqual({ok, true}, ?M:lock_then(L, try_unlock)) end).

panic_in_nested_guard_test_() ->
    each_lock(fun(L) ->
        ?assertEqual({false, panicked(call, <<"panicked in a nested guard">>,
                                      "inner_panic"), true},
                     ?M:lock_then(L, try_panic))
    end).

null_lock_test_() ->
    [?_assertEqual(panicked(call, <<"cnif_mutex_lock: NULL lock">>, "null_lock"),
                   error_of(fun() -> ?M:null_lock(mutex) end)),
     ?_assertEqual(panicked(call, <<"cnif_rwlock_read_lock: NULL lock">>,
                            "null_lock"),
                   error_of(fun() -> ?M:null_lock(read) end))].

unlock_unheld_test() ->
    ?assertEqual(panicked(call, no_such_lock(<<"cnif_mutex_unlock">>),
                          "unlock_unheld"),
                 error_of(fun() -> ?M:unlock_unheld() end)),
    ?assert(?M:lock_free(mutex)).

%% A user codec that locks: released after a bad argument while decoding
%% and after a panic while encoding.
locked_codec_test() ->
    ?assertEqual(5, ?M:decode_locked(5)),
    ?assert(?M:lock_free(mutex)),
    ?assertEqual({1, <<>>, {expected, <<"an integer">>, foo}},
                 badarg(fun() -> ?M:decode_locked(foo) end)),
    ?assert(?M:lock_free(mutex)),
    ?assertEqual(5, ?M:encode_locked(5)),
    ?assert(?M:lock_free(mutex)),
    ?assertEqual(panicked(encode, <<"negative under the lock">>, "encode_panic"),
                 error_of(fun() -> ?M:encode_locked(-1) end)),
    ?assert(?M:lock_free(mutex)).

held_across_threads_test_() ->
    Held = fun(Phase, What, Site) ->
               panicked(Phase, <<What/binary, " while the call holds 1 lock: "
                                "release it first (the cleanup would run on "
                                "another thread)">>, Site)
           end,
    [{"yield", fun() ->
         ?assertEqual(Held(call, <<"a yielding NIF yields">>, "yield_locked"),
                      error_of(fun() -> ?M:yield_locked(keep) end)),
         ?assert(?M:lock_free(mutex)),
         ?assertEqual(true, ?M:yield_locked(unlock))
     end},
     {"job", fun() ->
         %% The job is handed over as the arguments' decoding ends.
         ?assertEqual(Held(decode, <<"a threaded NIF's body starts">>,
                           "job_locked"),
                      error_of(fun() -> ?M:job_locked(5) end)),
         ?assert(?M:lock_free(mutex)),
         ?assertEqual({1, <<>>, {expected, <<"an integer">>, foo}},
                      badarg(fun() -> ?M:job_locked(foo) end)),
         ?assert(?M:lock_free(mutex))
     end}].

%%% Resource holds and CNIF_RESOURCE_TYPE

resource_type_test() ->
    ?assertEqual(7, ?M:tracked_id(?M:tracked_new(7))),
    ?assertEqual({1, <<>>, <<"expected a tracked resource">>},
                 badarg(fun() -> ?M:tracked_id(foo) end)).

%% Run Fun with this process registered as scope_observer, which the
%% tracked resources' destructor tells.
observed(Fun) ->
    register(scope_observer, self()),
    try Fun() after unregister(scope_observer) end.

%% A process makes tracked resource Id, calls hold_then on it as How
%% says, and reports what the call did; while it still holds the term the
%% resource must not be destroyed (a keep released twice would), and once
%% it exits the destructor must run (a keep never released would stop it).
held(Id, How) ->
    Self = self(),
    {Pid, Mon} = spawn_monitor(fun() ->
        R = ?M:tracked_new(Id),
        Self ! {self(), error_of(fun() -> ?M:hold_then(R, How) end)},
        receive go -> Self ! {self(), ?M:tracked_id(R)} end
    end),
    Outcome = receive {Pid, O} -> O after ?WAIT -> error(no_outcome) end,
    receive {tracked_destroyed, Id} -> error(destroyed_while_held)
    after 50 -> ok end,
    Pid ! go,
    receive {Pid, Id} -> ok after ?WAIT -> error(no_id) end,
    receive {'DOWN', Mon, process, Pid, normal} -> ok end,
    receive {tracked_destroyed, Id} -> Outcome
    after ?WAIT -> error({not_destroyed, Id, How})
    end.

hold_test_() ->
    {setup, fun() -> ok end, fun(_) -> ok end,
     fun() ->
         observed(fun() ->
             ?assertEqual({returned, ok}, held(1, return)),
             ?assertEqual(panicked(call, <<"panicked holding 2">>, "hold_panic"),
                          held(2, panic)),
             ?assertEqual(raised_holding, held(3, raise)),
             ?assertEqual(raised_after_unhold, held(4, unhold_raise)),
             ?assertEqual({returned, ok}, held(5, twice)),
             ?assertEqual(panicked(call, <<"cnif_resource_unhold: the call holds "
                                           "no such resource (kept with "
                                           "cnif_resource_hold, and not yet "
                                           "released)">>, "hold_then"),
                          held(6, unhold_twice))
         end)
     end}.

hold_fresh_test() ->
    observed(fun() ->
        ?assertEqual(panicked(call, <<"panicked holding a fresh one">>,
                              "hold_fresh"),
                     error_of(fun() -> ?M:hold_fresh(8) end)),
        receive {tracked_destroyed, 8} -> ok
        after ?WAIT -> error(not_destroyed)
        end
    end).

hold_null_test() ->
    ?assertEqual(panicked(call, <<"cnif_resource_hold: NULL resource">>,
                          "hold_null"),
                 error_of(fun() -> ?M:hold_null() end)).

%%% Building values

row(N) ->
    Items = [case I rem 3 of 0 -> I; 1 -> I / 2; 2 -> two end
             || I <- lists:seq(1, N)],
    list_to_tuple([row, N, <<"text", 0, "!">>, [1, 2.5, ok | tail],
                   #{count => N, <<"k">> => {}} | Items]).

value_row_test() ->
    ?assertEqual(row(0), ?M:value_row(0)),
    ?assertEqual({row, 4, <<"text", 0, "!">>, [1, 2.5, ok | tail],
                  #{count => 4, <<"k">> => {}}, 0.5, two, 3, 2.0},
                 ?M:value_row(4)),
    ?assertEqual(row(100), ?M:value_row(100)),
    ?assertEqual({1, <<>>, <<"expected a count of at least 0">>},
                 badarg(fun() -> ?M:value_row(-1) end)).

value_send_test() ->
    ?assertEqual(true, ?M:value_send(self(), 7)),
    Row = row(7),
    receive {row_sent, Sent} -> ?assert(Sent =:= Row)
    after ?WAIT -> error(not_sent)
    end,
    {Dead, Mon} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', Mon, process, Dead, _} -> ok end,
    ?assertEqual(false, ?M:value_send(Dead, 1)).

value_here_test() ->
    Term = {a, [1, <<"b">>, #{c => 2.5}], -(1 bsl 70), self()},
    ?assert(?M:value_here(Term) =:= Term).

value_bad_test_() ->
    Bad = fun(Which) -> error_of(fun() -> ?M:value_bad(Which) end) end,
    Panic = fun(Message) -> panicked(call, Message, "value_bad_export") end,
    Unset = <<"cannot encode a cnif_value that was never set: an item of "
              "cnif_value_tuple, _list or _map">>,
    [?_assertEqual(Panic(Unset), Bad(unset_item)),
     ?_assertEqual(Panic(Unset), Bad(unset_key)),
     ?_assertEqual(Panic(<<"cannot encode a tuple of 2 items at NULL">>),
                   Bad(null_items)),
     ?_assertEqual(Panic(<<"cannot encode a list of 2 items at NULL">>),
                   Bad(null_list)),
     ?_assertEqual(Panic(<<"cannot encode a map of 2 items at NULL">>),
                   Bad(null_values)),
     ?_assertEqual(Panic(<<"cannot encode a big integer's magnitude of 9 items "
                           "at NULL">>), Bad(null_bigint)),
     ?_assertEqual(Panic(<<"cannot encode a tuple of 16777216 items: the most "
                           "is 16777215">>), Bad(wide_tuple)),
     ?_assertEqual(Panic(<<"cannot encode a map with duplicate keys">>),
                   Bad(dup_keys)),
     ?_assertEqual(Panic(<<"cannot encode nan as an Erlang float: it is not "
                           "finite">>), Bad(nan)),
     ?_assertEqual(Panic(<<"cannot encode a NULL atom name">>), Bad(null_atom)),
     ?_assertEqual(Panic(<<"cnif_value_item_set: index 2 is past the end of 2 "
                           "items">>), Bad(item_index)),
     ?_assertEqual(Panic(<<"cnif_value_item_set: the container is not a tuple "
                           "or list">>), Bad(item_kind)),
     ?_assertEqual(Panic(<<"cnif_value_item_set: the container is not a tuple "
                           "or list">>), Bad(item_null)),
     ?_assertEqual(Panic(<<"cnif_value_item_set: the container's items are at "
                           "NULL">>), Bad(item_null_items)),
     ?_assertEqual(Panic(<<"cnif_value_pair_set: index 5 is past the end of 2 "
                           "items">>), Bad(pair_index)),
     ?_assertEqual(Panic(<<"cnif_value_pair_set: the container is not a map">>),
                   Bad(pair_kind)),
     ?_assertEqual(Panic(<<"cnif_value_binary: 4 bytes at NULL">>),
                   Bad(null_binary)),
     ?_assertEqual(Panic(<<"cnif_value_text: NULL text">>), Bad(null_text)),
     ?_assertEqual(Panic(iolist_to_binary(
                       io_lib:format("out of memory: cannot allocate ~b items",
                                     [(1 bsl 64 - 1) div 2]))),
                   Bad(huge_tuple)),
     ?_assertEqual(Panic(<<"cnif_value_encode: NULL env">>), Bad(null_env)),
     ?_assertEqual(panicked(encode, Unset, "value_unset"),
                   error_of(fun() -> ?M:value_unset() end))].
