%% isolated_tests -- isolated mode (cnif_isolated, cnif_pool) in a real
%% BEAM: NIFs run by pools of worker BEAMs that crash (a segfault, an
%% abort, exit(3), a kill from the OS) in every phase of a call, three at
%% a time and a thousand in a row, hang past their timeout, leak past
%% their memory cap, fail to load, and stop with their module; and what a
%% call returns, raises and sends is what it would be in process. This VM
%% outlives all of it, so no child VM is needed.
%%
%% The modules: iso_nif (two workers, a one-second timeout), iso_pool
%% (four), iso_mem (one, under a 200 MiB cap) and iso_local (in process
%% until a test isolates it) are all test/nifs/iso_nif.c; iso_boot (one
%% worker) is test/nifs/iso_boot.c, whose load hook fails on demand.
-module(isolated_tests).
-include_lib("eunit/include/eunit.hrl").

-define(MiB, (1024 * 1024)).
-define(FATES, [segv, abort, exit, kill]).
-define(PHASES, [in_decode, in_call, in_encode]).
-define(BAD_OPTIONS, "the isolated options are workers (a positive integer), timeout and "
                     "max_memory (a positive integer or infinity) and nodes (a list of nodes)").

%%% Helpers

%% What a fate does to a worker, as the caller's error says it. Under the
%% sanitizers, UBSan catches the store to NULL that would fault, reports
%% it, and exits with status 1 (-fno-sanitize-recover).
reason(segv) ->
    case sanitized() of
        false -> {signal, segv};
        true -> {exit_status, 1}
    end;
reason(abort) -> {signal, abrt};
reason(exit) -> {exit_status, 3};
reason(kill) -> {signal, kill}.

%% Whether the NIFs run under the sanitizers: make test-asan preloads
%% libasan, and the workers inherit it.
sanitized() ->
    string:find(os:getenv("LD_PRELOAD", ""), "libasan") =/= nomatch.

%% How Fun ended: {value, Value} or {Class, Reason}.
outcome(Fun) ->
    try Fun() of
        Value -> {value, Value}
    catch
        Class:Reason -> {Class, Reason}
    end.

