%% cnif_app -- the cnif application: the reporter of failures with no
%% caller and the supervisor of isolated modules' pools (cnif_sup). The
%% on_load function of every cnif module starts it (through
%% cnif_reporter:ensure_started/0), and so does cnif_isolated.
-module(cnif_app).
-behaviour(application).
-export([start/2, stop/1]).

start(_Type, _Args) ->
    cnif_sup:start_link().

stop(_State) ->
    ok.
