%% cnif_reporter -- the process that turns failures with no caller (a
%% panicking resource destructor, down, stop or dyncall callback, an unload
%% hook) into OTP logger error reports. C code cannot call logger; it sends
%% {'$cnif_report', Report} to the process registered as cnif_reporter.
%% Reports carry no logger domain: the default handler drops domains other
%% than OTP's own.
%%
%% The on_load function cnif_transform generates calls ensure_started/0,
%% so the reporter runs as soon as any cnif library is loaded.
%%
%% Elixir's Logger drops every report whose map has a label it does not
%% know (only OTP's own are translated), so on a node running it the
%% reporter adds a Logger translator, translate/4, that writes cnif's.
%% From Elixir 1.15 on, translators run before every handler, and a
%% translated report reaches each as text: the report itself is then in
%% the event's metadata, as cnif_report.
-module(cnif_reporter).
-export([ensure_started/0, translate/4]).

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
            add_elixir_translator(),
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

add_elixir_translator() ->
    %% Whether Elixir's Logger runs: from Elixir 1.15 on, only its
    %% supervisor has a name.
    case code:ensure_loaded('Elixir.Logger') =:= {module, 'Elixir.Logger'}
         andalso whereis('Elixir.Logger.Supervisor') =/= undefined of
        true -> 'Elixir.Logger':add_translator({?MODULE, translate});
        false -> ok
    end.

%% An Elixir Logger translator: cnif's reports as text, all else to the
%% other translators.
-spec translate(atom(), atom(), atom(), term()) -> {ok, iodata(), [{cnif_report, map()}]} | none.
translate(_MinLevel, _Level, report, {logger, #{label := {cnif, _}} = Report}) ->
    {ok, io_lib:format("~tp", [Report]), [{cnif_report, Report}]};
translate(_MinLevel, _Level, _Kind, _Message) ->
    none.
