%% fault_chain -- the NIF of test/nifs/fault_chain.c: another library's
%% SIGSEGV handler, for fault_tests.
-module(fault_chain).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([seen/0, probe/0, ignore_segv/0]).
