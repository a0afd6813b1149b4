%% codec_tests -- every built-in codec of cnif, driven through the NIFs of
%% test/nifs/codec_nif.c: exact values both ways, and for bad input the exact
%% bad-argument report (argument number and printed text) or the exact panic.
%%
%% Panic locations are checked against the source: site/2 finds the line of
%% the panic call, so the tests run from the repository root (as `make test`
%% runs them).
-module(codec_tests).
-include_lib("eunit/include/eunit.hrl").

-define(M, codec_nif).

%% --- Helpers -----------------------------------------------------------------

%% {ArgNo, Text}: the argument the wrapper's error_info blames and the text
%% printed for it; {returned, Value} if Fun did not raise a bad argument.
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

%% <<"File:Line">> of the one line of src/File or test/nifs/File holding
%% Needle: where the panic raised there must say it happened.
site(File, Needle) ->
    [Path] = [P || Dir <- ["src", "test/nifs"],
                   P <- [filename:join(Dir, File)], filelib:is_regular(P)],
    {ok, Source} = file:read_file(Path),
    Lines = binary:split(Source, <<"\n">>, [global]),
    [Line] = [N || {N, Text} <- lists:zip(lists:seq(1, length(Lines)), Lines),
                   binary:match(Text, Needle) =/= nomatch],
    iolist_to_binary([File, ":", integer_to_list(Line)]).

%% A list nested Depth deep around Leaf: nested(2, x) =:= [[x]].
nested(Depth, Leaf) ->
    lists:foldl(fun(_, Acc) -> [Acc] end, Leaf, lists:seq(1, Depth)).

%% How the formatter prints a term: for expected texts whose "got" part is a
%% term with no fixed spelling (an external pid).
printed(Term) ->
    lists:flatten(io_lib:format("~0tP", [Term, 20])).

%% --- The error terms themselves ----------------------------------------------

%% The NIF returns its report as a value, with the module's secret; the
%% wrapper raises it.
%% (The call comes first: it loads the module, which makes the secret.)
raw_nif_badarg_term_test() ->
    Report = ?M:'$cnif_call'(echo_uint8_t_nif, [256]),
    ?assertEqual({'$cnif_badarg', persistent_term:get({cnif_secret, ?M}), 1,
                  <<>>, {expected, <<"an integer in 0..255">>, 256}},
                 Report).

raw_nif_badarg_path_term_test() ->
    Report = ?M:'$cnif_call'(echo_cnif_array_cnif_array_int64_t_nif, [[[1], [x]]]),
    ?assertEqual({'$cnif_badarg', persistent_term:get({cnif_secret, ?M}), 1,
                  <<"[1][0]">>, {expected, <<"an integer">>, x}},
                 Report).

wrapper_raises_plain_badarg_with_error_info_test() ->
    try ?M:echo_uint8_t(256) of
        Value -> ?assertEqual(badarg, {returned, Value})
    catch
        error:badarg:Stack ->
            ?assertMatch([{?M, echo_uint8_t, [256], _} | _], Stack),
            [{_, _, _, Info} | _] = Stack,
            ?assertEqual(#{module => cnif_error,
                           cause => {1, <<>>, {expected, <<"an integer in 0..255">>, 256}}},
                         proplists:get_value(error_info, Info))
    end.

shell_prints_argument_number_and_reason_test() ->
    Text = try ?M:bin_sub(<<"a">>, 0, -1) of
               Value -> {returned, Value}
           catch
               error:badarg:Stack ->
                   lists:flatten(erl_error:format_exception(error, badarg, Stack))
           end,
    Lines = [string:trim(L) || L <- string:split(Text, "\n", all)],
    ?assert(lists:member("*** argument 3: expected an integer in "
                         "0..18446744073709551615, got: -1", Lines)).

%% --- Integers ------------------------------------------------------------------

int_types() ->
    I32 = {-(1 bsl 31), (1 bsl 31) - 1},
    I64 = {-(1 bsl 63), (1 bsl 63) - 1},
    U32 = {0, (1 bsl 32) - 1},
    U64 = {0, (1 bsl 64) - 1},
    [{echo_int8_t, {-128, 127}}, {echo_int16_t, {-32768, 32767}},
     {echo_int32_t, I32}, {echo_int64_t, I64},
     {echo_uint8_t, {0, 255}}, {echo_uint16_t, {0, 65535}},
     {echo_uint32_t, U32}, {echo_uint64_t, U64},
     {echo_size_t, U64}, {echo_ssize_t, I64},
     {echo_int, I32}, {echo_unsigned, U32}, {echo_long, I64}].

integer_bounds_test_() ->
    [{atom_to_list(F), fun() -> check_integer(F, Lo, Hi) end}
     || {F, {Lo, Hi}} <- int_types()].

