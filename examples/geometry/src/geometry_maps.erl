%% geometry_maps -- the geometry NIFs over atom-keyed maps
%% (c_src/geometry_nif.c built with -DGEOMETRY_MAPS). A map does not say
%% which shape it is, so a shape is tagged: {circle, #{...}}.
-module(geometry_maps).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([area/1, perimeter/1, bounding_box/1, translate/3, centroid/1]).
-export_type([point/0, rect/0, polygon/0, shape/0]).

-type point() :: #{x := number(), y := number()}.
-type rect() :: #{min := point(), max := point()}.
-type polygon() :: #{vertices := [point()]}.
-type shape() :: {circle, #{center := point(), radius := number()}}
               | {rect, rect()}
               | {segment, #{from := point(), to := point()}}
               | {polyline, #{points := [point()]}}
               | {polygon, polygon()}.

-spec area(shape()) -> float().
-spec perimeter(shape()) -> float().
-spec bounding_box([shape()]) -> rect() | undefined.
-spec translate(shape(), number(), number()) -> shape().
-spec centroid(polygon()) -> point().
