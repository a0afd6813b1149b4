%% oom_tests -- allocation-failure injection over every cnif feature (make
%% test-oom; see test/oom/README.md).
%%
%% For each feature's representative call: run it unarmed twice (a warm-up,
%% then a run that traces each allocation's kind and caller), then for
%% N = 1, 2, ... fail the Nth allocation (mode single) or the Nth and every
%% later one (mode sticky) until the call completes without a failure, which
%% must then end exactly as the unarmed call did. A run whose allocation
%% failed must end
%%   - as error:{nif_panicked, #{message, phase, location}} (exactly those
%%     keys) whose message says it is out of memory or cannot do something,
%%     whose phase the feature allows (in mode single, never earlier than
%%     the phase of a smaller N) and whose location is "file.c:LINE";
%%   - as plain error:badarg, the fallback when even the report cannot be
%%     built; or
%%   - exactly as the unarmed call did: the failure was absorbed (counted
%%     and listed, not an error);
%%   - for a NIF outside cnif's boundary (the worker's '$cnif_resources'/1),
%%     only as the unarmed call did or as the exceptions its feature lists;
%% and once the call's process is gone, everything oom_wrap.c counts as
%% live (memory, binaries, envs, resource objects, map iterators, threads,
%% mutexes, condition variables, mappings) must be back
%% where the unarmed call left it.
%% Nothing may crash the VM.
%%
%% Each call runs in a process of its own, so its terms die with it. The
%% library's whole life (load, thread pool start, unload) is swept the same
%% way by load_lifecycle_test, with oom_load.so.
%%
%% Known defects, while they are fixed, are listed in known/3: a run
%% that would crash the VM is skipped, a misbehaving one runs and is
%% reported, not failed.
-module(oom_tests).
-include_lib("eunit/include/eunit.hrl").

-define(M, oom_nif).
-define(PHASES, [decode, call, encode, cleanup]).
-define(MAX_N, 2000).
-define(OOM, "out of memory|cannot").
%% How much erlang:memory(binary) may grow over a feature's sweep: the
%% output it prints, held by the I/O server. A leaked builder alone is
%% larger (binary_builder makes 450 kB).
-define(BINARY_SLACK, 64 * 1024).

%%% The features and their representative calls

