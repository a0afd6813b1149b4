%% cnif_sup -- the cnif application's top supervisor: the reporter of
%% failures with no caller (cnif_reporter), started again if it dies, and
%% the supervisor of isolated modules' pools (cnif_pool_sup).
-module(cnif_sup).
-behaviour(supervisor).
-export([start_link/0, init/1]).

-spec start_link() -> {ok, pid()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

init([]) ->
    {ok, {#{strategy => one_for_one, intensity => 10, period => 5},
          [#{id => cnif_reporter, start => {cnif_reporter, start_link, []}},
           #{id => cnif_pool_sup, start => {cnif_pool_sup, start_link, []},
             type => supervisor, shutdown => infinity}]}}.
