%% portable_nif -- the library of test/nifs/portable_nif.c, whose NIFs and
%% type register the portable way; boundary_tests calls it.
-module(portable_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([span_length/1, span_shift/2]).
