%% cnif_app -- the cnif application: the supervisor of isolated modules'
%% pools. Nothing else needs it started; cnif_isolated starts it with the
%% first module loaded isolated.
-module(cnif_app).
-behaviour(application).
-export([start/2, stop/1]).

start(_Type, _Args) ->
    cnif_pool_sup:start_link().

stop(_State) ->
    ok.
