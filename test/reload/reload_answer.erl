%% reload_answer -- the module reload_tests builds, edits and loads again,
%% with test/reload/reload_answer.c, in a directory of its own.
-module(reload_answer).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([answer/0, loads/0]).
