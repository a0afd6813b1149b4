%% geometry.hrl -- the records of module geometry. The fields are in the
%% order of the field lists in c_src/geometry_nif.c: a record is a tuple,
%% so the C side knows its fields by position.
-record(point, {x :: number(), y :: number()}).
-record(segment, {from :: #point{}, to :: #point{}}).
-record(polyline, {points = [] :: [#point{}]}).
-record(polygon, {vertices = [] :: [#point{}]}).
-record(circle, {center :: #point{}, radius :: number()}).
-record(rect, {min :: #point{}, max :: #point{}}).

-type shape() :: #circle{} | #rect{} | #segment{} | #polyline{} | #polygon{}.
