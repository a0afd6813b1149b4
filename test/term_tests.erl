%% term_tests -- existing atoms, term operations, processes and map visits,
%% driven through the NIFs of test/nifs/term_nif.c, each answer checked
%% against the BEAM's own BIF (binary_to_existing_atom/1, lists:sort/1,
%% erlang:phash2/1, erlang:whereis/1, ...); bad input as exact bad-argument
%% reports and panics.
%%
%% Panic locations are read from the source, so the tests run from the
%% repository root (as `make test` runs them).
-module(term_tests).
-include_lib("eunit/include/eunit.hrl").

-define(M, term_nif).

%% --- Helpers -----------------------------------------------------------------

%% How Fun() ended: {value, V}, {badarg, ArgNo, Text} with the text the
%% wrapper's error_info prints, or {panic, Phase, Message, Location}.
outcome(Fun) ->
    try {value, Fun()}
    catch
        error:badarg:Stack ->
            [{?M, _, _, Info} | _] = Stack,
            #{module := cnif_error, cause := {ArgNo, Path, Reason}} =
                proplists:get_value(error_info, Info),
            {badarg, ArgNo, cnif_error:message(Path, Reason)};
        error:{nif_panicked, #{message := Message, phase := Phase,
                               location := Location} = Info}
          when map_size(Info) =:= 3 ->
            {panic, Phase, Message, Location}
    end.

%% <<"term_nif.c:Line">> of the one line of the NIF source holding Needle.
site(Needle) ->
    {ok, Source} = file:read_file("test/nifs/term_nif.c"),
    Lines = binary:split(Source, <<"\n">>, [global]),
    [Line] = [N || {N, Text} <- lists:zip(lists:seq(1, length(Lines)), Lines),
                   binary:match(Text, Needle) =/= nomatch],
    iolist_to_binary(["term_nif.c:", integer_to_list(Line)]).

%% The result a threaded NIF sends back.
reply(Ref) ->
    receive {Ref, Result} -> Result after 10000 -> timeout end.

%% A term of every type, in no order.
samples() ->
    [foo, 'hello world', 'Ünïcode', '日本', 0, -1, 1 bsl 70, -(1 bsl 70),
     1.5, -0.25, 1.0, 1, <<>>, <<1, 2, 3>>, <<1:3>>, "abc", [], [1 | 2],
     {}, {a, [b]}, #{}, #{a => 1}, maps:from_list([{K, K} || K <- lists:seq(1, 40)]),
     self(), make_ref(), fun samples/0, fun(X) -> X end, hd(erlang:ports())].

%% --- Existing atoms ------------------------------------------------------------

