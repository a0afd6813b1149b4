%% iso_nif -- the NIFs of test/nifs/iso_nif.c, driven by isolated_tests,
%% run by a pool of two worker BEAMs with a one-second timeout.
-module(iso_nif).
-include_lib("cnif/include/cnif.hrl").
-cnif_isolated(#{workers => 2, timeout => 1000}).
-include("iso_nifs.hrl").
