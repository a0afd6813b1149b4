%% fuzz -- the runner of `make fuzz` (docs/fuzzing.md).
%%
%% Every NIF of fuzz_nif gets FUZZ_N / (number of NIFs) terms from
%% fuzz_gen. Case I of a NIF is made from the seed, the NIF and I alone, so
%% any case can be made again (FUZZ_REPLAY=Nif:I). Each call runs in a
%% process of its own, with a time limit, and its outcome must be exactly
%% one of
%%   - the value fuzz_model says the NIF returns for the term, or
%%   - error:badarg whose error_info is well-formed, names the argument
%%     fuzz_model says, with a path that points into the term, to the
%%     subterm the report says it got;
%% never another exception, a wrong value, a hang or a new atom. The
%% first violation of a NIF is shrunk by PropEr, printed, and ends that
%% NIF's run; any violation makes the run exit with status 1.
-module(fuzz).
-export([main/0, check/2]).

-define(UNIT, 100).             % cases per unit of work
-define(SHRINK_SECONDS, 120).   % time for shrinking one counterexample
-define(TEXT_DEPTH, 30).        % how deep terms are printed

-record(cfg, {n, seed, only, jobs, timeout, replay, trace, slow}).

%% --- Entry ---------------------------------------------------------------

main() ->
    Status = try
                 Cfg = config(),
                 setup(),
                 case Cfg#cfg.replay of
                     undefined -> run(Cfg);
                     {Nif, I} -> replay(Cfg, Nif, I)
                 end
             catch
                 Class:Reason:Stack ->
                     io:format("fuzz: the harness failed: ~tP~n",
                               [{Class, Reason, Stack}, ?TEXT_DEPTH]),
                     2
             end,
    halt(Status).

config() ->
    Only = case os:getenv("FUZZ_ONLY", "") of
               "" -> all;
               Names -> [list_to_atom(N) || N <- string:lexemes(Names, ",")]
           end,
    Replay = case os:getenv("FUZZ_REPLAY", "") of
                 "" -> undefined;
                 Spec ->
                     [Nif, I] = string:split(Spec, ":", trailing),
                     {list_to_atom(Nif), list_to_integer(I)}
             end,
    persistent_term:put(fuzz_max_depth, env_int("FUZZ_MAX_DEPTH", 512)),
    persistent_term:put(fuzz_path_max, env_int("FUZZ_PATH_MAX", 32)),
    #cfg{n = env_int("FUZZ_N", 200000),
         seed = env_int("FUZZ_SEED", 1),
         only = Only,
         jobs = env_int("FUZZ_JOBS", erlang:system_info(schedulers_online)),
         timeout = env_int("FUZZ_TIMEOUT", 60000),
         replay = Replay,
         trace = case os:getenv("FUZZ_TRACE", "") of "" -> undefined; F -> F end,
         slow = case os:getenv("FUZZ_SLOW", "") of "" -> infinity; Ms -> list_to_integer(Ms) end}.

env_int(Name, Default) ->
    case os:getenv(Name, "") of
        "" -> Default;
        Value -> list_to_integer(Value)
    end.

%% Everything a run uses is loaded, and every atom it makes is made, before
%% atoms are counted: a new atom after that is the library's doing.
setup() ->
    [{module, _} = code:ensure_loaded(M)
     || M <- [fuzz_nif, fuzz_gen, fuzz_model, cnif_error, proper, proper_gen,
              proper_types, proper_arith, proper_shrink, proper_typeserver,
              io_lib_format, io_lib_pretty, unicode, unicode_util, string,
              timer, binary, maps, lists, proplists, rand, file, epp, eval_bits]],
    fuzz_gen:setup(),
    %% Printing a violation must not make atoms either.
    _ = text([<<1:3>>, <<"é"/utf8>>, <<255>>, #{a => [1.5 | x]}, self(), make_ref(),
              fun lists:sort/1, fun() -> ok end, hd(erlang:ports()), "text", 'é', {}]),
    ok.

