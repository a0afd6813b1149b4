%% boundary_tests -- the guarded boundary, end to end, in a real VM:
%% every way a call can end (return, raise, bad argument, a panic in each
%% phase), cleanups under each of them, nested guards, raw and dirty NIFs,
%% leaks over 100,000 panicking calls, symbol visibility, two cnif
%% libraries side by side, and a load hook that panics.
%%
%% Panic locations are not written down here: each deliberate panic in the
%% C sources sits on a line marked "site:NAME", and location/2 finds it.
-module(boundary_tests).
-include_lib("eunit/include/eunit.hrl").
-export([log/2]).

-define(M, boundary_nif).

%%% Helpers

%% <<"File:Line">> of the marker comment "/* site:Site */" in test/nifs/File.
location(File, Site) ->
    {ok, Text} = file:read_file(filename:join(nifs_dir(), File)),
    Marker = iolist_to_binary(["/* site:", Site, " */"]),
    Lines = binary:split(Text, <<"\n">>, [global]),
    [N] = [N || {N, Line} <- lists:zip(lists:seq(1, length(Lines)), Lines),
                binary:match(Line, Marker) =/= nomatch],
    iolist_to_binary([File, ":", integer_to_list(N)]).

nifs_dir() ->
    Source = proplists:get_value(source, ?MODULE:module_info(compile)),
    filename:join(filename:dirname(Source), "nifs").

panicked(Message, Phase, Site) ->
    panicked("boundary_nif.c", Message, Phase, Site).

panicked(File, Message, Phase, Site) ->
    {nif_panicked, #{message => Message, phase => Phase,
                     location => location(File, Site)}}.

%% What calling F raised with class error, or {returned, Value}.
error_of(F) ->
    try F() of
        Value -> {returned, Value}
    catch
        error:Reason -> Reason
    end.

%% The error_info cause the generated wrapper attached to error:badarg,
%% after checking the frame names the wrapper and the caller's arguments.
badarg_cause(Function, Args) ->
    badarg_cause(?M, Function, Args).

badarg_cause(Module, Function, Args) ->
    try apply(Module, Function, Args) of
        Value -> {returned, Value}
    catch
        error:badarg:Stack ->
            [{Module, Function, Args, Info} | _] = Stack,
            #{module := cnif_error, cause := Cause} =
                proplists:get_value(error_info, Info),
            Cause
    end.

%% Every message in the mailbox, oldest first. Cleanups send theirs before
%% the NIF returns, so nothing is still on its way.
mailbox() ->
    receive Msg -> [Msg | mailbox()] after 0 -> [] end.

cleanups(Tags) ->
    [{cleanup, T} || T <- Tags].

%% "abcd...zabc..." of Len bytes, as panic_long and badarg_long make it.
pattern(Len) ->
    list_to_binary([$a + I rem 26 || I <- lists:seq(0, Len - 1)]).

%%% The panic matrix: each phase, the documented term, the VM alive after

panic_in_decoder_test() ->
    ?assertEqual(panicked(<<"decoder refused 1001">>, decode, "decode"),
                 error_of(fun() -> ?M:echo_probe(1001) end)).

failed_assert_in_decoder_test() ->
    ?assertEqual(panicked(<<"assertion failed: *out != DECODE_ASSERT">>,
                          decode, "assert"),
                 error_of(fun() -> ?M:echo_probe(1002) end)).

panic_in_body_three_calls_down_test() ->
    ?assertEqual({returned, 10}, error_of(fun() -> ?M:deep_panic(3, false) end)),
    ?assertEqual(panicked(<<"third gave up on -8">>, call, "deep"),
                 error_of(fun() -> ?M:deep_panic(-5, false) end)).

panic_with_null_env_test() ->
    ?assertEqual(panicked(<<"no env for -8">>, call, "orphan"),
                 error_of(fun() -> ?M:deep_panic(-5, true) end)).

