%% bench_raw -- the hand-written erl_nif baseline of `make bench`
%% (bench_raw.c), loaded the usual way.
-module(bench_raw).
-export([add/2, add_wrapped/2, bin_size/1, sum/1, seq/1, flood/2, spin_yield/2, fetch_all/1]).
-nifs([add/2, bin_size/1, sum/1, seq/1, flood/2, spin_yield/2, fetch_all/1]).
-on_load(init/0).

init() ->
    Dir = filename:join(filename:dirname(filename:dirname(code:which(?MODULE))), "priv"),
    erlang:load_nif(filename:join(Dir, atom_to_list(?MODULE)), []).

add(_, _) -> erlang:nif_error(not_loaded).
bin_size(_) -> erlang:nif_error(not_loaded).
sum(_) -> erlang:nif_error(not_loaded).
seq(_) -> erlang:nif_error(not_loaded).
flood(_, _) -> erlang:nif_error(not_loaded).
spin_yield(_, _) -> erlang:nif_error(not_loaded).
fetch_all(_) -> erlang:nif_error(not_loaded).

%% add/2 behind the same kind of wrapper cnif generates, so that the bench
%% can tell the guard's cost from the wrapper's.
add_wrapped(A, B) ->
    case add(A, B) of
        {'$cnif_badarg', _Secret, ArgNo, Path, Reason} ->
            erlang:error(badarg, [A, B],
                         [{error_info, #{module => cnif_error,
                                         cause => {ArgNo, Path, Reason}}}]);
        Result ->
            Result
    end.
