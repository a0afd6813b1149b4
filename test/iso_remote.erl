%% iso_remote -- the NIFs of test/nifs/iso_nif.c once more, for
%% isolated_nodes_tests, which isolates the module with workers on two
%% other nodes (cnif:isolate/2, since their names are made at run time).
-module(iso_remote).
-include_lib("cnif/include/cnif.hrl").
-include("iso_nifs.hrl").
