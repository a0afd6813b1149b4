%% cnif_worker -- the code a worker of an isolated cnif module runs: a BEAM
%% of its own, started by cnif_pool_worker behind a port, that loads the
%% module and its NIF library in process and runs the calls it is sent.
%%
%% The port is on file descriptors 3 and 4 (nouse_stdio), in packets of
%% term_to_binary, so that what the worker prints (a crash report, a
%% logger line) goes to the origin's standard output and error instead of
%% into the protocol. Requests:
%%   {boot, Module, Secret}    load Module; answer ready or {load_failed, E}
%%   {call, Caller, F, Args}   run Module:F(Args...) for the caller Caller
%%   {release, Key}            the caller's handle Key is gone: let go
%%   {caller_down, Caller}     the caller died: drop its proxy
%%   stop                      the pool stops: exit, cleanly
%% Answers, after their boot: a reply, [0 | term_to_binary(Outcome)], and
%% a message to a caller, [1 | term_to_binary({Caller, Term, Kept})]; the
%% origin passes a reply on to its caller undecoded. A caller is its pid
%% on the origin, which here is a name and nothing else: nothing is sent
%% to it.
%%
%% Resources: the library lists the resources a result or a message holds
%% (its '$cnif_resources'/1, which only a worker's library has, since
%% Erlang cannot tell a resource from a reference). Each is kept here
%% under a key, in Kept = [{Key, Resource}], until the caller's handle to
%% it is garbage collected. The caller gets the resource's reference,
%% which names the same resource when it comes back as an argument, as
%% long as it is kept.
%%
%% Each caller has a proxy process here, which makes its calls: a NIF's
%% enif_self() is the proxy, so a message the NIF sends to its caller (a
%% threaded NIF's reply, cnif_send) reaches the proxy, which forwards it.
-module(cnif_worker).
-export([main/0]).

-spec main() -> no_return().
main() ->
    Port = open_port({fd, 3, 4}, [{packet, 4}, binary, eof]),
    receive
        {Port, {data, Boot}} ->
            {boot, Module, Secret} = binary_to_term(Boot),
            %% The library's bad-argument reports must carry the origin's
            %% secret, which the origin's wrapper checks.
            persistent_term:put({cnif_secret, Module}, Secret),
            persistent_term:put(cnif_worker, true),
            case code:ensure_loaded(Module) of
                {module, Module} ->
                    ets:new(cnif_worker_kept, [named_table, public]),
                    answer(Port, ready),
                    loop(Port, Module, #{});
                {error, What} ->
                    answer(Port, {load_failed, What}),
                    erlang:halt(0)
            end;
        {Port, eof} ->
            erlang:halt(0)
    end.

%% The origin went away (or stopped the worker): nothing is left to do. A
%% hung call on another scheduler does not keep the worker alive.
loop(Port, Module, Proxies) ->
    receive
        {Port, {data, Request}} ->
            loop(Port, Module, handle(binary_to_term(Request), Port, Module, Proxies));
        {Port, eof} ->
            erlang:halt(0, [{flush, false}]);
        {'EXIT', _, _} ->
            loop(Port, Module, Proxies)
    end.

handle({call, Caller, F, Args}, Port, Module, Proxies) ->
    {{Proxy, Tag}, Proxies1} = proxy(Caller, Port, Module, Proxies),
    Proxy ! {Tag, F, Args},
    Proxies1;
handle(stop, _Port, _Module, _Proxies) ->
    erlang:halt(0);
handle({release, Key}, _Port, _Module, Proxies) ->
    ets:delete(cnif_worker_kept, Key),
    Proxies;
handle({caller_down, Caller}, _Port, _Module, Proxies) ->
    case maps:take(Caller, Proxies) of
        {{Proxy, _Tag}, Proxies1} -> exit(Proxy, kill), Proxies1;
        error -> Proxies
    end.

%% A call reaches its proxy tagged with a reference of the proxy's own:
%% any other message the proxy gets was sent to the caller, whatever its
%% shape.
proxy(Caller, Port, Module, Proxies) ->
    case Proxies of
        #{Caller := Proxy} ->
            {Proxy, Proxies};
        #{} ->
            Tag = make_ref(),
            Proxy = {spawn(fun() -> proxy_loop(Port, Module, Caller, Tag) end), Tag},
            {Proxy, Proxies#{Caller => Proxy}}
    end.

proxy_loop(Port, Module, Caller, Tag) ->
    receive
        {Tag, F, Args} ->
            Outcome = run(Module, F, Args),
            %% What the call sent its caller goes first: it is there when
            %% the call returns, as in process.
            forward_sent(Port, Module, Caller),
            port_command(Port, [0 | term_to_binary(Outcome)]);
        Message ->
            forward(Port, Module, Caller, Message)
    end,
    proxy_loop(Port, Module, Caller, Tag).

%% Forwards every message the proxy has; none is a call, since its caller
%% makes one call at a time.
forward_sent(Port, Module, Caller) ->
    receive
        Message ->
            forward(Port, Module, Caller, Message),
            forward_sent(Port, Module, Caller)
    after 0 ->
        ok
    end.

forward(Port, Module, Caller, Message) ->
    port_command(Port, [1 | term_to_binary({Caller, Message, keep(Module, Message, [])})]).

%% The outcome of a call as the origin re-raises it: a value, or an
%% exception's class and reason (the worker's stack means nothing there).
run(Module, F, Args) ->
    try
        %% The NIF stubs are local functions: '$cnif_call' is their door.
        Value = Module:'$cnif_call'(F, Args),
        {value, Value, keep(Module, Value, Args)}
    catch
        Class:Reason -> {raised, Class, Reason}
    end.

%% The resources Term holds, but those that came in Args (the caller has
%% handles to those), kept under new keys.
keep(Module, Term, Args) ->
    case Module:'$cnif_resources'(Term) of
        [] ->
            [];
        Found ->
            Kept = [{erlang:unique_integer([positive]), Resource}
                    || Resource <- Found -- Module:'$cnif_resources'(Args)],
            ets:insert(cnif_worker_kept, Kept),
            Kept
    end.

answer(Port, Term) ->
    port_command(Port, term_to_binary(Term)).
