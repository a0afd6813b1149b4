%% thread_tests -- what runs on threads that are no scheduler, end to end in
%% a real VM: terms of every size and shape encoded by jobs (on the pool,
%% on threads of their own, and sent with cnif_send from a job's thread),
%% maps and structs built there; the unload of a library whose jobs still
%% run, after a hot upgrade to a new library file; a failed upgrade of a
%% library over itself; and struct declarations whose keys collide.
%%
%% Nothing here is timed. What happens asynchronously (a job's end, a
%% thread's exit) is waited for with wait_for/2, which gives up after 10 s
%% and lets the assertion fail with what it saw.
-module(thread_tests).
-include_lib("eunit/include/eunit.hrl").
-export([log/2]).

-define(M, thread_nif).
-define(U, thread_upgrade).

%%% Helpers

-import(long_tests, [run/3, reply/1, wait_for/2]).

run(F, Args) ->
    run(?M, F, Args).

%% A panic raised by cnif itself on the caller's behalf, without its
%% location: where such a panic is reported is boundary_tests' subject.
panic_of({error, {nif_panicked, #{message := Message, phase := Phase, location := Site}}}) ->
    {match, _} = re:run(Site, "^[a-z_]+\\.c:[0-9]+$"),
    {panicked, Message, Phase};
panic_of(Other) ->
    Other.

%% The same for a load hook's message: "cnif: load hook panicked at
%% File:Line: Message".
load_panic_of({error, {load, "cnif: load hook panicked at " ++ Text}}) ->
    {match, [Message]} = re:run(Text, "^[a-z_]+\\.c:[0-9]+: (.*)$",
                                [{capture, all_but_first, list}]),
    {load_panicked, Message};
load_panic_of(Other) ->
    Other.

%% The OS threads of this VM.
tasks() ->
    {ok, Tasks} = file:list_dir("/proc/self/task"),
    length(Tasks).

%% How many threads this VM has once the count has held for 200 ms: the
%% thread of an earlier test's job may still be ending after its reply
%% (under ASan, it takes long enough to be counted).
steady_tasks() ->
    steady_tasks(tasks(), 20).

steady_tasks(N, 0) -> N;
steady_tasks(N, Left) ->
    timer:sleep(10),
    case tasks() of
        N -> steady_tasks(N, Left - 1);
        Other -> steady_tasks(Other, 20)
    end.

%% Whether a file named Name is mapped into this VM.
mapped(Name) ->
    {ok, Maps} = file:read_file("/proc/self/maps"),
    binary:match(Maps, list_to_binary(Name)) =/= nomatch.

%%% Terms built on threads that are no scheduler

%% A list nested N deep around [], a map nested N deep around Inner.
nest(0) -> [];
nest(N) -> [nest(N - 1)].

nest_map(0, Inner) -> Inner;
nest_map(N, Inner) -> #{N => nest_map(N - 1, Inner)}.

map_of(N) ->
    maps:from_list([{I, {I, -I}} || I <- lists:seq(1, N)]).

flat_map_of(N) ->
    maps:from_list([{I, -I} || I <- lists:seq(1, N)]).

%% Keys of every kind, 50 of each.
mixed_map() ->
    maps:from_list(lists:append([[{I, a}, {list_to_atom("k" ++ integer_to_list(I)), b},
                                  {integer_to_binary(I), c}, {{I}, d}]
                                 || I <- lists:seq(1, 50)])).

%% The terms a job returns and sends: maps of more than 128 keys (erts
%% builds those by sorting, which needs a scheduler), alone and nested;
%% heap and reference-counted binaries up to 10 MB; big integers; terms as
%% deep as a cnif_value may be (CNIF_MAX_DEPTH, 512 levels).
values() ->
    Big = map_of(10000),
    [{map_129, map_of(129)},
     {map_10000, Big},
     {mixed_keys, mixed_map()},
     {maps_in_lists, [map_of(129), [map_of(200)], {map_of(300)}]},
     {maps_in_maps, #{outer => Big, list => [map_of(129)], {t} => {map_of(1000)}}},
     {binary_64, binary:copy(<<"b">>, 64)},
     {binary_65, binary:copy(<<"r">>, 65)},
     {binary_10mb, binary:copy(<<"0123456789">>, 1048576)},
     {bigints, [1 bsl 2048, -(1 bsl 100), (1 bsl 64) - 1]},
     {deepest_list, nest(511)},
     {deepest_maps, nest_map(510, flat_map_of(129))}].

%% Decoded by the call on its scheduler, encoded again on a thread that is
%% no scheduler: the term that arrives is the term sent, exactly.
echoed_on_threads_test_() ->
    {timeout, 120,
     [{atom_to_list(Name) ++ " " ++ atom_to_list(F),
       fun() -> ?assertEqual({ok, true}, same(run(F, [V]), V)) end}
      || {Name, V} <- values(), F <- [echo_here, echo_pool, echo_thread]]}.

%% The same terms, sent as {echo, V} with cnif_send from the pool's thread.
sent_from_a_job_thread_test_() ->
    {timeout, 120,
     [{atom_to_list(Name),
       fun() ->
               ?assertEqual({ok, true}, run(echo_send, [self(), V])),
               ?assertEqual(true, receive {echo, Got} -> Got =:= V after 10000 -> none end)
       end} || {Name, V} <- values()]}.

%% Compared here rather than by ?assertEqual, which would print 10 MB.
same({ok, Got}, Want) -> {ok, Got =:= Want};
same(Other, _) -> Other.

%% One level deeper is a bad argument, raised by the call itself.
too_deep_is_raised_by_the_call_test_() ->
    Path = iolist_to_binary(["..." | lists:duplicate(32, "[0]")]),
    [?_assertEqual({badarg, {1, Path, <<"nested deeper than 512 levels">>}},
                   run(F, [nest(512)]))
     || F <- [echo_pool, echo_thread]].

%% cnif_map_from_arrays where the NIF runs and on the pool; a repeated key
%% panics in either place, whichever way the map is built (in one step up
%% to 128 keys, key by key above on a thread).
map_from_arrays_on_threads_test_() ->
    Dup = {panicked, <<"cnif_map_from_arrays: duplicate keys">>, call},
    Pairs = fun(N) -> [{I, [I]} || I <- lists:seq(1, N)] end,
    [{atom_to_list(F) ++ " " ++ integer_to_list(N),
      fun() ->
              ?assertEqual({ok, maps:from_list(Pairs(N))}, run(F, [Pairs(N)])),
              ?assertEqual(Dup, panic_of(run(F, [Pairs(N) ++ [{1, dup}]])))
      end} || F <- [map_here, map_pool, map_thread], N <- [10, 128, 129, 10000]].

%% A cnif_value map with a repeated key cannot be encoded, on a thread too.
value_map_with_duplicates_test_() ->
    Dup = {panicked, <<"cannot encode a map with duplicate keys">>, encode},
    Pairs = fun(N) -> [{I, I} || I <- lists:seq(1, N)] end,
    [?_assertEqual({F, N, Dup}, {F, N, panic_of(run(F, [Pairs(N) ++ [{N, again}]]))})
     || F <- [value_map_here, value_map_pool, value_map_thread], N <- [10, 200]].

%% A struct of 130 fields is a map of 130 keys, or of 131 as an Elixir
%% struct, built by a job.
wide(Base) ->
    Names = [list_to_atom([P | integer_to_list(D)]) || P <- lists:seq($a, $m), D <- lists:seq(0, 9)],
    maps:from_list(lists:zip(Names, lists:seq(Base, Base + 129))).

wide_structs_on_threads_test_() ->
    Ex = (wide(7))#{'__struct__' => 'Elixir.Wide'},
    [?_assertEqual({ok, wide(7)}, run(F, [7])) || F <- [wide_here, wide_pool, wide_thread]]
        ++ [?_assertEqual({ok, Ex}, run(F, [Ex])) || F <- [wide_ex_here, wide_ex_pool, wide_ex_thread]].

%%% Bad arguments a job's body finds

%% {Args, {ArgNo, Path, Reason}, Text} of sum_late and refuse: the cause
%% the wrapper gives error_info where the NIF runs, and its text.
late_badargs() ->
    [{sum_late, [[1, 2, x]], {1, <<"[2]">>, {expected, <<"an integer">>, x}},
      "[2]: expected an integer, got: x"},
     {sum_late, [[1, <<255>>]], {1, <<"[1]">>, {expected, <<"an integer">>, <<255>>}},
      "[1]: expected an integer, got: <<255>>"},
     {sum_late, [[1 | 2]], {1, <<>>, {expected, <<"a proper list">>, [1 | 2]}},
      "expected a proper list, got: [1|2]"},
     {sum_late, [foo], {1, <<>>, {expected, <<"a list">>, foo}}, "expected a list, got: foo"},
     {refuse, [1], {1, <<>>, <<"refused by argument 1">>}, "refused by argument 1"},
     {refuse, [0], {0, <<>>, <<"refused by argument 0">>}, "refused by argument 0"}].

%% The text format_error/2 gives for a plain NIF's bad argument Cause.
format_error({ArgNo, _, _} = Cause) ->
    Stack = [{?M, f, [], [{error_info, #{module => cnif_error, cause => Cause}}]}],
    case cnif_error:format_error(badarg, Stack) of
        #{general := Text} when ArgNo =:= 0 -> Text;
        #{ArgNo := Text} -> unicode:characters_to_binary(Text)
    end.

%% Where the NIF runs, error:badarg with the cause in error_info; in a job,
%% the reply {Ref, {error, {badarg, Map}}}, Map holding the same ArgNo, Path
%% and Reason, and cnif_error:message(Map) the same text.
bad_arguments_found_by_a_job_test_() ->
    At = fun(F, Where) -> list_to_atom(atom_to_list(F) ++ "_" ++ Where) end,
    [{lists:flatten(io_lib:format("~p ~p", [F, Args])),
      fun() ->
              Bin = unicode:characters_to_binary(Text),
              ?assertEqual({badarg, Cause}, run(At(F, "here"), Args)),
              ?assertEqual(Bin, format_error(Cause)),
              Map = #{argno => ArgNo, path => Path, reason => Reason},
              [?assertEqual({error, {badarg, Map}}, run(At(F, W), Args)) || W <- ["pool", "thread"]],
              ?assertEqual(Bin, cnif_error:message(Map))
      end} || {F, Args, {ArgNo, Path, Reason} = Cause, Text} <- late_badargs()].

%% An argument the call does not have is the NIF's mistake, wherever it
%% runs: a panic, not a bad argument.
refusing_a_missing_argument_panics_test_() ->
    Missing = fun(N) ->
                      {panicked, iolist_to_binary(["cnif_raise_badarg: argument ", integer_to_list(N),
                                                   " does not exist: this call has 1 argument"]),
                       call}
              end,
    [?_assertEqual({F, Missing(N)}, {F, panic_of(run(F, [N]))})
     || F <- [refuse_here, refuse_pool, refuse_thread], N <- [2, -1]].

%%% Unloading a library whose jobs still run

%%% thread_upgrade is built twice, as version 1 and 2 (test/thread_upgrade),
%%% each with its own library file, in directories of their own that are
%%% put on the code path in turn.

upgrade_dir(V) ->
    Test = filename:dirname(filename:dirname(code:which(?MODULE))),
    filename:join([Test, "thread_upgrade", "v" ++ integer_to_list(V)]).

%% Only the directory of version V on the code path (none for 0), then
%% load what it finds.
load(V) ->
    [code:del_path(upgrade_dir(W)) || W <- [1, 2], W =/= V],
    V > 0 andalso code:add_patha(upgrade_dir(V)),
    code:load_file(?U).

%% No code of thread_upgrade left, nothing of it on the code path.
unload_all() ->
    [code:F(?U) || F <- [purge, delete, purge]],
    {error, nofile} = load(0),
    false = code:is_loaded(?U).

%% Version 1 runs jobs that stop only when cancelled, for a caller (this
%% process) that stays alive: one on each thread of its pool, one on a
%% thread of its own, and one more queued for the pool. Version 2, another
%% library file, replaces it; purging version 1 unloads its library while
%% the jobs run. The purge returns at once: the unload cancels the jobs
%% instead of waiting for them. The running jobs end and reply, the queued
%% one runs, cancelled from the start, and replies; every thread of
%% version 1 ends, and only then is its library unmapped. Version 2 works
%% meanwhile and after.
purge_with_running_jobs_returns_test_() ->
    {timeout, 60,
     fun() ->
             unload_all(),
             Threads = steady_tasks(),
             Pool = erlang:system_info(schedulers),
             Spinning = fun() -> receive {spinning, _} = S -> S after 10000 -> none end end,
             try
                 ?assertEqual({module, ?U}, load(1)),
                 Running = [?U:spin_thread(self()) | [?U:spin_pool(self()) || _ <- lists:seq(1, Pool)]],
                 ?assertEqual([{spinning, 1} || _ <- Running], [Spinning() || _ <- Running]),
                 Queued = ?U:spin_pool(self()),
                 ?assertEqual(true, mapped("thread_upgrade_v1.so")),
                 ?assertEqual({module, ?U}, load(2)),
                 ?assertEqual({ok, 2}, run(?U, version_pool, [])),
                 Parent = self(),
                 spawn(fun() -> Parent ! {purged, code:purge(?U)} end),
                 ?assertEqual({purged, false}, receive {purged, _} = P -> P after 10000 -> hung end),
                 ?assertEqual([{ok, 1} || _ <- Running], [reply(R) || R <- Running]),
                 ?assertEqual({{spinning, 1}, {ok, 1}}, {Spinning(), reply(Queued)}),
                 %% Version 2's pool is all that is left.
                 ?assertEqual(Threads + Pool, wait_for(fun tasks/0, Threads + Pool)),
                 ?assertEqual(false, wait_for(fun() -> mapped("thread_upgrade_v1.so") end, false)),
                 ?assertEqual({2, {ok, 2}}, {?U:version(), run(?U, version_pool, [])})
             after
                 unload_all()
             end,
             ?assertEqual(Threads, wait_for(fun tasks/0, Threads)),
             ?assertEqual(false, wait_for(fun() -> mapped("thread_upgrade_v2.so") end, false))
     end}.

%% The same library file loaded over itself with an upgrade hook that
%% refuses: the failed load gives back its share of the pool, so unloading
%% the one real version ends the pool's threads.
failed_upgrade_over_itself_leaks_no_thread_test_() ->
    {timeout, 60,
     fun() ->
             unload_all(),
             Threads = steady_tasks(),
             Pool = erlang:system_info(schedulers),
             ?assertEqual({module, ?U}, load(1)),
             ?assertEqual({ok, 1}, run(?U, version_pool, [])),
             ?assertEqual(Threads + Pool, tasks()),
             Refuse = spawn(fun() -> receive stop -> ok end end),
             register(thread_upgrade_refuse, Refuse),
             try
                 ?assertEqual({error, on_load_failure}, load(1))
             after
                 Refuse ! stop
             end,
             ?assertEqual({1, {ok, 1}}, {?U:version(), run(?U, version_pool, [])}),
             unload_all(),
             ?assertEqual(Threads, wait_for(fun tasks/0, Threads))
     end}.

%%% Struct declarations whose keys collide

%% The load of each module fails with its declaration's message, as
%% erlang:load_nif returns it to the module's on_load (captured from the
%% code server's report instead of printed).
colliding_struct_keys_fail_the_load_test() ->
    {ok, #{level := Level}} = logger:get_handler_config(default),
    ok = logger:add_handler(?MODULE, ?MODULE, #{config => self()}),
    ok = logger:update_handler_config(default, level, none),
    try
        [begin
             ?assertEqual({error, on_load_failure}, code:ensure_loaded(Module)),
             ?assertEqual({Module, {load_panicked, Want}},
                          receive {on_load, Module, Returned} -> {Module, load_panic_of(Returned)}
                          after 1000 -> none end),
             ?assertEqual(false, code:is_loaded(Module))
         end
         || {Module, Want} <-
                [{thread_struct_key, "struct tagged: field kind uses the key __struct__, "
                                     "which holds the module of an Elixir struct"},
                 {thread_struct_dup, "struct twice: two fields use the key x"}]]
    after
        logger:update_handler_config(default, level, Level),
        logger:remove_handler(?MODULE)
    end.

%% The logger handler for the test above: forwards the code server's
%% report of what a module's on_load returned.
log(#{msg := {report, #{args := [Module, Returned | _]}}}, #{config := Pid})
  when Module =:= thread_struct_key; Module =:= thread_struct_dup ->
    Pid ! {on_load, Module, Returned};
log(_Event, _Config) ->
    ok.
