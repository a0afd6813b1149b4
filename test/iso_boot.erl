%% iso_boot -- the NIF of test/nifs/iso_boot.c, whose load hook fails in
%% the worker when isolated_tests asks it to, run by one worker.
-module(iso_boot).
-include_lib("cnif/include/cnif.hrl").
-cnif_isolated(#{workers => 1, timeout => 1000}).
-cnif_nifs([ping/0]).
