%% cnif_reporter -- the process that turns failures with no caller (a
%% panicking resource destructor, down, stop or dyncall callback, an unload
%% hook) into OTP logger error reports. C code cannot call logger; it sends
%% {'$cnif_report', Report} to the process registered as cnif_reporter.
%% Reports carry no logger domain: the default handler drops domains other
%% than OTP's own.
%%
%% The on_load function cnif_transform generates calls ensure_started/0,
%% so the reporter runs as soon as any cnif library is loaded.
-module(cnif_reporter).
-export([ensure_started/0]).

-spec ensure_started() -> ok.
ensure_started() ->
    case whereis(cnif_reporter) of
        undefined ->
            Parent = self(),
            Pid = spawn(fun() -> init(Parent) end),
            %% Wait until it is registered (or lost a race to another one),
            %% so reports from this very load find it.
            MRef = monitor(process, Pid),
            receive
                {Pid, started} -> demonitor(MRef, [flush]), ok;
                {'DOWN', MRef, process, Pid, _} -> ok
            end;
        _ ->
            ok
    end.

init(Parent) ->
    try register(cnif_reporter, self()) of
        true ->
            Parent ! {self(), started},
            loop()
    catch
        error:badarg -> ok   % another reporter registered first
    end.

loop() ->
    receive
        {'$cnif_report', Report} ->
            logger:error(Report),
            loop();
        _Other ->
            loop()
    end.