panic_in_return_encoder_test() ->
    ?assertEqual({returned, 5}, error_of(fun() -> ?M:echo_probe(5) end)),
    ?assertEqual(panicked(<<"encoder refused 1003">>, encode, "encode"),
                 error_of(fun() -> ?M:echo_probe(1003) end)).

%% The list encoder works from the last element back, so element 500 of
%% 1000 panics with 499 elements encoded and 500 still to go; 0 and 999
%% are the last and the first to be encoded.
panic_halfway_through_a_list_test() ->
    Xs = lists:seq(0, 999),
    ?assertEqual({returned, [{I, I * I} || I <- Xs]},
                 error_of(fun() -> ?M:items(Xs, -1) end)),
    [?assertEqual(panicked(iolist_to_binary(["item ", integer_to_list(At),
                                             " cannot be encoded"]),
                           encode, "item"),
                  error_of(fun() -> ?M:items(Xs, At) end))
     || At <- [500, 0, 999]].

bad_list_element_names_its_index_test() ->
    ?assertEqual({1, <<"[2]">>, {expected, <<"an integer">>, foo}},
                 badarg_cause(items, [[0, 1, foo], -1])),
    ?assertEqual({1, <<"[1230]">>, {expected, <<"an integer">>, foo}},
                 badarg_cause(items, [lists:seq(1, 1230) ++ [foo], -1])).

panic_in_cleanup_of_a_returned_call_test() ->
    mailbox(),
    ?assertEqual(panicked(<<"cleanup lone panicked">>, cleanup, "cleanup"),
                 error_of(fun() ->
                                  ?M:run_plan({self(), [1, {panic, <<"lone">>}, 3]},
                                              return)
                          end)),
    ?assertEqual(cleanups([3, 1]), mailbox()).

%% CNIF_RAISE encodes the exception in the encode phase: a panicking
%% encoder there is reported as a panic, not raised half-built.
panic_while_building_the_exception_test() ->
    ?assertEqual(7, error_of(fun() -> ?M:raise_probe(7) end)),
    ?assertEqual(panicked(<<"encoder refused 1003">>, encode, "encode"),
                 error_of(fun() -> ?M:raise_probe(1003) end)).

panic_message_is_printf_formatted_test() ->
    ?assertEqual(panicked(<<"i=-42 s=héllo d=2.500 hex=0xffffffffffffffd6"/utf8>>,
                          call, "format"),
                 error_of(fun() -> ?M:panic_format(-42, <<"héllo"/utf8>>, 2.5) end)).

%% CNIF_MESSAGE_MAX is 512 bytes with the NUL: 511 bytes are kept.
long_panic_message_is_cut_at_511_bytes_test() ->
    [?assertEqual(panicked(pattern(min(Len, 511)), call, "long"),
                  error_of(fun() -> ?M:panic_long(Len) end))
     || Len <- [0, 1, 510, 511, 512, 100000]].

%% "i=1 s=" is 6 bytes, so 505 bytes remain: 252 two-byte characters and
%% half of one, which is dropped rather than kept as broken UTF-8.
long_panic_message_is_cut_at_a_character_test() ->
    E = <<"é"/utf8>>,
    ?assertEqual(panicked(<<"i=1 s=", (binary:copy(E, 252))/binary>>, call, "format"),
                 error_of(fun() -> ?M:panic_format(1, binary:copy(E, 300), 0.0) end)).

long_badarg_reason_is_cut_at_511_bytes_test() ->
    ?assertEqual({1, <<>>, pattern(511)}, badarg_cause(badarg_long, [100000])).

vm_survives_the_panics_test() ->
    [try ?M:echo_probe(P) catch _:_ -> failed end
     || P <- [1001, 1002, 1003], _ <- lists:seq(1, 100)],
    ?assertEqual(3, ?M:add(1, 2)),
    ?assert(is_process_alive(self())).

%%% Cleanups: reverse order under every outcome

