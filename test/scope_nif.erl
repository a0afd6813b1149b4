%% scope_nif -- the NIFs of test/nifs/scope_nif.c, driven by scope_tests.
-module(scope_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([lock_free/1, lock_then/2, null_lock/1, unlock_unheld/0,
            decode_locked/1, encode_locked/1, job_locked/1, yield_locked/1,
            tracked_new/1, tracked_id/1, hold_then/2, hold_fresh/1,
            hold_null/0, value_row/1, value_send/2, value_here/1,
            value_bad/1, value_unset/0]).
