%% geometry_tests -- the geometry example from Erlang: module geometry with
%% the records of geometry.hrl, module geometry_maps with maps. Exact
%% values and exact error messages.
-module(geometry_tests).
-include_lib("eunit/include/eunit.hrl").
-include("geometry.hrl").

-define(P(X, Y), #point{x = X, y = Y}).
-define(M(X, Y), #{x => X, y => Y}).

%% A right triangle with legs 4 and 3: area 6, perimeter 3 + 4 + 5,
%% centroid (4/3, 1). Every result below is exact in binary floating point.
triangle() -> #polygon{vertices = [?P(0, 0), ?P(4, 0), ?P(0, 3)]}.
triangle_map() -> #{vertices => [?M(0, 0), ?M(4, 0), ?M(0, 3)]}.

%% The error_info text for each bad argument, by position, as the shell
%% prints it after "*** argument N:". The exception is a plain badarg.
why(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:badarg:Stack -> cnif_error:format_error(badarg, Stack)
    end.

%% --- Records ---------------------------------------------------------------

area_test() ->
    ?assertEqual(6.0, geometry:area(triangle())),
    ?assertEqual(4 * math:pi(), geometry:area(#circle{center = ?P(1, 1), radius = 2})),
    ?assertEqual(12.0, geometry:area(#rect{min = ?P(0, 0), max = ?P(4, 3)})),
    ?assertEqual(0.0, geometry:area(#segment{from = ?P(0, 0), to = ?P(3, 4)})).

perimeter_test() ->
    ?assertEqual(12.0, geometry:perimeter(triangle())),
    ?assertEqual(2 * math:pi(), geometry:perimeter(#circle{center = ?P(0, 0), radius = 1})),
    ?assertEqual(5.0, geometry:perimeter(#segment{from = ?P(0, 0), to = ?P(3, 4)})),
    ?assertEqual(9.0, geometry:perimeter(#polyline{points = [?P(0, 0), ?P(3, 4), ?P(3, 0)]})),
    ?assertEqual(0.0, geometry:perimeter(#polyline{})).

bounding_box_test() ->
    Shapes = [#circle{center = ?P(1, 1), radius = 2},
              #segment{from = ?P(5, 5), to = ?P(-2, 0.5)},
              #polyline{}],
    ?assertEqual(#rect{min = ?P(-2.0, -1.0), max = ?P(5.0, 5.0)},
                 geometry:bounding_box(Shapes)),
    ?assertEqual(#rect{min = ?P(0.0, 0.0), max = ?P(4.0, 3.0)},
                 geometry:bounding_box([triangle()])),
    %% No points, no box.
    ?assertEqual(undefined, geometry:bounding_box([])),
    ?assertEqual(undefined, geometry:bounding_box([#polygon{}, #polyline{}])).

%% The same record comes back, moved; integers come back as floats.
translate_test() ->
    ?assertEqual(#polygon{vertices = [?P(1.0, -1.0), ?P(5.0, -1.0), ?P(1.0, 2.0)]},
                 geometry:translate(triangle(), 1, -1)),
    ?assertEqual(#circle{center = ?P(0.5, 2.0), radius = 1.0},
                 geometry:translate(#circle{center = ?P(0, 0), radius = 1}, 0.5, 2)).

centroid_test() ->
    ?assertEqual(?P(4 / 3, 1.0), geometry:centroid(triangle())),
    %% Clockwise vertices: the same centroid.
    ?assertEqual(?P(4 / 3, 1.0),
                 geometry:centroid(#polygon{vertices = [?P(0, 3), ?P(4, 0), ?P(0, 0)]})).

%% A record field left unset is undefined: the message says which one.
nested_field_error_test() ->
    Bad = #polygon{vertices = [?P(0, 0), ?P(4, 0), #point{y = 3}]},
    ?assertEqual(#{1 => ".vertices[2].x: expected a float, got: undefined"},
                 why(fun() -> geometry:centroid(Bad) end)),
    %% Inside a shape the polygon is recognised by its tag, so the report
    %% is the same.
    ?assertEqual(#{1 => ".vertices[2].x: expected a float, got: undefined"},
                 why(fun() -> geometry:area(Bad) end)),
    ?assertEqual(#{1 => "[1].center.y: expected a float, got: \"1\""},
                 why(fun() -> geometry:bounding_box([triangle(),
                                                     #circle{center = ?P(0, "1"), radius = 1}])
                     end)).

wrong_record_test() ->
    Line = #polyline{points = [?P(0, 0), ?P(4, 0)]},
    ?assertEqual(#{1 => "expected a #polygon{} record, "
                        "got: {polyline,[{point,0,0},{point,4,0}]}"},
                 why(fun() -> geometry:centroid(Line) end)),
    ?assertEqual(#{1 => "expected a #circle{} record, a #rect{} record, "
                        "a #segment{} record, a #polyline{} record or "
                        "a #polygon{} record, got: {point,1,2}"},
                 why(fun() -> geometry:area(?P(1, 2)) end)).

other_argument_error_test() ->
    ?assertEqual(#{3 => "expected a float, got: <<\"2\">>"},
                 why(fun() -> geometry:translate(triangle(), 1, <<"2">>) end)).

%% What the types cannot say, the NIF body checks.
body_error_test() ->
    ?assertEqual(#{1 => "the polygon has no area"},
                 why(fun() -> geometry:centroid(#polygon{vertices = [?P(0, 0), ?P(1, 1)]}) end)).

%% --- Maps ------------------------------------------------------------------

maps_test() ->
    ?assertEqual(6.0, geometry_maps:area({polygon, triangle_map()})),
    ?assertEqual(math:pi(), geometry_maps:area({circle, #{center => ?M(0, 0), radius => 1}})),
    ?assertEqual(12.0, geometry_maps:perimeter({polygon, triangle_map()})),
    ?assertEqual(#{min => ?M(-2.0, -1.0), max => ?M(5.0, 5.0)},
                 geometry_maps:bounding_box([{circle, #{center => ?M(1, 1), radius => 2}},
                                             {segment, #{from => ?M(5, 5), to => ?M(-2, 0.5)}}])),
    ?assertEqual({polygon, #{vertices => [?M(1.0, -1.0), ?M(5.0, -1.0), ?M(1.0, 2.0)]}},
                 geometry_maps:translate({polygon, triangle_map()}, 1, -1)),
    ?assertEqual(?M(4 / 3, 1.0), geometry_maps:centroid(triangle_map())).

maps_error_test() ->
    Bad = #{vertices => [?M(0, 0), ?M(4, 0), ?M(nil, 3)]},
    ?assertEqual(#{1 => ".vertices[2].x: expected a float, got: nil"},
                 why(fun() -> geometry_maps:centroid(Bad) end)),
    ?assertEqual(#{1 => ".polygon.vertices[2].x: expected a float, got: nil"},
                 why(fun() -> geometry_maps:area({polygon, Bad}) end)),
    ?assertEqual(#{1 => "expected a map with key vertices, got: #{points => []}"},
                 why(fun() -> geometry_maps:centroid(#{points => []}) end)),
    ?assertEqual(#{1 => "expected {circle, _}, {rect, _}, {segment, _}, "
                        "{polyline, _} or {polygon, _}, got: #{vertices => []}"},
                 why(fun() -> geometry_maps:area(#{vertices => []}) end)).

%% Both modules bind the same C code: the same numbers either way.
records_and_maps_agree_test() ->
    #rect{min = #point{x = X0, y = Y0}, max = #point{x = X1, y = Y1}} =
        geometry:bounding_box([geometry:translate(triangle(), -2, 7)]),
    ?assertEqual(#{min => ?M(X0, Y0), max => ?M(X1, Y1)},
                 geometry_maps:bounding_box([geometry_maps:translate({polygon, triangle_map()}, -2, 7)])).
