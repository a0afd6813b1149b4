%% cnif_zlib_isolated_tests -- the whole of cnif_zlib_tests once more, with
%% cnif_zlib isolated (cnif:isolate/2, as an operator would): every call
%% runs in a worker BEAM, streams are handles to resources there, and the
%% results, errors and messages must be the same.
-module(cnif_zlib_isolated_tests).
-include_lib("eunit/include/eunit.hrl").

isolated_test_() ->
    {setup,
     fun() -> ok = cnif:isolate(cnif_zlib, #{workers => 2, timeout => 60000}) end,
     fun(_) -> ok = cnif:isolate(cnif_zlib, false) end,
     [{module, cnif_zlib_tests},
      {"the calls ran in workers", fun ran_in_workers/0}]}.

ran_in_workers() ->
    ?assertMatch(#{pid := _}, cnif_isolated:pool_of(cnif_zlib)),
    Workers = cnif_isolated:workers(cnif_zlib),
    ?assertMatch([_ | _], Workers),
    Self = list_to_integer(os:getpid()),
    ?assertEqual([], [OsPid || {_, _, OsPid} <- Workers, OsPid =:= Self]).
