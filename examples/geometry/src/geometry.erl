%% geometry -- the geometry NIFs over the records of geometry.hrl
%% (c_src/geometry_nif.c built with -DGEOMETRY_RECORDS).
-module(geometry).
-include_lib("cnif/include/cnif.hrl").
-include("geometry.hrl").
-cnif_nifs([area/1, perimeter/1, bounding_box/1, translate/3, centroid/1]).
-export_type([shape/0]).

-spec area(shape()) -> float().
-spec perimeter(shape()) -> float().
-spec bounding_box([shape()]) -> #rect{} | undefined.
-spec translate(shape(), number(), number()) -> shape().
-spec centroid(#polygon{}) -> #point{}.
