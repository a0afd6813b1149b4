%% iso_nif -- the NIFs of test/nifs/iso_nif.c, driven by isolated_tests,
%% run by a pool of two worker BEAMs with a one-second timeout.
-module(iso_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_isolated(#{workers => 2, timeout => 1000}).
-cnif_nifs([add/2, in_decode/1, in_call/1, in_encode/1, hang/0, nap/1, leak/1, os_pid/0,
            box_new/1, box_get/1, box_add/2, boxes/0, boxes_of/1, os_pid_of/1, mul_later/2, greet/1]).
