%% thread_upgrade -- the Erlang side of thread_upgrade.c, compiled once per
%% version (thread_upgrade.mk): erlc -DLIB='"thread_upgrade_vN"'.
-module(thread_upgrade).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([version/0, version_pool/0, spin_pool/1, spin_thread/1]).
-cnif_lib(?LIB).
