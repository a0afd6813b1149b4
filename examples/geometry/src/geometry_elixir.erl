%% geometry_elixir -- the geometry NIFs over the Elixir structs of lib/
%% (c_src/geometry_nif.c built with -DGEOMETRY_ELIXIR). Elixir code calls
%% them through the Geometry module.
-module(geometry_elixir).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([area/1, perimeter/1, bounding_box/1, translate/3, centroid/1]).
