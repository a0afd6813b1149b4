%% long_nif -- the Erlang side of test/nifs/long_nif.c, driven by
%% long_tests.
-module(long_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([gate_stats/0, work_dirty_cpu/4, work_dirty_io/4, work_pool/4,
            work_thread/4, ysum/1, block_sum/1, tick/0, cleanup_counts/2,
            damaged/0, watch_pool/2, watch_thread/2, watched/0, latch_wait/0,
            latch_set/1, job_hold/2, job_views/2, reset/0, send_normal/3,
            send_dirty/3, send_pool/3, send_thread/3, send_raw/3,
            ytry/1, yield_due_outside/0, yrows/1, ymisuse/1, carry_plain/0,
            carried_plain/0, carry_job/0]).
