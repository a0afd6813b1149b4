%% regress_nif -- the NIFs of test/nifs/regress_nif.c, driven by
%% regress_tests.
-module(regress_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([ask_size/2, blob_sum/1, iolist_size/1, iolist_flat/1, pair_at/1,
            takes_unset/1, echo_expr/1, echo_twin/1, leaf_count/0,
            echo_color/1, echo_atom/1, color_index/1, echo_term/1,
            raise_badarg_at/2, raise_badarg_arity0/0, try_sees_yield/1,
            try_sees_cancel/1, try_cancel_seen/0, try_plain/0,
            fragile_drop/0, give_unset/0, give_unset_list/1, raw_unset/0,
            echo_bools/1, defer_env_yield/1, priv_in_pool/0, priv_in_thread/0,
            atom_named/1, key_value/2, slice_in_job/0, sliced_drop/0,
            slice_in_destroy/0, select_in_job/0]).