%% How run_plan({Pid, [1, 2, 3, 4]}, How) ends, with the four cleanups,
%% registered while decoding argument 1, run last to first every time.
cleanup_order_test_() ->
    Cases = [{return, {returned, 4}},
             {encode, panicked(<<"encoder refused 1003">>, encode, "encode")},
             {raise, {raised, 4}},
             {badarg, badarg},
             {panic, panicked(<<"told to panic after 4 cleanups">>, call, "end")},
             {assert, panicked(<<"assertion failed: how != END_ASSERT">>, call,
                               "end_assert")}],
    [{atom_to_list(How),
      fun() ->
              mailbox(),
              ?assertEqual(Expected,
                           error_of(fun() -> ?M:run_plan({self(), [1, 2, 3, 4]}, How) end)),
              ?assertEqual(cleanups([4, 3, 2, 1]), mailbox())
      end} || {How, Expected} <- Cases].

%% cnif_raise_badarg from the body, through the generated wrapper: plain
%% error:badarg, the argument number and reason in error_info, and the
%% shell's rendering of it.
raise_badarg_reaches_error_info_test() ->
    mailbox(),
    Plan = {self(), [1, 2, 3, 4]},
    ?assertEqual({2, <<>>, <<"told to fail after 4 cleanups">>},
                 badarg_cause(run_plan, [Plan, badarg])),
    try ?M:run_plan(Plan, badarg) catch
        error:badarg:Stack ->
            ?assertEqual(#{2 => "told to fail after 4 cleanups"},
                         cnif_error:format_error(badarg, Stack)),
            Text = lists:flatten(erl_error:format_exception(error, badarg, Stack)),
            ?assertNotEqual(nomatch,
                            string:find(Text, "*** argument 2: told to fail after 4 cleanups\n"))
    end,
    ?assertEqual(cleanups([4, 3, 2, 1, 4, 3, 2, 1]), mailbox()).

