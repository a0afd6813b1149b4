%% fm_hooks -- the Erlang side of fm_hooks.c, compiled once per version
%% (fault_matrix.mk): erlc -DLIB='"fm_hooks_vN"'.
-module(fm_hooks).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([version/0]).
-cnif_lib(?LIB).
