%% res_nif -- the Erlang side of test/nifs/res_nif.c (see resource_tests).
-module(res_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([counter_new/2, counter_get/1, counter_sum/2, counter_total/1,
            counter_forget/1, counter_new_then_panic/1, counter_null/0,
            counter_monitor/2, counter_keep/1, counter_kept/0, counter_release/0,
            gauge_new/1, gauge_get/1,
            cell_new/1, cell_stats/0,
            blob_new/2, blob_binary/1, blob_poke/3,
            watch_new/2, watch_monitor/2, watch_demonitor/2,
            fdpair_new/1, fdpair_select/3, fdpair_stop_select/2, fdpair_write/2,
            fdpair_read/1, fdpair_open/1]).