%% A bad argument that is the call's as a whole (argno 0), as a NIF with
%% no arguments raises it: error_info's general message.
raise_badarg_of_the_call_test() ->
    ?assertEqual({0, <<>>, <<"no device is open">>}, badarg_cause(closed_device, [])),
    Stack = try ?M:closed_device() of
                Value -> {returned, Value}
            catch
                error:badarg:Trace -> Trace
            end,
    ?assertEqual(#{general => <<"no device is open">>}, cnif_error:format_error(badarg, Stack)),
    Text = lists:flatten(erl_error:format_exception(error, badarg, Stack)),
    ?assertNotEqual(nomatch, string:find(Text, "\n     *** no device is open\n")).

%% Argument 2 fails to decode after argument 1 registered its cleanups.
cleanups_run_on_a_bad_argument_test() ->
    mailbox(),
    ?assertEqual({2, <<>>, {expected, <<"return, encode, raise, badarg, panic or assert">>,
                            bogus}},
                 badarg_cause(run_plan, [{self(), [1, 2, 3, 4]}, bogus])),
    ?assertEqual(cleanups([4, 3, 2, 1]), mailbox()).

%% A step that fails to decode: the ones before it already registered
%% their cleanups.
cleanups_run_when_the_decoder_itself_fails_test() ->
    mailbox(),
    ?assertEqual({1, <<"[1][2]">>, {expected, <<"a cleanup step">>, nope}},
                 badarg_cause(run_plan, [{self(), [1, 2, nope]}, return])),
    ?assertEqual(cleanups([2, 1]), mailbox()).

%% The body panics; while unwinding, cleanup "second" panics too. The
%% cleanups after it still run, and the first panic is the one reported.
panic_in_cleanup_while_unwinding_a_panic_test() ->
    mailbox(),
    ?assertEqual(panicked(<<"told to panic after 3 cleanups">>, call, "end"),
                 error_of(fun() ->
                                  ?M:run_plan({self(), [1, {panic, <<"second">>}, 3]}, panic)
                          end)),
    ?assertEqual(cleanups([3, 1]), mailbox()).

%% Two cleanups of a returned call panic: "b" runs first, so it is reported.
two_panicking_cleanups_report_the_first_test() ->
    mailbox(),
    ?assertEqual(panicked(<<"cleanup b panicked">>, cleanup, "cleanup"),
                 error_of(fun() ->
                                  ?M:run_plan({self(), [1, {panic, <<"a">>}, {panic, <<"b">>}, 4]},
                                              return)
                          end)),
    ?assertEqual(cleanups([4, 1]), mailbox()).

%% A cleanup that reports a bad argument, or runs a decoder that fails,
%% must not rewrite the report of a call that already ended otherwise.
cleanup_cannot_rewrite_a_settled_report_test_() ->
    Plan = fun(Step) -> {self(), [1, Step, 3]} end,
    Late = {badarg, <<"late">>},
    [{"badarg after a panic",
      ?_assertEqual(panicked(<<"told to panic after 3 cleanups">>, call, "end"),
                    error_of(fun() -> ?M:run_plan(Plan(Late), panic) end))},
     {"badarg after a badarg",
      ?_assertEqual({2, <<>>, <<"told to fail after 3 cleanups">>},
                    badarg_cause(run_plan, [Plan(Late), badarg]))},
     {"badarg after a return",
      ?_assertEqual({1, <<>>, <<"late">>}, badarg_cause(run_plan, [Plan(Late), return]))},
     {"failed decode after a bad argument",
      ?_assertEqual({2, <<>>, {expected, <<"return, encode, raise, badarg, panic or assert">>,
                               bogus}},
                    badarg_cause(run_plan, [Plan({decode, foo}), bogus]))},
     {"failed decode after a panic",
      ?_assertEqual(panicked(<<"told to panic after 3 cleanups">>, call, "end"),
                    error_of(fun() -> ?M:run_plan(Plan({decode, foo}), panic) end))},
     {"failed decode after a return is no error",
      ?_assertEqual({returned, 3},
                    error_of(fun() -> ?M:run_plan(Plan({decode, foo}), return) end))}].

%%% Raising on purpose, typed results

raise_any_term_test() ->
    Terms = [foo, {a, [1, 2], #{k => v}}, <<"bin">>, 12345678901234567890, 1.5,
             [], self(), make_ref(), fun lists:reverse/1,
             #{'__struct__' => 'Elixir.RuntimeError', '__exception__' => true,
               message => <<"boom">>}],
    [?assertEqual({error, T}, try ?M:raise_term(T) catch C:R -> {C, R} end)
     || T <- Terms].

typed_results_test() ->
    ?assertEqual({ok, 3}, ?M:safe_div(7, 2)),
    ?assertEqual({error, division_by_zero}, ?M:safe_div(7, 0)),
    ?assertEqual({error, overflow}, ?M:safe_div(-16#8000000000000000, -1)),
    ?assertEqual(ok, ?M:noop()).

%% CNIF_EXPORT_AS: one C function, another Erlang name, its own wrapper.
export_as_test() ->
    ?assertEqual({ok, 3}, ?M:checked_div(7, 2)),
    ?assertEqual({error, division_by_zero}, ?M:checked_div(7, 0)),
    ?assertError(badarg, ?M:checked_div(7, x)),
    ?assertEqual({'$cnif_badarg', persistent_term:get({cnif_secret, ?M}), 2,
                  <<>>, {expected, <<"an integer">>, x}},
                 ?M:'$cnif_call'(checked_div_nif, [7, x])).

%%% Nested guards

%% try_once(Pid, How): the inner guard's cleanup runs before cnif_try
%% returns (after_try comes after it), the outer one when the call ends;
%% the outer call returns what it caught.
cnif_try_test_() ->
    Cases = [{return, {returned, 1}},
             {encode, {caught, panicked(<<"encoder refused 1003">>, encode, "encode")}},
             {raise, {caught, {raised, 1}}},
             {badarg, {caught, {badarg, #{argno => 2, path => <<>>,
                                          reason => <<"told to fail after 1 cleanups">>}}}},
             {panic, {caught, panicked(<<"told to panic after 1 cleanups">>, call, "end")}},
             {assert, {caught, panicked(<<"assertion failed: how != END_ASSERT">>, call,
                                        "end_assert")}}],
    [{atom_to_list(How),
      fun() ->
              mailbox(),
              ?assertEqual(Expected, ?M:try_once(self(), How)),
              ?assertEqual([{cleanup, inner}, after_try, {cleanup, outer}], mailbox())
      end} || {How, Expected} <- Cases].

cnif_try_nested_twice_test() ->
    mailbox(),
    ?assertEqual({caught, {middle_saw, panicked(<<"innermost gave up">>, call, "innermost")}},
                 ?M:try_twice(self())),
    ?assertEqual([{cleanup, innermost}, {cleanup, middle}, after_try, {cleanup, outer}],
                 mailbox()).

%%% Raw-term NIFs

raw_nif_test() ->
    ?assertEqual(6, ?M:raw_sum(1, 2, 3)),
    ?assertEqual({1, <<>>, {expected, <<"an integer">>, 1.5}},
                 badarg_cause(raw_sum, [1.5, 2, 3])),
    ?assertEqual({2, <<>>, {expected, <<"an integer">>, foo}},
                 badarg_cause(raw_sum, [1, foo, 3])),
    ?assertEqual({3, <<>>, {expected, <<"an integer">>, "3"}},
                 badarg_cause(raw_sum, [1, 2, "3"])),
    %% A raw NIF decodes in its body, so its decoders run in phase call.
    ?assertEqual(panicked(<<"decoder refused 1001">>, call, "decode"),
                 error_of(fun() -> ?M:raw_sum(1, 2, 1001) end)).

%%% Normal and dirty schedulers

schedulers_test_() ->
    [{atom_to_list(Kind),
      fun() ->
              ?assertEqual({Kind, 3}, ?M:F(3, false)),
              ?assertEqual(panicked(<<"panicked with 3">>, call, "sched"),
                           error_of(fun() -> ?M:F(3, true) end)),
              ?assertEqual(panicked(<<"decoder refused 1001">>, decode, "decode"),
                           error_of(fun() -> ?M:F(1001, false) end)),
              ?assertEqual(panicked(<<"encoder refused 1003">>, encode, "encode"),
                           error_of(fun() -> ?M:F(1003, false) end))
      end} || {Kind, F} <- [{normal, on_normal}, {dirty_cpu, on_dirty_cpu},
                            {dirty_io, on_dirty_io}]].

%% 64 processes, each making 120 calls that cycle through the three
%% schedulers and four outcomes, all at once.
many_processes_on_all_schedulers_test_() ->
    {timeout, 60,
     fun() ->
             Kinds = [{normal, on_normal}, {dirty_cpu, on_dirty_cpu},
                      {dirty_io, on_dirty_io}],
             Outcomes = [{7, false, {returned, fun(K) -> {K, 7} end}},
                         {7, true, panicked(<<"panicked with 7">>, call, "sched")},
                         {1001, false, panicked(<<"decoder refused 1001">>, decode, "decode")},
                         {1003, false, panicked(<<"encoder refused 1003">>, encode, "encode")}],
             Expect = fun({returned, Make}, Kind) -> {returned, Make(Kind)};
                         (Panic, _) -> Panic
                      end,
             Work = fun(Seed) ->
                            [begin
                                 {Kind, F} = lists:nth(1 + (Seed + I) rem 3, Kinds),
                                 {P, Panic, Outcome} = lists:nth(1 + (Seed * 7 + I) rem 4, Outcomes),
                                 {Expect(Outcome, Kind), error_of(fun() -> ?M:F(P, Panic) end)}
                             end || I <- lists:seq(1, 120)]
                    end,
             Parent = self(),
             Pids = [spawn_link(fun() -> Parent ! {self(), Work(S)} end) || S <- lists:seq(1, 64)],
             Results = lists:append([receive {Pid, R} -> R end || Pid <- Pids]),
             ?assertEqual(64 * 120, length(Results)),
             ?assertEqual([], [R || {Want, Got} = R <- Results, Want =/= Got])
     end}.

%% Call memory outlives no call and is shared with none: the chunk an
%% ended call gives back is kept for a later one (src/spare.c). 48
%% processes on the three kinds of scheduler make 300 calls each, every
%% call filling its block with a tag of its own and reading it back; a
%% chunk handed to two calls at once would show the other's tag.
call_memory_is_the_calls_own_test_() ->
    {timeout, 60,
     fun() ->
             Fs = [own_memory, own_memory_dirty_cpu, own_memory_dirty_io],
             Work = fun(Seed) ->
                            lists:sum([?M:(lists:nth(1 + (Seed + I) rem 3, Fs))((Seed * 300 + I) rem 256, 20)
                                       || I <- lists:seq(1, 300)])
                    end,
             Parent = self(),
             Pids = [spawn_link(fun() -> Parent ! {self(), Work(S)} end) || S <- lists:seq(1, 48)],
             ?assertEqual(lists:duplicate(48, 0), [receive {Pid, N} -> N end || Pid <- Pids])
     end}.

%%% Leaks

%% 100,000 calls that panic, 25,000 in each of decode, call, encode and
%% cleanup, plus 5,000 each that raise, report a bad argument and return.
%% Each phase a call passes through spends 1 KB of call-scoped memory, a
%% 1 KB enif_alloc block freed by a cleanup and a 1 KB binary being built,
%% so a leak of any of them on any path would cost at least 100 MB.
%%
%% Tolerances, measured after a warm-up round so the allocators already
%% hold the carriers they need: erlang:memory(total) may grow by less than
%% 2 MB (it moves by tens of KB between identical rounds) and the OS RSS by
%% less than 16 MB (freed carriers are not always returned to the OS at
%% once). Only growth counts: a leak never shrinks memory, while garbage
%% other tests left behind may be freed during the round. The enif_alloc
%% blocks are counted exactly: none may be outstanding.
no_leaks_after_100000_panics_test_() ->
    {timeout, 120,
     fun() ->
             Run = fun(Scale) ->
                           [leak_round(Phase, N div Scale)
                            || {Phase, N} <- [{decode, 25000}, {call, 25000}, {encode, 25000},
                                              {cleanup, 25000}, {raise, 5000}, {badarg, 5000},
                                              {none, 5000}]]
                   end,
             Run(5),
             {Memory0, Rss0} = footprint(),
             Run(1),
             {Memory1, Rss1} = footprint(),
             ?debugFmt("memory(total) ~b -> ~b (~b bytes), VmRSS ~b -> ~b kB (~b kB)",
                       [Memory0, Memory1, Memory1 - Memory0, Rss0, Rss1, Rss1 - Rss0]),
             ?assertEqual(0, ?M:live_blocks()),
             ?assert(Memory1 - Memory0 < 2 * 1024 * 1024),
             ?assert(Rss1 - Rss0 < 16 * 1024)
     end}.

leak_round(Phase, N) ->
    Expected = case Phase of
                   none -> {returned, 1024};
                   raise -> leak_probe;
                   badarg -> badarg;
                   _ -> Phase
               end,
    Outcome = fun() ->
                      case error_of(fun() -> ?M:leak_probe({Phase, 1024}) end) of
                          {nif_panicked, #{phase := P}} -> P;
                          Other -> Other
                      end
              end,
    ?assertEqual([], lists:filter(fun(Got) -> Got =/= Expected end,
                                  [Outcome() || _ <- lists:seq(1, N)])).

%% erlang:memory(total) in bytes and VmRSS in kB, after a full collection
%% and a moment for exiting processes and deferred frees to finish.
footprint() ->
    [erlang:garbage_collect(P) || P <- processes()],
    timer:sleep(100),
    {ok, Status} = file:read_file("/proc/self/status"),
    [_, Rest] = binary:split(Status, <<"VmRSS:">>),
    [Kb | _] = string:lexemes(binary_to_list(Rest), " \t\n"),
    {erlang:memory(total), list_to_integer(Kb)}.

%%% Symbols and libraries side by side

%% A cnif library exports nif_init and nothing else, cnif's own code
%% included.
only_nif_init_is_exported_test_() ->
    [{atom_to_list(Module),
      fun() ->
              {ok, Path} = cnif:priv_path(Module, Module),
              Out = os:cmd("nm -D --defined-only " ++ Path ++ ".so"),
              Names = [lists:last(string:lexemes(Line, " ")) || Line <- string:lexemes(Out, "\n")],
              ?assertEqual(["nif_init"], Names)
      end} || Module <- [boundary_nif, twin_a, twin_b, bad_load]].

%% glibc takes the thread-local variables of a library loaded with dlopen,
%% once one of them is initial-exec as cnif's guard pointer is, from a
%% small static reserve: each byte counts against how many cnif libraries
%% one VM can load (cnif.h, "How many"). A cnif library's are one pointer.
thread_local_storage_is_one_pointer_test() ->
    {ok, Path} = cnif:priv_path(boundary_nif, boundary_nif),
    Out = os:cmd("readelf -lW " ++ Path ++ ".so"),
    %% Type Offset VirtAddr PhysAddr FileSiz MemSiz Flg Align
    [["TLS", _, _, _, _, MemSiz | _]] =
        [Fields || Line <- string:lexemes(Out, "\n"),
                   ["TLS" | _] = Fields <- [string:lexemes(Line, " ")]],
    ?assertEqual(erlang:system_info(wordsize),
                 list_to_integer(string:prefix(MemSiz, "0x"), 16)).

%% portable_nif registers its NIFs and type the portable way
%% (CNIF_PORTABLE_REGISTRATION), a constructor each into lists of the
%% library's own, as where objects are not ELF; the other libraries gather
%% them by ELF sections in every build but test-asan's. It has none of the
%% sections.
portable_library_has_no_sections_test() ->
    {ok, Path} = cnif:priv_path(portable_nif, portable_nif),
    Out = os:cmd("readelf -SW " ++ Path ++ ".so"),
    ?assertNotEqual(nomatch, string:find(Out, ".text")),
    ?assertEqual(nomatch, string:find(Out, "cnif_")).

%% Both NIFs are found, and the struct type was set up at load: its keys
%% decode, its encoder builds the map, and its failures name the field.
portable_library_runs_test() ->
    ?assertEqual(5, portable_nif:span_length(#{from => 2, to => 7})),
    ?assertEqual(#{from => 12, to => 17},
                 portable_nif:span_shift(#{from => 2, to => 7}, 10)),
    ?assertEqual({1, <<".to">>, {expected, <<"an integer">>, x}},
                 badarg_cause(portable_nif, span_length, [#{from => 2, to => x}])),
    ?assertEqual({1, <<>>, {expected, <<"a map with key to">>, #{from => 2}}},
                 badarg_cause(portable_nif, span_length, [#{from => 2}])),
    ?assertEqual({2, <<>>, {expected, <<"an integer">>, 1.5}},
                 badarg_cause(portable_nif, span_shift, [#{from => 2, to => 7}, 1.5])).

%% Loaded again while its old code stays: the new instance shares the
%% mapped library, whose table of NIFs the first load built; it answers
%% before the old code is purged and after.
portable_library_loads_again_test() ->
    code:purge(portable_nif),
    ?assertEqual({module, portable_nif}, code:load_file(portable_nif)),
    ?assertEqual(true, erlang:check_old_code(portable_nif)),
    ?assertEqual(3, portable_nif:span_length(#{from => 1, to => 4})),
    ?assertEqual(#{from => 0, to => 3},
                 portable_nif:span_shift(#{from => 1, to => 4}, -1)),
    code:purge(portable_nif),
    ?assertEqual(false, erlang:check_old_code(portable_nif)),
    ?assertEqual(-2, portable_nif:span_length(#{from => 4, to => 2})).

%% twin_a and twin_b are the same C source: the same function, static and
%% global names, each with its own copy of libcnif.a.
twins_answer_for_themselves_test() ->
    {twin_a, twin_a, A0} = twin_a:whoami(),
    {twin_b, twin_b, B0} = twin_b:whoami(),
    [twin_a:whoami() || _ <- lists:seq(1, 3)],
    ?assertEqual({twin_a, twin_a, A0 + 4}, twin_a:whoami()),
    ?assertEqual({twin_b, twin_b, B0 + 1}, twin_b:whoami()).

twin_panic_disturbs_only_itself_test() ->
    Panic = fun(Name) -> panicked("twin_a.c", <<Name/binary, " panicked">>, call, "twin") end,
    ?assertEqual(Panic(<<"twin_a">>), error_of(fun twin_a:twin_panic/0)),
    ?assertMatch({twin_b, twin_b, _}, twin_b:whoami()),
    ?assertEqual(Panic(<<"twin_b">>), error_of(fun twin_b:twin_panic/0)),
    ?assertMatch({twin_a, twin_a, _}, twin_a:whoami()),
    Parent = self(),
    Pids = [spawn_link(fun() ->
                               Parent ! {self(), [{error_of(fun M:twin_panic/0), M:whoami()}
                                                  || _ <- lists:seq(1, 200)]}
                       end) || M <- [twin_a, twin_b, twin_a, twin_b]],
    [receive
         {Pid, Results} ->
             Want = Panic(atom_to_binary(M)),
             Wrong = [R || R <- Results,
                           case R of {Want, {M, M, _}} -> false; _ -> true end],
             ?assertEqual({M, 200, []}, {M, length(Results), Wrong})
     end || {Pid, M} <- lists:zip(Pids, [twin_a, twin_b, twin_a, twin_b])].

%%% A load hook that panics

%% The module's on_load gets erlang:load_nif's error, which carries the
%% panic, so the module is not loaded; the code server reports that error
%% (captured here instead of printed), and the VM goes on.
panicking_load_hook_fails_the_load_test() ->
    {ok, #{level := Level}} = logger:get_handler_config(default),
    ok = logger:add_handler(?MODULE, ?MODULE, #{config => self()}),
    ok = logger:update_handler_config(default, level, none),
    Text = "cnif: load hook panicked at " ++ binary_to_list(location("bad_load.c", "load"))
        ++ ": refusing to load: on purpose",
    try
        [begin
             ?assertEqual({error, on_load_failure}, code:ensure_loaded(bad_load)),
             ?assertEqual({error, {load, Text}},
                          receive {on_load, Returned} -> Returned after 1000 -> none end)
         end || _ <- [1, 2]],
        ?assertEqual(false, code:is_loaded(bad_load)),
        ?assertEqual(3, ?M:add(1, 2))
    after
        logger:update_handler_config(default, level, Level),
        logger:remove_handler(?MODULE)
    end.

%% The logger handler for the test above: forwards the code server's
%% report of what bad_load's on_load returned to the test process.
log(#{msg := {report, #{args := [bad_load, Returned | _]}}}, #{config := Pid}) ->
    Pid ! {on_load, Returned};
log(_Event, _Config) ->
    ok.