check_integer(F, Lo, Hi) ->
    [?assertEqual(X, ?M:F(X)) || X <- [Lo, Lo + 1, 0, Hi - 1, Hi]],
    Range = lists:flatten(io_lib:format("expected an integer in ~b..~b, got: ",
                                        [Lo, Hi])),
    Outside = [Lo - 1, Hi + 1, 1 bsl 64, -(1 bsl 63) - 1, 1 bsl 200, -(1 bsl 200)],
    [?assertEqual({1, Range ++ integer_to_list(X)}, badarg(fun() -> ?M:F(X) end))
     || X <- Outside, X < Lo orelse X > Hi],
    NotIntegers = [{foo, "foo"}, {1.0, "1.0"}, {<<"1">>, "<<\"1\">>"},
                   {"1", "\"1\""}, {[], "[]"}],
    [?assertEqual({1, "expected an integer, got: " ++ Text},
                  badarg(fun() -> ?M:F(X) end))
     || {X, Text} <- NotIntegers].

uint8_never_truncates_test() ->
    ?assertEqual({1, "expected an integer in 0..255, got: 256"},
                 badarg(fun() -> ?M:echo_uint8_t(256) end)),
    ?assertEqual({1, "expected an integer in 0..255, got: -1"},
                 badarg(fun() -> ?M:echo_uint8_t(-1) end)).

uint64_bignums_test() ->
    ?assertEqual(18446744073709551615, ?M:echo_uint64_t(18446744073709551615)),
    ?assertEqual({1, "expected an integer in 0..18446744073709551615, "
                     "got: 18446744073709551616"},
                 badarg(fun() -> ?M:echo_uint64_t(1 bsl 64) end)),
    ?assertEqual({1, "expected an integer in -9223372036854775808..9223372036854775807, "
                     "got: -9223372036854775809"},
                 badarg(fun() -> ?M:echo_int64_t(-(1 bsl 63) - 1) end)).

%% --- Floats and bool -----------------------------------------------------------

double_round_trip_test() ->
    [?assertEqual(X, ?M:echo_double(X))
     || X <- [0.0, 1.5, -2.25e300, 5.0e-324, 1.7976931348623157e308, 0.1]].

double_accepts_integers_test() ->
    ?assertEqual(3.0, ?M:echo_double(3)),
    ?assertEqual(0.0, ?M:echo_double(0)),
    ?assertEqual(-9.223372036854775808e18, ?M:echo_double(-(1 bsl 63))),
    ?assertEqual(1.8446744073709552e19, ?M:echo_double((1 bsl 64) - 1)),
    %% 2^53 + 1 has no double: it rounds to the nearest, 2^53.
    ?assertEqual(9007199254740992.0, ?M:echo_double((1 bsl 53) + 1)).

double_rejects_test() ->
    ?assertEqual({1, "expected a float, got: 18446744073709551616"},
                 badarg(fun() -> ?M:echo_double(1 bsl 64) end)),
    ?assertEqual({1, "expected a float, got: foo"},
                 badarg(fun() -> ?M:echo_double(foo) end)),
    ?assertEqual({1, "expected a float, got: <<\"1.0\">>"},
                 badarg(fun() -> ?M:echo_double(<<"1.0">>) end)).

float_round_trip_test() ->
    ?assertEqual(1.5, ?M:echo_float(1.5)),
    ?assertEqual(3.0, ?M:echo_float(3)),
    %% Through single precision and back: the nearest float to 0.1.
    ?assertEqual(0.10000000149011612, ?M:echo_float(0.1)),
    ?assertEqual(16777216.0, ?M:echo_float(16777217)),
    ?assertEqual(3.4028234663852886e38, ?M:echo_float(3.4028234663852886e38)),
    ?assertEqual(-3.4028234663852886e38, ?M:echo_float(-3.4028234663852886e38)).

float_range_test() ->
    ?assertEqual({1, "expected a float in single-precision range, got: 3.5e38"},
                 badarg(fun() -> ?M:echo_float(3.5e38) end)),
    ?assertEqual({1, "expected a float in single-precision range, got: -1.0e300"},
                 badarg(fun() -> ?M:echo_float(-1.0e300) end)),
    ?assertEqual({1, "expected a float, got: bar"},
                 badarg(fun() -> ?M:echo_float(bar) end)).

%% cnif's own panics are located at the NIF's export line.
non_finite_encode_panics_test() ->
    Expect = fun(Text, Nif) ->
                     {encode, <<"cannot encode ", Text/binary,
                                " as an Erlang float: it is not finite">>,
                      site("codec_nif.c", <<"CNIF_EXPORT(", Nif/binary, ",">>)}
             end,
    ?assertEqual(Expect(<<"inf">>, <<"special_double">>),
                 panic(fun() -> ?M:special_double(inf) end)),
    ?assertEqual(Expect(<<"-inf">>, <<"special_double">>),
                 panic(fun() -> ?M:special_double(neg_inf) end)),
    ?assertEqual(Expect(<<"nan">>, <<"special_double">>),
                 panic(fun() -> ?M:special_double(nan) end)),
    ?assertEqual(Expect(<<"inf">>, <<"special_float">>),
                 panic(fun() -> ?M:special_float(inf) end)),
    ?assertEqual(Expect(<<"nan">>, <<"special_float">>),
                 panic(fun() -> ?M:special_float(nan) end)).

