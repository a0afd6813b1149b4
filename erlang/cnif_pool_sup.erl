%% cnif_pool_sup -- the supervisor of the isolated modules' pools
%% (cnif_pool), one per module, started by cnif_isolated when a module is
%% loaded isolated. A pool that ends is not restarted: its module's next
%% load starts the next one.
-module(cnif_pool_sup).
-behaviour(supervisor).
-export([start_link/0, init/1]).

-spec start_link() -> {ok, pid()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

init([]) ->
    {ok, {#{strategy => simple_one_for_one},
          [#{id => cnif_pool, start => {cnif_pool, start_link, []},
             restart => temporary, shutdown => 30000}]}}.
