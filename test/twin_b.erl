%% twin_b -- one of two cnif libraries built from the same C source
%% (test/nifs/twin_a.c); boundary_tests loads both side by side.
-module(twin_b).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([whoami/0, twin_panic/0]).
