%% iso_nifs.hrl -- the NIFs of test/nifs/iso_nif.c, which every module built
%% from that file lists: iso_nif, iso_remote, iso_pool, iso_mem, iso_local.
-cnif_nifs([add/2, in_decode/1, in_call/1, in_encode/1, hang/0, nap/1, leak/1, leak_slowly/1,
            os_pid/0, panics/0, box_new/1, box_get/1, box_add/2, boxes/0, boxes_of/1,
            os_pid_of/1, box_nap/2, echo/1, mul_later/2, greet/1, tell/1]).