%% Outcome is M:F(Fate)'s crash, on a worker of this node whose OS process
%% is gone (reaped) by the time the caller hears of it: that worker's pid.
crashed(M, F, Fate, Outcome) ->
    ?assertMatch({error, {nif_crashed, #{worker := {_, P}}}} when is_integer(P), Outcome),
    {error, {nif_crashed, #{worker := {_, OsPid}} = Crash}} = Outcome,
    ?assertEqual(#{worker => {node(), OsPid}, nif => {M, F, 1}, reason => reason(Fate)}, Crash),
    ?assertEqual(gone, os_process(OsPid)),
    OsPid.

%% What the OS process OsPid is to this BEAM: one of its worker BEAMs (a
%% child of its erl_child_setup), a zombie there (dead, not reaped), or
%% gone (its pid may since name another process, even another BEAM's
%% worker: the machine may run other tests).
os_process(OsPid) ->
    Here = this_os_pid(),
    case stat(OsPid) of
        {ok, Parent, State} ->
            case {stat(Parent), State} of
                {{ok, Here, _}, <<"Z">>} -> zombie;
                {{ok, Here, _}, _} -> worker_or_gone(OsPid);
                _ -> gone
            end;
        gone ->
            gone
    end.

worker_or_gone(OsPid) ->
    case file:read_file(proc(OsPid, "cmdline")) of
        {ok, Command} ->
            case binary:match(Command, <<"-s\0cnif_worker\0main">>) of
                nomatch -> gone;
                _ -> worker
            end;
        {error, _} ->
            gone
    end.

%% An OS process as a failed assertion shows it.
described(OsPid) ->
    {OsPid, os_process(OsPid), stat(OsPid), file:read_file(proc(OsPid, "cmdline"))}.

%% The parent and the state (<<"S">>, <<"Z">>, ...) of the OS process
%% OsPid, or gone. A thread's id names no process: /proc answers for
%% threads too, and a dead worker's pid may since name a thread.
stat(OsPid) ->
    case file:read_file(proc(OsPid, "status")) of
        {ok, Status} ->
            Field = fun(Name) ->
                            {match, [Value]} = re:run(Status, ["^", Name, ":\\s*(\\S+)"],
                                                      [multiline, {capture, all_but_first, binary}]),
                            Value
                    end,
            case binary_to_integer(Field("Tgid")) of
                OsPid -> {ok, binary_to_integer(Field("PPid")), Field("State")};
                _ -> gone
            end;
        {error, _} ->
            gone
    end.

proc(OsPid, File) ->
    "/proc/" ++ integer_to_list(OsPid) ++ "/" ++ File.

%% The OS processes under this BEAM (its ports', and theirs), as
%% {Pid, State}.
descendants() ->
    {ok, Names} = file:list_dir("/proc"),
    Table = [{Pid, Parent, State}
             || Name <- Names, lists:all(fun(C) -> C >= $0 andalso C =< $9 end, Name),
                Pid <- [list_to_integer(Name)],
                {ok, Parent, State} <- [stat(Pid)]],
    under([this_os_pid()], Table).

under([], _Table) ->
    [];
under([Pid | Pids], Table) ->
    Children = [{Child, State} || {Child, Parent, State} <- Table, Parent =:= Pid],
    Children ++ under([Child || {Child, _} <- Children] ++ Pids, Table).

%% The worker BEAMs under this BEAM, and those that every pool counts.
worker_processes() ->
    lists:sort([Pid || {Pid, _} <- descendants(), os_process(Pid) =:= worker]).

pool_workers() ->
    Here = node(),
    lists:sort([OsPid || {_, Pool, _, _} <- supervisor:which_children(cnif_pool_sup),
                         {_, Node, OsPid} <- cnif_pool:workers(Pool), Node =:= Here]).

%% Dead children not reaped, once those that are being reaped are.
zombies() ->
    until(fun() ->
                  case [Pid || {Pid, <<"Z">>} <- descendants()] of
                      [] -> {true, []};
                      Zombies -> Zombies
                  end
          end, 1000).

%% The value of the first {true, Value} that Check returns, polled every
%% 10 ms; after Ms ms, what it returned last.
until(Check, Ms) ->
    until_deadline(Check, erlang:monotonic_time(millisecond) + Ms).

until_deadline(Check, Deadline) ->
    case Check() of
        {true, Value} ->
            Value;
        Last ->
            case erlang:monotonic_time(millisecond) > Deadline of
                true -> Last;
                false -> timer:sleep(10), until_deadline(Check, Deadline)
            end
    end.

%% The OS pids of M's N workers once all of them run (they start with the
%% first call; a dead one is replaced).
running(M, N) ->
    until(fun() ->
                  case cnif_isolated:workers(M) of
                      Workers when length(Workers) =:= N ->
                          {true, lists:sort([OsPid || {_, _, OsPid} <- Workers])};
                      Workers ->
                          {not_running, M, Workers}
                  end
          end, 10000).

%% M loaded afresh, with a new pool, whatever an earlier test left.
fresh(M) ->
    case cnif_isolated:pool_of(M) of
        #{} -> unload(M);
        undefined -> _ = code:purge(M), _ = code:delete(M), _ = code:purge(M)
    end,
    {module, M} = code:load_file(M).

%% Deletes and purges M. Its pool notices within 500 ms, and stops once
%% it has killed and reaped its workers: within two seconds.
unload(M) ->
    #{pid := Pool} = cnif_isolated:pool_of(M),
    Ref = monitor(process, Pool),
    _ = code:purge(M),
    true = code:delete(M),
    _ = code:purge(M),
    ?assertEqual(normal, receive {'DOWN', Ref, process, Pool, Why} -> Why
                         after 2000 -> still_running
                         end),
    ?assertEqual(undefined, cnif_isolated:pool_of(M)).

%% Fun's value while M is isolated with Options (cnif:isolate/2, which
%% loads M again); M is in process again afterwards.
with_isolated(M, Options, Fun) ->
    ok = cnif:isolate(M, Options),
    try Fun()
    after ok = cnif:isolate(M, false)
    end.

%% <<"File:Line">> of the comment "/* site:Site */" in test/nifs/File.
location(File, Site) ->
    Source = proplists:get_value(source, ?MODULE:module_info(compile)),
    {ok, Text} = file:read_file(filename:join([filename:dirname(Source), "nifs", File])),
    Lines = binary:split(Text, <<"\n">>, [global]),
    Marker = iolist_to_binary(["/* site:", Site, " */"]),
    [N] = [N || {N, Line} <- lists:zip(lists:seq(1, length(Lines)), Lines),
                binary:match(Line, Marker) =/= nomatch],
    iolist_to_binary([File, ":", integer_to_list(N)]).

this_os_pid() ->
    list_to_integer(os:getpid()).

%%% A crash in each phase of a call, by each fate: three callers crash
%%% three workers at once, and each hears of its own; a fourth, calling
%%% add meanwhile, is served throughout; the next call works.
%%%
%%% Each of the three first naps on a worker of its own, which its crash
%%% then reaches (a process's calls go to the worker it used last while
%%% that one is free): a worker that dies before it answered any call
%%% counts towards making the module unavailable (see unavailable_test_),
%%% one that answered one is replaced at once.

crash_test_() ->
    {timeout, 120,
     fun() ->
             fresh(iso_pool),
             ?assertEqual(3, iso_pool:add(1, 2)),
             [crash_case(F, Fate) || F <- ?PHASES, Fate <- ?FATES]
     end}.

crash_case(F, Fate) ->
    Workers = running(iso_pool, 4),
    Adder = adder(iso_pool),
    Outcomes = together(3, fun() ->
                                   ok = iso_pool:nap(200),
                                   outcome(fun() -> iso_pool:F(Fate) end)
                           end),
    {Adds, Wrong} = stop_adder(Adder),
    Crashed = [crashed(iso_pool, F, Fate, Outcome) || Outcome <- Outcomes],
    ?assertEqual(3, length(lists:usort(Crashed))),
    ?assertEqual([], Crashed -- Workers),
    ?assertEqual({F, Fate, []}, {F, Fate, Wrong}),
    ?assert(Adds > 0),
    ?assertEqual(live, iso_pool:F(live)).

%% Fun's values in N processes that start it at the same time.
together(N, Fun) ->
    Self = self(),
    Pids = [spawn_link(fun() -> receive go -> Self ! {self(), Fun()} end end)
            || _ <- lists:seq(1, N)],
    [Pid ! go || Pid <- Pids],
    [receive {Pid, Value} -> Value end || Pid <- Pids].

%% A process that calls M:add(I, I), I = 1, 2, ..., from its first call
%% on until it is stopped; stop_adder/1 says how many calls it made, and
%% which did not return 2 * I.
adder(M) ->
    Self = self(),
    Pid = spawn_link(fun() -> add_loop(M, Self, 1, []) end),
    receive {Pid, started} -> Pid end.

add_loop(M, Parent, I, Wrong) ->
    Wrong1 = case outcome(fun() -> M:add(I, I) end) of
                 {value, Sum} when Sum =:= 2 * I -> Wrong;
                 Other -> [{I, Other} | Wrong]
             end,
    I =:= 1 andalso (Parent ! {self(), started}),
    receive
        stop -> Parent ! {self(), I, lists:reverse(Wrong1)}
    after 0 ->
        add_loop(M, Parent, I + 1, Wrong1)
    end.

stop_adder(Pid) ->
    Pid ! stop,
    receive {Pid, Calls, Wrong} -> {Calls, Wrong} end.

%%% A hang: the call fails when its timeout is up, its worker is killed
%%% and reaped before the caller hears of it, and the next call works.

hang_test_() ->
    {timeout, 30,
     fun() ->
             fresh(iso_nif),
             ?assertEqual(3, iso_nif:add(1, 2)),
             Started = erlang:monotonic_time(millisecond),
             Outcome = outcome(fun iso_nif:hang/0),
             Took = erlang:monotonic_time(millisecond) - Started,
             ?assertMatch({error, {nif_timeout, #{worker := {_, P}}}} when is_integer(P), Outcome),
             {error, {nif_timeout, #{worker := {_, OsPid}} = Timeout}} = Outcome,
             ?assertEqual(#{worker => {node(), OsPid}, nif => {iso_nif, hang, 0}, timeout => 1000},
                          Timeout),
             ?assertEqual(gone, os_process(OsPid)),
             %% Not before the timeout; and not much later (a generous
             %% bound: a timer of another length would miss it).
             ?assert(Took >= 1000 andalso Took < 5000, Took),
             ?assertEqual(4, iso_nif:add(2, 2))
     end}.

%%% A leak: under the cap it costs nothing; the call that leaks past it is
%%% the one that fails, with the worker's size, and the worker is replaced.

max_memory_test_() ->
    {timeout, 60,
     fun() ->
             Cap = 200 * ?MiB,
             fresh(iso_mem),
             OsPid = iso_mem:os_pid(),
             ?assertEqual([{1, node(), OsPid}], cnif_isolated:workers(iso_mem)),
             ?assert(rss(OsPid) + 50 * ?MiB < Cap, rss(OsPid)),
             ?assertEqual(50, iso_mem:leak(50)),
             timer:sleep(200), % four times the cap is checked
             ?assertEqual(OsPid, iso_mem:os_pid()),
             %% A MiB a millisecond: the cap is passed in the middle.
             Outcome = outcome(fun() -> iso_mem:leak_slowly(400) end),
             ?assertMatch({error, {nif_crashed, #{reason := {max_memory, _}}}}, Outcome),
             {error, {nif_crashed, #{reason := {max_memory, Bytes}} = Crash}} = Outcome,
             ?assertEqual(#{worker => {node(), OsPid}, nif => {iso_mem, leak_slowly, 1},
                            reason => {max_memory, Bytes}}, Crash),
             ?assert(Bytes > Cap, Bytes),
             ?assertEqual(gone, os_process(OsPid)),
             New = iso_mem:os_pid(),
             ?assertNotEqual(OsPid, New),
             ?assertEqual([{1, node(), New}], cnif_isolated:workers(iso_mem)),
             unload(iso_mem)
     end}.

%% Resident memory of an OS process, in bytes, as cnif_pool_worker reads it.
rss(OsPid) ->
    {ok, Status} = file:read_file(proc(OsPid, "status")),
    {match, [Kb]} = re:run(Status, "VmRSS:\\s*(\\d+) kB", [{capture, all_but_first, binary}]),
    binary_to_integer(Kb) * 1024.

%%% A thousand crashes in a row, each followed by a call that works: the
%%% pool recovers every time. No worker outlives its crash, no process is
%%% left unreaped, and once the module is gone, no worker is left. (Each
%%% crash reaches the worker that answered the call before it, so none
%%% counts towards making the module unavailable.) ISO_CRASHES (test.mk)
%%% says how many: 1,000 in make test; 24 (each case twice) in the other
%%% builds (the sanitizers', where a worker takes two and a half times as
%%% long to boot, coverage's, the other OTPs'), which run the same path.

crashes_in_a_row_test_() ->
    {timeout, 900,
     fun() ->
             fresh(iso_pool),
             N = list_to_integer(os:getenv("ISO_CRASHES", "1000")),
             Cases = list_to_tuple([{F, Fate} || F <- ?PHASES, Fate <- ?FATES]),
             Crashed = [begin
                            {F, Fate} = element(I rem tuple_size(Cases) + 1, Cases),
                            OsPid = crashed(iso_pool, F, Fate,
                                            outcome(fun() -> iso_pool:F(Fate) end)),
                            ?assertEqual({I, I + 1}, {I, iso_pool:add(I, 1)}),
                            OsPid
                        end || I <- lists:seq(1, N)],
             ?assertEqual(N, length(Crashed)),
             Live = running(iso_pool, 4),
             Seen = lists:usort(Crashed ++ Live),
             ?assertEqual([], [described(P) || P <- Seen -- Live, os_process(P) =/= gone]),
             ?assertEqual(pool_workers(), worker_processes()),
             ?assertEqual([], zombies()),
             unload(iso_pool),
             ?assertEqual([], [described(P) || P <- Seen, os_process(P) =/= gone]),
             ?assertEqual(pool_workers(), worker_processes()),
             ?assertEqual([], zombies())
     end}.

%%% A library whose load hook crashes, or fails, in every worker: after
%%% five workers in a row and their backoff, calls raise nif_unavailable,
%%% at once and with no new worker, until a worker started after the
%%% cooldown boots. The load hook writes down every worker that runs it.
%%% An input that kills every worker it reaches does the same.

unavailable_test_() ->
    {timeout, 60,
     fun() ->
             Log = filename:join("/tmp", "isolated_tests_boot." ++ os:getpid()),
             true = os:putenv("ISO_BOOT_LOG", Log),
             try
                 unavailable_case(Log, "segv", {load_failed, reason(segv)}),
                 unload(iso_boot),
                 unavailable_case(Log, "panic", {load_failed, on_load_failure}),
                 unload(iso_boot)
             after
                 os:unsetenv("ISO_BOOT_FATE"),
                 os:unsetenv("ISO_BOOT_LOG"),
                 file:delete(Log)
             end
     end}.

unavailable_case(Log, Fate, Why) ->
    _ = file:delete(Log),
    true = os:putenv("ISO_BOOT_FATE", Fate),
    fresh(iso_boot),
    Unavailable = {nif_unavailable, #{module => iso_boot, nif => {iso_boot, ping, 0},
                                      reason => Why}},
    ?assertError(Unavailable, iso_boot:ping()),
    ?assertEqual(5, length(starts(Log))),
    timer:sleep(1000),
    ?assertError(Unavailable, iso_boot:ping()),
    ?assertEqual(5, length(starts(Log))),
    case Fate of
        "segv" ->
            %% The next worker starts 5 s after the last failed: it boots.
            true = os:unsetenv("ISO_BOOT_FATE"),
            ?assertEqual({value, ok},
                         until(fun() ->
                                       case outcome(fun iso_boot:ping/0) of
                                           {value, ok} = Ok -> {true, Ok};
                                           {error, Unavailable} -> unavailable;
                                           Other -> {true, Other}
                                       end
                               end, 10000)),
            ?assertEqual(6, length(starts(Log)));
        _ ->
            ok
    end.

%% The OS pids of the workers that ran iso_boot's load hook, in order.
starts(Log) ->
    case file:read_file(Log) of
        {ok, Text} -> [binary_to_integer(Pid) || Pid <- binary:split(Text, <<"\n">>, [global, trim])];
        {error, enoent} -> []
    end.

poison_test_() ->
    {timeout, 60,
     fun() ->
             with_isolated(
               iso_local, #{workers => 1},
               fun() ->
                       Crashed = [crashed(iso_local, in_call, kill,
                                          outcome(fun() -> iso_local:in_call(kill) end))
                                  || _ <- lists:seq(1, 5)],
                       ?assertEqual(5, length(lists:usort(Crashed))),
                       Unavailable = {nif_unavailable,
                                      #{module => iso_local, nif => {iso_local, add, 2},
                                        reason => {signal, kill}}},
                       ?assertError(Unavailable, iso_local:add(1, 2))
               end)
     end}.

%%% Messages: a threaded NIF's reply and a message a NIF sends its caller
%%% reach the caller; two callers of one worker each get only their own.

messages_test_() ->
    {timeout, 30,
     fun() ->
             fresh(iso_nif),
             Ref = iso_nif:mul_later(6, 7),
             ?assert(is_reference(Ref)),
             ?assertEqual({Ref, 42}, receive {Ref, _} = Reply -> Reply after 5000 -> none end),
             ?assertEqual(ok, iso_nif:greet(<<"hello">>)),
             ?assertEqual({greeting, <<"hello">>},
                          receive {greeting, _} = Greeting -> Greeting after 5000 -> none end),
             ?assertEqual([], mailbox())
     end}.

two_callers_one_worker_test_() ->
    {timeout, 30,
     fun() ->
             with_isolated(
               iso_local, #{workers => 1},
               fun() ->
                       Callers = together(2, fun() ->
                                                     Wrong = converse(term_to_binary(self()), 1),
                                                     {iso_local:os_pid(), Wrong ++ mailbox()}
                                             end),
                       ?assertMatch([{Worker, []}, {Worker, []}], Callers),
                       [{Worker, []} | _] = Callers,
                       ?assertEqual([{1, node(), Worker}], cnif_isolated:workers(iso_local))
               end)
     end}.

%% What a NIF sends its caller is in the caller's mailbox when the call
%% returns, as it is in process, whatever its shape: also that of what a
%% worker sends itself.
sent_test_() ->
    {timeout, 30,
     fun() ->
             fresh(iso_nif),
             Terms = [hello, {greeting, <<"hi">>}, {call, add, [1, 2]}, {call, hang, []}],
             ?assertEqual([{ok, Term} || Term <- Terms],
                          [{iso_nif:tell(Term), receive Got -> Got after 0 -> not_yet end}
                           || Term <- Terms]),
             ?assertEqual([], mailbox()),
             ?assertEqual(3, iso_nif:add(1, 2))
     end}.

%% Fifty rounds of greet(Name) and mul_later(I, I): what came back wrong.
converse(_Name, 51) ->
    [];
converse(Name, I) ->
    ok = iso_local:greet(Name),
    Ref = iso_local:mul_later(I, I),
    Got = [receive {Ref, _} = Reply -> Reply after 5000 -> no_reply end,
           receive {greeting, _} = Greeting -> Greeting after 5000 -> no_greeting end],
    (Got -- [{Ref, I * I}, {greeting, Name}]) ++ converse(Name, I + 1).

%% The messages that arrive within 100 ms.
mailbox() ->
    receive Message -> [Message | mailbox()]
    after 100 -> []
    end.

%%% The module unloaded: its pool stops, and its workers are gone.

unload_test_() ->
    {timeout, 30,
     fun() ->
             fresh(iso_nif),
             ?assertEqual(3, iso_nif:add(1, 2)),
             Workers = running(iso_nif, 2),
             ?assertEqual([worker, worker], [os_process(P) || P <- Workers]),
             unload(iso_nif),
             ?assertEqual([gone, gone], [os_process(P) || P <- Workers])
     end}.

%%% cnif:isolate/2 at run time: a module loaded in process runs its calls
%%% in a worker, then in process again, and its pool stops; bad options
%%% are refused, by cnif:isolate/2 and, in the attribute, by the compiler.

isolate_test_() ->
    {timeout, 30,
     fun() ->
             Here = this_os_pid(),
             ok = cnif:isolate(iso_local, false),
             ?assertEqual(Here, iso_local:os_pid()),
             ?assertEqual(undefined, cnif_isolated:pool_of(iso_local)),
             ?assertEqual(ok, cnif:isolate(iso_local, #{workers => 1})),
             OsPid = iso_local:os_pid(),
             ?assertNotEqual(Here, OsPid),
             ?assertEqual(worker, os_process(OsPid)),
             ?assertEqual([{1, node(), OsPid}], cnif_isolated:workers(iso_local)),
             ?assertEqual(5, iso_local:add(2, 3)),
             #{pid := Pool} = cnif_isolated:pool_of(iso_local),
             Ref = monitor(process, Pool),
             ?assertEqual(ok, cnif:isolate(iso_local, false)),
             %% The load has stopped the pool, which reaped its worker.
             ?assertEqual(gone, os_process(OsPid)),
             ?assertEqual(shutdown, receive {'DOWN', Ref, process, Pool, Why} -> Why
                                    after 2000 -> still_running
                                    end),
             ?assertEqual(Here, iso_local:os_pid())
     end}.

bad_options_test() ->
    ?assertError({bad_isolated_options, [{workers, 0}], ?BAD_OPTIONS},
                 cnif:isolate(iso_unknown, #{workers => 0})),
    ?assertError({bad_isolated_options, [{max_memory, -1}, {timeout, 0}], ?BAD_OPTIONS},
                 cnif:isolate(iso_unknown, #{timeout => 0, max_memory => -1, workers => 1})),
    ?assertError({bad_isolated_options, [{nodes, []}, {worker, 2}], ?BAD_OPTIONS},
                 cnif:isolate(iso_unknown, #{worker => 2, nodes => []})),
    ?assertError({bad_isolated_options, [{workers, 2}], "the isolated options are a map"},
                 cnif:isolate(iso_unknown, [{workers, 2}])),
    ?assertEqual(error, maps:find(iso_unknown, application:get_env(cnif, isolated, #{}))).

bad_attribute_test() ->
    Compile = fun(Options) ->
                      Source = "-module(iso_bad).\n-cnif_nifs([f/0]).\n"
                               "-cnif_isolated(" ++ Options ++ ").\n",
                      compile:forms(forms(Source), [return, {parse_transform, cnif_transform}])
              end,
    ?assertMatch({ok, iso_bad, _, []}, Compile("#{workers => 3, timeout => infinity}")),
    %% A compile error at the attribute's line, as erlc prints it.
    Error = {bad_options, cnif_isolated, [{timeout, soon}, {workers, 0}], ?BAD_OPTIONS},
    ?assertEqual({error, [{"nofile", [{3, cnif_transform, Error}]}], []},
                 Compile("#{workers => 0, timeout => soon}")),
    ?assertEqual("-cnif_isolated: " ++ ?BAD_OPTIONS ++ ", got: [{timeout,soon},{workers,0}]",
                 lists:flatten(cnif_transform:format_error(Error))),
    ?assertEqual({error, [{"nofile", [{3, cnif_transform,
                                       {bad_options, cnif_isolated, 4,
                                        "the isolated options are a map"}}]}], []},
                 Compile("4")).

%% The forms of Source, a module's text.
forms(Source) ->
    {ok, Tokens, _} = erl_scan:string(Source),
    split(Tokens, []).

split([], []) ->
    [];
split([{dot, _} = Dot | Rest], Form) ->
    {ok, Parsed} = erl_parse:parse_form(lists:reverse([Dot | Form])),
    [Parsed | split(Rest, [])];
split([Token | Rest], Form) ->
    split(Rest, [Token | Form]).

%%% Bad arguments and panics, isolated, are what they are in process: the
%%% same badarg with the same stack frame and error_info, the same
%%% nif_panicked.

errors_test_() ->
    {timeout, 30,
     fun() ->
             Here = this_os_pid(),
             ok = cnif:isolate(iso_local, false),
             ?assertEqual(Here, iso_local:os_pid()),
             InProcess = errors(),
             ?assertEqual(
                [{badarg, {iso_local, add, [1, x]}, {2, <<>>, {expected, <<"an integer">>, x}}},
                 {badarg, {iso_local, add, [x, 1]}, {1, <<>>, {expected, <<"an integer">>, x}}},
                 {badarg, {iso_local, in_call, [doom]}, {1, <<>>, {expected, <<"a fate">>, doom}}},
                 {error, {nif_panicked, #{message => <<"panicked on purpose">>, phase => call,
                                          location => location("iso_nif.c", "panics")}}}],
                [case E of
                     {badarg, {M, F, Args, Info}} ->
                         #{module := cnif_error, cause := Cause} =
                             proplists:get_value(error_info, Info),
                         {badarg, {M, F, Args}, Cause};
                     _ ->
                         E
                 end || E <- InProcess]),
             Isolated = with_isolated(iso_local, #{workers => 1},
                                      fun() -> {iso_local:os_pid(), errors()} end),
             ?assertMatch({OsPid, _} when OsPid =/= Here, Isolated),
             ?assertEqual(InProcess, element(2, Isolated))
     end}.

%% How each erroneous call failed: a badarg's stack frame, else the
%% exception.
errors() ->
    [try Call() of
         Value -> {value, Value}
     catch
         error:badarg:Stack -> {badarg, hd(Stack)};
         Class:Reason -> {Class, Reason}
     end
     || Call <- [fun() -> iso_local:add(1, x) end,
                 fun() -> iso_local:add(x, 1) end,
                 fun() -> iso_local:in_call(doom) end,
                 fun iso_local:panics/0]].
