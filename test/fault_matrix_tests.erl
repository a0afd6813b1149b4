%% fault_matrix_tests -- the fault matrix: every phase a NIF's code runs in
%% (rows) fails in every way it can (columns), and each cell asserts
%% exactly what the caller gets: the exception term, the job's reply, the
%% logger report, or the load error. docs/fault-matrix.md is rendered from
%% the cells this suite ran, so it cannot drift: a test fails while the
%% committed file differs (`make fault-matrix` rewrites it).
%%
%% A cell is one of
%%   Outcome                          asserted exactly (see outcome forms)
%%   {na, Why}                        the kind cannot happen in that phase
%%   {known_defect, Id, Now, Why}     a defect, reported but not fixed here:
%%                                    Now, what the cell gives today, is
%%                                    asserted so that a fix is noticed (Now
%%                                    is not_run where running the cell
%%                                    would crash the VM); the document
%%                                    marks the cell.
%% Outcome forms: {returned, Value}; {error, Reason} (error:Reason raised by
%% the call); {badarg, Cause} (error:badarg with the error_info cause the
%% wrapper attached); {reply, Reply} (a job's message {Ref, Reply});
%% {report, Report} (cnif's logger report); {on_load, Returned} (what the
%% module's on_load returned, code:load_file/1 giving on_load_failure).
%%
%% NIFs: test/nifs/fault_matrix_nif.c; the hooks module fm_hooks, built in
%% two versions by test/fault_matrix/fault_matrix.mk; the failure kinds
%% themselves are test/fault_matrix/fm_fault.h. Deliberate panics sit on
%% lines marked "site:NAME", so locations are asserted to the line; the
%% document shows them as FILE:LINE, so that editing a source above a site
%% does not change it.
-module(fault_matrix_tests).
-include_lib("eunit/include/eunit.hrl").
-export([write/1, log/2]).

-define(M, fault_matrix_nif).
-define(H, fm_hooks).
-define(DOC, "docs/fault-matrix.md").
%% The OTP release the document is made with: the maps it prints come out
%% in another order on others (from OTP 26 on, the order the atoms were
%% made), so it is compared there only; every cell is asserted on all.
-define(DOC_OTP, "25").
-define(WAIT, 5000).

%%% The columns

%% {Kind, Heading, What the failing code does}.
kinds() ->
    [{panic, "cnif_panic", "`cnif_panic(env, \"panic in ROW\")`"},
     {assert, "CNIF_ASSERT", "`CNIF_ASSERT(env, kind != FM_ASSERT)` fails"},
     {raise, "cnif_raise", "`cnif_raise(env, {raised, ROW})`, the term made in `cnif_nif_env(env)`"},
     {decode, "decoder rejects", "a decoder rejects its term (returns false): an argument's "
      "decoder, or `CNIF_ARG` in a raw NIF's body"},
     {raise_badarg, "cnif_raise_badarg", "`cnif_raise_badarg(env, 1, \"refused in ROW\")`"},
     {alloc, "cnif_alloc fails", "`cnif_alloc(env, SIZE_MAX)`: an allocation that cannot succeed"},
     {nested_try, "nested cnif_try fails",
      "`cnif_try` of a function that panics (\"panic inside cnif_try in ROW\"), "
      "its exception re-raised with `cnif_raise`"}].

%%% The rows

%% {Row, Phase title, How the test gets there, Run, Expect}: Run(Kind)
%% gives the outcome, Expect(Kind) the cell.
rows() ->
    [{decode, "decode (user codec)",
      "`fm_decode({Kind, Payload})`: the argument's user decoder fails; for `decode`, "
      "Payload `nope` is not the integer it decodes at index 1",
      fun(decode) -> call(fm_decode, [{decode, nope}]); (K) -> call(fm_decode, [{K, 0}]) end,
      fun(decode) -> {badarg, {1, <<"[1]">>, {expected, <<"an integer">>, nope}}};
         (K) -> raised(decode, decode, K)
      end},
     {job_decode, "decode (a threaded NIF's arguments)",
      "`fm_job_decode({Kind, Payload})`, `CNIF_EXPORT_THREADED`: the call decodes the job's "
      "copies of its arguments before any thread runs",
      fun(decode) -> call(fm_job_decode, [{decode, nope}]); (K) -> call(fm_job_decode, [{K, 0}]) end,
      fun(decode) -> {badarg, {1, <<"[1]">>, {expected, <<"an integer">>, nope}}};
         (alloc) -> raised(job_decode, decode, alloc);
         (K) -> raised(decode, decode, K)
      end},
     {call, "call (body)",
      "`fm_call(Kind, nope)`, a raw NIF (`CNIF_EXPORT_RAW`); for `decode`, its body's "
      "`CNIF_ARG` decodes argument 2 as an integer",
      fun(K) -> call(fm_call, [K, nope]) end,
      fun(decode) -> {badarg, {2, <<>>, {expected, <<"an integer">>, nope}}};
         (K) -> raised(call, call, K)
      end},
     {call_dirty, "call (body, dirty CPU scheduler)",
      "`fm_call_dirty(Kind, nope)`: the same on a dirty CPU scheduler",
      fun(K) -> call(fm_call_dirty, [K, nope]) end,
      fun(decode) -> {badarg, {2, <<>>, {expected, <<"an integer">>, nope}}};
         (K) -> raised(call_dirty, call, K)
      end},
     {encode, "encode (user encoder)",
      "`fm_encode(Kind)` returns a value whose user encoder fails",
      fun(K) -> call(fm_encode, [K]) end,
      fun(K) -> raised(encode, encode, K) end},
     {cleanup, "cleanup (`cnif_defer`)",
      "`fm_cleanup(Kind)` registers a cleanup that fails, and returns",
      fun(K) -> call(fm_cleanup, [K]) end,
      fun(K) -> raised(cleanup, cleanup, K) end},
     {raise_encode, "error path: encoding the raised value",
      "`fm_raise_encode(Kind)`: `CNIF_RAISE(env, fm_out, Value)`, whose encoder fails",
      fun(K) -> call(fm_raise_encode, [K]) end,
      fun(K) -> raised(raise_encode, encode, K) end},
     {cleanup_after_panic, "error path: cleanup while a panic unwinds",
      "`fm_cleanup_after_panic(Kind)`: a failing cleanup, then the body panics",
      fun(K) -> call(fm_cleanup_after_panic, [K]) end,
      fun(K) -> first_stands(cleanup_after_panic, K,
                             panicked(<<"the body panicked first">>, call, site(first_panic)), [])
      end},
     {cleanup_after_raise, "error path: cleanup while a raise unwinds",
      "`fm_cleanup_after_raise(Kind)`: a failing cleanup, then the body raises `raised_first`",
      fun(K) -> call(fm_cleanup_after_raise, [K]) end,
      fun(K) -> first_stands(cleanup_after_raise, K, {error, raised_first}, [panic, assert, alloc]) end},
     {cleanup_after_badarg, "error path: cleanup after a bad argument",
      "`fm_cleanup_after_badarg(Kind)`: a failing cleanup, then the body calls "
      "`cnif_raise_badarg(env, 1, \"the body refused first\")`",
      fun(K) -> call(fm_cleanup_after_badarg, [K]) end,
      fun(K) -> first_stands(cleanup_after_badarg, K, {badarg, {1, <<>>, <<"the body refused first">>}},
                             [panic, assert, alloc])
      end},
     {destroy, "destroy callback",
      "`fm_destroy(Kind, false)` in a process that then exits: the resource's destructor fails",
      fun(K) -> reported(fun() -> spawn(fun() -> ?M:fm_destroy(K, false) end) end) end,
      fun(K) -> callback(destroy, <<"fm_res">>, destroy, K) end},
     {destroy_deferring, "destroy callback that registered a cleanup",
      "`fm_destroy(Kind, true)`: the destructor registers a cleanup with `cnif_defer`, then fails",
      fun(K) -> reported(fun() -> spawn(fun() -> ?M:fm_destroy(K, true) end) end) end,
      fun(K) -> callback(destroy_deferring, <<"fm_res">>, destroy, K) end},
     {down, "down callback",
      "`fm_down(Kind, Pid)` monitors Pid from a resource; Pid is killed",
      fun(K) -> reported(fun() ->
                                 Pid = spawn(fun() -> receive after infinity -> ok end end),
                                 Res = ?M:fm_down(K, Pid),
                                 exit(Pid, kill),
                                 Res
                         end)
      end,
      fun(K) -> callback(down, <<"fm_res">>, down, K) end},
     {stop, "stop callback",
      "`fm_stop(Kind)` selects a pipe for reading, then stops the selection",
      fun(K) -> reported(fun() -> ?M:fm_stop(K) end) end,
      fun(K) -> callback(stop, <<"fm_res">>, stop, K) end},
     {dyncall, "dyncall callback",
      "`fm_dyncall(Kind)`: `cnif_resource_call` on a resource of the same library, whose "
      "dyncall callback fails; the call itself returns true",
      fun(K) -> reported(fun() -> true = ?M:fm_dyncall(K) end) end,
      fun(K) -> callback(dyncall, <<"fm_res">>, dyncall, K) end},
     {load, "load hook",
      "fm_hooks version 1 loaded with `FM_HOOK_FAULT=load:Kind`",
      fun(K) -> hooks(fun() -> armed("load", K, fun() -> load_hooks(1) end) end) end,
      fun(K) -> hook(load, K) end},
     {upgrade, "upgrade hook",
      "fm_hooks version 2 loaded over version 1 with `FM_HOOK_FAULT=upgrade:Kind`",
      fun(K) -> hooks(fun() ->
                              {module, ?H} = load_hooks(1),
                              armed("upgrade", K, fun() -> load_hooks(2) end)
                      end)
      end,
      fun(K) -> hook(upgrade, K) end},
     {unload, "unload hook",
      "version 2 loaded over version 1, then version 1 purged with `FM_HOOK_FAULT=unload:Kind`",
      fun(K) -> hooks(fun() ->
                              {module, ?H} = load_hooks(1),
                              {module, ?H} = load_hooks(2),
                              armed("unload", K, fun() -> code:purge(?H), report() end)
                      end)
      end,
      fun(K) -> callback(unload, undefined, unload, K, ?H) end},
     {job_pool, "threaded job body (pool)",
      "`fm_job_pool(Kind)`, `CNIF_EXPORT_THREADED`",
      fun(K) -> call(fm_job_pool, [K]) end,
      fun(K) -> job(raised(job_pool, call, K)) end},
     {job_thread, "threaded job body (thread of its own)",
      "`fm_job_thread(Kind)`, `CNIF_EXPORT_THREAD`",
      fun(K) -> call(fm_job_thread, [K]) end,
      fun(K) -> job(raised(job_thread, call, K)) end},
     {job_encode, "threaded job's result encoder",
      "`fm_job_encode(Kind)`: the job's return value's encoder fails, on the job's thread",
      fun(K) -> call(fm_job_encode, [K]) end,
      fun(K) -> job(raised(job_encode, encode, K)) end},
     {job_cleanup, "threaded job's cleanup",
      "`fm_job_cleanup(Kind)`: the job registers a cleanup that fails, and returns",
      fun(K) -> call(fm_job_cleanup, [K]) end,
      fun(K) -> job(raised(job_cleanup, cleanup, K)) end},
     {yield_init, "yielding init",
      "`fm_yield(init, Kind, self())`: `CNIF_EXPORT_YIELDING`'s init fails",
      fun(K) -> call(fm_yield, [init, K, self()]) end,
      fun(K) -> raised(yield_init, call, K) end},
     {yield_first, "yielding step, first slice",
      "`fm_yield(first, Kind, self())`: the step fails in the slice the call itself runs",
      fun(K) -> call(fm_yield, [first, K, self()]) end,
      fun(K) -> raised(yield_first, call, K) end},
     {yield_later, "yielding step, after a yield",
      "`fm_yield(later, Kind, self())`: the step yields once, then fails in the "
      "rescheduled slice",
      fun(K) -> call(fm_yield, [later, K, self()]) end,
      fun(K) -> raised(yield_later, call, K) end},
     {yield_encode, "yielding result encoder",
      "`fm_yield(encode, Kind, self())`: the step's result's encoder fails",
      fun(K) -> call(fm_yield, [encode, K, self()]) end,
      fun(K) -> raised(yield_encode, encode, K) end},
     {yield_cancelled, "cleanup of a yielding call whose caller died",
      "`fm_yield(cancelled, Kind, Test)`: init registers a failing cleanup; the caller is "
      "killed between slices, and the cleanup runs when the call's state is collected",
      fun(K) -> reported(fun() -> cancel_yield(K) end) end,
      fun(K) when K =:= raise; K =:= alloc; K =:= nested_try -> na(no_env);
         (K) -> callback(yield_cancelled, <<"cancelled yielding call">>, cleanup, K)
      end},
     {nested_try, "inside `cnif_try`",
      "`fm_try(Kind)` runs a failing function under `cnif_try` and returns "
      "`{returned, Value}` or `{caught, Exception}`",
      fun(K) -> call(fm_try, [K]) end,
      fun(decode) -> na(nested_try);
         (K) -> caught(raised(try_body, call, K))
      end}].

%%% Expected cells

%% What a call whose code in Row, in Phase, fails as Kind raises.
raised(_Row, _Phase, decode) ->
    {na, "n/a"};
raised(Row, Phase, panic) ->
    panicked(text(["panic in ", atom_to_list(Row)]), Phase, site(panic));
raised(_Row, Phase, assert) ->
    panicked(<<"assertion failed: kind != FM_ASSERT">>, Phase, site(assert));
raised(Row, _Phase, raise) ->
    {error, {raised, Row}};
raised(Row, _Phase, raise_badarg) ->
    {badarg, {1, <<>>, text(["refused in ", atom_to_list(Row)])}};
raised(Row, Phase, alloc) ->
    panicked(<<"out of memory: cannot allocate 18446744073709551615 bytes">>, Phase, alloc_site(Row));
raised(Row, Phase, nested_try) ->
    panicked(text(["panic inside cnif_try in ", atom_to_list(Row)]), Phase, site(nested_try)).

panicked(Message, Phase, Location) ->
    {error, {nif_panicked, #{message => Message, phase => Phase, location => Location}}}.

%% The same failure as a job's reply, or a cnif_try's catch.
job({error, Reason}) -> {reply, {error, Reason}};
job({badarg, Cause}) -> {reply, {error, badarg_value(Cause)}};
job(Other) -> Other.

caught({error, Reason}) -> {returned, {caught, Reason}};
caught({badarg, Cause}) -> {returned, {caught, badarg_value(Cause)}};
caught(Other) -> Other.

%% A bad argument where no wrapper raises it: the value cnif.h documents.
badarg_value({ArgNo, Path, Reason}) -> {badarg, #{argno => ArgNo, path => Path, reason => Reason}}.

%% A cleanup that fails while the call already ends with First: a panic
%% outranks a raise and a bad argument; otherwise the first failure stands.
first_stands(_Row, decode, _First, _Outranking) ->
    na(cleanup_after);
first_stands(Row, Kind, First, Outranking) ->
    case lists:member(Kind, Outranking) of
        true -> raised(Row, cleanup, Kind);
        false -> First
    end.

%% What a callback (or the unload hook) that fails as Kind reports.
callback(Row, Resource, Callback, Kind) ->
    callback(Row, Resource, Callback, Kind, ?M).

callback(_Row, _Resource, _Callback, decode, _Module) ->
    na(callback);
callback(Row, Resource, Callback, Kind, Module) ->
    case {Kind, no_caller(Row, Callback, Kind)} of
        {Raising, {error, Raised}} when Raising =:= raise; Raising =:= nested_try ->
            {report, Report} = report(Module, Callback, Resource, <<"raised an exception">>, <<>>),
            {report, Report#{raised => Raised}};
        {_, {error, {nif_panicked, #{message := Message, location := Location}}}} ->
            report(Module, Callback, Resource, Message, Location)
    end.

%% A failure where there is no caller: as in a call, except that there is
%% no argument for cnif_raise_badarg to name, which it refuses by panicking.
no_caller(_Row, Phase, raise_badarg) ->
    panicked(<<"cnif_raise_badarg: argument 1 does not exist: this call has 0 arguments">>,
             Phase, site(raise_badarg));
no_caller(Row, Phase, Kind) ->
    raised(Row, Phase, Kind).

%% What loading fm_hooks gives when Hook fails as Kind.
hook(_Hook, decode) ->
    na(hook);
hook(Hook, Kind) ->
    Text = case {Kind, no_caller(Hook, Hook, Kind)} of
               {Raising, {error, Raised}} when Raising =:= raise; Raising =:= nested_try ->
                   ["raised ", printed(Raised), " (callbacks cannot raise)"];
               {_, {error, {nif_panicked, #{message := Message, location := Location}}}} ->
                   ["panicked at ", Location, ": ", Message]
           end,
    {on_load, {error, {Hook, binary_to_list(text(["cnif: ", atom_to_list(Hook), " hook ", Text]))}}}.

na(cleanup_after) ->
    {na, "no argument is decoded in a cleanup; a decoder there only returns false"};
na(callback) ->
    {na, "a callback has no arguments to decode; a decoder there only returns false"};
na(hook) ->
    {na, "no caller to report a bad argument to; a decoder there only returns false"};
na(no_env) ->
    {na, "needs an env, and this cleanup has none: it runs in whichever guard ends the "
     "call (a later slice, or the destructor of the call's state), so no env saved when it "
     "was registered is valid; it can only pass NULL to cnif_panic, CNIF_ASSERT and "
     "cnif_raise_badarg"};
na(nested_try) ->
    {na, "a cnif_try function has no arguments to decode; a decoder there only returns false"}.

%%% Known defects: {Row, Kind} => {Id, Now, Why}

known_defects() ->
    #{}.

%% A raised term as erl_nif's enif_snprintf prints it with %T: as ~w, but
%% a map's pairs without spaces and a text binary as text.
printed({nif_panicked, Map}) ->
    %% In the VM's own order of the keys, as erts prints the map: by key
    %% up to OTP 25, in the order the atoms were made from OTP 26 on.
    Fields = [case V of
                  <<_/binary>> -> io_lib:format("~w=><<\"~ts\">>", [K, V]);
                  _ -> io_lib:format("~w=>~w", [K, V])
              end || {K, V} <- maps:to_list(Map)],
    ["{nif_panicked,#{", lists:join(",", Fields), "}}"];
printed(Term) ->
    io_lib:format("~w", [Term]).

report(Module, Callback, Resource, Message, Location) ->
    {report, #{label => {cnif, callback_failed}, module => Module, callback => Callback,
               resource => Resource, message => Message, location => Location}}.

%% The cell for Row and Kind: the expected outcome, n/a, or a known defect.
expect(Row, Expect, Kind) ->
    case Expect(Kind) of
        {na, "n/a"} -> {na, "no arguments are decoded in this phase; "
                        "a decoder there only returns false (decoders never raise)"};
        Cell ->
            case maps:find({Row, Kind}, known_defects()) of
                {ok, {Id, Now, Why}} -> {known_defect, Id, Now, Why};
                error -> Cell
            end
    end.

%%% Running the cells

%% How F(Args) ended. A job's reply stands for its result.
call(F, Args) ->
    try apply(?M, F, Args) of
        Ref when is_reference(Ref) ->
            receive {Ref, Reply} -> {reply, Reply} after ?WAIT -> {no_reply, Ref} end;
        Value ->
            {returned, Value}
    catch
        error:badarg:Stack ->
            [{?M, F, Args, Info} | _] = Stack,
            #{module := cnif_error, cause := Cause} = proplists:get_value(error_info, Info),
            {badarg, Cause};
        error:Reason ->
            {error, Reason}
    end.

%% Run Trigger, then return the next report of cnif's.
reported(Trigger) ->
    Result = Trigger(),
    Report = report(),
    _ = Result,
    Report.

report() ->
    receive {cnif_report, Report} -> {report, Report}
    after ?WAIT -> no_report
    end.

cancel_yield(Kind) ->
    Test = self(),
    {Pid, MRef} = spawn_monitor(fun() -> ?M:fm_yield(cancelled, Kind, Test) end),
    receive mid_way -> ok after ?WAIT -> error(never_mid_way) end,
    exit(Pid, kill),
    receive {'DOWN', MRef, process, Pid, killed} -> ok end.

%%% The hooks module

hooks_dir(V) ->
    Test = filename:dirname(filename:dirname(code:which(?MODULE))),
    filename:join([Test, "fault_matrix", "v" ++ integer_to_list(V)]).

load_hooks(V) ->
    [code:del_path(hooks_dir(W)) || W <- [1, 2]],
    true = code:add_patha(hooks_dir(V)),
    code:load_file(?H).

%% Fun() with no fm_hooks code loaded before or after.
hooks(Fun) ->
    unload_hooks(),
    try Fun() after unload_hooks() end.

unload_hooks() ->
    code:purge(?H),
    code:delete(?H),
    code:purge(?H),
    [code:del_path(hooks_dir(W)) || W <- [1, 2]],
    false = code:is_loaded(?H).

%% Fun() with Hook armed to fail as Kind; for load and upgrade, what the
%% module's on_load returned.
armed(Hook, Kind, Fun) ->
    true = os:putenv("FM_HOOK_FAULT", Hook ++ ":" ++ atom_to_list(Kind)),
    try Fun() of
        {error, on_load_failure} ->
            receive {on_load, ?H, Returned} -> {on_load, Returned} after ?WAIT -> no_on_load end;
        Other ->
            Other
    after
        os:unsetenv("FM_HOOK_FAULT")
    end.

%%% Reports: a logger handler forwards cnif's reports and the code server's
%%% on_load warnings to the process running the cells; the default handler
%%% is silenced meanwhile.

with_reports(Fun) ->
    {ok, #{level := Level}} = logger:get_handler_config(default),
    ok = logger:add_handler(?MODULE, ?MODULE, #{config => self()}),
    ok = logger:update_handler_config(default, level, none),
    try Fun()
    after
        logger:update_handler_config(default, level, Level),
        logger:remove_handler(?MODULE)
    end.

%% Only this suite's modules' reports: another suite's garbage may still be
%% collected meanwhile.
log(#{msg := {report, #{label := {cnif, callback_failed}, module := Module} = Report}},
    #{config := Pid}) when Module =:= ?M; Module =:= ?H ->
    Pid ! {cnif_report, Report};
log(#{msg := {report, #{label := {error_logger, warning_msg},
                         format := "The on_load function for module ~s returned:~n~P\n",
                         args := [?H, Returned, _Depth]}}},
    #{config := Pid}) ->
    Pid ! {on_load, ?H, Returned};
log(_Event, _Config) ->
    ok.

%% Every cell: {Row, Kind, Cell, Got}; Got is not_run for n/a cells.
run_matrix() ->
    with_reports(
      fun() ->
              [begin
                   Cell = expect(Row, Expect, Kind),
                   Got = case Cell of
                             {na, _} -> not_run;
                             {known_defect, _, not_run, _} -> not_run;
                             _ -> Run(Kind)
                         end,
                   {Row, Kind, Cell, Got}
               end || {Row, _, _, Run, Expect} <- rows(), {Kind, _, _} <- kinds()]
      end).

%% Whether a cell holds, and why not.
verdict({_Row, _Kind, {na, _}, not_run}) -> ok;
verdict({_Row, _Kind, {known_defect, _Id, Now, _Why}, Now}) -> ok;
verdict({Row, Kind, {known_defect, Id, Now, _Why}, Got}) ->
    {known_defect_changed, Row, Kind, Id, {was, Now}, {now, Got},
     'update known_defects/0 and the findings, then run make fault-matrix'};
verdict({_Row, _Kind, Expected, Expected}) -> ok;
verdict({Row, Kind, Expected, Got}) -> {cell_failed, Row, Kind, {expected, Expected}, {got, Got}}.

%%% The suite

matrix_test_() ->
    {setup, fun run_matrix/0,
     fun(Cells) ->
             [{atom_to_list(Row) ++ " x " ++ atom_to_list(Kind),
               ?_assertEqual(ok, verdict(Cell))}
              || {Row, Kind, _, _} = Cell <- Cells]
                 ++ [{"docs/fault-matrix.md is what the suite asserts",
                      ?_assertEqual(ok, document_is_current(Cells))}
                     || erlang:system_info(otp_release) =:= ?DOC_OTP]
     end}.

document_is_current(Cells) ->
    case file:read_file(?DOC) of
        {ok, Committed} ->
            case unicode:characters_to_binary(render(Cells)) of
                Committed -> ok;
                _ -> {'docs/fault-matrix.md is out of date', 'run make fault-matrix and commit it'}
            end;
        Error ->
            {'docs/fault-matrix.md cannot be read', Error, 'run make fault-matrix'}
    end.

%% make fault-matrix: run the cells and write the document, only if every
%% cell holds.
write(Path) ->
    Cells = run_matrix(),
    case [V || C <- Cells, V <- [verdict(C)], V =/= ok] of
        [] ->
            ok = file:write_file(Path, unicode:characters_to_binary(render(Cells))),
            io:format("~s: ~b cells~n", [Path, length(Cells)]);
        Failed ->
            io:format("not written: ~p~n", [Failed]),
            halt(1)
    end.

%%% Where the deliberate panics are

%% <<"File:Line">> of the line of test/... or src/... File holding Needle
%% (Offset lines below it).
line_of(Path, Needle, Offset) ->
    {ok, Text} = file:read_file(Path),
    Lines = binary:split(Text, <<"\n">>, [global]),
    [N] = [N || {N, Line} <- lists:zip(lists:seq(1, length(Lines)), Lines),
                binary:match(Line, iolist_to_binary(Needle)) =/= nomatch],
    iolist_to_binary([filename:basename(Path), ":", integer_to_list(N + Offset)]).

site(Name) ->
    Marker = ["/* site:", atom_to_list(Name), " */"],
    [Path] = [P || P <- ["test/fault_matrix/fm_fault.h", "test/nifs/fault_matrix_nif.c"],
                   {ok, Text} <- [file:read_file(P)],
                   binary:match(Text, iolist_to_binary(Marker)) =/= nomatch],
    line_of(Path, Marker, 0).

%% cnif_alloc refuses a size no allocation could have on the line after
%% its size check.
%% cnif's own panic (out of memory) is located at the export of the NIF,
%% or the definition of the resource type, whose code failed; a module
%% hook has neither, so it is cnif's own line.
alloc_site(Row) when Row =:= load; Row =:= upgrade; Row =:= unload ->
    line_of("src/arena.c", "void *p = cnif__alloc_or_null(env, size);", 2);
alloc_site(Row) ->
    Defined = case Row of
                  try_body -> fm_try;
                  _ when Row =:= destroy; Row =:= destroy_deferring; Row =:= down;
                         Row =:= stop; Row =:= dyncall -> fm_res;
                  _ when Row =:= yield_init; Row =:= yield_first; Row =:= yield_later;
                         Row =:= yield_encode -> fm_yield;
                  _ -> list_to_atom("fm_" ++ atom_to_list(Row))
              end,
    line_of("test/nifs/fault_matrix_nif.c", ["(", atom_to_list(Defined), ","], 0).

text(Parts) -> iolist_to_binary(Parts).

%%% The document

render(Cells) ->
    Rows = rows(),
    Kinds = kinds(),
    Defects = [C || {_, _, {known_defect, _, _, _}, _} = C <- Cells],
    NA = length([C || {_, _, {na, _}, _} = C <- Cells]),
    lists:flatten(
      ["# The fault matrix\n\n",
       "<!-- Generated by `make fault-matrix` from test/fault_matrix_tests.erl, which asserts\n"
       "     every cell; make test fails while this file differs. Do not edit. -->\n\n",
       "What the caller gets when code a NIF library runs in each phase (rows) fails in each\n"
       "way (columns). Every cell is asserted exactly by `test/fault_matrix_tests.erl` against\n"
       "`test/nifs/fault_matrix_nif.c` and `test/fault_matrix/fm_hooks.c`, in a real BEAM; this\n"
       "page is rendered from the cells that suite ran (`make fault-matrix`), and `make test`\n"
       "fails while it differs. Locations are shown as `FILE:LINE`; the suite asserts the line.\n\n",
       io_lib:format("~b rows x ~b kinds: ~b cells, ~b asserted, ~b not applicable, ~b known defects.\n\n",
                     [length(Rows), length(Kinds), length(Cells),
                      length(Cells) - NA - length(Defects), NA, length(Defects)]),
       "## Failure kinds (columns)\n\n| column | what the failing code does |\n|---|---|\n",
       [["| ", Heading, " | ", What, " |\n"] || {_, Heading, What} <- Kinds],
       "\nROW stands for the row's name: each row fails with its own message.\n\n",
       "## Phases (rows)\n\n| row | how the test gets there |\n|---|---|\n",
       [["| ", Title, " | ", How, " |\n"] || {_, Title, How, _, _} <- Rows],
       "\n## The matrix\n\n",
       "Short forms: `nif_panicked` (phase) is\n"
       "`error:{nif_panicked, #{message => ..., phase => Phase, location => ...}}`;\n"
       "`badarg` (arg N) is `error:badarg` with error_info naming argument N;\n"
       "`{Ref, ...}` is a threaded NIF's reply message; report (callback) is the\n"
       "`#{label => {cnif, callback_failed}, ...}` logger report; `{error, {load, ...}}`\n"
       "is what the module's on_load returns. The exact term of every cell follows the table.\n\n",
       "| phase | ", lists:join(" | ", [H || {_, H, _} <- Kinds]), " |\n",
       "|---|", [ "---|" || _ <- Kinds], "\n",
       [["| ", Title, " | ",
         lists:join(" | ", [short_cell(cell(Cells, Row, K)) || {K, _, _} <- Kinds]), " |\n"]
        || {Row, Title, _, _, _} <- Rows],
       "\n## Every cell\n",
       [["\n### ", Title, "\n\n", How, ".\n\n| kind | what the caller gets |\n|---|---|\n",
         [["| ", H, " | ", exact_cell(cell(Cells, Row, K)), " |\n"] || {K, H, _} <- Kinds]]
        || {Row, Title, How, _, _} <- Rows],
       "\n## Known defects\n\n",
       case Defects of
           [] -> "None: every applicable cell gives what it should.\n";
           _ -> [["- **", Id, "**: ", Why, ". Cells: ",
                  lists:join(", ", [[atom_to_list(R), " x ", atom_to_list(K)]
                                    || {R, K, {known_defect, I, _, _}, _} <- Defects, I =:= Id]),
                  ".\n"]
                 || {Id, Why} <- lists:usort([{Id, Why} || {_, _, {known_defect, Id, _, Why}, _} <- Defects])]
       end]).

cell(Cells, Row, Kind) ->
    hd([{C, Got} || {R, K, C, Got} <- Cells, R =:= Row, K =:= Kind]).

short_cell({{na, _}, _}) -> "n/a";
short_cell({{known_defect, Id, not_run, _}, _}) -> ["**", Id, "**: crashes the VM"];
short_cell({{known_defect, Id, _, _}, Got}) -> ["**", Id, "**: ", short(Got)];
short_cell({_, Got}) -> short(Got).

exact_cell({{na, Why}, _}) -> ["n/a: ", Why];
exact_cell({{known_defect, Id, not_run, Why}, _}) -> ["**known defect ", Id, "**: ", Why];
exact_cell({{known_defect, Id, _, Why}, Got}) -> ["**known defect ", Id, "** (", Why, "): ", exact(Got)];
exact_cell({_, Got}) -> exact(Got).

short({error, {nif_panicked, #{phase := Phase}}}) -> ["`nif_panicked` (", atom_to_list(Phase), ")"];
short({error, Reason}) -> ["`error:", term(Reason), "`"];
short({badarg, {ArgNo, _, _}}) -> ["`badarg` (arg ", integer_to_list(ArgNo), ")"];
short({reply, {error, {nif_panicked, #{phase := Phase}}}}) ->
    ["`{Ref, {error, nif_panicked}}` (", atom_to_list(Phase), ")"];
short({reply, {error, {badarg, #{argno := ArgNo}}}}) ->
    ["`{Ref, {error, {badarg, ...}}}` (arg ", integer_to_list(ArgNo), ")"];
short({reply, Reply}) -> ["`{Ref, ", term(Reply), "}`"];
short({report, #{callback := Callback, location := <<>>}}) ->
    ["report (", atom_to_list(Callback), "): raised"];
short({report, #{callback := Callback}}) -> ["report (", atom_to_list(Callback), "): panicked"];
short({on_load, {error, {Reason, Text}}}) ->
    Says = case string:find(Text, "panicked") of nomatch -> "raised"; _ -> "panicked" end,
    ["`{error, {", atom_to_list(Reason), ", ...}}`: ", Says];
short({returned, {caught, {nif_panicked, #{phase := Phase}}}}) ->
    ["`{caught, nif_panicked}` (", atom_to_list(Phase), ")"];
short({returned, {caught, {badarg, #{argno := ArgNo}}}}) ->
    ["`{caught, {badarg, ...}}` (arg ", integer_to_list(ArgNo), ")"];
short({returned, {caught, Reason}}) -> ["`{caught, ", term(Reason), "}`"];
short({returned, Value}) -> ["returns `", term(Value), "`"];
short(Other) -> ["`", term(Other), "`"].

exact({error, Reason}) -> ["`error:", term(Reason), "`"];
exact({badarg, Cause}) -> ["`error:badarg`, error_info cause `", term(Cause), "`"];
exact({reply, Reply}) -> ["message `{Ref, ", term(Reply), "}`"];
exact({report, Report}) -> ["logger error report `", term(Report), "`"];
exact({on_load, Returned}) ->
    ["on_load returns `", term(Returned), "` (code:load_file/1: `{error, on_load_failure}`)"];
exact({returned, Value}) -> ["returns `", term(Value), "`"];
exact(Other) -> ["`", term(Other), "`"].

%% A term as one line, with source lines shown as LINE.
term(Term) ->
    Text = lists:flatten(io_lib:format("~0tp", [Term])),
    re:replace(Text, "(\\.[ch]):[0-9]+", "\\1:LINE", [global, {return, list}, unicode]).