%% #{name, call, expect, phases}: the call, the exact outcome of the unarmed
%% call (or a fun that accepts it), and the phases an injected panic may
%% report. Optionally setup (run in the call's process before arming; its
%% result is the argument of call and teardown), teardown (run after
%% disarming), check (replaces the outcome checks, for failures that
%% have no caller: callbacks) and raises (a NIF the library adds outside
%% cnif's boundary: the outcomes, besides the unarmed one, a failed run may
%% end with; nothing else, neither a panic nor a plain badarg).
features() ->
    Big = binary:copy(<<"big">>, 30000),
    Parts = [<<"ab">>, <<"cd">>],
    Value = {1, 2.5, atom, <<"bin">>, [1, [2 | improper], #{k => [v]}],
             #{<<"m">> => {}}, 1 bsl 70, -(1 bsl 130), "text"},
    Many = [{I bsl 80, #{I => I}} || I <- lists:seq(1, 40)],
    Point = #{x => 1.0, y => 2.0, label => <<"p">>},
    Hash = maps:from_list([{I, I} || I <- lists:seq(1, 40)]), % a hash map: its iterator allocates
    [%% --- Codecs
     f(int64, fun() -> ?M:echo_int64_t(1 bsl 62) end, {ok, 1 bsl 62}, []),
     f(double, fun() -> ?M:echo_double(1.5) end, {ok, 1.5}, []),
     f(bignum, fun() -> ?M:echo_cnif_value([1 bsl 100, -(1 bsl 200), 1 bsl 64]) end,
       {ok, [1 bsl 100, -(1 bsl 200), 1 bsl 64]}, [decode, encode]),
     f(atom, fun() -> ?M:echo_cnif_atom(hello) end, {ok, hello}, [decode]),
     f(enum, fun() -> ?M:echo_color(green) end, {ok, green}, []),
     f(enum_bad, fun() -> ?M:echo_color(purple) end,
       {badarg, {1, <<>>, {expected, <<"red, green or blue">>, purple}}}, [decode]),
     f(binary_iolist, fun() -> ?M:echo_cnif_iodata([<<"ab">>, $c, [<<"de">>]]) end,
       {ok, <<"abcde">>}, [decode, encode]),
     f(binary_new, fun() -> ?M:bin_reverse(<<0:800, 1:8>>) end, {ok, <<1:8, 0:800>>}, [call]),
     f(binary_builder, fun() -> ?M:bin_repeat(Big, 5) end,
       {ok, binary:copy(Big, 5)}, [call]),
     f(binary_sub, fun() -> ?M:bin_sub([<<"hello ">>, <<"world">>], 6, 5) end,
       {ok, <<"world">>}, [decode, call]),
     f(string, fun() -> ?M:echo_cnif_iotext(["ab", <<"c">>]) end, {ok, <<"abc">>},
       [decode, encode]),
     f(cstring, fun() -> ?M:echo_cnif_cstr(<<"h", 16#c3, 16#a9, "llo there">>) end,
       {ok, <<"h", 16#c3, 16#a9, "llo there">>}, [decode, encode]),
     f(array, fun() -> ?M:echo_cnif_array_cnif_cstr([<<"a">>, <<"bc">>, <<"d">>]) end,
       {ok, [<<"a">>, <<"bc">>, <<"d">>]}, [decode, encode]),
     f(array_nested, fun() -> ?M:echo_cnif_array_cnif_array_int64_t([[1, 2], [], [3]]) end,
       {ok, [[1, 2], [], [3]]}, [decode]),
     %% The 8000 bytes of terms the encoder builds the inner list from need
     %% a second arena chunk: without it the list is built cell by cell.
     f(array_long, fun() -> ?M:echo_cnif_array_cnif_array_int64_t([lists:seq(1, 1000)]) end,
       {ok, [lists:seq(1, 1000)]}, [decode]),
     f(tuple, fun() -> ?M:echo_pair({x, 5}) end, {ok, {5, x}}, [encode]),
     f(tuple_bad, fun() -> ?M:echo_pair({x}) end,
       {badarg, {1, <<>>, {expected, <<"a tuple of at least 2 elements">>, {x}}}}, [decode]),
     f(map_put, fun() -> ?M:map_build([{a, 1}, {b, 2}]) end, {ok, #{a => 1, b => 2}},
       [decode, call]),
     f(map_from_arrays, fun() -> ?M:map_from_pairs([{a, 1}, {b, 2}]) end,
       {ok, #{a => 1, b => 2}}, [decode, call]),
     f(map_iterate, fun() -> ?M:map_sum(Hash) end, {ok, 820}, [call])]
    ++ [f(list_to_atom("map_iterate_pad_" ++ integer_to_list(Pad)),
          fun() -> ?M:map_sum_padded(Hash, Pad) end, {ok, 820}, [call])
        || Pad <- lists:seq(3968, 4096, 16)]
    ++ [
     f(map_get_bad, fun() -> ?M:echo_sized(#{other => 1}) end,
       {badarg, {1, <<>>, {expected, <<"a map with key size">>, #{other => 1}}}}, [decode]),
     f(value, fun() -> ?M:echo_cnif_value(Value) end, {ok, Value}, [decode, encode]),
     f(value_many, fun() -> ?M:echo_cnif_value(Many) end, {ok, Many}, [decode, encode]),
     %% --- Structs, unions, optionals, results
     f(struct_map, fun() -> ?M:echo_point(Point) end, {ok, Point}, [encode]),
     f(struct_record, fun() -> ?M:echo_point_rec({point, 1.0, 2.0, ["p"]}) end,
       {ok, {point, 1.0, 2.0, <<"p">>}}, [decode, encode]),
     f(struct_elixir,
       fun() -> ?M:echo_point_ex(Point#{'__struct__' => 'Elixir.Oom.Point', label => ["q"]}) end,
       {ok, Point#{'__struct__' => 'Elixir.Oom.Point', label => <<"q">>}}, [decode, encode]),
     f(struct_tuple, fun() -> ?M:echo_point_tup({1.0, 2.0, ["r"]}) end,
       {ok, {1.0, 2.0, <<"r">>}}, [decode, encode]),
     f(struct_unknown_key, fun() -> ?M:echo_point(Point#{z => 3}) end,
       {badarg, {1, <<>>, <<"unknown key z in a map">>}}, [decode]),
     f(struct_missing_key, fun() -> ?M:echo_cnif_array_point([Point, #{x => 1.0}]) end,
       {badarg, {1, <<"[1]">>, {expected, <<"a map with key y">>, #{x => 1.0}}}}, [decode]),
     f(union, fun() -> ?M:echo_cnif_array_shape([empty, {circle, 2.0}, {at, Point#{label => ["s"]}}]) end,
       {ok, [empty, {circle, 2.0}, {at, Point#{label => <<"s">>}}]}, [decode, encode]),
     f(union_bad, fun() -> ?M:echo_cnif_array_shape([empty, {square, 1}]) end,
       {badarg, {1, <<"[1]">>, {expected, <<"empty, {circle, _} or {at, _}">>, {square, 1}}}},
       [decode]),
     f(one_of, fun() -> ?M:echo_cnif_array_id([1, ["n"], {point, 1.0, 2.0, <<"l">>}]) end,
       {ok, [1, <<"n">>, {point, 1.0, 2.0, <<"l">>}]}, [decode, encode]),
     f(one_of_bad, fun() -> ?M:echo_cnif_array_id([foo]) end,
       {badarg, {1, <<"[0]">>, {expected, <<"an integer, UTF-8 iodata or a #point{} record">>,
                                foo}}}, [decode]),
     f(optional, fun() -> {?M:echo_maybe_point(undefined), ?M:echo_maybe_point(Point)} end,
       {ok, {undefined, Point}}, [encode]),
     %% (One call each: a sweep's phases may only move forward.)
     f(result_ok, fun() -> ?M:echo_str_result({ok, ["x"]}) end,
       {ok, {ok, <<"x">>}}, [decode, encode]),
     f(result_error, fun() -> ?M:echo_str_result({error, oops}) end,
       {ok, {error, oops}}, [decode, encode]),
     %% --- The error path itself
     f(error_badarg, fun() -> ?M:echo_int64_t(foo) end,
       {badarg, {1, <<>>, {expected, <<"an integer">>, foo}}}, []),
     f(error_badarg_path, fun() -> ?M:echo_cnif_array_point([Point, Point#{y => nope}]) end,
       {badarg, {1, <<"[1].y">>, {expected, <<"a float">>, nope}}}, [decode]),
     f(error_badarg_reason, fun() -> ?M:refuse(7) end,
       {badarg, {1, <<>>, <<"7 is not welcome here">>}}, []),
     f(error_panic, fun() -> ?M:give_up(10000) end,
       fun({panic, #{message := <<"gave up after 10000 bytes">>, phase := call}}) -> true end,
       [call]),
     f(error_cleanup_panic, fun() -> ?M:cleanup_panics(<<"name">>) end,
       fun({panic, #{message := <<"cleanup name panicked">>, phase := cleanup}}) -> true end,
       [decode, call]),
     f(error_raise, fun() -> ?M:raise_text(<<"boom">>) end, {error, <<"boom">>}, [decode, encode]),
     f(error_try, fun() -> ?M:try_reraise(<<"t">>) end,
       fun({panic, #{message := <<"inner call t panicked">>, phase := call}}) -> true end,
       [decode, call]),
     %% --- Resources
     f(resource_new, fun() -> ?M:blob_id(?M:blob_new(5, false)) end, {ok, 5}, [call]),
     f(resource_binary, fun() -> ?M:blob_bytes(9) end, {ok, binary:copy(<<9>>, 64)}, [call]),
     f(resource_monitor,
       fun() -> {B, Rc} = ?M:blob_watch(6, self()), {?M:blob_id(B), Rc} end,
       {ok, {6, 0}}, [call]),
     f(resource_bad, fun() -> ?M:blob_id(make_ref()) end,
       fun({badarg, {1, <<>>, {expected, <<"a blob resource">>, ref}}}) -> true end, [decode]),
     (f(resource_destroy_report, fun destroy_report/1,
        {ok, {destroyed, {destroy, <<"blob">>, <<"blob 11 refused to go">>}}}, [destroy]))
         #{setup => fun destroy_setup/0, check => fun callback_check/3},
     (f(resource_down, fun down_run/1, {ok, {down, true, none}}, [down]))
         #{setup => fun down_setup/0, teardown => fun down_teardown/1,
           check => fun callback_check/3},
     %% --- Long work
     f(yielding, fun() -> ?M:ysum(1000, 300) end, {ok, <<"sum=499500">>},
       [decode, call, encode]),
     f(pool, fun() -> job(?M:pool_work(Parts, 3, false)) end, {ok, <<"abcdabcdabcd">>},
       [decode, call, encode]),
     f(thread, fun() -> job(?M:thread_work(Parts, 3, false)) end,
       {ok, <<"abcdabcdabcd">>}, [decode, call, encode]),
     f(pool_panic, fun() -> job(?M:pool_work(Parts, 3, true)) end,
       fun({panic, #{message := <<"job of 12 bytes gave up">>, phase := call}}) -> true end,
       [decode, call]),
     f(pool_badarg, fun() -> job(?M:pool_work([<<"ab">>, x], 1, false)) end,
       {badarg, {1, <<"[1]">>, {expected, <<"a binary">>, x}}}, [decode]),
     %% --- Messages
     f(send, fun() -> sent(?M:send_normal(self(), {hi, [1, 2]})) end,
       {ok, {true, {hi, [1, 2]}}}, [call]),
     f(send_from_pool, fun() -> sent(job(?M:send_pool(self(), {hi, <<"x">>}))) end,
       {ok, {true, {hi, <<"x">>}}}, [decode, call]),
     %% --- What a library adds in an isolated module's worker (CNIF_WORKER,
     %% set by make test-oom): '$cnif_resources'/1, a raw NIF whose failure
     %% to allocate raises enomem. The blobs found, by id, in the order of
     %% its walk.
     (f(worker_resources, fun worker_resources/1, {ok, [2, 1, 3]}, []))
         #{setup => fun worker_resources_setup/0, raises => [{error, enomem}]}].

f(Name, Call, Expect, Phases) ->
    #{name => Name, call => Call, expect => Expect, phases => Phases}.

%% A threaded NIF's reply, as if the call itself had returned or raised it.
job(Ref) ->
    receive
        {Ref, {error, Reason}} -> erlang:error(Reason);
        {Ref, Value} -> Value
    after 10000 -> erlang:error(no_reply)
    end.

%% Blobs 1, 2 and 3 in a term that makes '$cnif_resources'/1 grow its
%% stack of terms (a list longer than its first 64 slots) and iterate a
%% hash map (more than 32 keys: its iterator allocates), beside a plain
%% reference, which is no resource.
worker_resources_setup() ->
    Blobs = [{Id, ?M:blob_new(Id, false)} || Id <- [1, 2, 3]],
    [B1, B2, B3] = [B || {_, B} <- Blobs],
    Long = lists:seq(1, 100) ++ [B1],
    Map = maps:from_list([{I, I} || I <- lists:seq(1, 40)] ++ [{blob, B3}]),
    {Blobs, [{B2, make_ref(), Long}, Map]}.

%% The ids of the blobs found (references cannot outlive the run).
worker_resources({Blobs, Term}) ->
    [Id || Found <- ?M:'$cnif_resources'(Term), {Id, B} <- Blobs, B =:= Found].

%% What cnif_send returned, and the message it delivered to this process.
sent(Returned) ->
    receive {oom_msg, Msg} -> {Returned, Msg}
    after 1000 -> {Returned, none}
    end.

%%% Callbacks: failures with no caller, seen through the reports they make

%% A holder process keeps a blob that panics when destroyed.
destroy_setup() ->
    subscribe(),
    spawn_holder(fun() -> ?M:blob_new(11, true) end).

%% The holder lets go; once the blob is destroyed, {destroyed, Report}.
destroy_report(Holder) ->
    Res = live(res),
    stop(Holder),
    wait_until(fun() -> live(res) < Res end),
    {destroyed, report()}.

%% A holder keeps a blob that watches a target process.
down_setup() ->
    subscribe(),
    Target = spawn(fun() -> receive stop -> ok end end),
    {Target, spawn_holder(fun() -> ?M:blob_watch(21, Target) end), ?M:down_count()}.

%% The target dies: {down, WhetherDownRan, Report}.
down_run({Target, _Holder, Downs}) ->
    stop(Target),
    Ran = wait_until(fun() -> ?M:down_count() > Downs end, 300),
    {down, Ran, report()}.

down_teardown({_Target, Holder, _Downs}) ->
    stop(Holder).

%% A failed callback is reported, or written to stderr when not even the
%% report can be made (then none arrives). The report names the callback's
%% phase; its message is an out-of-memory one, or the callback's own
%% (the failure was in making the report), or undefined (the text of the
%% message could not be made).
callback_check({ok, {destroyed, Report}}, F, Base) -> report_check(Report, F, Base);
callback_check({ok, {down, false, Report}}, F, Base) when Report =/= none ->
    report_check(Report, F, Base);
callback_check({ok, {down, false, none}}, _, _) -> ok;
callback_check(Outcome, _, _) -> {bad, {unexpected, Outcome}}.

report_check(none, _, _) -> ok;
report_check({Phase, _, Message}, #{phases := Phases}, #{outcome := Base}) ->
    Own = case Base of
              {ok, {destroyed, {_, _, M}}} -> M;
              _ -> none
          end,
    case lists:member(Phase, Phases)
        andalso (Message =:= undefined orelse Message =:= Own orelse oom_text(Message)) of
        true -> ok;
        false -> {bad, {report, Phase, Message}}
    end.

subscribe() ->
    cnif_reporter ! {subscribe, self()},
    receive subscribed -> ok end.

report() ->
    receive {cnif_report, #{callback := C, resource := R, message := M}} -> {C, R, M}
    after 200 -> none
    end.

spawn_holder(Make) ->
    Parent = self(),
    Pid = spawn(fun() -> Held = Make(), Parent ! {held, self()}, receive stop -> Held end end),
    receive {held, Pid} -> Pid end.

stop(Pid) ->
    Ref = monitor(process, Pid),
    Pid ! stop,
    receive {'DOWN', Ref, process, Pid, _} -> ok end.

%% The process standing in for cnif_reporter: it hands each report to the
%% process that subscribed last.
capture(Sub) ->
    receive
        {subscribe, Pid} -> Pid ! subscribed, capture(Pid);
        {'$cnif_report', Report} when is_pid(Sub) -> Sub ! {cnif_report, Report}, capture(Sub);
        _ -> capture(Sub)
    end.

%%% Known defects (none today)

%% known(Feature, Mode, {Kind, Function, File, Line}) of the allocation a run
%% fails first: a list of {skip, Id} (the run would crash the VM: it is not
%% made) and {Id, Excused} (the run misbehaves: the problems Excused(P)
%% accepts are shown, not failed). Sites are matched by file or by function,
%% never by line or N, which change with every edit of src/.
known(_Feature, _Mode, _Site) ->
    [].

%% What the known defects make of a run: {skip, Id}, {report, Ids, Excused}
%% or none. OOM_UNSKIP=Id,Id runs the runs those defects skip (to see
%% whether a fix to src/ holds).
known_run(Feature, Mode, Site) ->
    Unskip = string:lexemes(os:getenv("OOM_UNSKIP", ""), ","),
    Known = [K || K <- known(Feature, Mode, Site),
                  not (element(1, K) =:= skip andalso lists:member(element(2, K), Unskip))],
    case [Id || {skip, Id} <- Known] of
        [Id | _] -> {skip, Id};
        [] when Known =:= [] -> none;
        [] -> {report, lists:join("+", [Id || {Id, _} <- Known]),
               fun(P) -> lists:any(fun({_, Excused}) -> Excused(P) end, Known) end}
    end.

%%% What is injected

%% Every function libcnif.a calls that allocates or can fail for want of
%% resources must go through oom_wrap.c, or the sweep silently misses it.
%% (A change to src/ that calls a new one fails here: wrap it in oom_wrap.c
%% and oom.mk.)
-define(FAILABLE,
        ["enif_alloc", "enif_realloc", "enif_alloc_binary", "enif_realloc_binary",
         "enif_make_new_binary", "enif_term_to_binary", "enif_binary_to_term",
         "enif_inspect_iolist_as_binary", "enif_inspect_iovec", "enif_alloc_resource",
         "enif_init_resource_type", "enif_open_resource_type", "enif_open_resource_type_x",
         "enif_alloc_env", "enif_make_map_from_arrays",
         "enif_make_map_put", "enif_make_map_update", "enif_map_iterator_create",
         "enif_thread_create", "enif_mutex_create", "enif_cond_create",
         "enif_rwlock_create", "enif_tsd_key_create", "enif_ioq_create",
         "pthread_create", "pthread_attr_init", "pthread_key_create",
         "pthread_mutex_init", "pthread_cond_init", "pthread_rwlock_init", "dlopen",
         "malloc", "calloc", "realloc", "strdup", "strndup", "aligned_alloc",
         "posix_memalign", "mmap"]).

%% libcnif.a is in $(BUILD), where ERL_LIBS finds cnif's application
%% ($(BUILD)/cnif) whatever BUILD is. The check cannot pass for want of
%% symbols: both files must be there and name what every build calls and
%% wraps (nm's complaints, which name no symbol, are dropped by symbols/1).
all_failable_calls_are_wrapped_test() ->
    {ok, Path} = cnif:priv_path(?M, "oom_nif"),
    Lib = filename:join(filename:dirname(code:lib_dir(cnif)), "libcnif.a"),
    So = Path ++ ".so",
    ?assert(filelib:is_regular(Lib)),
    ?assert(filelib:is_regular(So)),
    Called = symbols("nm -u " ++ Lib),
    Wrapped = [Name || "__wrap_" ++ Name <- symbols("nm " ++ So)],
    ?assert(lists:member("enif_alloc", Called)),
    ?assert(lists:member("enif_alloc", Wrapped)),
    ?assertEqual([], lists:usort([F || F <- Called, lists:member(F, ?FAILABLE),
                                       not lists:member(F, Wrapped)])).

%% The last word of each line of nm's output, without a @version suffix.
symbols(Command) ->
    [hd(string:split(lists:last(string:lexemes(Line, " ")), "@"))
     || Line <- string:lexemes(os:cmd(Command), "\n"), string:find(Line, ":") =:= nomatch].

%%% The sweep

oom_test_() ->
    {setup, fun setup/0, fun cleanup/1,
     fun(Ctx) ->
             {inorder,
              [{atom_to_list(Name), {timeout, 120, fun() -> sweep(Ctx, F) end}}
               || #{name := Name} = F <- features(), selected(Name)]}
     end}.

%% OOM_ONLY=name,name runs only those features; OOM_VERBOSE=1 prints each
%% run before it starts (to find the one that takes the VM down).
selected(Name) ->
    case os:getenv("OOM_ONLY") of
        false -> true;
        Only -> lists:member(atom_to_list(Name), string:lexemes(Only, ","))
    end.

verbose(Format, Args) ->
    os:getenv("OOM_VERBOSE") =/= false andalso io:format(user, Format, Args).

setup() ->
    case whereis(cnif_reporter) of
        undefined -> ok;
        _ -> unregister(cnif_reporter)
    end,
    register(cnif_reporter, spawn(fun() -> capture(undefined) end)),
    {module, ?M} = code:ensure_loaded(?M),
    %% Start the thread pool now. Its workers live as long as the library,
    %% and so does their hold on it (the pin), so no feature's allocations
    %% depend on whether an earlier job's thread has ended yet. Starting a
    %% cold pool is swept by load_lifecycle.
    <<"warm">> = job(?M:pool_work([<<"warm">>], 1, false)),
    {ok, Path} = cnif:priv_path(?M, "oom_nif"),
    library(Path ++ ".so").

cleanup(#{symbols := Symbols, addr2line := Resolver}) ->
    exit(Resolver, kill),
    ets:delete(Symbols).

%% A library's path and its functions by address, to name failing sites.
library(So) ->
    Symbols = ets:new(symbols, [ordered_set, public]),
    [case string:lexemes(Line, " ") of
         [Addr, [Type], Name] when Type =:= $t; Type =:= $T; Type =:= $W; Type =:= $w ->
             ets:insert(Symbols, {list_to_integer(Addr, 16), Name});
         _ -> ok
     end || Line <- string:lexemes(os:cmd("nm -n --defined-only " ++ So), "\n")],
    #{so => So, symbols => Symbols, addr2line => spawn(fun() -> resolver(So) end)}.

sweep(Ctx, #{name := Name} = F) ->
    Base0 = #{trace := Trace} = baseline(F),
    Base = Base0#{sites => sites(Ctx, Trace)},
    [verbose("~n    ~s N=~b ~s in ~s (~s:~s)", [Name, I, K, Fn, Fl, L])
     || {I, {K, Fn, Fl, L}} <- lists:enumerate(maps:get(sites, Base))],
    Binary = binary_memory(),
    %% Each mode starts from what is live now: a leak is reported once.
    Runs = lists:append([sweep(F, Base#{live := settled()}, Mode, 1, none, [])
                         || Mode <- [single, sticky]]),
    Grown = binary_memory() - Binary,
    Grown < ?BINARY_SLACK orelse io:format(user, "~n    binary memory grew ~b bytes", [Grown]),
    ?assert(Grown < ?BINARY_SLACK),
    conclude(Name, Base, Runs).

%% The VM's own view, beside the counters: the binaries every process
%% holds, after each has collected its garbage (see ?BINARY_SLACK).
binary_memory() ->
    [erlang:garbage_collect(P) || P <- processes()],
    erlang:memory(binary).

%% The unarmed call twice: the second, traced, is the baseline.
baseline(#{name := Name} = F) ->
    _ = attempt(F, 0, false),
    {Outcome, {Seen, 0, none}} = attempt(F, 0, false),
    Trace = ?M:oom_trace(),
    expected(F, Outcome) orelse
        erlang:error({baseline, Name, Outcome}),
    #{outcome => Outcome, seen => Seen, trace => Trace, live => settled()}.

sweep(_F, _Base, Mode, N, _, Acc) when N > ?MAX_N ->
    lists:reverse([#{mode => Mode, n => N, problems => [no_end]} | Acc]);
sweep(#{name := Name} = F, Base, Mode, N, Phase, Acc) ->
    #{sites := Sites} = Base,
    {Kind, Function, File, _} = Site = site(Base, N),
    case known_run(Name, Mode, Site) of
        {skip, Id} when N < length(Sites) ->
            sweep(F, Base, Mode, N + 1, Phase,
                  [#{mode => Mode, n => N, kind => Kind, skipped => Id} | Acc]);
        {skip, Id} -> % the last allocation: what would follow cannot be run
            lists:reverse([#{mode => Mode, n => N, kind => Kind, skipped => Id} | Acc]);
        Known ->
            verbose("~n    ~s ~s N=~b ~s in ~s (~s)", [Name, Mode, N, Kind, Function, File]),
            {Outcome, {Seen, Fired, FiredKind}} = attempt(F, N, Mode =:= sticky),
            {Leaks, Live} = leaks(maps:get(live, Base)),
            Run = #{mode => Mode, n => N, kind => FiredKind, seen => Seen, known => Known},
            case Fired of
                0 ->
                    Problems = [{completed_differently, Outcome} || not expected(F, Outcome)]
                        ++ Leaks,
                    lists:reverse([kept(F, Run#{last => true}, Outcome, Problems) | Acc]);
                _ ->
                    {Problems, Phase1} = judge(F, Base, Mode, FiredKind, Outcome, Phase),
                    Drift = [{kind_drift, Kind, FiredKind}
                             || Mode =:= single, Kind =/= FiredKind, Kind =/= none],
                    sweep(F, Base#{live := Live}, Mode, N + 1, Phase1,
                          [kept(F, Run, Outcome, Problems ++ Leaks ++ Drift) | Acc])
            end
    end.

%% A run as kept until the verdict: its outcome if it has problems (to
%% show), else only how it ended (a result can be large).
kept(F, Run, Outcome, []) -> Run#{outcome => ending(F, Outcome), problems => []};
kept(_, Run, Outcome, Problems) -> Run#{outcome => Outcome, problems => Problems}.

%% The problems with a failed run's outcome, and the phase reached so far.
judge(#{check := Check} = F, Base, _Mode, _Kind, Outcome, Phase) ->
    case Check(Outcome, F, Base) of
        ok -> {[], Phase};
        {bad, Why} -> {[Why], Phase}
    end;
judge(#{raises := Raises} = F, _Base, _Mode, _Kind, Outcome, Phase) ->
    case lists:member(Outcome, Raises) orelse expected(F, Outcome) of
        true -> {[], Phase};
        false -> {[{unexpected, Outcome}], Phase}
    end;
judge(#{phases := Phases} = F, _Base, Mode, Kind, Outcome, Phase) ->
    case Outcome of
        {panic, #{message := Message, phase := P, location := Location} = Info} ->
            Pattern = case Mode of single -> pattern(Kind); sticky -> ?OOM ++ "|not a map|duplicate|same key" end,
            Problems =
                [{panic_keys, maps:keys(Info)} || map_size(Info) =/= 3]
                ++ [{message, Message} || not matches(Message, Pattern)]
                ++ [{phase_not_allowed, P} || not lists:member(P, Phases)]
                ++ [{phase_went_back, Phase, P}
                    || Mode =:= single, Phase =/= none, rank(P) < rank(Phase)]
                ++ [{location, Location} || not matches(Location, "^[A-Za-z0-9_]+\\.c:[0-9]+$")],
            {Problems, case Mode of single -> max_phase(Phase, P); sticky -> Phase end};
        badarg ->
            {[], Phase};
        _ ->
            case expected(F, Outcome) of
                true -> {[], Phase};
                false -> {[{unexpected, Outcome}], Phase}
            end
    end.

%% What a message must say when an allocation of this kind failed. erts
%% refuses a map put or iterator only for a non-map, a map from arrays only
%% for duplicate keys: cnif may say so.
pattern(map_put) -> ?OOM ++ "|not a map";
pattern(map_iterator) -> ?OOM ++ "|not a map";
pattern(map_from_arrays) -> ?OOM ++ "|duplicate|same key";
pattern(_) -> ?OOM.

oom_text(Message) when is_binary(Message) -> matches(Message, ?OOM);
oom_text(_) -> false.

matches(Text, Pattern) -> re:run(Text, Pattern) =/= nomatch.

rank(Phase) ->
    case lists:member(Phase, ?PHASES) of
        true -> length(lists:takewhile(fun(P) -> P =/= Phase end, ?PHASES));
        false -> 0
    end.

max_phase(none, P) -> P;
max_phase(A, B) -> case rank(B) > rank(A) of true -> B; false -> A end.

expected(#{expect := Expect}, Outcome) when is_function(Expect) ->
    try Expect(Outcome) catch error:function_clause -> false end;
expected(#{expect := Expect}, Outcome) ->
    Outcome =:= Expect.

%% {Kind, Function, File, Line} of the Nth allocation of the traced call.
%% The function is the innermost one the debug info names, inlined or not;
%% with no debug info (a library built without -g) the one the symbol
%% table names, and File and Line are "?".
site(#{sites := Sites}, N) when N =< length(Sites) -> lists:nth(N, Sites);
site(_, _) -> {none, "?", "?", "?"}.

%% The sites of a trace, named from the debug info by the library's
%% addr2line (from the symbol table where there is none: a library built
%% without -g).
sites(#{symbols := Symbols} = Ctx, Trace) ->
    [case addr2line(Ctx, Offset) of
         {"??", _} -> {Kind, function(Symbols, Offset), "?", "?"};
         {Function, Where} ->
             case string:split(filename:basename(Where), ":") of
                 [File, Line] -> {Kind, Function, File, hd(string:lexemes(Line, " "))};
                 _ -> {Kind, Function, "?", "?"}
             end
     end || {Kind, Offset} <- Trace].

%% {InnermostFunction, "path/file.c:LINE"} of an address, from the
%% library's resolver.
addr2line(#{addr2line := Resolver}, Offset) ->
    Resolver ! {self(), Offset},
    receive {Resolver, Answer} -> Answer
    after 10000 -> erlang:error(addr2line_silent)
    end.

%% A process that owns an addr2line for the library: it answers each
%% address read from its input, and the address 0 sent after it marks
%% where the answer ends. Line-buffered: to a pipe, addr2line would hold
%% its answers back.
resolver(So) ->
    Port = open_port({spawn_executable, os:find_executable("stdbuf")},
                     [{args, ["-oL", "addr2line", "-a", "-f", "-i", "-e", So]},
                      {line, 4096}, use_stdio]),
    resolve(Port).

resolve(Port) ->
    receive
        {From, Offset} ->
            true = port_command(Port, io_lib:format("0x~.16b~n0~n", [Offset])),
            From ! {self(), case addr2line_lines(Port, []) of
                                [_Address, Function, Where | _] -> {Function, Where};
                                _ -> {"??", "?"}
                            end},
            resolve(Port)
    end.

addr2line_lines(Port, Acc) ->
    case addr2line_line(Port) of
        "0x0000000000000000" -> % then "??" and "??:0"
            _ = [addr2line_line(Port) || _ <- [function, where]],
            lists:reverse(Acc);
        Line ->
            addr2line_lines(Port, [Line | Acc])
    end.

addr2line_line(Port) ->
    receive {Port, {data, {eol, Line}}} -> Line end.

function(Symbols, Offset) ->
    case ets:prev(Symbols, Offset + 1) of
        '$end_of_table' -> "??";
        Addr -> [{_, Name}] = ets:lookup(Symbols, Addr), Name
    end.

%%% The library's whole life

%% A fresh copy of oom_load.so is armed from the moment it is mapped (by
%% the file beside it: see oom_wrap.c), so its load hook, the start of its
%% thread pool by a first pooled job, a job on a thread of its own and its
%% unload all run armed; unmapped, it writes what it saw and what is still
%% live beside itself. Each run loads a fresh copy of the library (and of
%% the module, which holds at most one).
load_lifecycle_test_() ->
    {timeout, 120, fun load_lifecycle/0}.

load_lifecycle() ->
    {ok, Path} = cnif:priv_path(oom_load, "oom_load"),
    Ctx = library(Path ++ ".so"),
    {oom_load, Beam, BeamFile} = code:get_object_code(oom_load),
    Tmp = filename:join(filename:dirname(Path), "lifecycle"),
    _ = file:del_dir_r(Tmp),
    ok = filelib:ensure_path(Tmp),
    Life = fun(N, Mode) -> life(Ctx, {Tmp, Beam, BeamFile}, N, Mode) end,
    try
        Base0 = #{outcome := Outcome, trace := Trace} = Life(0, single),
        Outcome =:= {{ok, ok}, [{ok, 4950}, {ok, 4950}]} orelse
            erlang:error({baseline, load_lifecycle, Outcome}),
        ?assertEqual([], maps:get(problems, Base0)),
        Base = Base0#{sites => sites(Ctx, Trace)},
        Runs = lists:append([life_sweep(Life, Base, Mode, 1, []) || Mode <- [single, sticky]]),
        conclude(load_lifecycle, Base, Runs)
    after
        _ = code:purge(oom_load),
        cleanup(Ctx)
    end.

life_sweep(_, _, Mode, N, Acc) when N > ?MAX_N ->
    lists:reverse([#{mode => Mode, n => N, problems => [no_end]} | Acc]);
life_sweep(Life, #{sites := Sites} = Base, Mode, N, Acc) ->
    Site = site(Base, N),
    case known_run(load_lifecycle, Mode, Site) of
        {skip, Id} ->
            Run = #{mode => Mode, n => N, kind => element(1, Site), skipped => Id},
            case N < length(Sites) of
                true -> life_sweep(Life, Base, Mode, N + 1, [Run | Acc]);
                false -> lists:reverse([Run | Acc])
            end;
        Known ->
            verbose("~n    load_lifecycle ~s N=~b ~s in ~s", [Mode, N, element(1, Site), element(2, Site)]),
            Run = (Life(N, Mode))#{known => Known},
            case Run of
                #{fired := 0} -> lists:reverse([Run#{last => true} | Acc]);
                _ -> life_sweep(Life, Base, Mode, N + 1, [Run | Acc])
            end
    end.

%% One life of a fresh copy of the library, armed at N.
life(Ctx, {Tmp, Beam, BeamFile}, N, Mode) ->
    Id = integer_to_list(N) ++ [$s || Mode =:= sticky],
    Copy = filename:join(Tmp, "oom_load_" ++ Id),
    Report = Copy ++ ".so.report",
    {ok, _} = file:copy(maps:get(so, Ctx), Copy ++ ".so"),
    ok = file:write_file(Copy ++ ".so.arm", Id),
    _ = code:purge(oom_load),
    _ = code:delete(oom_load),
    _ = code:purge(oom_load),
    {module, oom_load} = code:load_binary(oom_load, BeamFile, Beam),
    Load = outcome(fun() -> oom_load:load(Copy) end),
    {Calls, Trace} =
        case Load of
            {ok, ok} ->
                {[outcome(fun() -> job(oom_load:pool_sum_nif(100)) end),
                  outcome(fun() -> job(oom_load:thread_sum_nif(100)) end)],
                 oom_load:oom_trace_nif()};
            _ ->
                {[], []}
        end,
    _ = code:delete(oom_load),
    _ = code:purge(oom_load), % the library is unloaded once its threads end
    Outcome = {Load, Calls},
    case wait_until(fun() -> filelib:is_regular(Report) end, 1000)
        andalso file:consult(Report) of
        {ok, [{Seen, Fired, Kind, Live}]} ->
            Leaks = [{K, V} || {K, V} <- Live, V =/= 0],
            #{mode => Mode, n => N, kind => Kind, seen => Seen, fired => Fired,
              outcome => Outcome, trace => Trace,
              problems => life_problems(Outcome, Fired) ++ [{leak, Leaks} || Leaks =/= []]};
        Other ->
            #{mode => Mode, n => N, kind => unknown, fired => 1, outcome => Outcome,
              trace => Trace, problems => [{never_unloaded, Other}]}
    end.

%% A load fails with the hook's panic, as {error, {load, "cnif: load hook
%% panicked at file.c:LINE: Message"}}; each job completes, or ends as a
%% call to a feature's NIF would.
life_problems({Load, Calls}, Fired) ->
    Job = #{phases => [decode, call, encode], expect => fun({ok, 4950}) -> true end},
    load_problems(Load)
    ++ lists:append([element(1, judge(Job, #{}, sticky, none, C, none)) || C <- Calls])
    ++ [{completed_differently, {Load, Calls}}
        || Fired =:= 0, {Load, Calls} =/= {{ok, ok}, [{ok, 4950}, {ok, 4950}]}].

load_problems({ok, ok}) ->
    [];
load_problems({ok, {error, {load, Text}}} = Load) ->
    Panic = "^cnif: load hook panicked at [A-Za-z0-9_]+\\.c:[0-9]+: (" ++ ?OOM ++ ")",
    %% erts's own text stands when not even the message could be made.
    [{load, Load} || not matches(Text, Panic),
                     Text =/= "Library load-call unsuccessful (-1)."];
load_problems(Load) ->
    [{load, Load}].

%%% One run

%% Arm, call, disarm in a process of its own: {Outcome, {Seen, Fired, Kind}}.
attempt(F, N, Sticky) ->
    Parent = self(),
    Setup = maps:get(setup, F, fun() -> none end),
    After = maps:get(teardown, F, fun(_) -> ok end),
    Call = maps:get(call, F),
    {Pid, Ref} =
        spawn_monitor(
          fun() ->
                  State = Setup(),
                  ?M:oom_arm(N, Sticky),
                  Outcome = outcome(fun() -> call(Call, State) end),
                  Stats = ?M:oom_disarm(),
                  After(State),
                  Parent ! {self(), sanitize(Outcome), Stats}
          end),
    receive
        {Pid, Outcome, Stats} ->
            receive {'DOWN', Ref, process, Pid, _} -> ok end,
            {Outcome, Stats};
        {'DOWN', Ref, process, Pid, Reason} ->
            _ = ?M:oom_disarm(),
            {{crashed, Reason}, {0, 1, unknown}}
    after 20000 ->
            exit(Pid, kill),
            {timeout, ?M:oom_disarm()}
    end.

call(Call, _) when is_function(Call, 0) -> Call();
call(Call, State) -> Call(State).

%% {ok, Value}, {badarg, Cause} (with error_info), badarg (plain),
%% {panic, Info}, {error, Reason} or {Class, Reason}.
outcome(Fun) ->
    try Fun() of
        Value -> {ok, Value}
    catch
        error:badarg:Stack ->
            case [C || {_, _, _, Info} <- lists:sublist(Stack, 1),
                       {error_info, #{cause := C}} <- Info] of
                [Cause] -> {badarg, Cause};
                [] -> badarg
            end;
        error:{nif_panicked, Info} -> {panic, Info};
        error:Reason -> {error, Reason};
        Class:Reason -> {Class, Reason}
    end.

%% The outcome without references or shared binaries: once the call's
%% process is gone, nothing may keep its resources alive.
sanitize(T) when is_reference(T) -> ref;
sanitize(T) when is_binary(T) -> binary:copy(T);
sanitize(T) when is_tuple(T) -> list_to_tuple(sanitize(tuple_to_list(T)));
sanitize(T) when is_map(T) -> maps:from_list(sanitize(maps:to_list(T)));
sanitize([H | T]) -> [sanitize(H) | sanitize(T)];
sanitize(T) -> T.

%%% What is live

live() -> ?M:oom_live().
live(What) -> proplists:get_value(What, live()).

%% What is live once it stops changing.
settled() ->
    erlang:garbage_collect(),
    settled(live(), 200).

settled(Live, 0) -> Live;
settled(Live, Tries) ->
    timer:sleep(5),
    case live() of
        Live -> Live;
        Other -> settled(Other, Tries - 1)
    end.

%% The differences from the baseline once the run's terms are gone, and the
%% baseline for the next run: what is live now, so one leak is reported
%% once. Destructors and job threads finish asynchronously: what is live is
%% final once it stops changing for 100 ms (2 s at most).
leaks(Base) ->
    erlang:garbage_collect(),
    Ok = fun(Live) -> Live =:= Base end,
    Live = final(Ok, live(), erlang:monotonic_time(millisecond), 2000),
    case Ok(Live) of
        true -> {[], Base};
        false -> {[{leak, [{K, V - B} || {{K, V}, {K, B}} <- lists:zip(Live, Base), V =/= B]}], Live}
    end.

final(Ok, Live, Since, Left) ->
    Now = erlang:monotonic_time(millisecond),
    case Ok(Live) orelse Now - Since >= 100 orelse Left =< 0 of
        true -> Live;
        false ->
            timer:sleep(1),
            case live() of
                Live -> final(Ok, Live, Since, Left - 1);
                Other -> final(Ok, Other, erlang:monotonic_time(millisecond), Left - 1)
            end
    end.

wait_until(Pred) -> wait_until(Pred, 2000) orelse erlang:error(timeout).

wait_until(Pred, Ms) ->
    Deadline = erlang:monotonic_time(millisecond) + Ms,
    wait_until_deadline(Pred, Deadline).

wait_until_deadline(Pred, Deadline) ->
    case Pred() of
        true -> true;
        false ->
            case erlang:monotonic_time(millisecond) >= Deadline of
                true -> false;
                false -> timer:sleep(1), wait_until_deadline(Pred, Deadline)
            end
    end.

%%% The verdict

%% One line per feature and mode; every problem with the site that failed;
%% the test fails on any problem known/3 does not excuse.
conclude(Name, #{seen := Seen} = Base, Runs) ->
    [io:format(user, "~n  ~-24s ~-6s ~3b allocations, N=1..~b: ~s",
               [Name, Mode, Seen, length(Rs), tally(Rs)])
     || Mode <- [single, sticky], Rs <- [[R || #{mode := M} = R <- Runs, M =:= Mode]]],
    Bad = [{R, [P || P <- Ps, not excused(K, P)]}
           || #{problems := [_ | _] = Ps, known := K} = R <- Runs],
    [io:format(user, "~n    ~s ~s N=~b ~s at ~s: ~0tp~s",
               [case {Unexcused, K} of
                    {[], {report, Ids, _}} -> ["KNOWN-DEFECT ", Ids];
                    _ -> "PROBLEM"
                end, M, N, maps:get(kind, R), where(Base, N), Ps, outcome_text(R)])
     || {#{mode := M, n := N, problems := Ps, known := K} = R, Unexcused} <- Bad],
    ?assertEqual([], [{M, N, U} || {#{mode := M, n := N}, [_ | _] = U} <- Bad]).

excused({report, _, Excused}, Problem) -> Excused(Problem);
excused(_, _) -> false.

where(Base, N) ->
    {_, Function, File, Line} = site(Base, N),
    Function ++ " (" ++ File ++ ":" ++ Line ++ ")".

outcome_text(#{outcome := O}) -> io_lib:format("~n      outcome ~0tP", [O, 30]);
outcome_text(_) -> "".

%% How the failed runs ended: a panic (a load hook's too), plain badarg, as
%% if nothing had failed (absorbed), or with an exception the feature
%% raises (shown only where there is one); and how many were skipped.
tally(Runs) ->
    Ends = [ending(O) || #{outcome := O} = R <- Runs, not maps:is_key(last, R)],
    Raised = length([E || E <- Ends, E =:= raised]),
    io_lib:format("~b panic, ~b badarg, ~b absorbed, ~s~b skipped",
                  [length([E || E <- Ends, E =:= panic]),
                   length([E || E <- Ends, E =:= badarg]),
                   length([E || E <- Ends, E =:= absorbed]),
                   [io_lib:format("~b raised, ", [Raised]) || Raised > 0],
                   length([R || #{skipped := _} = R <- Runs])]).

ending(#{raises := Raises}, Outcome) ->
    case lists:member(Outcome, Raises) of
        true -> raised;
        false -> ending(Outcome)
    end;
ending(_, Outcome) ->
    ending(Outcome).

ending({panic, _}) -> panic;
ending(panic) -> panic;
ending(raised) -> raised;
ending(badarg) -> badarg;
ending({{ok, {error, {load, _}}}, _}) -> panic;
ending({Load, Calls}) when is_list(Calls) ->
    case lists:usort([ending(C) || C <- [Load | Calls]]) of
        [absorbed] -> absorbed;
        Ends -> hd(Ends -- [absorbed])
    end;
ending(_) -> absorbed.
