%% cnif_reporter -- the process that turns failures with no caller (a
%% panicking resource destructor, down, stop or dyncall callback, an unload
%% hook) into OTP logger error reports. C code cannot call logger; it sends
%% {'$cnif_report', Report} to the process registered as cnif_reporter.
%% Reports carry no logger domain: the default handler drops domains other
%% than OTP's own.
%%
%% It is a worker of the cnif application's supervisor (cnif_sup), so a
%% reporter that is killed is started again and the next report is logged,
%% not lost. The on_load function cnif_transform generates calls
%% ensure_started/0, so it runs as soon as any cnif library is loaded.
%% Where the cnif application cannot be started (its .app file is not on
%% the code path), the reporter runs on its own, unsupervised.
%%
%% Elixir's Logger drops every report whose map has a label it does not
%% know (only OTP's own are translated), so on a node running it the
%% reporter adds a Logger translator, translate/4, that writes cnif's.
%% From Elixir 1.15 on, translators run before every handler, and a
%% translated report reaches each as text: the report itself is then in
%% the event's metadata, as cnif_report.
-module(cnif_reporter).
-behaviour(gen_server).
-export([ensure_started/0, start_link/0, translate/4]).
-export([init/1, handle_call/3, handle_cast/2, handle_info/2]).

-spec ensure_started() -> ok.
ensure_started() ->
    case whereis(cnif_reporter) of
        undefined -> start();
        _ -> ok
    end.

start() ->
    case application:ensure_all_started(cnif) of
        {ok, _} ->
            ok;
        {error, _} ->
            %% Started elsewhere in the meantime, or on its own.
            case gen_server:start({local, cnif_reporter}, ?MODULE, [], []) of
                {ok, _} -> ok;
                {error, {already_started, _}} -> ok
            end
    end.

%% Called by cnif_sup.
-spec start_link() -> {ok, pid()} | {error, term()}.
start_link() ->
    gen_server:start_link({local, cnif_reporter}, ?MODULE, [], []).

init([]) ->
    add_elixir_translator(),
    {ok, no_state}.

handle_call(_Request, _From, State) ->
    {reply, {error, unknown_request}, State}.

handle_cast(_Request, State) ->
    {noreply, State}.

handle_info({'$cnif_report', Report}, State) ->
    logger:error(Report),
    {noreply, State};
handle_info(_Other, State) ->
    {noreply, State}.

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
