%% res_caller -- the Erlang side of test/nifs/res_caller.c: dynamic calls
%% into another NIF library's resources (see resource_tests).
-module(res_caller).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([call_add/4]).
