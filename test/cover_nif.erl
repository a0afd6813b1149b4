%% cover_nif -- the NIFs of test/nifs/cover_nif.c, driven by cover_tests.
-module(cover_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([load_info/0, panic_text/1, panic_at/2, badarg_argno/1,
            silent_arg/1, long_path_arg/1, evens_echo/1, quiet_echo/1,
            outer_kinds/1, outer_echo/1, narrow_echo/1, wide_echo/1,
            union_init/1, pt_echo/1, node_depth/1, atom_encode/1,
            atom_echo/1, map_get_key/1, shade_echo/1, shade_of/1,
            str_at_null/1, cstr_null/0, bins_echo/1, cstrs_echo/1,
            terms_echo/1, utf8_valid/1, builder_after_finish/0,
            c_tuple_get/1, tuple_make/1, map_put_not_map/1, iter_not_map/1,
            iter_past_end/1, map_build/2, job_int/1, settled/2, ghost_new/0,
            ghost_check/1, select_fd/1, mailer_drop/1, target_new/0,
            job_call/1, vast_count/1, linger/1, timeslice/1,
            bigint_too_big/0]).
