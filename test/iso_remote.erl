%% iso_remote -- the NIFs of test/nifs/iso_nif.c once more, for
%% isolated_nodes_tests, which isolates the module with workers on two
%% other nodes (cnif:isolate/2, since their names are made at run time).
-module(iso_remote).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([add/2, in_decode/1, in_call/1, in_encode/1, hang/0, nap/1, leak/1, os_pid/0,
            box_new/1, box_get/1, box_add/2, boxes/0, boxes_of/1, os_pid_of/1, mul_later/2, greet/1]).
