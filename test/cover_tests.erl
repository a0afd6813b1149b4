%% cover_tests -- documented behaviours of cnif that the other suites leave
%% unexercised, found by `make coverage` (docs/coverage.md), over the NIFs of
%% test/nifs/cover_nif.c. Every test asserts the exact value, the exact
%% bad-argument report (argument number, path and reason as the NIF returns
%% them) or the exact panic.
%%
%% Some behaviours only show in a VM of their own (a load hook that fails,
%% an unload hook with nobody to report to, the library loaded by hand):
%% child/1 runs those in a fresh `erl`, whose output is compared.
%%
%% Panic locations are read from the sources, so the tests run from the
%% repository root (as `make test` runs them).
-module(cover_tests).
-include_lib("eunit/include/eunit.hrl").

-export([child/1, log/2]).

-define(M, cover_nif).

%% --- Helpers -----------------------------------------------------------------

%% {Phase, Message, Location} of a contained panic; the map must hold exactly
%% these three keys.
panic(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:{nif_panicked, #{message := Message, phase := Phase,
                               location := Location} = Info}
          when map_size(Info) =:= 3 ->
            {Phase, Message, Location}
    end.

%% {ArgNo, Path, Reason}: the bad-argument report as the NIF made it.
badarg(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:badarg:Stack ->
            [{?M, _, _, Info} | _] = Stack,
            #{module := cnif_error, cause := Cause} =
                proplists:get_value(error_info, Info),
            Cause
    end.

%% The panic that Text (an iolist) at the line marked "site:Name" makes.
site_panic(Phase, Text, Name) ->
    {Phase, iolist_to_binary(Text), site(Name)}.

%% <<"cover_nif.c:Line">> of the line marked "site:Name".
site(Name) ->
    line_of("test/nifs/cover_nif.c", ["site:", atom_to_list(Name), " "]).

%% <<"File:Line">> of the one line of Path holding Needle.
line_of(Path, Needle) ->
    {ok, Source} = file:read_file(Path),
    Lines = binary:split(Source, <<"\n">>, [global]),
    Pattern = iolist_to_binary(Needle),
    [Line] = [N || {N, Text} <- lists:zip(lists:seq(1, length(Lines)), Lines),
                   binary:match(<<Text/binary, " ">>, Pattern) =/= nomatch],
    iolist_to_binary([filename:basename(Path), ":", integer_to_list(Line)]).

%% The reply of a threaded NIF.
reply(Ref) ->
    receive {Ref, Result} -> Result after 10000 -> timeout end.

%% Fun() with this process registered as cnif_reporter in place of the
%% running one: the reports of failures with no caller come here.
reporting(Fun) ->
    {module, ?M} = code:ensure_loaded(?M),
    Reporter = whereis(cnif_reporter),
    true = unregister(cnif_reporter),
    true = register(cnif_reporter, self()),
    try Fun()
    after
        unregister(cnif_reporter),
        register(cnif_reporter, Reporter)
    end.

%% The next report about this module (another suite's late one is skipped).
next_report() ->
    receive {'$cnif_report', #{module := ?M} = Report} -> Report after 5000 -> timeout end.

%% --- Messages cut at CNIF_MESSAGE_MAX (512 bytes with the NUL) ---------------
%% A message is cut to 511 bytes, and a character the cut splits is dropped
%% whole, so the message stays UTF-8.

a(N) -> binary:copy(<<"a">>, N).

panic_text(Text) ->
    {call, Message, Location} = panic(fun() -> ?M:panic_text(Text) end),
    ?assertEqual(site(panic_text), Location),
    Message.

message_cut_at_511_bytes_test() ->
    ?assertEqual(a(511), panic_text(a(600))).

message_drops_a_character_the_cut_splits_test_() ->
    [?_assertEqual(a(510), panic_text(<<(a(510))/binary, "éé"/utf8>>)),
     ?_assertEqual(a(509), panic_text(<<(a(509))/binary, "€€"/utf8>>)),
     ?_assertEqual(a(510), panic_text(<<(a(510))/binary, "€€"/utf8>>)),
     ?_assertEqual(a(508), panic_text(<<(a(508))/binary, "😀😀"/utf8>>)),
     ?_assertEqual(a(509), panic_text(<<(a(509))/binary, "😀😀"/utf8>>))].

message_keeps_a_character_that_ends_at_the_cut_test_() ->
    [?_assertEqual(<<(a(509))/binary, "é"/utf8>>, panic_text(<<(a(509))/binary, "éé"/utf8>>)),
     ?_assertEqual(<<(a(508))/binary, "€"/utf8>>, panic_text(<<(a(508))/binary, "€€"/utf8>>)),
     ?_assertEqual(<<(a(507))/binary, "😀"/utf8>>, panic_text(<<(a(507))/binary, "😀😀"/utf8>>))].

%% Bytes that are all continuation bytes have no character to drop.
message_of_continuation_bytes_is_cut_at_511_test() ->
    ?assertEqual(binary:copy(<<16#80>>, 511), panic_text(binary:copy(<<16#80>>, 600))).

%% cnif_panic_at is reported at the file and line given; a location longer
%% than 255 bytes is cut.
panic_at_names_its_location_test_() ->
    [?_assertEqual({call, <<"placed">>, <<"here.c:7">>},
                   panic(fun() -> ?M:panic_at(<<"dir/here.c">>, 7) end)),
     ?_assertEqual({call, <<"placed">>, binary:copy(<<"f">>, 255)},
                   panic(fun() -> ?M:panic_at(binary:copy(<<"f">>, 300), 7) end))].

raise_badarg_of_an_argument_the_call_lacks_panics_test_() ->
    Panic = fun(N) -> site_panic(call, ["cnif_raise_badarg: argument ", N,
                                      " does not exist: this call has 1 argument"], badarg_argno)
            end,
    [?_assertEqual(Panic("2"), panic(fun() -> ?M:badarg_argno(2) end)),
     ?_assertEqual(Panic("-1"), panic(fun() -> ?M:badarg_argno(-1) end)),
     ?_assertEqual({0, <<>>, <<"argument 0 is wrong">>}, badarg(fun() -> ?M:badarg_argno(0) end)),
     ?_assertEqual({1, <<>>, <<"argument 1 is wrong">>}, badarg(fun() -> ?M:badarg_argno(1) end))].

%% --- Bad-argument reports ----------------------------------------------------

%% A decoder that fails without recording why still makes a report.
silent_decoder_reports_a_valid_value_expected_test() ->
    ?assertEqual({1, <<>>, {expected, <<"a valid value">>, undefined}},
                 badarg(fun() -> ?M:silent_arg(x) end)).

%% 40 segments of 100 bytes: the innermost 32 are kept behind "...", and
%% the text is cut at 511 bytes.
long_path_is_cut_test() ->
    Segment = <<".", (binary:copy(<<"k">>, 100))/binary>>,
    Full = <<"...", (binary:copy(Segment, 32))/binary>>,
    ?assertEqual({1, binary:part(Full, 0, 511), {expected, <<"nothing">>, x}},
                 badarg(fun() -> ?M:long_path_arg(x) end)).

%% A threaded NIF decodes its arguments from the job's copies; the report
%% holds the caller's own term.
threaded_bad_argument_reports_the_callers_term_test() ->
    Term = {a, <<"b">>, [c]},
    ?assertEqual({1, <<>>, {expected, <<"an integer">>, Term}},
                 badarg(fun() -> ?M:job_int(Term) end)),
    Ref = ?M:job_int(7),
    ?assertEqual(7, reply(Ref)).

%% --- One-of ------------------------------------------------------------------

%% An alternative that fails inside the term (with a reason, not an
%% expectation) is the report kept.
one_of_keeps_a_reason_from_inside_test_() ->
    [?_assertEqual({1, <<"[1]">>, <<"3 is odd">>}, badarg(fun() -> ?M:evens_echo([2, 3]) end)),
     ?_assertEqual([2, 4], ?M:evens_echo([2, 4])),
     ?_assertEqual(5, ?M:evens_echo(5))].

one_of_with_a_silent_alternative_test_() ->
    [?_assertEqual({1, <<>>, {expected, <<"a valid value or an integer">>, foo}},
                   badarg(fun() -> ?M:quiet_echo(foo) end)),
     ?_assertEqual(5, ?M:quiet_echo(5))].

%% The first alternative decodes the inner one-of, then fails on the second
%% element; the second alternative reuses the inner one-of's value. 300
%% elements fill the table of decoded one-ofs, where two inner one-ofs keep
%% entries, past its first sizes.
one_of_reuses_an_inner_value_test_() ->
    Terms = [case I rem 4 of
                 0 -> {I, <<"s">>};
                 1 -> {integer_to_binary(I), I};
                 2 -> {I, I};
                 3 -> {I, a}
             end || I <- lists:seq(1, 300)],
    Kinds = [case I rem 4 of 0 -> str; 3 -> atom; _ -> int end || I <- lists:seq(1, 300)],
    [?_assertEqual([str, int, atom], ?M:outer_kinds([{5, <<"x">>}, {6, 7}, {b, c}])),
     ?_assertEqual(Kinds, ?M:outer_kinds(Terms)),
     ?_assertEqual(Terms, ?M:outer_echo(Terms)),
     ?_assertEqual({1, <<"[1]">>, {expected, <<"a tuple of 2 elements">>, {1}}},
                   badarg(fun() -> ?M:outer_echo([{1, 2}, {1}]) end))].

%% --- Unions whose kind field is not an int -----------------------------------

kind_fields_of_every_size_test_() ->
    [?_assertEqual(none, ?M:narrow_echo(none)),
     ?_assertEqual({some, -5}, ?M:narrow_echo({some, -5})),
     ?_assertEqual(none, ?M:wide_echo(none)),
     ?_assertEqual({some, 1 bsl 40}, ?M:wide_echo({some, 1 bsl 40})),
     ?_assertEqual([ok, ok, ok, ok], [?M:union_init(N) || N <- [1, 2, 4, 8]])].

%% A descriptor checked at load: a kind field of 3 bytes is no integer.
union_kind_of_three_bytes_is_refused_test() ->
    ?assertEqual({call, <<"union odd: the kind field must be an integer or enum">>,
                  site(union_init)},
                 panic(fun() -> ?M:union_init(3) end)).

%% --- Structs -----------------------------------------------------------------

record_from_an_empty_tuple_test_() ->
    [?_assertEqual({1, <<>>, {expected, <<"a #pt{} record">>, {}}},
                   badarg(fun() -> ?M:pt_echo({}) end)),
     ?_assertEqual({pt, 1, 2}, ?M:pt_echo({pt, 1, 2}))].

%% A recursive struct: a node and its list of kids are a level each, so 256
%% nodes fill CNIF_MAX_DEPTH (512) and the 257th is a bad argument, not a
%% stack overflow.
nest(Depth) ->
    lists:foldl(fun(I, Kid) -> {I, [Kid]} end, {0, []}, lists:seq(1, Depth - 1)).

recursive_struct_deeper_than_max_depth_test_() ->
    Path = iolist_to_binary(["...", lists:duplicate(16, ".kids[0]")]),
    [?_assertEqual(256, ?M:node_depth(nest(256))),
     ?_assertEqual({1, Path, <<"nested deeper than 512 levels">>},
                   badarg(fun() -> ?M:node_depth(nest(257)) end))].

%% --- Atoms and enums ---------------------------------------------------------

atom_encoding_test_() ->
    Panic = fun(Message) -> {encode, Message, site(atom_encode)} end,
    [?_assertEqual('é', ?M:atom_encode(<<"é"/utf8>>)),
     ?_assertEqual('©', ?M:atom_encode(<<"©"/utf8>>)),
     ?_assertEqual('日本', ?M:atom_encode(<<"日本"/utf8>>)),
     ?_assertEqual(Panic(<<"cannot encode a NULL atom name">>),
                   panic(fun() -> ?M:atom_encode(nil) end)),
     ?_assertEqual(Panic(<<"cannot encode \"", 255, "\" as an atom: not UTF-8">>),
                   panic(fun() -> ?M:atom_encode(<<255>>) end)),
     ?_assertEqual(Panic(<<"cannot encode \"", (a(64))/binary, "\" as an atom: too long">>),
                   panic(fun() -> ?M:atom_encode(a(256)) end)),
     ?_assertEqual(Panic(<<"cannot encode \"", (binary:copy(<<"日"/utf8>>, 21))/binary,
                           "\xe6\" as an atom: too long">>),
                   panic(fun() -> ?M:atom_encode(binary:copy(<<"日"/utf8>>, 256)) end)),
     ?_assertEqual(Panic(<<"cannot encode \"", (binary:copy(<<"日"/utf8>>, 21))/binary,
                           "\xe6\" as an atom: too long">>),
                   panic(fun() -> ?M:atom_encode(binary:copy(<<"日"/utf8>>, 400)) end))].

%% Names of any length an atom can have, in any script, both ways.
atom_names_test_() ->
    Long = binary_to_atom(binary:copy(<<"日"/utf8>>, 255)),
    [?_assertEqual(Long, ?M:atom_echo(Long)),
     ?_assertEqual('é', ?M:atom_echo('é')),
     ?_assertEqual({1, <<>>, {expected, <<"an atom">>, "é"}},
                   badarg(fun() -> ?M:atom_echo("é") end))].

%% CNIF_MAP_GET finds an atom key by its UTF-8 name, and never makes one.
map_get_by_atom_name_test_() ->
    Map = #{'é' => 1, '日本' => 2, a => 3},
    Missing = fun(Key) -> {1, <<>>, {expected, <<"a map with key ", Key/binary>>, Map}} end,
    Absent = <<"cover_tests_no_such_atom_日"/utf8>>,
    [?_assertEqual(1, ?M:map_get_key({Map, <<"é"/utf8>>})),
     ?_assertEqual(2, ?M:map_get_key({Map, <<"日本"/utf8>>})),
     ?_assertEqual(3, ?M:map_get_key({Map, <<"a">>})),
     ?_assertEqual(Missing(<<"b">>), badarg(fun() -> ?M:map_get_key({Map, <<"b">>}) end)),
     ?_assertEqual(Missing(a(256)), badarg(fun() -> ?M:map_get_key({Map, a(256)}) end)),
     ?_assertEqual(Missing(binary:copy(<<"日"/utf8>>, 400)),
                   badarg(fun() -> ?M:map_get_key({Map, binary:copy(<<"日"/utf8>>, 400)}) end)),
     ?_assertEqual(Missing(<<16#C3, $(>>),
                   badarg(fun() -> ?M:map_get_key({Map, <<16#C3, $(>>}) end)),
     ?_test(begin
                ?assertEqual(Missing(Absent), badarg(fun() -> ?M:map_get_key({Map, Absent}) end)),
                ?assertError(badarg, binary_to_existing_atom(Absent))
            end)].

%% cnif_enum_decode / cnif_enum_encode on a table known at run time.
runtime_enum_test_() ->
    [?_assertEqual([light, dark], [?M:shade_echo(light), ?M:shade_echo(dark)]),
     ?_assertEqual(dark, ?M:shade_of(20)),
     ?_assertEqual({1, <<>>, {expected, <<"light or dark">>, pink}},
                   badarg(fun() -> ?M:shade_echo(pink) end)),
     ?_assertEqual(site_panic(encode, <<"cannot encode 7: not a value of this enum">>, shade_of),
                   panic(fun() -> ?M:shade_of(7) end))].

%% --- Strings and binaries ----------------------------------------------------

strings_at_null_test_() ->
    [?_assertEqual(<<>>, ?M:str_at_null(0)),
     ?_assertEqual(site_panic(encode, <<"cannot encode a string of 3 bytes at NULL">>, str_at_null),
                   panic(fun() -> ?M:str_at_null(3) end)),
     ?_assertEqual(site_panic(encode, <<"cannot encode a NULL string">>, cstr_null),
                   panic(fun() -> ?M:cstr_null() end))].

lists_of_binaries_strings_and_terms_test_() ->
    [?_assertEqual([<<"a">>, <<>>], ?M:bins_echo([<<"a">>, <<>>])),
     ?_assertEqual([], ?M:terms_echo([])),
     ?_assertEqual([{a}, "b", 3], ?M:terms_echo([{a}, "b", 3])),
     ?_assertEqual({1, <<>>, {expected, <<"a list">>, x}}, badarg(fun() -> ?M:bins_echo(x) end)),
     ?_assertEqual({1, <<"[1]">>, {expected, <<"a binary">>, 7}},
                   badarg(fun() -> ?M:bins_echo([<<>>, 7]) end)),
     ?_assertEqual([<<"é"/utf8>>], ?M:cstrs_echo([<<"é"/utf8>>])),
     ?_assertEqual({1, <<>>, {expected, <<"a list">>, x}}, badarg(fun() -> ?M:cstrs_echo(x) end)),
     ?_assertEqual({1, <<"[1]">>, {expected, <<"a UTF-8 string without NUL bytes">>, <<"b", 0>>}},
                   badarg(fun() -> ?M:cstrs_echo([<<"a">>, <<"b", 0>>]) end))].

utf8_continuation_bytes_test_() ->
    [?_assertEqual(false, ?M:utf8_valid(<<16#E2, 16#82, $A>>)),
     ?_assertEqual(false, ?M:utf8_valid(<<16#F0, 16#9F, $A, 16#80>>)),
     ?_assertEqual(false, ?M:utf8_valid(<<16#F0, 16#9F, 16#98, $A>>)),
     ?_assertEqual(true, ?M:utf8_valid(<<"€😀"/utf8>>))].

builder_realloc_after_finish_panics_test() ->
    ?assertEqual(site_panic(call, <<"cnif_bin_realloc after cnif_bin_finish">>, builder_after_finish),
                 panic(fun() -> ?M:builder_after_finish() end)).

%% --- Tuples built in C -------------------------------------------------------

c_tuple_get_test_() ->
    NoTerm = fun(Expected) ->
                     {1, <<>>, {expected, Expected, undefined, <<"no term (an unset ERL_NIF_TERM)">>}}
             end,
    [?_assertEqual(2, ?M:c_tuple_get({items, 1})),
     ?_assertEqual({1, <<>>, {expected, <<"a tuple of at least 6 elements">>, {1, 2}}},
                   badarg(fun() -> ?M:c_tuple_get({items, 5}) end)),
     ?_assertEqual({1, <<>>, {expected, <<"a tuple of at least 1 elements">>, {}}},
                   badarg(fun() -> ?M:c_tuple_get({empty, 0}) end)),
     ?_assertEqual(NoTerm(<<"a tuple of at least 6 elements">>),
                   badarg(fun() -> ?M:c_tuple_get({null, 5}) end)),
     ?_assertEqual(NoTerm(<<"a tuple of at least 1 elements">>),
                   badarg(fun() -> ?M:c_tuple_get({negative, 0}) end)),
     ?_assertEqual({1, <<>>, <<"tuple index -1 is negative">>},
                   badarg(fun() -> ?M:c_tuple_get({items, -1}) end))].

tuple_make_test_() ->
    Panic = fun(N) -> site_panic(call, ["cannot make a tuple of ", N, " elements at (nil)"], tuple_make) end,
    [?_assertEqual({}, ?M:tuple_make(0)),
     ?_assertEqual(Panic("-1"), panic(fun() -> ?M:tuple_make(-1) end)),
     ?_assertEqual(Panic("2"), panic(fun() -> ?M:tuple_make(2) end))].

%% --- Maps --------------------------------------------------------------------

map_functions_on_a_term_that_is_not_a_map_test_() ->
    [?_assertEqual(site_panic(call, <<"cnif_map_put on a term that is not a map">>, map_put_not_map),
                   panic(fun() -> ?M:map_put_not_map(5) end)),
     ?_assertEqual(site_panic(call, <<"cnif_map_iter_start on a term that is not a map">>, iter_not_map),
                   panic(fun() -> ?M:iter_not_map(5) end))].

map_iteration_stays_ended_test_() ->
    [?_assertEqual({2, [false, false]}, ?M:iter_past_end(#{a => 1, b => 2})),
     ?_assertEqual({0, [false, false]}, ?M:iter_past_end(#{}))].

%% Off the schedulers a map of more than 128 keys is built by puts after
%% the first 128; a duplicate key anywhere still panics.
map_from_arrays_on_a_job_thread_test_() ->
    Keys = lists:seq(1, 200),
    Values = [-K || K <- Keys],
    Duplicate = {error, {nif_panicked, #{message => <<"cnif_map_from_arrays: duplicate keys">>,
                                         phase => call, location => site(map_build)}}},
    [?_assertEqual(maps:from_list(lists:zip(Keys, Values)), reply(?M:map_build(Keys, Values))),
     ?_assertEqual(#{a => 1, b => 2}, reply(?M:map_build([a, b], [1, 2]))),
     ?_assertEqual({1, <<>>, {expected, <<"a proper list">>, [a | b]}},
                   badarg(fun() -> ?M:map_build([a | b], [1, 2]) end)),
     ?_assertEqual({error, {badarg, #{argno => 2, path => <<>>, reason => <<"1 keys, 2 values">>}}},
                   reply(?M:map_build([a], [1, 2]))),
     ?_assertEqual(Duplicate, reply(?M:map_build(Keys ++ [150], Values ++ [0]))),
     ?_assertEqual(Duplicate, reply(?M:map_build([7 | Keys], [0 | Values])))].

%% --- Cleanups of a call that has already ended --------------------------------
%% The cleanup records a reason, fails a one-of inside the term and fails
%% to decode an argument: none of it changes how the call ends.

settled_call_keeps_its_outcome_test_() ->
    [?_assertError({raised, [1, x]}, ?M:settled(raise, [1, x])),
     ?_assertEqual({2, <<"[1]">>, {expected, <<"an integer">>, x}},
                   badarg(fun() -> ?M:settled(badarg, [1, x]) end)),
     ?_assertEqual(site_panic(call, <<"settled">>, settled),
                   panic(fun() -> ?M:settled(panic, [1, x]) end))].

%% --- Resources ---------------------------------------------------------------

resource_type_never_opened_test_() ->
    Ref = make_ref(),
    [?_assertEqual({call, <<"resource type ghost is not open: the library was not "
                            "loaded through CNIF_MODULE">>, site(ghost_new)},
                   panic(fun() -> ?M:ghost_new() end)),
     ?_assertEqual({1, <<>>, {expected, <<"a ghost resource">>, Ref}},
                   badarg(fun() -> ?M:ghost_check(Ref) end))].

select_on_an_invalid_descriptor_panics_test() ->
    ?assertEqual(site_panic(call, <<"cnif_select on fd -1 failed: invalid event">>, select_fd),
                 panic(fun() -> ?M:select_fd(-1) end)).

%% A destructor has no process: cnif_send with no message env is refused,
%% and the refusal is reported as the destructor's failure.
send_from_a_destructor_without_a_message_env_test() ->
    reporting(fun() ->
        ok = ?M:mailer_drop(self()),
        ?assertEqual(mailer_report(), next_report())
    end).

mailer_report() ->
    #{label => {cnif, callback_failed}, module => ?M, callback => destroy,
      resource => <<"mailer">>, location => site(mailer),
      message => <<"cnif_send: a message env is needed outside a NIF call">>}.

%% A yielding call killed between slices: its cleanup runs when the state
%% is collected, a callback with no NIF to blame, so a panic cnif raises
%% there is located at the library's own line.
cleanup_of_a_cancelled_yielding_call_test() ->
    reporting(fun() ->
        Self = self(),
        Pid = spawn(fun() -> ?M:linger(Self) end),
        receive {lingering, Pid} -> ok after 5000 -> error(no_slice) end,
        exit(Pid, kill),
        ?assertEqual(#{label => {cnif, callback_failed}, module => ?M,
                       callback => cleanup, resource => <<"cancelled yielding call">>,
                       message => <<"cannot make a tuple of -1 elements at (nil)">>,
                       location => line_of("src/codec_term.c",
                                           "\"cannot make a tuple of %d elements")},
                     next_report())
    end).

%% A job's thread is no scheduler: a dynamic call made from there that
%% panics is reported from there, and cnif_resource_call still returns true.
dyncall_failing_on_a_job_thread_test() ->
    reporting(fun() ->
        ?assertEqual(true, reply(?M:job_call(?M:target_new()))),
        ?assertEqual(#{label => {cnif, callback_failed}, module => ?M, callback => dyncall,
                       resource => <<"target">>, location => site(target_dyncall),
                       message => <<"dyncall refused">>},
                     next_report()),
        ?assertEqual(false, reply(?M:job_call(make_ref())))
    end).

%% --- Time slices, big integers, long lists -------------------------------------

%% 0 counts as 1%, 500 as 100%: from a fresh slice, 1 + 1 + 98 use it up.
timeslice_percent_is_clamped_test_() ->
    [?_test(begin
                erlang:yield(),
                ?assertEqual([false, false, true, true], ?M:timeslice([0, 0, 98, 500]))
            end),
     ?_assertEqual({1, <<>>, {expected, <<"a list">>, 50}}, badarg(fun() -> ?M:timeslice(50) end)),
     ?_assertEqual({1, <<"[1]">>, {expected, <<"an integer">>, x}},
                   badarg(fun() -> ?M:timeslice([50, x]) end))].

bigint_beyond_the_external_format_panics_test() ->
    ?assertEqual({encode, <<"cannot encode a big integer of 4294967297 bytes">>,
                  site(bigint_too_big)},
                 panic(fun() -> ?M:bigint_too_big() end)).

%% Elements of 2^50 bytes: 16384 of them overflow a size_t, 16383 are more
%% than any allocation; both are out of memory, not a crash.
list_larger_than_memory_test_() ->
    OutOfMemory = fun(Text) -> site_panic(decode, ["out of memory: ", Text], vast_count) end,
    [?_assertEqual(0, ?M:vast_count([])),
     ?_assertEqual(OutOfMemory("a list of 16384 elements"),
                   panic(fun() -> ?M:vast_count(lists:duplicate(16384, x)) end)),
     ?_assertEqual(OutOfMemory("cannot allocate 18445618173802708992 bytes"),
                   panic(fun() -> ?M:vast_count(lists:duplicate(16383, x)) end))].

%% --- Hooks, in VMs of their own ----------------------------------------------

%% What `erl` printed running child(Scenario), with Env set.
run_child(Env, Scenario) ->
    Erl = filename:join([code:root_dir(), "bin", "erl"]),
    Ebin = filename:dirname(code:which(?MODULE)),
    os:cmd(Env ++ " " ++ Erl ++ " -noshell -pa " ++ Ebin
           ++ " -eval 'cover_tests:child(" ++ atom_to_list(Scenario) ++ ")' 2>&1").

%% The term a child printed.
child_term(Env, Scenario) ->
    Out = run_child(Env, Scenario),
    case erl_scan:string(Out) of
        {ok, Tokens, _} ->
            case erl_parse:parse_term(Tokens) of
                {ok, Term} -> Term;
                _ -> {unparsed, Out}
            end;
        _ -> {unparsed, Out}
    end.

load_hook_that_raises_fails_the_load_test_() ->
    {timeout, 60,
     ?_assertEqual({error, {load, "cnif: load hook raised refused (callbacks cannot raise)"}},
                   child_term("CNIF_COVER_LOAD=raise", load))}.

load_hook_that_raises_a_bad_argument_fails_the_load_test_() ->
    {timeout, 60,
     ?_assertEqual({error, {load, "cnif: load hook raised a bad argument (callbacks have none)"}},
                   child_term("CNIF_COVER_LOAD=badarg", load))}.

%% With no cnif_reporter, the unload hook's failure goes to stderr.
unload_hook_failure_without_reporter_test_() ->
    {timeout, 60,
     ?_assertEqual("cnif: cover_nif: unload callback panicked at "
                   ++ binary_to_list(site(unload)) ++ ": unload refused\n",
                   run_child("CNIF_COVER_UNLOAD=panic", unload))}.

%% A module without an upgrade hook loads over its old code all the same.
upgrade_without_a_hook_test_() ->
    {timeout, 60, ?_assertEqual([{module, ?M}, [], 7], child_term("", upgrade))}.

%% Loaded by hand, without the load info cnif:load_info/2 makes: the hook
%% gets the info as it is, and with no wrapper to raise a report, the NIF
%% raises plain badarg itself, never returns the internal tuple. The tagged
%% tuples it is given are cnif's shape but for the secret, or an element
%% too few or too many.
loaded_without_cnif_load_info_test_() ->
    {timeout, 60,
     ?_assertEqual([plain, badarg, badarg, badarg, badarg, badarg],
                   child_term("", by_hand))}.

%% In the child VM: run Scenario, print its outcome as a term, halt.
child(Scenario) ->
    logger:remove_handler(default),
    ok = logger:add_handler(cover_tests, ?MODULE, #{config => self()}),
    Result = try child_run(Scenario) catch C:E:S -> {C, E, S} end,
    case Result of
        silent -> ok;
        _ -> io:format("~0tp.~n", [Result])
    end,
    halt().

child_run(load) ->
    {error, on_load_failure} = code:ensure_loaded(?M),
    receive {on_load, Returned} -> Returned after 5000 -> no_warning end;
child_run(unload) ->
    {module, ?M} = code:ensure_loaded(?M),
    ok = application:stop(cnif),
    undefined = whereis(cnif_reporter),
    true = code:delete(?M),
    code:purge(?M),
    timer:sleep(200),
    silent;
child_run(upgrade) ->
    {module, ?M} = code:ensure_loaded(?M),
    File = code:which(?M),
    {ok, Beam} = file:read_file(File),
    Loaded = code:load_binary(?M, File, Beam),
    [Loaded, ?M:load_info(), ?M:node_depth({7, []}) * 7];
child_run(by_hand) ->
    Beam = code:where_is_file("cover_nif.beam"),
    {ok, {?M, [{attributes, Attributes}]}} = beam_lib:chunks(Beam, [attributes]),
    Nifs = [{list_to_atom(atom_to_list(F) ++ "_nif"), A}
            || {F, A} <- proplists:get_value(cnif_nifs, Attributes)],
    {ok, Path} = cnif:priv_path(?M, "cover_nif"),
    Load = fun(Info) ->
                   persistent_term:put(cover_load_info, Info),
                   code:purge(?M),
                   {module, ?M} = code:load_binary(?M, "cover_nif_by_hand.erl",
                                                   by_hand_module(Path, Nifs)),
                   try ?M:silent_arg_nif(x) catch error:badarg -> badarg end
           end,
    First = Load(plain),
    LoadInfo = ?M:load_info_nif(),
    [LoadInfo, First, Load({other, 1, x}), Load({'$cnif_load', not_a_secret, x}),
     Load({'$cnif_load', 1}), Load({'$cnif_load', 1, x, #{}, [], extra})].

%% A module cover_nif with a stub for each NIF and an on_load that loads
%% the library with the info in persistent_term cover_load_info.
by_hand_module(Path, Nifs) ->
    Stubs = [io_lib:format("~tw(~s) -> erlang:nif_error(not_loaded).~n",
                           [F, string:join(lists:duplicate(A, "_"), ", ")])
             || {F, A} <- Nifs],
    Source = lists:flatten(
               [io_lib:format("-module(cover_nif).~n-export([~s]).~n-on_load(init/0).~n",
                              [string:join([io_lib:format("~tw/~b", [F, A]) || {F, A} <- Nifs], ", ")]),
                io_lib:format("init() -> erlang:load_nif(~tp, persistent_term:get(cover_load_info)).~n",
                              [Path]),
                Stubs]),
    {ok, Tokens, _} = erl_scan:string(Source),
    Forms = [begin {ok, Form} = erl_parse:parse_form(F), Form end || F <- split_forms(Tokens, [])],
    {ok, ?M, Binary} = compile:forms(Forms, [return_errors]),
    Binary.

split_forms([], []) -> [];
split_forms([{dot, _} = Dot | Rest], Acc) -> [lists:reverse([Dot | Acc]) | split_forms(Rest, [])];
split_forms([Token | Rest], Acc) -> split_forms(Rest, [Token | Acc]).

%% The child's logger handler: the code server's on_load warning, whose
%% argument is what the module's on_load returned.
log(#{msg := {report, #{label := {error_logger, warning_msg},
                         format := "The on_load function for module ~s returned:~n~P\n",
                         args := [_Module, Returned, _Depth]}}},
    #{config := Pid}) ->
    Pid ! {on_load, Returned};
log(_Event, _Config) ->
    ok.
