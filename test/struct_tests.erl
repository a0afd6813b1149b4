%% struct_tests -- the structured types of cnif.h section 8, driven through
%% the NIFs of test/nifs/struct_nif.c: structs as maps, Elixir structs,
%% records and tuples; enums, tagged unions, one-of, optionals, results,
%% user codecs and dynamic term values. Every rejection is checked by the
%% exact text the Erlang shell prints for it (cnif_error:format_error/2),
%% every panic by its exact exception term. Last, the failure cnif exists to
%% contain: encoders that panic halfway through a large return value, 100,000
%% times over, with the VM's memory and RSS back where they started.
%%
%% Panic locations are looked up in the sources, so the tests run from the
%% repository root (as `make test` runs them).
-module(struct_tests).
-include_lib("eunit/include/eunit.hrl").

-define(M, struct_nif).
-define(POINT, 'Elixir.StructTest.Point').
-define(LINE_MOD, 'Elixir.StructTest.Line').

-record(point, {x, y}).

%% --- Helpers -------------------------------------------------------------------

%% {ArgNo, Text} as the shell prints the bad argument Fun raised, through
%% the formatter its error_info names; {returned, Value} if it did not raise.
why(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:badarg:Stack ->
            [{?M, _, _, Info} | _] = Stack,
            #{module := Formatter} = proplists:get_value(error_info, Info),
            [{ArgNo, Text}] = maps:to_list(Formatter:format_error(badarg, Stack)),
            {ArgNo, Text}
    end.

%% Term as an error message shows it: as erts prints it, in its own order
%% of a map's keys, which is this VM's io_lib order too (OTP 26 and later
%% keep small maps of atoms in the order the atoms were made).
shown(Term) ->
    lists:flatten(io_lib:format("~0tp", [Term])).

%% The exception term of a call that must raise it.
raised(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:Reason -> Reason
    end.

%% The exact term of a contained panic at Site.
panicked(Phase, Message, Site) ->
    {nif_panicked, #{phase => Phase, message => Message, location => Site}}.

%% <<"file.c:Line">> of the one line of Path holding Marker.
site(Path, Marker) ->
    {ok, Source} = file:read_file(Path),
    Lines = lists:enumerate(binary:split(Source, <<"\n">>, [global])),
    [Line] = [N || {N, Text} <- Lines, binary:match(Text, Marker) =/= nomatch],
    iolist_to_binary(io_lib:format("~ts:~b", [filename:basename(Path), Line])).

nif_site(Marker) -> site("test/nifs/struct_nif.c", Marker).

ex_point(X, Y) -> #{'__struct__' => ?POINT, x => X, y => Y}.

%% A list nested Depth deep around Leaf.
nested(Depth, Leaf) ->
    lists:foldl(fun(_, Acc) -> [Acc] end, Leaf, lists:seq(1, Depth)).

%% --- One struct, four forms ----------------------------------------------------

map_form_test() ->
    ?assertEqual(#{x => 1.0, y => 2.5}, ?M:echo_point(#{x => 1, y => 2.5})),
    %% Keys that are no field are ignored unless the struct rejects them,
    %% and so is the __struct__ key of an Elixir struct.
    ?assertEqual(#{x => 1.0, y => 2.0}, ?M:echo_point(#{x => 1.0, y => 2.0, z => 3})),
    ?assertEqual(#{x => 1.0, y => 2.0}, ?M:echo_point(ex_point(1, 2))).

map_form_rejects_test() ->
    ?assertEqual({1, "expected a map, got: foo"}, why(fun() -> ?M:echo_point(foo) end)),
    ?assertEqual({1, "expected a map, got: [{x,1},{y,2}]"},
                 why(fun() -> ?M:echo_point([{x, 1}, {y, 2}]) end)),
    ?assertEqual({1, "expected a map with key y, got: #{x => 1}"},
                 why(fun() -> ?M:echo_point(#{x => 1}) end)),
    ?assertEqual({1, "expected a map with key x, got: #{}"},
                 why(fun() -> ?M:echo_point(#{}) end)),
    %% A key is an atom; the binary <<"x">> is not it.
    ?assertEqual({1, "expected a map with key x, got: #{y => 1,<<\"x\">> => 1}"},
                 why(fun() -> ?M:echo_point(#{<<"x">> => 1, y => 1}) end)),
    ?assertEqual({1, ".y: expected a float, got: nil"},
                 why(fun() -> ?M:echo_point(#{x => 1, y => nil}) end)).

record_form_test() ->
    ?assertEqual({point, 1.0, 2.0}, ?M:echo_point_rec(#point{x = 1, y = 2.0})),
    ?assertEqual(#point{x = -0.5, y = 1.0e300},
                 ?M:echo_point_rec(#point{x = -0.5, y = 1.0e300})).

record_form_rejects_test() ->
    ?assertEqual({1, "expected a #point{} record, got: {pointx,1.0,2.0}"},
                 why(fun() -> ?M:echo_point_rec({pointx, 1.0, 2.0}) end)),
    ?assertEqual({1, "expected a #point{} record (a tuple of 3 elements), "
                     "got: {point,1.0}"},
                 why(fun() -> ?M:echo_point_rec({point, 1.0}) end)),
    ?assertEqual({1, "expected a #point{} record (a tuple of 3 elements), "
                     "got: {point,1.0,2.0,3.0}"},
                 why(fun() -> ?M:echo_point_rec({point, 1.0, 2.0, 3.0}) end)),
    ?assertEqual({1, "expected a #point{} record, got: " ++ shown(#{x => 1, y => 2})},
                 why(fun() -> ?M:echo_point_rec(#{x => 1, y => 2}) end)),
    ?assertEqual({1, ".y: expected a float, got: <<\"2\">>"},
                 why(fun() -> ?M:echo_point_rec({point, 1, <<"2">>}) end)).

%% Keys are handed to erts sorted, whatever the field order: the terms are
%% those Erlang builds, down to their external format (a small map's keys
%% in erts's own order, which for atoms differs between OTP releases).
key_order_test() ->
    Map = #{zeta => 1, mid => -2, 'Alpha' => 3},
    Struct = Map#{'__struct__' => 'Elixir.StructTest.Ordered'},
    [?assertEqual({Term, term_to_binary(Term)}, {Echo(Term), term_to_binary(Echo(Term))})
     || {Echo, Term} <- [{fun ?M:echo_ordered/1, Struct}, {fun ?M:echo_ordered_map/1, Map}]],
    ?assertEqual({1, "expected a %StructTest.Ordered{} struct, got: " ++ shown(Map)},
                 why(fun() -> ?M:echo_ordered(Map) end)),
    ?assertEqual({1, ".Alpha: expected an integer, got: a"},
                 why(fun() -> ?M:echo_ordered_map(Map#{'Alpha' => a}) end)).

elixir_struct_form_test() ->
    ?assertEqual(ex_point(1.0, 2.0), ?M:echo_point_ex(ex_point(1, 2))).

elixir_struct_form_rejects_test() ->
    ?assertEqual({1, "expected a %StructTest.Point{} struct, "
                     "got a %StructTest.Line{} struct"},
                 why(fun() -> ?M:echo_point_ex(#{'__struct__' => ?LINE_MOD, x => 1, y => 2}) end)),
    ?assertEqual({1, "expected a %StructTest.Point{} struct, got a %Other{} struct"},
                 why(fun() -> ?M:echo_point_ex(#{'__struct__' => 'Elixir.Other', x => 1, y => 2}) end)),
    ?assertEqual({1, "expected a %StructTest.Point{} struct, got a %other{} struct"},
                 why(fun() -> ?M:echo_point_ex(#{'__struct__' => other, x => 1, y => 2}) end)),
    %% A __struct__ that is not a module: the module is shown as "?".
    ?assertEqual({1, "expected a %StructTest.Point{} struct, got: "
                     ++ shown(#{'__struct__' => <<"P">>, x => 1, y => 2})},
                 why(fun() -> ?M:echo_point_ex(#{'__struct__' => <<"P">>, x => 1, y => 2}) end)),
    ?assertEqual({1, "expected a %StructTest.Point{} struct, got: " ++ shown(#{x => 1, y => 2})},
                 why(fun() -> ?M:echo_point_ex(#{x => 1, y => 2}) end)),
    ?assertEqual({1, "expected a %StructTest.Point{} struct, got: {point,1,2}"},
                 why(fun() -> ?M:echo_point_ex({point, 1, 2}) end)),
    ?assertEqual({1, "expected a %StructTest.Point{} struct with key y, "
                     "got: " ++ shown(#{'__struct__' => 'Elixir.StructTest.Point', x => 1})},
                 why(fun() -> ?M:echo_point_ex(#{'__struct__' => ?POINT, x => 1}) end)),
    %% This one rejects unknown keys; __struct__ is not one of them.
    ?assertEqual({1, "unknown key z in a %StructTest.Point{} struct"},
                 why(fun() -> ?M:echo_point_ex((ex_point(1, 2))#{z => 3}) end)),
    ?assertEqual({1, ".x: expected a float, got: nil"},
                 why(fun() -> ?M:echo_point_ex(ex_point(nil, 2)) end)).

tuple_form_test() ->
    ?assertEqual({1.0, 2.0}, ?M:echo_point_tup({1, 2})).

tuple_form_rejects_test() ->
    ?assertEqual({1, "expected a tuple of 2 elements, got: {1.0}"},
                 why(fun() -> ?M:echo_point_tup({1.0}) end)),
    ?assertEqual({1, "expected a tuple of 2 elements, got: {1.0,2.0,3.0}"},
                 why(fun() -> ?M:echo_point_tup({1.0, 2.0, 3.0}) end)),
    ?assertEqual({1, "expected a tuple of 2 elements, got: [1,2]"},
                 why(fun() -> ?M:echo_point_tup([1, 2]) end)),
    ?assertEqual({1, ".x: expected a float, got: a"},
                 why(fun() -> ?M:echo_point_tup({a, 2}) end)).

%% One C value returned in every form, as the fields of a tuple struct.
all_forms_as_return_test() ->
    ?assertEqual({#{x => 1.0, y => -2.0}, {point, 1.0, -2.0}, ex_point(1.0, -2.0),
                  {1.0, -2.0}},
                 ?M:point_all_forms(1, -2)).

%% --- Nesting ---------------------------------------------------------------------

elixir_struct_of_structs_test() ->
    Line = #{'__struct__' => ?LINE_MOD, from => ex_point(0, 0), to => ex_point(3, 4)},
    ?assertEqual(Line#{from := ex_point(0.0, 0.0), to := ex_point(3.0, 4.0)},
                 ?M:echo_line(Line)),
    ?assertEqual(5.0, ?M:line_length(Line)),
    ?assertEqual({1, ".to: expected a %StructTest.Point{} struct, "
                     "got a %StructTest.Line{} struct"},
                 why(fun() -> ?M:line_length(Line#{to := Line}) end)),
    ?assertEqual({1, ".from.y: expected a float, got: []"},
                 why(fun() -> ?M:line_length(Line#{from := ex_point(0, [])}) end)).

arrays_of_structs_test() ->
    ?assertEqual([], ?M:echo_cnif_array_point([])),
    ?assertEqual([#{x => 1.0, y => 2.0}, #{x => 3.0, y => 4.0}],
                 ?M:echo_cnif_array_point([#{x => 1, y => 2}, #{x => 3, y => 4}])),
    ?assertEqual([{point, 1.0, 2.0}], ?M:echo_cnif_array_point_rec([{point, 1, 2}])),
    ?assertEqual({1, "[1].x: expected a float, got: <<\"3\">>"},
                 why(fun() -> ?M:echo_cnif_array_point([#{x => 1, y => 2},
                                                        #{x => <<"3">>, y => 4}]) end)),
    ?assertEqual({1, "[2]: expected a #point{} record, got: {pt,1,2}"},
                 why(fun() -> ?M:echo_cnif_array_point_rec([{point, 1, 2}, {point, 1, 2},
                                                            {pt, 1, 2}]) end)),
    ?assertEqual({1, "expected a proper list, got: " ++ shown([#{x => 1, y => 2} | foo])},
                 why(fun() -> ?M:echo_cnif_array_point([#{x => 1, y => 2} | foo]) end)).

record_of_maps_test() ->
    ?assertEqual({segment, #{x => 0.0, y => 0.0}, #{x => 1.0, y => 1.0}},
                 ?M:echo_segment_rec({segment, #{x => 0, y => 0}, #{x => 1, y => 1}})),
    ?assertEqual({1, ".end.x: expected a float, got: nil"},
                 why(fun() -> ?M:echo_segment_rec({segment, #{x => 0, y => 0},
                                                   #{x => nil, y => 1}}) end)).

drawing() ->
    Seg = fun(A, B) -> #{start => #{x => A, y => A}, 'end' => #{x => B, y => B}} end,
    #{title => <<"plan"/utf8>>, ink => green,
      segments => [Seg(0.0, 1.0), Seg(1.0, 2.0), Seg(2.0, 3.0)],
      anchor => nil, corner => {point, 1.0, 2.0}, size => {3.0, 4.0},
      origin => ex_point(0.0, 0.0),
      shapes => [empty, {circle, 1.5}, {rect, #{w => 1.0, h => 2.0}},
                 {at, {point, 5.0, 6.0}}],
      layer => undefined,
      outline => {<<"tri">>, [{0.0, 0.0}, {1.0, 0.0}, {0.0, 1.0}]}}.

%% Every kind of structured type inside one map: arrays of maps of maps,
%% an optional struct, a record, a tuple, an Elixir struct, unions, an
%% optional integer, a user codec and an optional struct field with
%% declared defaults of its own.
drawing_round_trip_test() ->
    D = drawing(),
    Default = #{name => <<"untitled">>, size => 10, color => red},
    ?assertEqual(D#{caption => Default}, ?M:echo_drawing(D)),
    ?assertEqual(D#{caption => Default}, ?M:echo_drawing(D#{extra => 1})),
    Full = D#{anchor := #{x => 7.0, y => 8.0}, layer := 3,
              caption => #{name => <<"c">>, size => 1, color => green}},
    ?assertEqual(Full, ?M:echo_drawing(Full)),
    %% A given caption fills its own missing keys from label's defaults.
    ?assertEqual(D#{caption => #{name => <<"c">>, size => 12, color => blue}},
                 ?M:echo_drawing(D#{caption => #{name => <<"c">>}})).

drawing_rejects_test() ->
    D = drawing(),
    #{segments := [S0, S1, S2]} = D,
    Bad = D#{segments := [S0, S1, S2#{'end' := #{x => nil, y => 1.0}}]},
    ?assertEqual({1, ".segments[2].end.x: expected a float, got: nil"},
                 why(fun() -> ?M:echo_drawing(Bad) end)),
    %% Fields are decoded in declared order: the first failure is reported.
    ?assertEqual({1, ".ink: expected red, green or blue, got: pink"},
                 why(fun() -> ?M:echo_drawing(Bad#{ink := pink}) end)),
    ?assertEqual({1, ".anchor: expected a map, got: undefined"},
                 why(fun() -> ?M:echo_drawing(D#{anchor := undefined}) end)),
    ?assertEqual({1, ".layer: expected an integer, got: nil"},
                 why(fun() -> ?M:echo_drawing(D#{layer := nil}) end)),
    ?assertEqual({1, ".corner: expected a #point{} record, got: {1.0,2.0}"},
                 why(fun() -> ?M:echo_drawing(D#{corner := {1.0, 2.0}}) end)),
    ?assertEqual({1, ".size: expected a tuple of 2 elements, got: {point,3.0,4.0}"},
                 why(fun() -> ?M:echo_drawing(D#{size := {point, 3.0, 4.0}}) end)),
    ?assertEqual({1, ".origin: expected a %StructTest.Point{} struct, got: "
                     ++ shown(#{x => 0, y => 0})},
                 why(fun() -> ?M:echo_drawing(D#{origin := #{x => 0, y => 0}}) end)),
    ?assertEqual({1, ".shapes[3].at.y: expected a float, got: y"},
                 why(fun() -> ?M:echo_drawing(D#{shapes := [empty, empty, empty,
                                                            {at, {point, 1, y}}]}) end)),
    ?assertEqual({1, ".outline[1][0]: expected an {X, Y} tuple, got: 7"},
                 why(fun() -> ?M:echo_drawing(D#{outline := {<<"o">>, [7, 8, 9]}}) end)),
    ?assertEqual({1, ".caption: unknown key text in a map"},
                 why(fun() -> ?M:echo_drawing(D#{caption => #{name => <<"c">>,
                                                              text => <<"c">>}}) end)),
    ?assertEqual({1, "expected a map with key title, got: #{}"},
                 why(fun() -> ?M:echo_drawing(#{}) end)).

%% Structs as values of a plain map, read by a user codec with the map API.
structs_in_a_map_test() ->
    ?assertEqual(#{x => 1.0, y => 2.0},
                 ?M:midpoint(#{a => #{x => 0, y => 0}, b => ex_point(2, 4), c => 0})),
    ?assertEqual({1, ".b: expected a %StructTest.Point{} struct, got: " ++ shown(#{x => 2, y => 4})},
                 why(fun() -> ?M:midpoint(#{a => #{x => 0, y => 0}, b => #{x => 2, y => 4}}) end)),
    ?assertEqual({1, ".a.y: expected a float, got: nil"},
                 why(fun() -> ?M:midpoint(#{a => #{x => 0, y => nil}, b => ex_point(2, 4)}) end)),
    ?assertEqual({1, "expected a map with key a, got: #{b => 1}"},
                 why(fun() -> ?M:midpoint(#{b => 1}) end)),
    ?assertEqual({1, "expected a map, got: []"}, why(fun() -> ?M:midpoint([]) end)).

%% --- Field options -----------------------------------------------------------------

renamed_keys_test() ->
    ?assertEqual(#{name => <<"a">>, size => 3, color => red},
                 ?M:echo_label(#{name => <<"a">>, size => 3, color => red})),
    %% The C field names text and ink are not keys.
    ?assertEqual({1, "expected a map with key name, got: #{text => <<\"a\">>}"},
                 why(fun() -> ?M:echo_label(#{text => <<"a">>}) end)),
    ?assertEqual({1, "unknown key ink in a map"},
                 why(fun() -> ?M:echo_label(#{name => <<"a">>, ink => red}) end)),
    ?assertEqual({1, ".color: expected red, green or blue, got: pink"},
                 why(fun() -> ?M:echo_label(#{name => <<"a">>, color => pink}) end)).

declared_defaults_test() ->
    ?assertEqual(#{name => <<"a">>, size => 12, color => blue},
                 ?M:echo_label(#{name => <<"a">>})),
    ?assertEqual(#{name => <<"a">>, size => 5, color => blue},
                 ?M:echo_label(#{name => <<"a">>, size => 5})),
    ?assertEqual(#{name => <<"a">>, size => 12, color => green},
                 ?M:echo_label(#{name => <<"a">>, color => green})),
    %% Without .defaults a missing optional field is zero.
    ?assertEqual(#{name => <<"a">>, size => 0, color => red},
                 ?M:echo_label_lax(#{name => <<"a">>})),
    %% Optional means the key may be missing, not that any value goes.
    ?assertEqual({1, ".size: expected an integer, got: nil"},
                 why(fun() -> ?M:echo_label(#{name => <<"a">>, size => nil}) end)),
    ?assertEqual({1, "expected a map with key name, got: #{size => 1}"},
                 why(fun() -> ?M:echo_label(#{size => 1}) end)).

unknown_keys_test() ->
    ?assertEqual(#{name => <<"a">>, size => 0, color => red},
                 ?M:echo_label_lax(#{name => <<"a">>, zz => 1, <<"k">> => 2})),
    ?assertEqual({1, "unknown key zz in a map"},
                 why(fun() -> ?M:echo_label(#{name => <<"a">>, zz => 1}) end)),
    ?assertEqual({1, "unknown key zz in a map"},
                 why(fun() -> ?M:echo_label(#{name => <<"a">>, size => 1, color => red,
                                              zz => 1}) end)),
    ?assertEqual({1, "unknown key <<\"size\">> in a map"},
                 why(fun() -> ?M:echo_label(#{name => <<"a">>, <<"size">> => 1}) end)),
    ?assertEqual({1, "unknown key {1,2} in a map"},
                 why(fun() -> ?M:echo_label(#{name => <<"a">>, {1, 2} => 1}) end)),
    %% __struct__ is a field only of Elixir structs.
    ?assertEqual({1, "unknown key '__struct__' in a map"},
                 why(fun() -> ?M:echo_label(#{name => <<"a">>, '__struct__' => ?POINT}) end)).

%% --- Enums ---------------------------------------------------------------------------

enum_test() ->
    [?assertEqual(C, ?M:echo_color(C)) || C <- [red, green, blue]],
    ?assertEqual({1, "expected red, green or blue, got: purple"},
                 why(fun() -> ?M:echo_color(purple) end)),
    ?assertEqual({1, "expected red, green or blue, got: 1"},
                 why(fun() -> ?M:echo_color(1) end)).

%% --- Tagged unions ---------------------------------------------------------------------

union_test() ->
    [?assertEqual(S, ?M:echo_shape(S))
     || S <- [empty, {circle, 1.5}, {rect, #{w => 1.0, h => 2.0}},
              {poly, {<<"tri">>, [{0.0, 0.0}, {1.0, 0.0}, {0.0, 1.0}]}},
              {at, {point, 1.0, 2.0}}]],
    ?assertEqual({circle, 2.0}, ?M:echo_shape({circle, 2})),
    ?assertEqual({rect, #{w => 1.0, h => 2.0}}, ?M:echo_shape({rect, #{w => 1, h => 2, d => 3}})),
    ?assertEqual([empty, {circle, 1.0}], ?M:echo_cnif_array_shape([empty, {circle, 1}])).

union_rejects_test() ->
    Expected = "expected empty, {circle, _}, {rect, _}, {poly, _} or {at, _}, got: ",
    [?assertEqual({1, Expected ++ Text}, why(fun() -> ?M:echo_shape(S) end))
     || {S, Text} <- [{{square, 1}, "{square,1}"},
                      {circle, "circle"},          % a value variant needs its value
                      {{empty, 1}, "{empty,1}"},   % a bare tag has none
                      {{circle, 1, 2}, "{circle,1,2}"},
                      {<<"empty">>, "<<\"empty\">>"},
                      {{"circle", 1}, "{\"circle\",1}"}]],
    ?assertEqual({1, ".circle: expected a float, got: x"},
                 why(fun() -> ?M:echo_shape({circle, x}) end)),
    ?assertEqual({1, ".rect: expected a map with key h, got: #{w => 1}"},
                 why(fun() -> ?M:echo_shape({rect, #{w => 1}}) end)),
    ?assertEqual({1, ".poly[1][2][1]: expected a float, got: x"},
                 why(fun() -> ?M:echo_shape({poly, {<<"t">>, [{0, 0}, {1, 0}, {1, x}]}}) end)),
    ?assertEqual({1, "[1].at: expected a #point{} record, got: {circle,1,2}"},
                 why(fun() -> ?M:echo_cnif_array_shape([empty, {at, {circle, 1, 2}}]) end)).

union_unknown_kind_panics_test() ->
    ?assertEqual(panicked(encode, <<"cannot encode shape: kind 7 has no variant">>,
                          nif_site(<<"CNIF_EXPORT(shape_of_kind,">>)),
                 raised(fun() -> ?M:shape_of_kind(7) end)),
    ?assertEqual({circle, 1.0}, ?M:shape_of_kind(20)).

%% The kind field here is one byte between two others: decoding sets it
%% through its exact size and leaves the neighbours alone.
union_kind_byte_test() ->
    ?assertEqual({16#AA, 16#55, {num, 5}}, ?M:token_bytes({num, 5})),
    ?assertEqual({16#AA, 16#55, eof}, ?M:token_bytes(eof)),
    ?assertEqual({16#AA, 16#55, {word, hello}}, ?M:token_bytes({word, hello})),
    ?assertEqual({1, ".num: expected an integer, got: x"},
                 why(fun() -> ?M:token_bytes({num, x}) end)).

%% --- One-of ------------------------------------------------------------------------------

%% double accepts integers: with it first, 5 becomes 5.0; with the integer
%% alternative first, 5 stays 5. Both keep a float as it is.
one_of_declared_order_test() ->
    ?assertEqual(5.0, ?M:echo_num_fi(5)),
    ?assertEqual(5, ?M:echo_num_if(5)),
    ?assertEqual(2.5, ?M:echo_num_fi(2.5)),
    ?assertEqual(2.5, ?M:echo_num_if(2.5)),
    ?assertEqual({1, 5}, ?M:num_if_kind(5)),
    ?assertEqual({0, 2.5}, ?M:num_if_kind(2.5)),
    %% Beyond int64 the integer alternative fails and the float one takes it.
    ?assertEqual(9.223372036854776e18, ?M:echo_num_if(1 bsl 63)).

one_of_rejects_test() ->
    ?assertEqual({1, "expected a float or an integer, got: foo"},
                 why(fun() -> ?M:echo_num_fi(foo) end)),
    ?assertEqual({1, "expected an integer or a float, got: foo"},
                 why(fun() -> ?M:echo_num_if(foo) end)),
    ?assertEqual({1, "expected an integer in -9223372036854775808..9223372036854775807 "
                     "or a float, got: 18446744073709551616"},
                 why(fun() -> ?M:echo_num_if(1 bsl 64) end)).

one_of_forms_test() ->
    ?assertEqual(ex_point(1.0, 2.0), ?M:echo_any_point(ex_point(1, 2))),
    ?assertEqual({point, 1.0, 2.0}, ?M:echo_any_point({point, 1, 2})),
    ?assertEqual({1.0, 2.0}, ?M:echo_any_point({1, 2})),
    ?assertEqual(#{x => 1.0, y => 2.0}, ?M:echo_any_point(#{x => 1, y => 2})),
    ?assertEqual(#{name => <<"l">>, size => 12, color => blue},
                 ?M:echo_any_point(#{name => <<"l">>})),
    %% The map alternative comes first and ignores unknown keys.
    ?assertEqual(#{x => 1.0, y => 2.0}, ?M:echo_any_point(#{x => 1, y => 2, name => <<"l">>})),
    ?assertEqual({1, "expected a %StructTest.Point{} struct, a #point{} record, "
                     "a tuple of 2 elements or a map, got: foo"},
                 why(fun() -> ?M:echo_any_point(foo) end)),
    %% A record's tag is checked before its size; each phrase is given once.
    ?assertEqual({1, "expected a %StructTest.Point{} struct, a #point{} record, "
                     "a tuple of 2 elements or a map, got: {1,2,3}"},
                 why(fun() -> ?M:echo_any_point({1, 2, 3}) end)),
    ?assertEqual({1, "expected a %StructTest.Point{} struct, a #point{} record, "
                     "a tuple of 2 elements or a map, got: {1,2,3,4}"},
                 why(fun() -> ?M:echo_any_point({1, 2, 3, 4}) end)),
    ?assertEqual({1, "expected a %StructTest.Point{} struct, a #point{} record, "
                     "a tuple of 2 elements, a map with key y or unknown key x in "
                     "a map, got: " ++ shown(#{name => <<"l">>, x => 1})},
                 why(fun() -> ?M:echo_any_point(#{name => <<"l">>, x => 1}) end)).

%% No alternative turns a term into another type: a list is not text, so
%% it reaches the list alternative, and a binary stays a binary.
one_of_keeps_a_list_a_list_test() ->
    ?assertEqual([1, 2, 3, 4], ?M:echo_text_or_ints([1, 2, 3, 4])),
    ?assertEqual([], ?M:echo_text_or_ints([])),
    ?assertEqual(<<1, 2, 3, 4>>, ?M:echo_text_or_ints(<<1, 2, 3, 4>>)),
    ?assertEqual(<<"abc">>, ?M:echo_text_or_ints(<<"abc">>)),
    ?assertEqual({1, "[1]: expected an integer, got: <<\"b\">>"},
                 why(fun() -> ?M:echo_text_or_ints([1, <<"b">>]) end)),
    ?assertEqual({1, "expected a UTF-8 string or a list, got: <<255>>"},
                 why(fun() -> ?M:echo_text_or_ints(<<255>>) end)).

%% The alternatives read as one list, commas and a last "or"; a union
%% among them adds its tags, an enum its atoms, each item once.
one_of_message_is_one_list_test() ->
    [?assertEqual(S, ?M:echo_scalar(S))
     || S <- [7, 2.5, <<"é"/utf8>>, {blob, <<0>>}, undefined]],
    Expected = "expected an integer, a float, a UTF-8 string, {blob, _} or undefined, got: ",
    [?assertEqual({1, Expected ++ Text}, why(fun() -> ?M:echo_scalar(S) end))
     || {S, Text} <- [{"abc", "\"abc\""}, {[1, 2], "[1,2]"}, {nil, "nil"},
                      {blob, "blob"}, {<<255>>, "<<255>>"}]],
    ?assertEqual({1, ".blob: expected a binary, got: \"x\""},
                 why(fun() -> ?M:echo_scalar({blob, "x"}) end)),
    [?assertEqual(H, ?M:echo_hue(H)) || H <- [red, green, blue, orange]],
    ?assertEqual({1, "expected red, green, blue or orange, got: pink"},
                 why(fun() -> ?M:echo_hue(pink) end)).

%% An alternative that recognised the term (its record tag, its struct
%% module) and failed inside it reports that failure alone.
one_of_recognised_alternative_test() ->
    ?assertEqual({1, ".y: expected a float, got: x"},
                 why(fun() -> ?M:echo_any_point({point, 1, x}) end)),
    ?assertEqual({1, ".x: expected a float, got: nil"},
                 why(fun() -> ?M:echo_any_point(ex_point(nil, 1)) end)),
    ?assertEqual({1, ".from.x: expected a float, got: a"},
                 why(fun() -> ?M:echo_point_or_line(#{'__struct__' => ?LINE_MOD,
                                                      from => ex_point(a, 0),
                                                      to => ex_point(1, 1)}) end)).

%% Alternatives that name what they got in words (a struct of another
%% module) still join into one list of what was expected.
one_of_keeps_each_reason_test() ->
    Other = #{'__struct__' => 'Elixir.Other', x => 1},
    ?assertEqual({1, "expected a %StructTest.Point{} struct or a %StructTest.Line{} "
                     "struct, got: " ++ shown(#{'__struct__' => 'Elixir.Other', x => 1})},
                 why(fun() -> ?M:echo_point_or_line(Other) end)),
    Line = #{'__struct__' => ?LINE_MOD, from => ex_point(0, 0), to => ex_point(1, 1)},
    ?assertEqual(Line#{from := ex_point(0.0, 0.0), to := ex_point(1.0, 1.0)},
                 ?M:echo_point_or_line(Line)).

%% --- Optionals -------------------------------------------------------------------------

optional_nil_test() ->
    ?assertEqual(nil, ?M:echo_opt_point(nil)),
    ?assertEqual(#{x => 1.0, y => 2.0}, ?M:echo_opt_point(#{x => 1, y => 2})),
    %% Only the chosen atom means absent.
    ?assertEqual({1, "expected a map, got: undefined"},
                 why(fun() -> ?M:echo_opt_point(undefined) end)),
    ?assertEqual(nil, ?M:echo_opt_points(nil)),
    ?assertEqual([#{x => 1.0, y => 2.0}], ?M:echo_opt_points([#{x => 1, y => 2}])),
    ?assertEqual({1, "[0].y: expected a float, got: nil"},
                 why(fun() -> ?M:echo_opt_points([#{x => 1, y => nil}]) end)),
    ?assertEqual([nil, #{x => 1.0, y => 2.0}, nil],
                 ?M:echo_cnif_array_opt_point([nil, #{x => 1, y => 2}, nil])),
    ?assertEqual({1, "[1]: expected a map, got: undefined"},
                 why(fun() -> ?M:echo_cnif_array_opt_point([nil, undefined]) end)).

optional_undefined_test() ->
    ?assertEqual(undefined, ?M:echo_maybe_int(undefined)),
    ?assertEqual(7, ?M:echo_maybe_int(7)),
    ?assertEqual({1, "expected an integer, got: nil"},
                 why(fun() -> ?M:echo_maybe_int(nil) end)).

%% --- Results and statuses -------------------------------------------------------------

result_test() ->
    ?assertEqual({ok, {point, 1.0, 2.0}}, ?M:first_point([#{x => 1, y => 2}, #{x => 3, y => 4}])),
    ?assertEqual({error, empty}, ?M:first_point([])),
    ?assertEqual({ok, 1.0}, ?M:echo_div_result({ok, 1})),
    ?assertEqual({error, oops}, ?M:echo_div_result({error, oops})),
    ?assertEqual({ok, #{x => 1.0, y => 2.0}}, ?M:echo_point_result({ok, #{x => 1, y => 2}})),
    ?assertEqual({error, #{name => <<"e">>, size => 12, color => blue}},
                 ?M:echo_point_result({error, #{name => <<"e">>}})).

result_rejects_test() ->
    Shape = "expected {ok, Value} or {error, Reason}, got: ",
    [?assertEqual({1, Shape ++ Text}, why(fun() -> ?M:echo_div_result(R) end))
     || {R, Text} <- [{ok, "ok"}, {error, "error"}, {{ok, 1, 2}, "{ok,1,2}"},
                      {{done, 1}, "{done,1}"}, {[ok, 1], "[ok,1]"}]],
    ?assertEqual({1, "[1]: expected a float, got: x"},
                 why(fun() -> ?M:echo_div_result({ok, x}) end)),
    ?assertEqual({1, "[1]: expected an atom, got: <<\"x\">>"},
                 why(fun() -> ?M:echo_div_result({error, <<"x">>}) end)),
    ?assertEqual({1, "[1]: expected a map with key y, got: #{x => 1}"},
                 why(fun() -> ?M:echo_point_result({ok, #{x => 1}}) end)),
    ?assertEqual({1, "[1]: unknown key x in a map"},
                 why(fun() -> ?M:echo_point_result({error, #{name => <<"e">>, x => 1}}) end)).

status_test() ->
    ?assertEqual(ok, ?M:label_check(#{name => <<"a">>})),
    ?assertEqual({error, <<"size must be positive">>}, ?M:label_check(#{name => <<"a">>, size => 0})),
    ?assertEqual(ok, ?M:echo_check_status(ok)),
    ?assertEqual({error, <<"x">>}, ?M:echo_check_status({error, <<"x">>})),
    ?assertEqual({1, "expected ok or {error, Reason}, got: {ok,1}"},
                 why(fun() -> ?M:echo_check_status({ok, 1}) end)),
    ?assertEqual({1, "expected ok or {error, Reason}, got: error"},
                 why(fun() -> ?M:echo_check_status(error) end)),
    ?assertEqual({1, "[1]: expected a UTF-8 string, got: foo"},
                 why(fun() -> ?M:echo_check_status({error, foo}) end)).

%% --- User codecs ---------------------------------------------------------------------------

user_codec_test() ->
    Tri = {<<"tri">>, [{0.0, 0.0}, {1.0, 0.0}, {0.0, 1.0}]},
    ?assertEqual(Tri, ?M:echo_polygon(Tri)),
    ?assertEqual(Tri, ?M:echo_polygon({<<"tri">>, [{0, 0}, {1, 0}, {0, 1}]})),
    %% Built in C: a regular n-gon, each vertex computed as Erlang would.
    Ring = [{math:cos(2 * math:pi() * I / 5), math:sin(2 * math:pi() * I / 5)}
            || I <- lists:seq(0, 4)],
    ?assertEqual({<<"ppp">>, Ring}, ?M:polygon_ring(5, 3, 99)).

user_codec_rejects_test() ->
    ?assertEqual({1, "expected a {Name, Vertices} tuple, got: foo"},
                 why(fun() -> ?M:echo_polygon(foo) end)),
    ?assertEqual({1, "[0]: expected a UTF-8 string, got: 1"},
                 why(fun() -> ?M:echo_polygon({1, []}) end)),
    ?assertEqual({1, "[1]: expected at least 3 vertices, got: [{0,0},{1,0}]"},
                 why(fun() -> ?M:echo_polygon({<<"p">>, [{0, 0}, {1, 0}]}) end)),
    ?assertEqual({1, "[1]: expected a list, got: {0,0}"},
                 why(fun() -> ?M:echo_polygon({<<"p">>, {0, 0}}) end)),
    ?assertEqual({1, "[1][1]: expected an {X, Y} tuple, got: {1,2,3}"},
                 why(fun() -> ?M:echo_polygon({<<"p">>, [{0, 0}, {1, 2, 3}, {1, 1}]}) end)),
    ?assertEqual({1, "[1][2][1]: expected a float, got: x"},
                 why(fun() -> ?M:echo_polygon({<<"p">>, [{0, 0}, {1, 0}, {1, x}]}) end)).

%% --- Declarations checked at load ---------------------------------------------------------

bad_declarations_panic_test() ->
    %% cnif's checks are located at the NIF that ran them.
    Struct = nif_site(<<"CNIF_EXPORT(bad_declaration,">>),
    ?assertEqual(panicked(call, <<"struct bad: two fields use the key x">>, Struct),
                 raised(fun() -> ?M:bad_declaration(duplicate_key) end)),
    ?assertEqual(panicked(call, <<"struct bad: CNIF_AS_STRUCT needs .module">>,
                          Struct),
                 raised(fun() -> ?M:bad_declaration(struct_without_module) end)),
    ?assertEqual(panicked(call, <<"struct bad: CNIF_AS_RECORD needs .tag">>,
                          Struct),
                 raised(fun() -> ?M:bad_declaration(record_without_tag) end)),
    ?assertEqual(panicked(call, <<"struct bad: .as = 7 is not a cnif_struct_as">>, Struct),
                 raised(fun() -> ?M:bad_declaration(unknown_form) end)),
    ?assertEqual(panicked(call, <<"union bad_union: the kind field must be an integer "
                                  "or enum">>,
                          Struct),
                 raised(fun() -> ?M:bad_declaration(kind_of_three_bytes) end)).

%% --- Dynamic term values ---------------------------------------------------------------------

every_kind() ->
    [0, 1, -1, (1 bsl 63) - 1, -(1 bsl 63), 1 bsl 63, (1 bsl 64) - 1, 1 bsl 64,
     -(1 bsl 63) - 1, 1 bsl 2048, -(1 bsl 2048),
     2.5, -1.0e300, 5.0e-324,
     foo, '', 'with space', 'ÿ', 'ĉ',
     <<>>, <<"bin">>, <<0, 255>>, binary:copy(<<"x">>, 1000), <<1:3>>,
     [], [1], [1 | 2], [a, b | c], [[[]]], "text",
     {}, {a}, {a, {b, [c]}},
     #{}, #{a => 1, {k} => [v], <<"b">> => #{}},
     maps:from_list([{I, I * I} || I <- lists:seq(1, 40)]),
     self(), make_ref(), fun lists:reverse/1, fun() -> ok end,
     hd(erlang:ports())].

value_round_trip_test() ->
    V = every_kind(),
    ?assertEqual(V, ?M:echo_cnif_value(V)),
    [?assertEqual(X, ?M:echo_cnif_value(X)) || X <- V],
    ?assertEqual(list_to_tuple(V), ?M:echo_cnif_value(list_to_tuple(V))),
    ?assertEqual(#{key => V}, ?M:echo_cnif_value(#{key => V})).

%% The C tree each term decodes to, spelled out by the NIF.
value_tree_shape_test() ->
    Pid = self(),
    Ref = make_ref(),
    ?assertEqual({list, [{integer, 1}, {integer, -(1 bsl 63)}, {float, 2.5},
                         {atom, foo}, {binary, <<"b">>},
                         {tuple, [{atom, a}, {list, [{atom, b}], {atom, c}}]},
                         {map, [{{atom, k}, {atom, v}}]},
                         {list, [], proper},
                         {term, Pid}, {term, Ref}, {term, <<1:3>>}],
                  proper},
                 ?M:value_describe([1, -(1 bsl 63), 2.5, foo, <<"b">>, {a, [b | c]},
                                    #{k => v}, [], Pid, Ref, <<1:3>>])),
    ?assertEqual({list, [{integer, 1}], {integer, 2}}, ?M:value_describe([1 | 2])),
    ?assertEqual({tuple, []}, ?M:value_describe({})),
    %% Any atom has its C text, on every OTP; one holding NUL has none.
    ?assertEqual({atom, 'ĉ'}, ?M:value_describe('ĉ')),
    ?assertEqual({atom, 'ÿ'}, ?M:value_describe('ÿ')),
    ?assertEqual({term, 'a\0b'}, ?M:value_describe('a\0b')).

%% Big integers reach C as a sign and the magnitude's bytes, least
%% significant first.
value_bignum_decode_test() ->
    ?assertEqual({integer, (1 bsl 63) - 1}, ?M:value_describe((1 bsl 63) - 1)),
    ?assertEqual({bigint, false, <<0, 0, 0, 0, 0, 0, 0, 128>>}, ?M:value_describe(1 bsl 63)),
    ?assertEqual({bigint, true, <<1, 0, 0, 0, 0, 0, 0, 128>>},
                 ?M:value_describe(-(1 bsl 63) - 1)),
    ?assertEqual({bigint, false, <<0:64, 1>>}, ?M:value_describe(1 bsl 64)),
    ?assertEqual({bigint, true, <<0:64, 64>>}, ?M:value_describe(-(1 bsl 70))),
    %% Past 255 bytes the VM's external format changes; C sees no difference.
    ?assertEqual({bigint, false, <<0:2048, 1>>}, ?M:value_describe(1 bsl 2048)),
    ?assertEqual({bigint, true, <<255, 0:2040, 1>>},
                 ?M:value_describe(-((1 bsl 2048) + 255))).

%% And C can build them the same way.
value_bignum_encode_test() ->
    ?assertEqual(16#030201, ?M:value_bigint(false, <<1, 2, 3>>)),
    ?assertEqual(-16#030201, ?M:value_bigint(true, <<1, 2, 3>>)),
    ?assertEqual(-5, ?M:value_bigint(true, <<5, 0, 0, 0>>)),   % high zero bytes
    ?assertEqual(0, ?M:value_bigint(true, <<>>)),
    ?assertEqual(0, ?M:value_bigint(true, <<0, 0>>)),          % no negative zero
    ?assertEqual(1 bsl 2048, ?M:value_bigint(false, <<0:2048, 1>>)),
    [begin
         {bigint, Negative, Bytes} = ?M:value_describe(N),
         ?assertEqual(N, ?M:value_bigint(Negative, Bytes))
     end || N <- [1 bsl 64, -(1 bsl 64), (1 bsl 200) + 12345, -(3 bsl 4000)]].

%% Nesting is bounded by CNIF_MAX_DEPTH (512): deeper input is a bad
%% argument however deep it goes, with the innermost 32 steps of its path.
value_depth_decode_test() ->
    Path = "..." ++ lists:append(lists:duplicate(32, "[0]")),
    Too = {1, Path ++ ": nested deeper than 512 levels"},
    ?assertEqual(nested(511, x), ?M:echo_cnif_value(nested(511, x))),
    ?assertEqual(Too, why(fun() -> ?M:echo_cnif_value(nested(512, x)) end)),
    ?assertEqual(Too, why(fun() -> ?M:echo_cnif_value(nested(100000, x)) end)),
    Tuples = lists:foldl(fun(_, Acc) -> {Acc} end, x, lists:seq(1, 100000)),
    ?assertEqual(Too, why(fun() -> ?M:echo_cnif_value(Tuples) end)),
    Maps = lists:foldl(fun(_, Acc) -> #{k => Acc} end, x, lists:seq(1, 100000)),
    ?assertEqual(Too, why(fun() -> ?M:echo_cnif_value(Maps) end)),
    ?assertEqual({1, "...[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"
                     "[0][0][0][0][0][0][0][0][0][0][0].tail[0]: nested deeper "
                     "than 512 levels"},
                 why(fun() -> ?M:echo_cnif_value(nested(510, [a | {b}])) end)).

%% A tree built in C is bounded the same way when it is encoded.
value_depth_encode_test() ->
    ?assertEqual(nested(511, 0), ?M:value_nested(511)),
    ?assertEqual(panicked(encode, <<"cannot encode a value nested deeper than 512 levels">>,
                          nif_site(<<"CNIF_EXPORT(value_nested,">>)),
                 raised(fun() -> ?M:value_nested(512) end)),
    ?assertEqual(3, ?M:add(1, 2)).

%% --- Encoders that panic halfway through a large nested value ---------------

%% 1000 elements, broken at element 500; the element that is encoded first
%% carries a fresh 4 KB binary.
polygon_panic() -> ?M:polygon_ring(1000, 4096, 500).
sample_panic() -> ?M:sample_series(1000, 4096, 500).
tree_panic(How) -> ?M:value_tree(1000, 4096, 500, How).

polygon_expected() ->
    panicked(encode, <<"polygon vertex 500 of 1000 repeats vertex 499">>,
             nif_site(<<"POLYGON_PANIC">>)).
sample_expected() ->
    panicked(encode, <<"reading -500 is negative">>, nif_site(<<"READING_PANIC">>)).
tree_expected() ->
    panicked(encode, <<"cannot encode nan as an Erlang float: it is not finite">>,
             nif_site(<<"CNIF_EXPORT(value_tree,">>)).

%% The same calls, whole: what they return when nothing is broken.
unbroken_encoders_test() ->
    ?assertEqual([#{id => 0, value => 0, blob => <<>>},
                  #{id => 1, value => 10, blob => <<>>},
                  #{id => 2, value => 20, blob => <<"ss">>}],
                 ?M:sample_series(3, 2, 99)),
    ?assertEqual([#{id => 0, score => 0.0, tags => [even, <<>>]},
                  #{id => 1, score => 0.5, tags => [odd, <<"tt">>]}],
                 ?M:value_tree(2, 2, 99, nan)),
    {<<"p">>, Vertices} = ?M:polygon_ring(1000, 1, 1000),
    ?assertEqual(1000, length(Vertices)),
    ?assertEqual(1000, length(?M:sample_series(1000, 4096, 1000))),
    ?assertEqual(1000, length(?M:value_tree(1000, 4096, 1000, nan))),
    ?assertEqual({1, ".value: expected a non-negative reading, got: -1"},
                 why(fun() -> ?M:echo_sample(#{id => 1, value => -1, blob => <<>>}) end)).

encode_panics_test() ->
    ?assertEqual(polygon_expected(), raised(fun polygon_panic/0)),
    ?assertEqual(sample_expected(), raised(fun sample_panic/0)),
    ?assertEqual(tree_expected(), raised(fun() -> tree_panic(nan) end)),
    Faults = [{inf, <<"cannot encode -inf as an Erlang float: it is not finite">>},
              {bad_kind, <<"cannot encode a value of unknown kind 99">>},
              {null_binary, <<"cannot encode a binary of 10 bytes at NULL">>},
              {duplicate_keys, <<"cannot encode a map with duplicate keys">>}],
    [?assertEqual(panicked(encode, Message, nif_site(<<"CNIF_EXPORT(value_tree,">>)),
                  raised(fun() -> tree_panic(How) end))
     || {How, Message} <- Faults],
    ?assertEqual(3, ?M:add(1, 2)).

%% What the VM holds: erlang:memory(total) and the OS's resident set size.
footprint() ->
    [erlang:garbage_collect(P) || P <- processes()],
    {ok, Status} = file:read_file("/proc/self/status"),
    {match, [Kb]} = re:run(Status, "VmRSS:\\s+(\\d+) kB", [{capture, all_but_first, list}]),
    {erlang:memory(total), list_to_integer(Kb) * 1024}.

%% Calls Fun N times in a fresh process (whose heap goes when it exits);
%% returns how many calls raised exactly Expected, or why the process died.
storm(Fun, Expected, N) ->
    {Pid, Ref} = spawn_monitor(fun() -> exit({raised, storm(Fun, Expected, N, 0)}) end),
    receive
        {'DOWN', Ref, process, Pid, {raised, Count}} -> Count;
        {'DOWN', Ref, process, Pid, Other} -> Other
    end.

storm(_Fun, _Expected, 0, Count) ->
    Count;
storm(Fun, Expected, N, Count) ->
    try Fun() of
        _ -> storm(Fun, Expected, N - 1, Count)
    catch
        error:Expected -> storm(Fun, Expected, N - 1, Count + 1)
    end.

%% 100,000 panics after a warm-up round of 20,000 (a tenth where STRESS
%% says so: test/stress.erl): erlang:memory(total)
%% and VmRSS back at the baseline within 1 MB (10 bytes a call) and 4 MB
%% (40 bytes a call); both have stayed within +0.2 MB and +1 MB, also under
%% ASan. Every call abandons a 4 KB binary and about 500 half-encoded
%% elements, so a leak of any of them would be hundreds of megabytes; a
%% 16-byte enif_alloc leak per call shows as +6 MB of memory(total).
-define(MEMORY_TOLERANCE, 1 bsl 20).
-define(RSS_TOLERANCE, 4 bsl 20).

no_leak(Fun, Expected) ->
    Warm = stress:scaled(20000, 2000),
    ?assertEqual(Warm, storm(Fun, Expected, Warm)),
    {Memory0, Rss0} = footprint(),
    Storm = stress:scaled(100000, 10000),
    ?assertEqual(Storm, storm(Fun, Expected, Storm)),
    {Memory1, Rss1} = footprint(),
    ?debugFmt("memory(total) ~b -> ~b (~b), VmRSS ~b -> ~b (~b)",
              [Memory0, Memory1, Memory1 - Memory0, Rss0, Rss1, Rss1 - Rss0]),
    ?assert(Memory1 - Memory0 < ?MEMORY_TOLERANCE),
    ?assert(Rss1 - Rss0 < ?RSS_TOLERANCE),
    ?assertEqual(3, ?M:add(1, 2)).

encode_panics_do_not_leak_test_() ->
    {inorder,
     [{timeout, 120, {"a user codec's own encoder",
                      fun() -> no_leak(fun polygon_panic/0, polygon_expected()) end}},
      {timeout, 120, {"a struct field's encoder in an array of 1000 structs",
                      fun() -> no_leak(fun sample_panic/0, sample_expected()) end}},
      {timeout, 120, {"a dynamic term tree with a non-finite leaf",
                      fun() -> no_leak(fun() -> tree_panic(nan) end, tree_expected()) end}}]}.