%% A few cases of every NIF, not counted, so that whatever is loaded or
%% made on first use is.
warm_up(Cfg, Nifs) ->
    proper:global_state_init_size_seed(1, {1, 2, 3}),
    [call(Nif, element(3, generate(Nif, I, Cfg#cfg{seed = -1})), Cfg#cfg.timeout)
     || Nif <- Nifs, I <- lists:seq(0, 4)],
    proper:global_state_erase(),
    ok.

%% --- A run ---------------------------------------------------------------

run(Cfg = #cfg{n = N, seed = Seed, jobs = Jobs}) ->
    Nifs = nifs(Cfg),
    PerNif = max(1, (N + length(Nifs) - 1) div length(Nifs)),
    io:format("fuzz: ~b terms for each of ~b NIFs, seed ~b, ~b jobs~n",
              [PerNif, length(Nifs), Seed, Jobs]),
    warm_up(Cfg, Nifs),
    Probe = expr_probe(Cfg),
    Start = erlang:monotonic_time(millisecond),
    Atoms0 = erlang:system_info(atom_count),
    Units = units(Nifs, PerNif),
    Self = self(),
    Workers = [spawn_link(fun() -> worker(Self, Cfg) end) || _ <- lists:seq(1, Jobs)],
    {Stats, Violations} = coordinate(Units, length(Units), Workers, #{}, [], Start, Cfg),
    Atoms1 = erlang:system_info(atom_count),
    Elapsed = (erlang:monotonic_time(millisecond) - Start) / 1000,
    AtomViolations = case Atoms1 =:= Atoms0 of
                         true -> [];
                         false -> [{atoms, Atoms0, Atoms1}]
                     end,
    summary(Nifs, Stats, Seed, Jobs, Elapsed, Atoms0, Atoms1, Probe),
    All = Violations ++ AtomViolations ++ probe_violations(Probe),
    [print_violation(V, Cfg) || V <- lists:reverse(Violations)],
    [io:format("~nVIOLATION atom_created: ~b atoms before the run, ~b after~n", [A0, A1])
     || {atoms, A0, A1} <- AtomViolations],
    case All of
        [] -> io:format("fuzz: no violations~n"), 0;
        _ -> io:format("fuzz: ~b violation(s)~n", [length(All)]), 1
    end.

nifs(#cfg{only = all}) ->
    [Nif || {Nif, _, _} <- fuzz_model:nifs()];
nifs(#cfg{only = Only}) ->
    case [Nif || Nif <- Only, not lists:keymember(Nif, 1, fuzz_model:nifs())] of
        [] -> Only;
        Unknown -> error({'FUZZ_ONLY names no such NIF', Unknown})
    end.

%% Units of ?UNIT cases, the NIFs taking turns so that all advance together.
units(Nifs, PerNif) ->
    Chunks = [[{Nif, From, min(From + ?UNIT - 1, PerNif - 1)}
               || From <- lists:seq(0, PerNif - 1, ?UNIT)] || Nif <- Nifs],
    interleave(Chunks).

interleave(Lists) ->
    case [L || L <- Lists, L =/= []] of
        [] -> [];
        Left -> [hd(L) || L <- Left] ++ interleave([tl(L) || L <- Left])
    end.

%% Hand out units; collect each NIF's counts and its first violation. A
%% NIF with a violation gets no more units.
coordinate(Units, Total, Workers, Stats, Violations, Start, Cfg) ->
    receive
        {want, W} ->
            Done = [U || U = {Nif, _, _} <- Units, is_map_key(Nif, violated(Violations))],
            case Units -- Done of
                [U | Rest] ->
                    W ! {unit, U},
                    coordinate(Rest, Total, Workers, Stats, Violations, Start, Cfg);
                [] ->
                    W ! stop,
                    case lists:delete(W, Workers) of
                        [] -> {Stats, Violations};
                        Others -> coordinate([], Total, Others, Stats, Violations, Start, Cfg)
                    end
            end;
        {counts, Nif, {A, R}, Us} ->
            Counts = {A, R, Us},
            Stats1 = maps:update_with(Nif, fun(C) -> add(C, Counts) end, Counts, Stats),
            progress(Stats1, Total * ?UNIT, Start, Stats),
            coordinate(Units, Total, Workers, Stats1, Violations, Start, Cfg);
        {violation, V} ->
            print_violation(V, Cfg),
            coordinate(Units, Total, Workers, Stats, [V | Violations], Start, Cfg);
        {hang, V} ->
            %% The NIF holds a scheduler and cannot be stopped: say what
            %% hung and end the run.
            print_violation(V, Cfg),
            halt(1)
    end.

violated(Violations) -> maps:from_list([{element(2, V), true} || V <- Violations]).

add({A1, R1, T1}, {A2, R2, T2}) -> {A1 + A2, R1 + R2, T1 + T2}.

%% A line for every tenth of the run.
progress(Stats, Planned, Start, Before) ->
    Count = fun(S) -> lists:sum([A + R || {A, R, _} <- maps:values(S)]) end,
    Done = Count(Stats),
    Tenth = max(1, Planned div 10),
    case Done div Tenth > Count(Before) div Tenth of
        true ->
            io:format("fuzz: ~b terms, ~.1f s~n",
                      [Done, (erlang:monotonic_time(millisecond) - Start) / 1000]);
        false ->
            ok
    end.

summary(Nifs, Stats, Seed, Jobs, Elapsed, Atoms0, Atoms1, Probe) ->
    io:format("~n~-36s ~9s ~9s ~9s ~9s~n", ["nif", "terms", "accepted", "rejected", "seconds"]),
    Rows = [{Nif, maps:get(Nif, Stats, {0, 0, 0})} || Nif <- Nifs],
    [io:format("~-36s ~9b ~9b ~9b ~9.1f~n", [Nif, A + R, A, R, T / 1.0e6])
     || {Nif, {A, R, T}} <- Rows],
    {TA, TR, TT} = lists:foldl(fun({_, C}, Acc) -> add(C, Acc) end, {0, 0, 0}, Rows),
    io:format("~-36s ~9b ~9b ~9b ~9.1f~n", [total, TA + TR, TA, TR, TT / 1.0e6]),
    io:format("seed ~b, ~b jobs, ~.1f s, ~b terms/s, atoms ~b -> ~b~n",
              [Seed, Jobs, Elapsed, round((TA + TR) / max(Elapsed, 0.001)), Atoms0, Atoms1]),
    io:format("~ts~n", [probe_text(Probe)]),
    ok.

%% --- Workers -------------------------------------------------------------

worker(Coord, Cfg) ->
    proper:global_state_init_size_seed(1, {1, 2, 3}),
    Trace = case Cfg#cfg.trace of
                undefined -> undefined;
                File -> {ok, Io} = file:open(File, [append, raw]), Io
            end,
    worker_loop(Coord, Cfg#cfg{trace = Trace}).

worker_loop(Coord, Cfg) ->
    Coord ! {want, self()},
    receive
        {unit, {Nif, From, To}} ->
            T0 = erlang:monotonic_time(microsecond),
            Counts = unit(Nif, From, To, Cfg, Coord, {0, 0}),
            Coord ! {counts, Nif, Counts, erlang:monotonic_time(microsecond) - T0},
            worker_loop(Coord, Cfg);
        stop ->
            ok
    end.

unit(_, I, To, _, _, Counts) when I > To -> Counts;
unit(Nif, I, To, Cfg, Coord, {A, R} = Counts) ->
    {Type, Imm, Recipe} = generate(Nif, I, Cfg),
    trace(Cfg, Nif, I),
    Atoms0 = erlang:system_info(atom_count),
    T0 = erlang:monotonic_time(millisecond),
    Verdict = call(Nif, Recipe, Cfg#cfg.timeout),
    slow(Cfg, Nif, I, Recipe, erlang:monotonic_time(millisecond) - T0),
    Atoms1 = erlang:system_info(atom_count),
    case Verdict of
        _ when Atoms1 =/= Atoms0 ->
            Coord ! {violation, {violation, Nif, I, atom_created, Recipe, Recipe,
                                 #{note => io_lib:format(
                                             "~b atoms before the call, ~b after "
                                             "(with FUZZ_JOBS > 1 a concurrent call "
                                             "may have made them)", [Atoms0, Atoms1])}}},
            Counts;
        accepted ->
            unit(Nif, I + 1, To, Cfg, Coord, {A + 1, R});
        rejected ->
            unit(Nif, I + 1, To, Cfg, Coord, {A, R + 1});
        {hang, _} ->
            Coord ! {hang, {violation, Nif, I, hang, Recipe, Recipe,
                            #{note => io_lib:format("no answer in ~b ms",
                                                    [Cfg#cfg.timeout])}}},
            Counts;
        {violation, timeout, Details} ->
            %% Too slow to shrink: each try would take as long.
            Coord ! {violation, {violation, Nif, I, timeout, Recipe, Recipe, Details}},
            Counts;
        {violation, Class, Details} ->
            {Shrunk, ShrunkDetails} = shrink(Nif, Type, Imm, Class, Details, Cfg),
            Coord ! {violation, {violation, Nif, I, Class, Recipe, Shrunk, ShrunkDetails}},
            Counts
    end.

%% Case I of Nif: the PropEr type, its raw instance and the recipe.
generate(Nif, I, #cfg{seed = Seed}) ->
    Type = case get({fuzz_nif_type, Nif}) of
               undefined ->
                   {Nif, Schemas, _} = lists:keyfind(Nif, 1, fuzz_model:nifs()),
                   T = proper_types:cook_outer(
                         fuzz_gen:for_nif(Schemas)),
                   put({fuzz_nif_type, Nif}, T),
                   T;
               T ->
                   T
           end,
    _ = rand:seed(exsss, {Seed, erlang:phash2(Nif), I}),
    put('$size', 1 + I rem 30),
    Imm = proper_gen:generate(Type),
    {Type, Imm, proper_gen:clean_instance(Imm)}.

%% FUZZ_SLOW=Ms: say which cases take longer than that.
slow(#cfg{slow = Limit}, Nif, I, Recipe, Ms) when Ms > Limit ->
    io:format("fuzz: ~s:~b took ~b ms: ~ts~n", [Nif, I, Ms, lists:sublist(text(Recipe), 200)]);
slow(_, _, _, _, _) ->
    ok.

trace(#cfg{trace = undefined}, _, _) -> ok;
trace(#cfg{trace = Io}, Nif, I) -> ok = file:write(Io, io_lib:format("~s:~b~n", [Nif, I])).

%% One call in a process of its own: its verdict, or {hang, Pid}.
call(Nif, Recipe, Timeout) ->
    Heap = [{min_heap_size, 2 * W} || W <- [fuzz_gen:heap_words(Recipe)], W > 50000],
    Self = self(),
    {Pid, Ref} = spawn_opt(fun() -> exit({fuzz_verdict, check(Nif, Recipe, Self)}) end,
                           [monitor | Heap]),
    receive
        {'DOWN', Ref, process, Pid, Reason} ->
            in_nif(Pid),
            case Reason of
                {fuzz_verdict, Verdict} -> Verdict;
                _ -> {violation, harness_error, #{reason => text(Reason)}}
            end
    after Timeout ->
            %% Stuck in the NIF, the call holds its scheduler until it
            %% returns (and cannot even be asked where it is); anywhere
            %% else, it was only slow.
            InNif = in_nif(Pid),
            demonitor(Ref, [flush]),
            exit(Pid, kill),
            case InNif of
                true -> {hang, Pid};
                false -> {violation, timeout, #{note => "the harness was too slow"}}
            end
    end.

%% Whether the call process of Pid said it entered the NIF and not that
%% it left it.
in_nif(Pid) ->
    receive
        {fuzz_nif, Pid, Inside} -> in_nif(Pid, Inside)
    after 0 -> false
    end.

in_nif(Pid, Inside) ->
    receive
        {fuzz_nif, Pid, Again} -> in_nif(Pid, Again)
    after 0 -> Inside
    end.

%% --- The oracle -----------------------------------------------------------

%% Build the arguments, call the NIF through its wrapper, and judge:
%% accepted, rejected or {violation, Class, Details}. For a person:
%% fuzz:check(echo_int8_t, [127]).
check(Nif, Recipe) -> check(Nif, Recipe, none).

%% Watcher, if a pid, hears when the NIF is entered and left.
check(Nif, Recipe, Watcher) ->
    Args = [fuzz_gen:build(R) || R <- Recipe],
    Expected = fuzz_model:expect(Nif, Args),
    Tell = fun(Inside) -> is_pid(Watcher) andalso (Watcher ! {fuzz_nif, self(), Inside}) end,
    Tell(true),
    Outcome = try apply(fuzz_nif, Nif, Args) of
                  Value -> {returned, Value}
              catch
                  Class:Reason:Stack -> {raised, Class, Reason, Stack}
              end,
    Tell(false),
    judge(Nif, Args, Expected, job_result(Expected, Outcome)).

%% A threaded NIF returns a reference at once and sends {Ref, Result}.
job_result({accept_job, _}, {returned, Ref}) when is_reference(Ref) ->
    receive
        {Ref, Result} -> {sent, Result}
    after 30000 -> {returned, Ref}
    end;
job_result(_, Outcome) ->
    Outcome.

judge(Nif, Args, {accept_job, Out}, {sent, Value}) ->
    judge(Nif, Args, {accept, Out}, {returned, Value});
judge(Nif, Args, {accept_or_panic, Out, _}, {returned, _} = Outcome) ->
    judge(Nif, Args, {accept, Out}, Outcome);
judge(_, _, {accept_or_panic, _, Prefix}, {raised, error, {nif_panicked, _} = Reason, _}) ->
    judge_panic(Prefix, Reason);
judge(_, _, {panic, Prefix}, {raised, error, {nif_panicked, _} = Reason, _}) ->
    judge_panic(Prefix, Reason);
judge(_, _, {panic, Prefix}, {returned, Value}) ->
    {violation, missing_panic, #{expected => text({nif_panicked, Prefix}), got => text(Value)}};
judge(_, _, {accept, Out}, {returned, Value}) ->
    case fuzz_model:same(Value, Out) of
        true -> accepted;
        false -> {violation, wrong_value, #{expected => text(Out), got => text(Value)}}
    end;
judge(_, _, {accept, Out}, {raised, error, badarg, Stack}) ->
    {violation, false_reject, #{expected => text(Out), got => report_text(Stack)}};
judge(_, _, {reject, ArgNo, Path, Why}, {returned, Value}) ->
    {violation, false_accept,
     #{expected => expected_text(ArgNo, Path, Why), got => text(Value)}};
judge(Nif, Args, {reject, ArgNo, Path, Why}, {raised, error, badarg, Stack}) ->
    case error_info(Nif, Args, Stack) of
        {ok, Cause} -> judge_report(Nif, Args, ArgNo, Path, Why, Cause);
        {error, What} -> {violation, bad_error_info, #{got => What}}
    end;
judge(_, _, Expected, {raised, Class, Reason, Stack}) ->
    {violation, unexpected_exception,
     #{expected => expectation_text(Expected),
       got => text({Class, Reason, lists:sublist(Stack, 3)})}};
judge(_, _, Expected, Outcome) ->
    {violation, wrong_outcome, #{expected => expectation_text(Expected), got => text(Outcome)}}.

%% A panic of the documented shape, with the expected message.
judge_panic(Prefix, {nif_panicked, #{message := Message, phase := call,
                                     location := Location} = Info} = Reason)
  when map_size(Info) =:= 3, is_binary(Message), is_binary(Location) ->
    case binary:longest_common_prefix([Prefix, Message]) =:= byte_size(Prefix) of
        true -> rejected;
        false -> {violation, wrong_panic, #{expected => text(Prefix), got => text(Reason)}}
    end;
judge_panic(Prefix, Reason) ->
    {violation, wrong_panic, #{expected => text(Prefix), got => text(Reason)}}.

expectation_text({reject, N, P, W}) -> expected_text(N, P, W);
expectation_text(Other) -> text(Other).

%% The cause of a bad argument, if its error_info is what the generated
%% wrapper promises and cnif_error can print it.
error_info(Nif, Args, Stack) ->
    case Stack of
        [{fuzz_nif, Nif, Args, Info} | _] ->
            case proplists:get_value(error_info, Info) of
                #{module := cnif_error, cause := {ArgNo, Path, Reason} = Cause}
                  when is_integer(ArgNo), ArgNo >= 1, ArgNo =< length(Args),
                       is_binary(Path) ->
                    case well_formed(Reason) andalso printable(ArgNo, Stack) of
                        true -> {ok, Cause};
                        false -> {error, text(Cause)}
                    end;
                Other ->
                    {error, text(Other)}
            end;
        _ ->
            {error, text(lists:sublist(Stack, 2))}
    end.

well_formed({expected, Expected, _}) -> is_binary(Expected);
well_formed({expected, Expected, _, GotText}) -> is_binary(Expected) andalso is_binary(GotText);
well_formed(Reason) -> is_binary(Reason).

printable(ArgNo, Stack) ->
    case cnif_error:format_error(badarg, Stack) of
        #{ArgNo := Text} -> is_binary(unicode:characters_to_binary(Text));
        _ -> false
    end.

judge_report(Nif, Args, ArgNo, Path, Why, {GotArgNo, GotPath, Reason}) ->
    {Nif, Schemas, _} = lists:keyfind(Nif, 1, fuzz_model:nifs()),
    Fail = fun(Class) ->
                   {violation, Class, #{expected => expected_text(ArgNo, Path, Why),
                                        got => text({GotArgNo, GotPath, Reason})}}
           end,
    PathText = fuzz_model:path_text(Path),
    if
        GotArgNo =/= ArgNo -> Fail(wrong_argno);
        GotPath =/= PathText -> Fail(wrong_path);
        true ->
            Schema = lists:nth(ArgNo, Schemas),
            Arg = lists:nth(ArgNo, Args),
            %% A path cut to its innermost segments is followed in full:
            %% it printed the same as the expected one.
            Segments = case fuzz_model:parse_path(GotPath) of
                           {ok, S} -> S;
                           {truncated, _} -> Path;
                           error -> unparsable
                       end,
            case Segments =/= unparsable andalso fuzz_model:follow(Schema, Arg, Segments) of
                {ok, Sub} ->
                    case reason_matches(Why, Reason, Sub) of
                        true -> rejected;
                        false -> Fail(wrong_reason)
                    end;
                _ ->
                    Fail(path_not_in_term)
            end
    end.

%% The report names the very subterm the path leads to.
reason_matches({got, Term}, {expected, _, Got}, Sub) ->
    fuzz_model:same(Got, Term) andalso fuzz_model:same(Got, Sub);
reason_matches({got, Term}, {expected, _, Got, _}, Sub) ->
    fuzz_model:same(Got, Term) andalso fuzz_model:same(Got, Sub);
reason_matches(depth, Reason, _) ->
    Reason =:= iolist_to_binary(io_lib:format("nested deeper than ~b levels",
                                              [fuzz_model:max_depth()]));
reason_matches(unknown_key, <<"unknown key ", _/binary>>, _) -> true;
reason_matches(_, _, _) -> false.

%% --- Shrinking -------------------------------------------------------------

%% PropEr's shrinking loop (proper:shrink/4) for one instance: take the
%% first smaller instance that still fails the same way, until none does
%% or the time is up.
shrink(Nif, Type, Imm, Class, Details, Cfg) ->
    Deadline = erlang:monotonic_time(second) + ?SHRINK_SECONDS,
    Fails = fun(I) ->
                    case call(Nif, proper_gen:clean_instance(I), Cfg#cfg.timeout) of
                        {violation, Class, D} -> {true, D};
                        _ -> false
                    end
            end,
    {Min, MinDetails} = shrink_fix(Imm, Details, Type, Fails, 500, Deadline),
    {proper_gen:clean_instance(Min), MinDetails}.

shrink_fix(Imm, Details, Type, Fails, Left, Deadline) ->
    case shrink_pass(Imm, Details, Type, Fails, init, Left, 0, Deadline) of
        {0, _, _} -> {Imm, Details};
        {N, Imm1, Details1} -> shrink_fix(Imm1, Details1, Type, Fails, Left - N, Deadline)
    end.

shrink_pass(Imm, Details, _, _, done, _, N, _) -> {N, Imm, Details};
shrink_pass(Imm, Details, _, _, _, 0, N, _) -> {N, Imm, Details};
shrink_pass(Imm, Details, Type, Fails, State, Left, N, Deadline) ->
    case erlang:monotonic_time(second) > Deadline of
        true ->
            {N, Imm, Details};
        false ->
            {Candidates, Next} = proper_shrink:shrink(Imm, Type, State),
            case first_failing(Candidates, Imm, Fails, 1) of
                none ->
                    shrink_pass(Imm, Details, Type, Fails, Next, Left, N, Deadline);
                {Pos, Smaller, D} ->
                    shrink_pass(Smaller, D, Type, Fails, {shrunk, Pos, Next},
                                Left - 1, N + 1, Deadline)
            end
    end.

first_failing([], _, _, _) -> none;
first_failing([Imm | Rest], Imm, Fails, Pos) -> first_failing(Rest, Imm, Fails, Pos + 1);
first_failing([C | Rest], Imm, Fails, Pos) ->
    case Fails(C) of
        {true, D} -> {Pos, C, D};
        false -> first_failing(Rest, Imm, Fails, Pos + 1)
    end.

%% --- Replaying one case ----------------------------------------------------

replay(Cfg, Nif, I) ->
    proper:global_state_init_size_seed(1, {1, 2, 3}),
    {Type, Imm, Recipe} = generate(Nif, I, Cfg),
    io:format("fuzz: ~s case ~b, seed ~b~nrecipe: ~ts~n",
              [Nif, I, Cfg#cfg.seed, text(Recipe)]),
    case call(Nif, Recipe, Cfg#cfg.timeout) of
        {violation, Class, Details} ->
            {Shrunk, D} = shrink(Nif, Type, Imm, Class, Details, Cfg),
            print_violation({violation, Nif, I, Class, Recipe, Shrunk, D}, Cfg),
            1;
        {hang, _} ->
            print_violation({violation, Nif, I, hang, Recipe, Recipe, #{}}, Cfg),
            halt(1);
        Verdict ->
            io:format("fuzz: ~p, as expected~n", [Verdict]),
            0
    end.

%% --- Reports ------------------------------------------------------------

print_violation({violation, Nif, I, Class, Recipe, Shrunk, Details}, #cfg{seed = Seed}) ->
    io:format("~nVIOLATION ~s in ~s (case ~b, seed ~b)~n"
              "  replay:   FUZZ_SEED=~b FUZZ_REPLAY=~s:~b make fuzz~n"
              "  shrunk:   fuzz:check(~s, ~ts)~n"
              "  term:     ~ts~n",
              [Class, Nif, I, Seed, Seed, Nif, I, Nif, text(Shrunk),
               try text([fuzz_gen:build(R) || R <- Shrunk])
               catch _:_ -> "(cannot build)" end]),
    [io:format("  ~-9s ~ts~n", [atom_to_list(K) ++ ":", V]) || {K, V} <- maps:to_list(Details)],
    [io:format("  original: ~ts~n", [text(Recipe)]) || Recipe =/= Shrunk],
    ok.

expected_text(ArgNo, Path, Why) ->
    text({ArgNo, fuzz_model:path_text(Path), Why}).

report_text(Stack) ->
    case Stack of
        [{_, _, _, Info} | _] -> text(proplists:get_value(error_info, Info));
        _ -> text(Stack)
    end.

%% A term as text, cut to a size a person reads.
text(Term) ->
    Text = lists:flatten(io_lib:format("~0tP", [Term, ?TEXT_DEPTH])),
    case length(Text) > 2000 of
        true -> lists:sublist(Text, 2000) ++ "...";
        false -> Text
    end.

%% --- Recursive one-of: is its decode linear? -------------------------------

%% The time echo_expr takes to reject a list nested 10 and 18 deep around
%% an atom. Each level's array alternative fails inside, so a one-of that
%% decodes the failing alternative again takes 2^depth steps: 256 times
%% longer at 18 than at 10, where a linear decode takes about twice as long.
%% The bare NIF is timed, through '$cnif_call'/2 (F_nif is not exported):
%% it returns its bad-argument report as a value, where the wrapper would
%% add the cost of raising it, the same at both depths, to both times.
expr_probe(#cfg{timeout = Timeout}) ->
    Self = self(),
    Pid = spawn(fun() -> Self ! {expr_probe, self(), [{D, expr_time(D)} || D <- [10, 18]]} end),
    receive
        {expr_probe, Pid, [{10, T10}, {18, T18}]} ->
            Linear = T18 < 16 * max(T10, 1),
            Deep = case Linear of
                       true -> expr_deep(Timeout);
                       false -> skipped
                   end,
            {Linear, T10, T18, Deep}
    after 10 * Timeout ->
            {false, timeout, timeout, skipped}
    end.

expr_time(Depth) ->
    Term = fuzz_gen:build({'$fz', deep, list, Depth, x}),
    lists:min([element(1, timer:tc(fun() -> expr_reject(Term) end))
               || _ <- lists:seq(1, 20)]).

%% The NIF's answer to a term it must reject: its report, or the probe
%% stops (a time of something else would prove nothing).
expr_reject(Term) ->
    {'$cnif_badarg', _, 1, _, _} = fuzz_nif:'$cnif_call'(echo_expr_nif, [Term]).

%% Past the depth bound a linear decode must answer at once.
expr_deep(Timeout) ->
    Term = fuzz_gen:build({'$fz', deep, list, 100000, x}),
    {Pid, Ref} = spawn_monitor(fun() -> exit({done, try expr_reject(Term) catch C:R -> {C, R} end}) end),
    receive
        {'DOWN', Ref, process, Pid, _} -> ok
    after Timeout ->
            hang
    end.

probe_text({Linear, T10, T18, Deep}) ->
    io_lib:format("expr probe: rejecting a term nested 10 deep ~p us, 18 deep ~p us: ~s~s",
                  [T10, T18,
                   case Linear of true -> "linear"; false -> "EXPONENTIAL" end,
                   case Deep of hang -> "; 100000 deep: HANGS"; _ -> "" end]).

%% An exponential decode fails the run.
probe_violations({true, _, _, ok}) -> [];
probe_violations(Probe) ->
    io:format("~nVIOLATION expr_exponential: ~ts~n", [probe_text(Probe)]),
    [expr_probe].
