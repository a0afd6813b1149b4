%% boundary_nif -- the Erlang side of test/nifs/boundary_nif.c, driven by
%% boundary_tests and test/elixir/errors_test.exs.
-module(boundary_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([echo_probe/1, raise_probe/1, deep_panic/2, panic_format/3,
            panic_long/1, badarg_long/1, items/2, run_plan/2, raise_term/1,
            safe_div/2, noop/0, try_once/2, try_twice/1, raw_sum/3,
            on_normal/2, on_dirty_cpu/2, on_dirty_io/2, leak_probe/1,
            live_blocks/0, add/2, checked_div/2, closed_device/0,
            own_memory/2, own_memory_dirty_cpu/2, own_memory_dirty_io/2]).
