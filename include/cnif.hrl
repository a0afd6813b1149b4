%% cnif.hrl -- include in a module that lists its cnif NIFs with
%% -cnif_nifs([F/A, ...]); see cnif_transform.
-compile({parse_transform, cnif_transform}).
