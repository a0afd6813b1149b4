%% regress_tests -- one test per way the public API was found to crash,
%% hang or mislead the VM (issue 9), over test/nifs/regress_nif.c. Each
%% asserts the exact outcome the fix gives; before it, each one failed.
-module(regress_tests).
-include_lib("eunit/include/eunit.hrl").

-define(M, regress_nif).

%% --- Helpers -----------------------------------------------------------------

panic(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:{nif_panicked, #{message := Message, phase := Phase,
                               location := Location} = Info}
          when map_size(Info) =:= 3 ->
            {Phase, Message, Location}
    end.

badarg(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:badarg:Stack ->
            [{?M, _, _, Info} | _] = Stack,
            #{module := cnif_error, cause := {ArgNo, Path, Reason}} =
                proplists:get_value(error_info, Info),
            {ArgNo, cnif_error:message(Path, Reason)}
    end.

%% <<"regress_nif.c:Line">> of the line marked "site:Name".
site(Name) ->
    {ok, Source} = file:read_file("test/nifs/regress_nif.c"),
    Lines = binary:split(Source, <<"\n">>, [global]),
    Marker = <<"site:", (atom_to_binary(Name))/binary, " ">>,
    [Line] = [N || {N, Text} <- lists:zip(lists:seq(1, length(Lines)), Lines),
                   binary:match(<<Text/binary, " ">>, Marker) =/= nomatch],
    iolist_to_binary(["regress_nif.c:", integer_to_list(Line)]).

nested(Depth, Leaf) ->
    lists:foldl(fun(_, Acc) -> [Acc] end, Leaf, lists:seq(1, Depth)).

%% --- Sizes no allocator can satisfy ------------------------------------------
%% Every entry point, at 2^62, SIZE_MAX and 2^50 (within the bound cnif
%% checks first, so erl_nif's own allocator is asked and says no): a panic
%% saying out of memory, never "binary_alloc: Cannot allocate" and an
%% aborted VM.

huge_sizes_panic_out_of_memory_test_() ->
    Sizes = [1 bsl 62, (1 bsl 64) - 1, 1 bsl 50],
    [{atom_to_list(Entry) ++ " " ++ integer_to_list(Size),
      fun() -> check_out_of_memory(Entry, Size) end}
     || Entry <- [bin_new, bin_encode, str_encode, builder_alloc,
                  builder_realloc, resource, alloc],
        Size <- Sizes,
        %% A string is validated before it is copied: 2^50 bytes to read
        %% could only be a lie about a buffer's size.
        {Entry, Size} =/= {str_encode, 1 bsl 50}].

%% Located at the NIF's export line: the caller's file, not cnif's.
check_out_of_memory(Entry, Size) ->
    {Phase, Message, Location} = panic(fun() -> ?M:ask_size(Entry, Size) end),
    ?assertEqual({Entry, expected_phase(Entry), site(ask_size)},
                 {Entry, Phase, Location}),
    ?assertMatch({match, _}, re:run(Message, "^out of memory")).

expected_phase(bin_encode) -> encode;
expected_phase(str_encode) -> encode;
expected_phase(_) -> call.

%% The sized resource form, where memory allows: the bytes are there.
sized_resource_test() ->
    ?assertEqual(100000, ?M:blob_sum(100000)),
    ?assertEqual(0, ?M:blob_sum(0)).

%% An iolist is flattened by cnif itself: no recursion, any nesting, a
%% binary tail, and exactly the bytes erlang:iolist_to_binary gives.
iolist_flattening_test() ->
    Deep = nested(300000, [<<"ab">>, $c | <<"d">>]),
    ?assertEqual(4, ?M:iolist_size(Deep)),
    Mixed = [1, [2, <<3, 4>>, [], [[5]]], <<>> | <<6>>],
    ?assertEqual(iolist_to_binary(Mixed), ?M:iolist_flat(Mixed)),
    ?assertEqual(<<>>, ?M:iolist_flat([])),
    ?assertEqual(<<>>, ?M:iolist_flat([[], [[]]])),
    ?assertEqual({1, "expected iodata, got: [1,256]"},
                 badarg(fun() -> ?M:iolist_flat([1, 256]) end)),
    ?assertEqual({1, "expected iodata, got: [1|2]"},
                 badarg(fun() -> ?M:iolist_flat([1 | 2]) end)),
    ?assertEqual({1, "expected iodata, got: [<<1:1>>]"},
                 badarg(fun() -> ?M:iolist_flat([<<1:1>>]) end)).

%% An iolist of 256 TB, more than an address space holds, made of one
%% shared 64 MB binary: refused as out of memory (erts's own flattening
%% would abort the VM).
iolist_larger_than_memory_test() ->
    Shared = binary:copy(<<0>>, 1 bsl 26),
    Huge = lists:duplicate(1024, lists:duplicate(4096, Shared)),
    ?assertEqual(1 bsl 48, iolist_size(Huge)),
    ?assertEqual({decode, <<"out of memory: cannot allocate 281474976710656 bytes">>,
                  site(iolist_size)},
                 panic(fun() -> ?M:iolist_size(Huge) end)).

%% --- A tuple built in C --------------------------------------------------------

c_built_tuple_test() ->
    ?assertEqual(20, ?M:pair_at(1)),
    ?assertEqual({1, "expected a tuple of at least 6 elements, got: {10,20}"},
                 badarg(fun() -> ?M:pair_at(5) end)),
    ?assertEqual({1, "tuple index -1 is negative"},
                 badarg(fun() -> ?M:pair_at(-1) end)).

unset_term_in_a_report_test() ->
    ?assertEqual({1, "expected a term that was never set, got no term "
                     "(an unset ERL_NIF_TERM)"},
                 badarg(fun() -> ?M:takes_unset(x) end)).

%% --- An encoder that returns no term ------------------------------------------

unset_term_from_an_encoder_test() ->
    ?assertEqual({encode, <<"cnif_encode_unset_out returned no term (0): an encoder "
                            "must return a term it made">>, site(give_unset)},
                 panic(fun() -> ?M:give_unset() end)),
    ?assertEqual({encode, <<"cnif_encode_unset_out returned no term (0): an encoder "
                            "must return a term it made">>, site(give_unset_list)},
                 panic(fun() -> ?M:give_unset_list(3) end)),
    ?assertEqual([], ?M:give_unset_list(0)),
    ?assertEqual({call, <<"raw_unset returned no term (0): an encoder must return a "
                          "term it made">>, site(raw_unset)},
                 panic(fun() -> ?M:raw_unset() end)).

array_of_bool_test() ->
    ?assertEqual([true, false, true], ?M:echo_bools([true, false, true])),
    ?assertEqual({1, "[1]: expected a boolean, got: 1"},
                 badarg(fun() -> ?M:echo_bools([true, 1]) end)).

%% --- Recursive one-of: linear work -------------------------------------------
%% The leaf decodes for a failing term D deep grow by the same amount for
%% every level: linear, where they were 2^(D+1).

leaf_decodes(Fun) ->
    ?M:leaf_count(),
    _ = try Fun() catch _:_ -> failed end,
    ?M:leaf_count().

linear_in_depth(Echo) ->
    Counts = [leaf_decodes(fun() -> ?M:Echo(nested(D, bad)) end)
              || D <- [10, 20, 40, 80]],
    [C10, C20, C40, C80] = Counts,
    Step = (C20 - C10) div 10,
    ?assert(Step =< 2),
    ?assertEqual([C10 + 10 * Step, C10 + 30 * Step, C10 + 70 * Step],
                 [C20, C40, C80]).

recursive_one_of_is_linear_test() ->
    linear_in_depth(echo_expr).

twice_recursive_one_of_is_linear_test() ->
    linear_in_depth(echo_twin).

%% A deep term at the size that took seconds and hundreds of megabytes
%% (23 levels) or never returned (40): its report is the innermost one.
recursive_one_of_report_test() ->
    ?assertEqual({1, "..." ++ lists:append(lists:duplicate(32, "[0]"))
                      ++ ": expected an integer or a list, got: bad"},
                 badarg(fun() -> ?M:echo_expr(nested(40, bad)) end)),
    ?assertEqual({1, "[0][1]: expected an integer or a list, got: bad"},
                 badarg(fun() -> ?M:echo_expr([[1, bad]]) end)),
    ?assertEqual(nested(40, 7), ?M:echo_expr(nested(40, 7))),
    ?assertEqual([1, [2, [3]], []], ?M:echo_twin([1, [2, [3]], []])),
    ?assertEqual({1, "..." ++ lists:append(lists:duplicate(32, "[0]"))
                     ++ ": expected an integer or nested deeper than 512 levels, "
                        "got: " ++ lists:duplicate(20, $[) ++ "..." ++ lists:duplicate(20, $])},
                 badarg(fun() -> ?M:echo_expr(nested(600, 1)) end)).

%% A term shared at two depths: the depth bound fails the deep copy only.
shared_subterm_at_two_depths_test() ->
    X = nested(509, 1),
    ?assertEqual([X], ?M:echo_expr([X])),
    ?assertEqual({1, "..." ++ lists:append(lists:duplicate(32, "[0]"))
                     ++ ": expected an integer or nested deeper than 512 levels, "
                        "got: [1]"},
                 badarg(fun() -> ?M:echo_expr([X, [[[X]]]]) end)).

%% --- Atoms with NUL --------------------------------------------------------------

nul_atoms_test() ->
    RedNul = list_to_atom("red\0x"),
    ?assertEqual({1, "expected red or green, got: 'red\\000x'"},
                 badarg(fun() -> ?M:echo_color(RedNul) end)),
    ?assertEqual(-1, ?M:color_index(RedNul)),
    ?assertEqual(0, ?M:color_index(red)),
    ?assertEqual({1, "expected an atom without NUL characters, got: 'red\\000x'"},
                 badarg(fun() -> ?M:echo_atom(RedNul) end)),
    ?assertEqual(red, ?M:echo_color(red)),
    ?assertEqual('a b', ?M:echo_atom('a b')).

%% --- Atoms beyond Latin-1 (OTP 25's atom API is Latin-1 only) ----------------------

unicode_atoms_test() ->
    Cyrillic = list_to_atom([1082, 1083, 1102, 1095]),
    ?assertEqual(Cyrillic, ?M:echo_atom(Cyrillic)),
    ?assertEqual('日本', ?M:echo_atom('日本')),
    ?assertEqual('日本', ?M:atom_named(<<"日本"/utf8>>)),
    ?assertEqual(1, ?M:key_value(#{'日本' => 1}, <<"日本"/utf8>>)),
    %% A name no atom has yet: not found, and not made.
    Count = erlang:system_info(atom_count),
    ?assertEqual(missing, ?M:key_value(#{a => 1}, <<"никогда_не_было_такого"/utf8>>)),
    ?assertEqual(Count, erlang:system_info(atom_count)),
    Long = unicode:characters_to_binary(lists:duplicate(256, 1082)),
    ?assertMatch({encode, <<"cannot encode \"", _/binary>>, _},
                 panic(fun() -> ?M:atom_named(Long) end)).

%% --- A returned value that looks like a report -----------------------------------

lookalike_report_is_a_value_test() ->
    Forged = [{'$cnif_badarg', 1, <<>>, <<"x">>},
              {'$cnif_badarg', 0, 1, <<>>, <<"x">>},
              {'$cnif_badarg', 1, <<>>, {expected, 1, 2}},
              {'$cnif_badarg', x, y, z, w}],
    [?assertEqual(F, ?M:echo_term(F)) || F <- Forged],
    %% The real secret of another module does not pass either.
    Other = persistent_term:get({cnif_secret, regress_nif}) + 1,
    Mine = {'$cnif_badarg', Other, 1, <<>>, <<"x">>},
    ?assertEqual(Mine, ?M:echo_term(Mine)).

%% The formatter prints any cause, even one cnif did not make.
formatter_takes_any_cause_test() ->
    ?assertEqual("{1,2}", cnif_error:message(<<>>, {1, 2})),
    ?assertEqual("x: why", cnif_error:message(x, <<"why">>)).

%% --- cnif_raise_badarg's argument number -----------------------------------------

raise_badarg_in_range_test() ->
    %% 0: the call as a whole.
    ?assertEqual({0, "argument 0 is wrong"},
                 badarg(fun() -> ?M:raise_badarg_at(0, 0) end)),
    ?assertEqual({1, "argument 1 is wrong"},
                 badarg(fun() -> ?M:raise_badarg_at(1, 0) end)),
    ?assertEqual({2, "argument 2 is wrong"},
                 badarg(fun() -> ?M:raise_badarg_at(2, 0) end)).

raise_badarg_out_of_range_test_() ->
    [fun() ->
             Text = iolist_to_binary(
                      io_lib:format("cnif_raise_badarg: argument ~b does not "
                                    "exist: this call has 2 arguments", [N])),
             ?assertEqual({call, Text, site(raise_badarg)},
                          panic(fun() -> ?M:raise_badarg_at(N, 0) end))
     end || N <- [3, 99, -1, -(1 bsl 31), (1 bsl 31) - 1]].

raise_badarg_with_no_arguments_test() ->
    ?assertEqual({call, <<"cnif_raise_badarg: argument 1 does not exist: this "
                          "call has 0 arguments">>, site(raise_badarg0)},
                 panic(fun() -> ?M:raise_badarg_arity0() end)).

%% --- Inside cnif_try, the outer call's state --------------------------------------

try_sees_yield_due_test() ->
    ?assertEqual(true, ?M:try_sees_yield(true)).

try_sees_job_cancelled_test() ->
    ?M:try_cancel_seen(),
    Caller = spawn(fun() -> ?M:try_sees_cancel(10000), receive after infinity -> ok end end),
    timer:sleep(50),
    exit(Caller, kill),
    ?assertEqual(1, wait_value(fun ?M:try_cancel_seen/0, 200)).

try_in_a_plain_call_test() ->
    ?assertEqual(true, ?M:try_plain()).

%% --- cnif_priv in a threaded NIF's body --------------------------------------------

priv_in_a_job_test() ->
    [begin
         Ref = ?M:F(),
         ?assertEqual({Ref, 42}, receive {Ref, _} = Reply -> Reply after 5000 -> timeout end)
     end || F <- [priv_in_pool, priv_in_thread]].

%% --- Calls that need a process, where there is none --------------------------------

no_timeslice_without_a_process_test() ->
    Ref = ?M:slice_in_job(),
    ?assertEqual({Ref, false}, receive {Ref, _} = R -> R after 5000 -> timeout end),
    ?M:slice_in_destroy(),
    spawn(fun() -> ?M:sliced_drop() end),
    ?assertEqual(0, wait_value(fun ?M:slice_in_destroy/0, 200)).

no_select_in_a_job_test() ->
    Ref = ?M:select_in_job(),
    ?assertEqual({Ref, {error, {nif_panicked,
                               #{message => <<"cnif_select in a threaded NIF: no process "
                                              "is calling to notify; select in a NIF call">>,
                                 phase => call, location => site(select_in_job)}}}},
                 receive {Ref, _} = R -> R after 5000 -> timeout end).

wait_value(_, 0) ->
    timeout;
wait_value(Read, N) ->
    case Read() of
        -1 -> timer:sleep(10), wait_value(Read, N - 1);
        Value -> Value
    end.

%% --- A yielding call's cleanup gets an env that is valid where it runs -------------

defer_env_in_the_ending_slice_test() ->
    ?assertEqual({cleanup, <<"cleanup with its own env">>, site(defer_env)},
                 panic(fun() -> ?M:defer_env_yield(false) end)).

defer_env_in_the_state_destructor_test() ->
    with_reporter(
      fun() ->
              Pid = spawn(fun() -> ?M:defer_env_yield(true) end),
              timer:sleep(20),
              exit(Pid, kill),
              ?assertEqual(#{label => {cnif, callback_failed}, module => regress_nif,
                             callback => cleanup,
                             resource => <<"cancelled yielding call">>,
                             message => <<"cleanup with its own env">>,
                             location => site(defer_env)},
                           next_report())
      end).

%% --- A callback's report names the callback ---------------------------------------

callback_report_names_the_callback_test() ->
    with_reporter(
      fun() ->
              spawn(fun() -> ?M:fragile_drop() end),
              ?assertEqual(#{label => {cnif, callback_failed},
                             module => regress_nif, callback => destroy,
                             resource => <<"fragile">>,
                             message => <<"destroy failed">>,
                             location => site(fragile_destroy)},
                           next_report())
      end).

%% Fun() with this process in the reporter's place: reports come here.
with_reporter(Fun) ->
    Reporter = whereis(cnif_reporter),
    true = unregister(cnif_reporter),
    register(cnif_reporter, self()),
    try Fun()
    after
        unregister(cnif_reporter),
        register(cnif_reporter, Reporter)
    end.

next_report() ->
    receive {'$cnif_report', Report} -> Report after 5000 -> no_report end.
