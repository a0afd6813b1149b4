%% stress -- how many times the suites' stress loops repeat: N in make test;
%% less (at least Min) where the same paths run again in builds that are
%% slower per call or whose leak checks see less: a third under the
%% sanitizers, which check every access as it happens (a path gains
%% nothing from being repeated there) and whose heap glibc's count cannot
%% see; a tenth in coverage's -O0 build and on the other OTPs.
%% STRESS, in percent, says which (test.mk: 100 by default).
-module(stress).
-export([scaled/2]).

-spec scaled(pos_integer(), pos_integer()) -> pos_integer().
scaled(N, Min) ->
    max(Min, N * list_to_integer(os:getenv("STRESS", "100")) div 100).
