%% demo -- the Erlang side of demo.c: one line lists the NIFs, and cnif
%% generates the loader and the error_info wrappers.
-module(demo).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([add/2, greet/1, mean/1, ratio_negate/1, factorial/1, path_entries/1,
            counter_get/0, counter_add/1]).
