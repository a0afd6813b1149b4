%% term_nif -- the NIFs of test/nifs/term_nif.c, driven by term_tests.
-module(term_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([atom_find/1, existing_atom/1, existing_atoms/1,
            type_of/1, compare/2, phash2/1, format/1, format_nul/1,
            pid_compare/2, alive/1, alive_threaded/1, make_ref/0,
            whereis/1, whereis_threaded/1,
            map_each/3, map_each_misused/2]).