bool_test() ->
    ?assertEqual(true, ?M:echo_bool(true)),
    ?assertEqual(false, ?M:echo_bool(false)),
    [?assertEqual({1, "expected a boolean, got: " ++ Text},
                  badarg(fun() -> ?M:echo_bool(X) end))
     || {X, Text} <- [{nil, "nil"}, {'TRUE', "'TRUE'"}, {1, "1"},
                      {<<"true">>, "<<\"true\">>"}]].

%% --- Atoms and enums -----------------------------------------------------------

atom_round_trip_test() ->
    Long = list_to_atom(lists:duplicate(255, $a)),
    [?assertEqual(A, ?M:echo_cnif_atom(A))
     || A <- [ok, '', 'with space', 'héllo', 'ÿ', Long]].

atom_rejects_test() ->
    ?assertEqual({1, "expected an atom, got: <<\"ok\">>"},
                 badarg(fun() -> ?M:echo_cnif_atom(<<"ok">>) end)),
    ?assertEqual({1, "expected an atom, got: \"ok\""},
                 badarg(fun() -> ?M:echo_cnif_atom("ok") end)).

enum_round_trip_test() ->
    [?assertEqual(C, ?M:echo_color(C)) || C <- [red, green, blue]],
    ?assertEqual(green, ?M:color_from_int(1)).

enum_rejects_test() ->
    ?assertEqual({1, "expected red, green or blue, got: purple"},
                 badarg(fun() -> ?M:echo_color(purple) end)),
    ?assertEqual({1, "expected red, green or blue, got: <<\"red\">>"},
                 badarg(fun() -> ?M:echo_color(<<"red">>) end)).

enum_encode_unknown_value_panics_test() ->
    ?assertEqual({encode, <<"cannot encode 7: not a value of this enum">>,
                  site("codec_nif.c", <<"CNIF_EXPORT(color_from_int,">>)},
                 panic(fun() -> ?M:color_from_int(7) end)).