atom_find_existing_test_() ->
    Long = list_to_atom(lists:duplicate(255, $x)),
    LongWide = list_to_atom(lists:duplicate(255, 16#65E5)),
    [?_assertEqual({ok, A}, ?M:atom_find(unicode:characters_to_binary(atom_to_list(A))))
     || A <- [ok, '', 'héllo', 'ÿ', '日本', 'a\0b', Long, LongWide]].

atom_find_missing_creates_nothing_test() ->
    Names = [<<"term_tests_never_an_atom">>, <<"日本_term_tests_never"/utf8>>,
             <<"h", 16#e9, "llo">>,                      % Latin-1, not UTF-8
             <<255>>, <<"ok", 0>>,
             list_to_binary(lists:duplicate(256, $x)),  % 256 characters
             unicode:characters_to_binary(lists:duplicate(256, 16#65E5))],
    [?M:atom_find(N) || N <- Names], % loads what the calls need
    Before = erlang:system_info(atom_count),
    ?assertEqual(lists:duplicate(length(Names), error), [?M:atom_find(N) || N <- Names]),
    ?assertEqual(Before, erlang:system_info(atom_count)),
    ?assertError(badarg, binary_to_existing_atom(<<"term_tests_never_an_atom">>)),
    ?assertError(badarg, binary_to_existing_atom(<<"日本_term_tests_never"/utf8>>)).

existing_atom_decodes_atoms_and_their_names_test_() ->
    [?_assertEqual(foo, ?M:existing_atom(foo)),
     ?_assertEqual(foo, ?M:existing_atom(<<"foo">>)),
     ?_assertEqual('', ?M:existing_atom(<<>>)),
     ?_assertEqual('日本', ?M:existing_atom(<<"日本"/utf8>>)),
     ?_assertEqual('héllo', ?M:existing_atom(<<"héllo"/utf8>>)),
     ?_assertEqual(['日本', b, c], ?M:existing_atoms([<<"日本"/utf8>>, b, <<"c">>]))].

existing_atom_rejects_test_() ->
    Sub = binary:part(<<"xfoo">>, 1, 3),
    [?_assertEqual(foo, ?M:existing_atom(Sub)),
     ?_assertEqual({badarg, 1, "expected the name of an existing atom, got: <<\"term_tests_no_such_atom\">>"},
                   outcome(fun() -> ?M:existing_atom(<<"term_tests_no_such_atom">>) end)),
     ?_assertEqual({badarg, 1, "expected the name of an existing atom, got: <<255>>"},
                   outcome(fun() -> ?M:existing_atom(<<255>>) end)),
     ?_assertEqual({badarg, 1, "expected an atom or a binary naming one, got: \"foo\""},
                   outcome(fun() -> ?M:existing_atom("foo") end)),
     ?_assertEqual({badarg, 1, "expected an atom or a binary naming one, got: 42"},
                   outcome(fun() -> ?M:existing_atom(42) end)),
     ?_assertEqual({badarg, 1, "expected an atom or a binary naming one, got: <<1:3>>"},
                   outcome(fun() -> ?M:existing_atom(<<1:3>>) end)),
     ?_assertEqual({badarg, 1, "[2]: expected the name of an existing atom, got: <<\"term_tests_nope\">>"},
                   outcome(fun() -> ?M:existing_atoms([a, b, <<"term_tests_nope">>]) end)),
     ?_assertError(badarg, binary_to_existing_atom(<<"term_tests_no_such_atom">>)),
     ?_assertError(badarg, binary_to_existing_atom(<<"term_tests_nope">>))].

%% --- Term operations -----------------------------------------------------------

type_of_test() ->
    Expected = [atom, atom, atom, atom, integer, integer, integer, integer,
                float, float, float, integer, bitstring, bitstring, bitstring,
                list, list, list, tuple, tuple, map, map, map,
                pid, reference, 'fun', 'fun', port],
    ?assertEqual(Expected, [?M:type_of(T) || T <- samples()]).

compare_is_term_order_test() ->
    Samples = samples(),
    Order = fun(A, B) when A < B -> -1; (A, B) when A == B -> 0; (_, _) -> 1 end,
    ?assertEqual([Order(A, B) || A <- Samples, B <- Samples],
                 [?M:compare(A, B) || A <- Samples, B <- Samples]),
    Sorted = lists:sort(fun(A, B) -> ?M:compare(A, B) =< 0 end, Samples),
    ?assertEqual(lists:sort(Samples), Sorted).

compare_is_equality_not_identity_test() ->
    ?assertEqual({0, 0, -1, 1}, {?M:compare(1, 1.0), ?M:compare(<<"a">>, <<"a">>),
                                 ?M:compare(1, a), ?M:compare([], {})}).

phash2_is_erlangs_test() ->
    Terms = samples() ++ [lists:seq(1, 1000), {<<0:8000>>, #{[x] => "y"}}],
    ?assertEqual([erlang:phash2(T) || T <- Terms], [?M:phash2(T) || T <- Terms]).

format_test_() ->
    Pid = self(),
    Ref = make_ref(),
    [?_assertEqual(<<"foo">>, ?M:format(foo)),
     ?_assertEqual(<<"'hello world'">>, ?M:format('hello world')),
     ?_assertEqual(<<"-1180591620717411303424">>, ?M:format(-(1 bsl 70))),
     ?_assertEqual(<<"1.500000e+00">>, ?M:format(1.5)),
     ?_assertEqual(<<"<<1,2,3>>">>, ?M:format(<<1, 2, 3>>)),
     ?_assertEqual(<<"<<1:3>>">>, ?M:format(<<1:3>>)),
     ?_assertEqual(<<"\"abc\"">>, ?M:format("abc")),
     ?_assertEqual(<<"{a,[1|2],#{a=>[]}}">>, ?M:format({a, [1 | 2], #{a => []}})),
     ?_assertEqual(list_to_binary(pid_to_list(Pid)), ?M:format(Pid)),
     ?_assertEqual(list_to_binary(ref_to_list(Ref)), ?M:format(Ref))].

%% Around the first buffer's 256 bytes, and far past it (erl_nif's plain %T
%% stops after 100,000 elements): the whole text, as ~w prints these.
format_is_never_cut_short_test() ->
    Lists = [[20 | lists:duplicate(N, 1)] || N <- lists:seq(120, 132)]
        ++ [lists:seq(1, 150000)],
    Texts = [iolist_to_binary(io_lib:format("~w", [L])) || L <- Lists],
    ?assertEqual(lists:seq(244, 268, 2), [byte_size(T) || T <- lists:droplast(Texts)]),
    ?assertEqual(Texts, [?M:format(L) || L <- Lists]),
    ?assertEqual([byte_size(T) || T <- Texts], [?M:format_nul(L) || L <- Lists]).

format_odd_lengths_test() ->
    Lists = [lists:duplicate(N, 1) || N <- lists:seq(124, 130)],
    ?assertEqual([iolist_to_binary(io_lib:format("~w", [L])) || L <- Lists],
                 [?M:format(L) || L <- Lists]).

%% --- Processes, registered names, references ------------------------------------

pid_compare_is_term_order_test() ->
    Pids = [self(), whereis(code_server), whereis(init), spawn(fun() -> ok end)],
    Order = fun(A, B) when A < B -> -1; (A, B) when A == B -> 0; (_, _) -> 1 end,
    ?assertEqual([Order(A, B) || A <- Pids, B <- Pids],
                 [?M:pid_compare(A, B) || A <- Pids, B <- Pids]).

alive_test() ->
    {Dead, Monitor} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', Monitor, process, Dead, normal} -> ok end,
    ?assertEqual({true, false}, {?M:alive(self()), ?M:alive(Dead)}),
    ?assertEqual({true, false}, {reply(?M:alive_threaded(self())),
                                 reply(?M:alive_threaded(Dead))}),
    ?assertEqual({badarg, 1, "expected a local pid, got: not_a_pid"},
                 outcome(fun() -> ?M:alive(not_a_pid) end)).

make_ref_test() ->
    {A, B} = {?M:make_ref(), ?M:make_ref()},
    ?assertEqual({true, true, false}, {is_reference(A), is_reference(B), A =:= B}).

whereis_test_() ->
    Code = whereis(code_server),
    Port = open_port({spawn, "cat"}, []),
    true = register(term_tests_port, Port),
    Missing = <<"term_tests_never_registered">>,
    Call = fun(F) -> [F(<<"code_server">>), F(<<"term_tests_port">>), F(<<"ok">>), F(Missing)] end,
    Expected = [{pid, Code, Code}, {port, Port}, {none, undefined}, {none, undefined}],
    Direct = Call(fun ?M:whereis/1),
    Threaded = Call(fun(N) -> reply(?M:whereis_threaded(N)) end),
    port_close(Port),
    [?_assertEqual(Expected, Direct),
     ?_assertEqual(Expected, Threaded),
     ?_assertEqual([whereis(code_server), undefined, undefined],
                   [whereis(code_server), whereis(term_tests_port), whereis(ok)]),
     ?_assertError(badarg, binary_to_existing_atom(Missing)),
     ?_assertEqual({badarg, 1, "expected a UTF-8 string, got: code_server"},
                   outcome(fun() -> ?M:whereis(code_server) end))].

%% --- Map visits ----------------------------------------------------------------

%% A map's entries in the order of maps:iterator/1 and maps:next/1.
entries(Map) ->
    Next = fun Next(none) -> []; Next({K, V, It}) -> [{K, V} | Next(maps:next(It))] end,
    Next(maps:next(maps:iterator(Map))).

map_each_test_() ->
    Small = #{1 => a, 2 => b, 3 => c},
    Large = maps:from_list([{K, -K} || K <- lists:seq(1, 40)]),
    All = entries(Large),
    [?_assertEqual({true, []}, ?M:map_each(#{}, forward, 0)),
     ?_assertEqual({true, []}, ?M:map_each(#{}, backward, 1)),
     ?_assertEqual({true, [{1, a}, {2, b}, {3, c}]}, ?M:map_each(Small, forward, 0)),
     ?_assertEqual({true, [{3, c}, {2, b}, {1, a}]}, ?M:map_each(Small, backward, 0)),
     ?_assertEqual(lists:sort(maps:to_list(Large)), lists:sort(All)),
     ?_assertEqual({true, All}, ?M:map_each(Large, forward, 0)),
     ?_assertEqual({true, lists:reverse(All)}, ?M:map_each(Large, backward, 0)),
     %% Stopped at the first entry, the middle one and the last one.
     ?_assertEqual({false, [{1, a}]}, ?M:map_each(Small, forward, 1)),
     ?_assertEqual({false, [{3, c}]}, ?M:map_each(Small, backward, 1)),
     ?_assertEqual({false, lists:sublist(All, 1)}, ?M:map_each(Large, forward, 1)),
     ?_assertEqual({false, [lists:last(All)]}, ?M:map_each(Large, backward, 1)),
     ?_assertEqual({false, lists:sublist(All, 20)}, ?M:map_each(Large, forward, 20)),
     ?_assertEqual({false, lists:sublist(lists:reverse(All), 20)},
                   ?M:map_each(Large, backward, 20)),
     ?_assertEqual({false, All}, ?M:map_each(Large, forward, 40)),
     ?_assertEqual({true, All}, ?M:map_each(Large, forward, 41))].

map_each_rejects_test_() ->
    [?_assertEqual({badarg, 1, "expected a map, got: [{a,1}]"},
                   outcome(fun() -> ?M:map_each([{a, 1}], forward, 0) end)),
     ?_assertEqual({badarg, 2, "expected forward or backward, got: sideways"},
                   outcome(fun() -> ?M:map_each(#{}, sideways, 0) end)),
     ?_assertEqual({panic, call, <<"cnif_map_each: 7 is no cnif_map_direction">>,
                    site(<<"CNIF_EXPORT(map_each_misused,">>)},
                   outcome(fun() -> ?M:map_each_misused(7, #{}) end)),
     ?_assertEqual({panic, call, <<"cnif_map_each on a term that is not a map">>,
                    site(<<"CNIF_EXPORT(map_each_misused,">>)},
                   outcome(fun() -> ?M:map_each_misused(0, 5) end))].

%% A visit that panics ends the call; the iterator is released with it, and
%% the next call iterates as usual.
map_each_panic_in_visit_test() ->
    Large = maps:from_list([{K, K} || K <- lists:seq(1, 40)]),
    ?assertEqual({panic, call, <<"map_each: visited a panic">>,
                  site(<<"\"map_each: visited a panic\"">>)},
                 outcome(fun() -> ?M:map_each(Large#{20 => panic}, backward, 0) end)),
    ?assertEqual({true, entries(Large)}, ?M:map_each(Large, forward, 0)).
