%% iso_local -- the NIFs of test/nifs/iso_nif.c (built as iso_local.so),
%% loaded in process: isolated_tests isolates it at run time.
-module(iso_local).
-include_lib("cnif/include/cnif.hrl").
-include("iso_nifs.hrl").
