%% vdemo -- a NIF module of a project that vendors cnif (vendored_tests):
%% it includes the vendored header and nothing of the cnif application.
-module(vdemo).
-include("cnif_vendored.hrl").
-cnif_nifs([add/2, fail/1, doomed_new/1]).
