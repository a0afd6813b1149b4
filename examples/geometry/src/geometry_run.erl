%% geometry_run -- the Erlang half of `make example-geometry`: a few calls
%% with records and with maps, and two bad arguments as the shell shows them.
-module(geometry_run).
-export([main/0]).
-include("geometry.hrl").

main() ->
    Triangle = #polygon{vertices = [#point{x = 0, y = 0}, #point{x = 4, y = 0},
                                    #point{x = 0, y = 3}]},
    Circle = #circle{center = #point{x = 1, y = 1}, radius = 2},
    io:format("== Erlang, records (module geometry) ==~n"),
    show("geometry:area(Triangle)", fun() -> geometry:area(Triangle) end),
    show("geometry:centroid(Triangle)", fun() -> geometry:centroid(Triangle) end),
    show("geometry:bounding_box([Triangle, Circle])",
         fun() -> geometry:bounding_box([Triangle, Circle]) end),
    show("geometry:translate(Circle, 10, 0)", fun() -> geometry:translate(Circle, 10, 0) end),
    Unset = #polygon{vertices = [#point{x = 0, y = 0}, #point{x = 4, y = 0}, #point{y = 3}]},
    show("geometry:centroid(#polygon{vertices = [..., #point{y = 3}]})",
         fun() -> geometry:centroid(Unset) end),
    show("geometry:centroid(#polyline{})", fun() -> geometry:centroid(#polyline{}) end),
    io:format("~n== Erlang, maps (module geometry_maps) ==~n"),
    Square = #{vertices => [#{x => 0, y => 0}, #{x => 2, y => 0},
                            #{x => 2, y => 2}, #{x => 0, y => 2}]},
    show("geometry_maps:area({polygon, Square})", fun() -> geometry_maps:area({polygon, Square}) end),
    show("geometry_maps:centroid(Square)", fun() -> geometry_maps:centroid(Square) end).

show(Call, Fun) ->
    io:format("~ts~n", [Call]),
    try Fun() of
        Value -> io:format("    ~0tp~n", [Value])
    catch
        %% What the shell prints, error_info included.
        Class:Reason:Stack ->
            Text = erl_error:format_exception(Class, Reason, [hd(Stack)]),
            io:format("    ~ts~n", [string:replace(string:trim(Text), "\n", "\n    ", all)])
    end.
