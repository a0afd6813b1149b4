%% stress -- how many times the suites' stress loops repeat: N in make test
%% and under the sanitizers, a tenth (at least Min) where the same paths
%% run again in builds that are slower per call or make no leak check of
%% their own (coverage's -O0 counters, the other OTPs' runs). STRESS, in
%% percent, says which (test.mk: 100 by default).
-module(stress).
-export([scaled/2]).

-spec scaled(pos_integer(), pos_integer()) -> pos_integer().
scaled(N, Min) ->
    max(Min, N * list_to_integer(os:getenv("STRESS", "100")) div 100).