%% Decoding reads atoms; it never makes one from caller data. The key name is
%% spelled only in C and in a binary here, so the atom does not exist.
decoding_creates_no_atoms_test() ->
    Name = <<"codec_nif_never_an_atom">>,
    Decode = fun() ->
                     {badarg(fun() -> ?M:ghost_value(#{a => 1}) end),
                      badarg(fun() -> ?M:echo_color(<<"purple">>) end),
                      badarg(fun() -> ?M:echo_cnif_atom(<<"codec_nif_other">>) end)}
             end,
    Decode(), % loads whatever code formatting needs, which adds atoms
    Before = erlang:system_info(atom_count),
    Reports = Decode(),
    ?assertEqual(Before, erlang:system_info(atom_count)),
    ?assertEqual({{1, "expected a map with key codec_nif_never_an_atom, got: #{a => 1}"},
                  {1, "expected red, green or blue, got: <<\"purple\">>"},
                  {1, "expected an atom, got: <<\"codec_nif_other\">>"}},
                 Reports),
    ?assertError(badarg, binary_to_existing_atom(Name)).

%% --- Binaries ------------------------------------------------------------------

binary_round_trip_test() ->
    ?assertEqual(<<>>, ?M:echo_cnif_bin(<<>>)),
    ?assertEqual(<<"abc">>, ?M:echo_cnif_bin(<<"abc">>)),
    ?assertEqual(<<0, 255>>, ?M:echo_cnif_bin(<<0, 255>>)).

binary_rejects_test() ->
    [?assertEqual({1, "expected a binary, got: " ++ Text},
                  badarg(fun() -> ?M:echo_cnif_bin(X) end))
     || {X, Text} <- [{foo, "foo"}, {<<1:3>>, "<<1:3>>"}, {[256], "[256]"},
                      {[1 | 2], "[1|2]"}, {1, "1"},
                      %% A list is not a binary, even one an iolist could be.
                      {"abc", "\"abc\""}, {[], "[]"}, {[<<"ab">>], "[<<\"ab\">>]"},
                      {[<<"a">> | <<"b">>], "[<<\"a\">>|<<\"b\">>]"}]].

%% cnif_iodata: a binary as it is, an iolist flattened to the bytes
%% erlang:iolist_to_binary/1 gives.
iodata_test() ->
    Big = binary:copy(<<"0123456789">>, 100000),
    ?assertEqual(<<"abc">>, ?M:echo_cnif_iodata(<<"abc">>)),
    ?assertEqual(1000000, binary:referenced_byte_size(
                            ?M:echo_cnif_iodata(binary:part(Big, 10, 100)))),
    [?assertEqual(iolist_to_binary(L), ?M:echo_cnif_iodata(L))
     || L <- [[], [[]], "abc", [<<"ab">>, $c, [<<"d">>]], [<<"a">> | <<"b">>],
              [[$a, [<<"b">> | <<"c">>]] | <<"d">>], [0, 255, <<>>], [Big, "-", Big]]],
    %% Deep iolists are flattened without recursion in C.
    ?assertEqual(<<"x">>, ?M:echo_cnif_iodata(nested(100000, <<"x">>))).

iodata_rejects_test() ->
    [?assertEqual({1, "expected iodata, got: " ++ Text},
                  badarg(fun() -> ?M:echo_cnif_iodata(X) end))
     || {X, Text} <- [{foo, "foo"}, {1, "1"}, {<<1:3>>, "<<1:3>>"},
                      {[256], "[256]"}, {[-1], "[-1]"}, {[1 | 2], "[1|2]"},
                      {[<<"a">> | foo], "[<<\"a\">>|foo]"}, {[[1 | 2]], "[[1|2]]"},
                      {[<<1:3>>], "[<<1:3>>]"}, {[1.0], "[1.0]"}, {[foo], "[foo]"},
                      {[{}], "[{}]"}, {"é"++[8364], "[233,8364]"}]].

%% A decoded binary is a view of the caller's bytes: returning a 100-byte
%% slice of a 1 MB binary returns the same slice, still backed by the 1 MB.
binary_decode_is_zero_copy_test() ->
    Big = binary:copy(<<"0123456789">>, 100000),
    <<_:10/binary, Part:100/binary, _/binary>> = Big,
    Echo = ?M:echo_cnif_bin(Part),
    ?assertEqual(Part, Echo),
    ?assertEqual(1000000, binary:referenced_byte_size(Echo)).

bin_sub_test() ->
    ?assertEqual(<<"world">>, ?M:bin_sub(<<"hello world">>, 6, 5)),
    ?assertEqual(<<>>, ?M:bin_sub(<<"abcd">>, 4, 0)),
    ?assertEqual(<<"abcd">>, ?M:bin_sub(<<"abcd">>, 0, 4)),
    %% An iolist has no binary behind it yet: it is made once, then cut.
    ?assertEqual(<<"bc">>, ?M:bin_sub([<<"ab">>, "cd"], 1, 2)),
    ?assertEqual(<<"b">>, ?M:bin_sub([$a, [<<"b">>]], 1, 1)).

bin_sub_shares_memory_test() ->
    Big = binary:copy(<<"0123456789">>, 100000),
    Sub = ?M:bin_sub(Big, 10, 100),
    ?assertEqual(binary:part(Big, 10, 100), Sub),
    ?assertEqual(1000000, binary:referenced_byte_size(Sub)).

bin_sub_out_of_range_panics_test() ->
    Site = site("codec_nif.c", <<"CNIF_EXPORT(bin_sub,">>),
    ?assertEqual({call, <<"sub-binary [2, 2+3) is outside a binary of 4 bytes">>, Site},
                 panic(fun() -> ?M:bin_sub(<<"abcd">>, 2, 3) end)),
    ?assertEqual({call, <<"sub-binary [5, 5+0) is outside a binary of 4 bytes">>, Site},
                 panic(fun() -> ?M:bin_sub(<<"abcd">>, 5, 0) end)),
    %% pos + size would wrap around in size_t arithmetic.
    ?assertEqual({call, <<"sub-binary [1, 1+18446744073709551615) is outside "
                          "a binary of 4 bytes">>, Site},
                 panic(fun() -> ?M:bin_sub(<<"abcd">>, 1, (1 bsl 64) - 1) end)).

bin_new_test() ->
    ?assertEqual(<<>>, ?M:bin_new(0, 0)),
    ?assertEqual(<<"aaaaa">>, ?M:bin_new(5, $a)),
    ?assertEqual(binary:copy(<<7>>, 100000), ?M:bin_new(100000, 7)).

bin_builder_test() ->
    ?assertEqual(<<>>, ?M:bin_concat([])),
    ?assertEqual(<<"abcd">>, ?M:bin_concat([<<"ab">>, <<"c">>, <<"d">>, <<>>])),
    Big = binary:copy(<<"xyz">>, 100000),
    ?assertEqual(<<Big/binary, "-", Big/binary>>, ?M:bin_concat([Big, <<"-">>, Big])).

bin_builder_finished_twice_panics_test() ->
    ?assertEqual({call, <<"cnif_bin_finish called twice">>,
                  site("codec_nif.c", <<"CNIF_EXPORT(bin_finish_twice,">>)},
                 panic(fun() -> ?M:bin_finish_twice() end)).

%% A builder abandoned by a panic is released by the call's cleanup. 100k
%% abandoned builders of 2000 bytes would leak 200 MB; what is allowed is
%% 1 MB of noise from the rest of the VM.
bin_builder_abandoned_by_panic_does_not_leak_test_() ->
    {timeout, 60, fun() ->
        Expected = {call, <<"abandoned a builder of 2000 bytes">>,
                    site("codec_nif.c", <<"\"abandoned a builder">>)},
        ?assertEqual(Expected, panic(fun() -> ?M:bin_abandon(1000) end)),
        erlang:garbage_collect(),
        Before = erlang:memory(binary),
        Panics = abandon(100000, 0),
        erlang:garbage_collect(),
        Growth = erlang:memory(binary) - Before,
        ?assertEqual(100000, Panics),
        ?assertMatch(G when G < 1 bsl 20, Growth)
    end}.

abandon(0, Panics) ->
    Panics;
abandon(N, Panics) ->
    try ?M:bin_abandon(1000) of
        _ -> abandon(N - 1, Panics)
    catch
        error:{nif_panicked, _} -> abandon(N - 1, Panics + 1)
    end.

%% 100 MB in, a checksum computed in C out, compared with the VM's own.
bin_100mb_checksum_test_() ->
    {timeout, 60, fun() ->
        ?assertEqual(1, ?M:bin_adler32(<<>>)),
        ?assertEqual(16#11E60398, ?M:bin_adler32(<<"Wikipedia">>)),
        Pattern = list_to_binary([I rem 251 || I <- lists:seq(0, 999)]),
        Big = binary:copy(Pattern, 100000),
        ?assertEqual(100000000, byte_size(Big)),
        ?assertEqual(erlang:adler32(Big), ?M:bin_adler32(Big))
    end}.

%% --- Strings -------------------------------------------------------------------

string_round_trip_test() ->
    [?assertEqual(S, ?M:echo_cnif_str(S))
     || S <- [<<>>, <<"plain">>, <<"héllo, 世界 🎉"/utf8>>,
              <<"12345678é12345678世"/utf8>>]].

%% A list is a bad argument for cnif_str, a charlist included.
string_rejects_lists_test() ->
    [?assertEqual({1, "expected a UTF-8 string, got: " ++ Text},
                  badarg(fun() -> ?M:echo_cnif_str(S) end))
     || {S, Text} <- [{"abc", "\"abc\""}, {[], "[]"},
                      {[<<"h">>, <<"é"/utf8>>], "[<<\"h\">>,<<\"é\"/utf8>>]"}]],
    ?assertEqual({1, "expected a UTF-8 string, got: \"abc\""},
                 badarg(fun() -> ?M:echo_cnif_cstr("abc") end)).

%% cnif_iotext: UTF-8 bytes as a binary or an iolist, checked once flat
%% (a character may be split across parts).
iotext_test() ->
    ?assertEqual(<<"héllo"/utf8>>, ?M:echo_cnif_iotext(<<"héllo"/utf8>>)),
    ?assertEqual(<<"hé"/utf8>>, ?M:echo_cnif_iotext([<<"h">>, <<"é"/utf8>>])),
    ?assertEqual(<<"abc">>, ?M:echo_cnif_iotext("abc")),
    ?assertEqual(<<>>, ?M:echo_cnif_iotext([])),
    ?assertEqual(<<"é"/utf8>>, ?M:echo_cnif_iotext([16#C3, [<<16#A9>>]])),
    ?assertEqual(<<"世界"/utf8>>, ?M:echo_cnif_iotext([[<<"世"/utf8>>] | <<"界"/utf8>>])).

iotext_rejects_test() ->
    [?assertEqual({1, "expected UTF-8 iodata, got: " ++ Text},
                  badarg(fun() -> ?M:echo_cnif_iotext(S) end))
     || {S, Text} <- [{foo, "foo"}, {<<255>>, "<<255>>"}, {[255, 0], "[255,0]"},
                      {[16#C3, 0], "[195,0]"}, {[<<"a">>, 16#E2, 16#82], "[<<\"a\">>,226,130]"},
                      {[1 | 2], "[1|2]"}, {[256], "[256]"},
                      %% A charlist beyond Latin-1 is characters, not bytes.
                      {[104, 8364], "[104,8364]"}]].

string_boundary_code_points_test() ->
    [?assertEqual(<<C/utf8>>, ?M:echo_cnif_str(<<C/utf8>>))
     || C <- [0, 16#7F, 16#80, 16#7FF, 16#800, 16#D7FF, 16#E000, 16#FFFF,
              16#10000, 16#10FFFF]].

string_rejects_invalid_utf8_test() ->
    Invalid = [{<<255>>, "<<255>>"},
               {<<16#C0, 16#80>>, "<<192,128>>"},                % overlong NUL
               {<<16#E0, 16#80, 16#80>>, "<<224,128,128>>"},      % overlong
               {<<16#F0, 16#80, 16#80, 16#80>>, "<<240,128,128,128>>"},
               {<<16#ED, 16#A0, 16#80>>, "<<237,160,128>>"},      % surrogate
               {<<16#E2, 16#82>>, "<<226,130>>"},                 % truncated
               {<<16#F4, 16#90, 16#80, 16#80>>, "<<244,144,128,128>>"}, % > U+10FFFF
               {<<16#80>>, "<<128>>"},                            % lone continuation
               {<<16#F5, 16#80, 16#80, 16#80>>, "<<245,128,128,128>>"},
               {<<"1234567", 16#E2, 16#82>>, "<<49,50,51,52,53,54,55,226,130>>"}],
    [?assertEqual({1, "expected a UTF-8 string, got: " ++ Text},
                  badarg(fun() -> ?M:echo_cnif_str(S) end))
     || {S, Text} <- Invalid],
    ?assertEqual({1, "expected a UTF-8 string, got: foo"},
                 badarg(fun() -> ?M:echo_cnif_str(foo) end)).

%% The report shows a rejected 10 MB binary by its first bytes only.
string_rejects_huge_binary_briefly_test() ->
    Huge = <<(binary:copy(<<"a">>, 10000000))/binary, 255>>,
    ?assertEqual({1, "expected a UTF-8 string, got: <<"
                     ++ lists:append(lists:duplicate(19, "97,")) ++ "...>>"},
                 badarg(fun() -> ?M:echo_cnif_str(Huge) end)).

cstr_test() ->
    ?assertEqual(<<"grüße"/utf8>>, ?M:echo_cnif_cstr(<<"grüße"/utf8>>)),
    ?assertEqual(7, ?M:cstr_len(<<"grüße"/utf8>>)),
    ?assertEqual(0, ?M:cstr_len(<<>>)),
    ?assertEqual(<<"grüße"/utf8>>, ?M:cstr_const()),
    ?assertEqual(byte_size(?M:cstr_const()), ?M:cstr_len(?M:cstr_const())).

cstr_rejects_test() ->
    ?assertEqual({1, "expected a UTF-8 string without NUL bytes, got: <<97,0,98>>"},
                 badarg(fun() -> ?M:echo_cnif_cstr(<<"a", 0, "b">>) end)),
    ?assertEqual({1, "expected a UTF-8 string without NUL bytes, got: <<0>>"},
                 badarg(fun() -> ?M:cstr_len(<<0>>) end)),
    ?assertEqual({1, "expected a UTF-8 string, got: <<255>>"},
                 badarg(fun() -> ?M:echo_cnif_cstr(<<255>>) end)).

string_encode_invalid_panics_test() ->
    ?assertEqual({encode, <<"cannot encode a string that is not valid UTF-8">>,
                  site("codec_nif.c", <<"CNIF_EXPORT(str_invalid,">>)},
                 panic(fun() -> ?M:str_invalid() end)).

%% --- Lists as arrays -------------------------------------------------------------

array_round_trip_test() ->
    ?assertEqual([], ?M:echo_cnif_array_int64_t([])),
    ?assertEqual([1, -2, 3], ?M:echo_cnif_array_int64_t([1, -2, 3])),
    ?assertEqual([-(1 bsl 63), (1 bsl 63) - 1],
                 ?M:echo_cnif_array_int64_t([-(1 bsl 63), (1 bsl 63) - 1])),
    ?assertEqual([1.5, 2.0, -3.0], ?M:echo_cnif_array_double([1.5, 2, -3])),
    ?assertEqual([<<"a">>, <<"é"/utf8>>, <<"io">>],
                 ?M:echo_cnif_array_cnif_str([<<"a">>, <<"é"/utf8>>, <<"io">>])),
    ?assertEqual([[1], [], [2, 3]],
                 ?M:echo_cnif_array_cnif_array_int64_t([[1], [], [2, 3]])),
    ?assertEqual([], ?M:echo_cnif_array_cnif_array_int64_t([])).

array_million_elements_test_() ->
    {timeout, 60, fun() ->
        List = lists:seq(1, 1000000),
        Echo = ?M:echo_cnif_array_int64_t(List),
        ?assertEqual(1000000, length(Echo)),
        ?assert(Echo =:= List)
    end}.

array_rejects_test() ->
    ?assertEqual({1, "expected a proper list, got: [1,2|3]"},
                 badarg(fun() -> ?M:echo_cnif_array_int64_t([1, 2 | 3]) end)),
    ?assertEqual({1, "expected a list, got: foo"},
                 badarg(fun() -> ?M:echo_cnif_array_int64_t(foo) end)),
    ?assertEqual({1, "[2]: expected a float, got: <<\"x\">>"},
                 badarg(fun() -> ?M:echo_cnif_array_double([1.0, 2.0, <<"x">>]) end)),
    ?assertEqual({1, "[1]: expected a UTF-8 string, got: <<255>>"},
                 badarg(fun() -> ?M:echo_cnif_array_cnif_str([<<"ok">>, <<255>>]) end)).

nested_array_paths_test() ->
    F = fun(X) -> badarg(fun() -> ?M:echo_cnif_array_cnif_array_int64_t(X) end) end,
    ?assertEqual({1, "[1][0]: expected an integer, got: x"}, F([[1], [x]])),
    ?assertEqual({1, "[2][1]: expected an integer in "
                     "-9223372036854775808..9223372036854775807, got: 9223372036854775808"},
                 F([[], [1], [2, 1 bsl 63]])),
    ?assertEqual({1, "[1]: expected a proper list, got: [1|2]"}, F([[], [1 | 2]])),
    ?assertEqual({1, "[0]: expected a list, got: 1"}, F([1])).

%% A 100,000-deep list reaches the nested-array decoder's element codec two
%% levels down; the rejected term is printed only 20 levels deep.
nested_array_deep_list_test() ->
    ?assertEqual({1, "[0][0]: expected an integer, got: "
                     "[[[[[[[[[[[[[[[[[[[[...]]]]]]]]]]]]]]]]]]]]"},
                 badarg(fun() -> ?M:echo_cnif_array_cnif_array_int64_t(nested(100000, 1)) end)).

recursive_codec_depth_test() ->
    ?assertEqual(0, ?M:nest_depth(7)),
    ?assertEqual(2, ?M:nest_depth([1, [2], []])),
    ?assertEqual(500, ?M:nest_depth(nested(500, 1))),
    ?assertEqual(512, ?M:nest_depth(nested(512, 1))),
    ?assertEqual({1, "[1][0]: expected an integer, got: x"},
                 badarg(fun() -> ?M:nest_depth([1, [x]]) end)).

%% Past 512 levels the decoder refuses instead of recursing on: the report
%% keeps the innermost 32 path steps behind "...".
recursive_codec_too_deep_test() ->
    TooDeep = "..." ++ lists:append(lists:duplicate(32, "[0]"))
        ++ ": nested deeper than 512 levels",
    ?assertEqual({1, TooDeep}, badarg(fun() -> ?M:nest_depth(nested(513, 1)) end)),
    ?assertEqual({1, TooDeep}, badarg(fun() -> ?M:nest_depth(nested(100000, 1)) end)).

%% --- Tuples --------------------------------------------------------------------

tuple_test() ->
    ?assertEqual({}, ?M:echo_cnif_tuple({})),
    ?assertEqual({a, 1, "x"}, ?M:echo_cnif_tuple({a, 1, "x"})),
    ?assertEqual({3, 2, 1}, ?M:tuple_reverse({1, 2, 3})),
    ?assertEqual({}, ?M:tuple_reverse({})),
    ?assertEqual({1, "expected a tuple, got: [a]"},
                 badarg(fun() -> ?M:echo_cnif_tuple([a]) end)).

tuple_get_test() ->
    ?assertEqual([{1, 2, 3}, {-4, 5, 6}],
                 ?M:echo_cnif_array_point([{1, 2, 3}, {-4, 5, 6}])),
    %% CNIF_TUPLE_GET asks for "at least" as many elements as it reads.
    ?assertEqual([{1, 2, 3}], ?M:echo_cnif_array_point([{1, 2, 3, 4}])),
    F = fun(X) -> badarg(fun() -> ?M:echo_cnif_array_point(X) end) end,
    ?assertEqual({1, "[1]: expected a tuple of at least 3 elements, got: {1,2}"},
                 F([{1, 2, 3}, {1, 2}])),
    ?assertEqual({1, "[1][2]: expected an integer, got: x"},
                 F([{1, 2, 3}, {1, 2, x}])),
    ?assertEqual({1, "[0]: expected a tuple, got: foo"}, F([foo])).

%% --- Maps ----------------------------------------------------------------------

map_get_test() ->
    ?assertEqual(3.5, ?M:opts_sum(#{x => 1, y => 2.5})),
    ?assertEqual(3.0, ?M:opts_sum(#{x => 1, y => 2, z => ignored})),
    F = fun(X) -> badarg(fun() -> ?M:opts_sum(X) end) end,
    ?assertEqual({1, "expected a map with key x, got: #{}"}, F(#{})),
    ?assertEqual({1, "expected a map with key y, got: #{x => 1}"}, F(#{x => 1})),
    ?assertEqual({1, "expected a map with key x, got: #{y => 1.0,<<\"x\">> => 1}"},
                 F(#{<<"x">> => 1, y => 1.0})),
    ?assertEqual({1, ".y: expected a float, got: foo"}, F(#{x => 1, y => foo})),
    ?assertEqual({1, ".x: expected an integer, got: 1.0"}, F(#{x => 1.0, y => 1})),
    ?assertEqual({1, "expected a map, got: [{x,1}]"}, F([{x, 1}])).

%% Key names given in C are UTF-8, like every name cnif takes from C.
map_get_non_ascii_key_test() ->
    ?assertEqual(5, ?M:accented_value(#{'héllo' => 5})),
    ?assertEqual({1, "expected a map with key héllo, got: #{hello => 5}"},
                 badarg(fun() -> ?M:accented_value(#{hello => 5}) end)).

map_echo_test() ->
    ?assertEqual(#{a => 1}, ?M:echo_cnif_map(#{a => 1})),
    ?assertEqual({1, "expected a map, got: foo"},
                 badarg(fun() -> ?M:echo_cnif_map(foo) end)).

map_find_test() ->
    M = #{a => 1, <<"b">> => [2]},
    ?assertEqual({ok, [2]}, ?M:map_find(M, <<"b">>)),
    ?assertEqual({ok, 1}, ?M:map_find(M, a)),
    ?assertEqual({error, not_found}, ?M:map_find(M, c)),
    ?assertEqual({error, not_found}, ?M:map_find(#{}, a)).

%% Small maps (up to 32 keys) and large ones (hash maps) are stored
%% differently by the VM; size and iteration must agree on both.
map_size_and_iteration_test() ->
    Small = maps:from_list([{I, I} || I <- lists:seq(1, 10)]),
    Large = maps:from_list([{I, I} || I <- lists:seq(1, 1000)]),
    ?assertEqual(0, ?M:map_count(#{})),
    ?assertEqual(10, ?M:map_count(Small)),
    ?assertEqual(1000, ?M:map_count(Large)),
    ?assertEqual(0, ?M:map_sum(#{})),
    ?assertEqual(55, ?M:map_sum(Small)),
    ?assertEqual(500500, ?M:map_sum(Large)).

map_iteration_cut_short_by_panic_test() ->
    ?assertEqual({call, <<"map_sum: a value is not an integer">>,
                  site("codec_nif.c", <<"\"map_sum: a value is not an integer\"">>)},
                 panic(fun() -> ?M:map_sum(#{a => 1, b => x}) end)).

map_build_test() ->
    ?assertEqual(#{}, ?M:map_new()),
    ?assertEqual(#{a => 1}, ?M:map_put(?M:map_new(), a, 1)),
    ?assertEqual(#{a => 2}, ?M:map_put(#{a => 1}, a, 2)),
    ?assertEqual(#{a => 1, "b" => {2}}, ?M:map_put(#{a => 1}, "b", {2})),
    ?assertEqual(#{}, ?M:map_from_lists([], [])),
    ?assertEqual(#{a => 1, b => 2}, ?M:map_from_lists([a, b], [1, 2])).

map_build_rejects_test() ->
    ?assertEqual({call, <<"cnif_map_from_arrays: duplicate keys">>,
                  site("codec_nif.c", <<"CNIF_EXPORT(map_from_lists,">>)},
                 panic(fun() -> ?M:map_from_lists([a, a], [1, 2]) end)),
    ?assertEqual({2, "expected 1 values, got 2"},
                 badarg(fun() -> ?M:map_from_lists([a], [1, 2]) end)).

%% --- Pids, references, raw terms -------------------------------------------------

pid_test() ->
    ?assertEqual(self(), ?M:echo_cnif_pid(self())),
    Dead = spawn(fun() -> ok end),
    ?assertEqual(Dead, ?M:echo_cnif_pid(Dead)),
    ?assertEqual({1, "expected a local pid, got: foo"},
                 badarg(fun() -> ?M:echo_cnif_pid(foo) end)).

pid_rejects_remote_test() ->
    %% A pid of node 'x@y.org' (NEW_PID_EXT), as a message from it would carry.
    Remote = binary_to_term(<<131, 88, 119, 7, "x@y.org", 1:32, 0:32, 1:32>>),
    ?assertEqual('x@y.org', node(Remote)),
    ?assertEqual({1, "expected a local pid, got: " ++ printed(Remote)},
                 badarg(fun() -> ?M:echo_cnif_pid(Remote) end)).

ref_test() ->
    Ref = make_ref(),
    ?assertEqual(Ref, ?M:echo_cnif_ref(Ref)),
    ?assertEqual({1, "expected a reference, got: 1"},
                 badarg(fun() -> ?M:echo_cnif_ref(1) end)).

term_pass_through_test() ->
    Fun = fun() -> ok end,
    [?assert(T =:= ?M:echo_cnif_term(T))
     || T <- [1, 1 bsl 100, 1.5, a, <<"b">>, [1 | 2], {x, [#{k => v}]},
              self(), make_ref(), Fun, nested(1000, [])]].

%% --- Results and void ----------------------------------------------------------

result_test() ->
    ?assertEqual({ok, 3}, ?M:checked_div(7, 2)),
    ?assertEqual({ok, -3}, ?M:checked_div(-7, 2)),
    ?assertEqual({error, divide_by_zero}, ?M:checked_div(7, 0)).

void_returns_ok_test() ->
    ?assertEqual(ok, ?M:ignore(anything)),
    ?assertEqual(ok, ?M:ignore([])).
