%% res_upgrade -- the Erlang side of res_upgrade.c, compiled once per
%% version (res_upgrade.mk): erlc -DVERSION=N -DLIB='"res_upgrade_vN"'.
-module(res_upgrade).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([version/0, priv/0, new/2, info/1]).
-cnif_lib(?LIB).
-export([beam_version/0, park/0]).

%% Which of the two .beam builds this is.
beam_version() -> ?VERSION.

%% Stays in the code of the version it was started in until told to
%% return: a process that keeps old code in use.
park() ->
    receive release -> ok end.
