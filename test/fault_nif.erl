%% fault_nif -- the NIFs of test/nifs/fault_nif.c, driven by fault_tests,
%% with the fault barrier armed by a load option.
-module(fault_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_load_options(#{fault_barrier => true}).
-cnif_nifs([in_decode/1, in_call/1, in_encode/1, in_cleanup/1, in_dirty/1,
            in_try/1, in_job/1, in_yield/1, in_destroy/1, in_down/2,
            nest_depth/1, fault_pages/0, malloc_in_use/0, erts_fault/0,
            foreign_fault/0, twice/2, in_foreign_destroy/1, queue_segv/0]).
