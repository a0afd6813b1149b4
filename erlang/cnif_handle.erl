%% cnif_handle -- resources of an isolated module, on the caller's side. A
%% resource a worker returns (or sends) stays in the worker (cnif_worker
%% keeps it); the caller gets a handle in its place: a resource of this
%% node, made by cnif_handle.c, that holds {Pool, Worker, Key, Slot, Ref}.
%%   - wrap/4 puts handles in a result in place of the worker's references;
%%   - unwrap/1 puts the references back into a call's arguments and says
%%     which worker the call must go to (the one that holds them);
%%   - when a handle is garbage collected, its destructor sends
%%     {'$cnif_release', Worker, Key} to the pool, which has the worker let
%%     the resource go.
-module(cnif_handle).
-export([wrap/4, unwrap/1]).
-on_load(load/0).
-nifs([new_nif/1, info_nif/1]).

load() ->
    case cnif:priv_path(?MODULE, "cnif_handle") of
        {ok, Path} -> cnif:load_result(erlang:load_nif(cnif:load_path(Path), cnif:load_info(?MODULE, [])));
        Error -> Error
    end.

%% The NIFs (CNIF_EXPORT names them F_nif).
new_nif(_Info) -> erlang:nif_error({not_loaded, ?MODULE}).
info_nif(_Handle) -> erlang:nif_error({not_loaded, ?MODULE}).

%% Term with a handle in place of each reference Kept names, and of each
%% reference Back names (the handles of the call's own arguments, which
%% the caller keeps): Kept = [{Key, Ref}] from the worker Worker in slot
%% Slot of pool Pool.
-spec wrap(term(), [{pos_integer(), reference()}], {pid(), pid(), pos_integer()},
           #{reference() => reference()}) -> term().
wrap(Term, [], _Where, Back) when map_size(Back) =:= 0 ->
    Term;
wrap(Term, Kept, {Pool, Worker, Slot}, Back) ->
    Handles = maps:merge(Back, maps:from_list([{Ref, new_nif({Pool, Worker, Key, Slot, Ref})}
                                               || {Key, Ref} <- Kept])),
    replace(Term, fun(Ref) -> maps:get(Ref, Handles, Ref) end).

%% Args with the worker's reference in place of each handle; where the
%% call must go: none (no handles), {Worker, Slot}, or {apart, Workers}
%% if the handles are of more than one worker; and each such reference
%% mapped back to its handle.
-spec unwrap([term()]) -> {[term()], none | {pid(), pos_integer()} | {apart, [pid()]},
                           #{reference() => reference()}}.
unwrap(Args) ->
    case handles(Args, []) of
        [] ->
            {Args, none, #{}};
        Found ->
            Refs = maps:from_list([{Handle, Ref} || {Handle, {_, _, _, _, Ref}} <- Found]),
            Where = case lists:usort([{Worker, Slot} || {_, {_, Worker, _, Slot, _}} <- Found]) of
                        [One] -> One;
                        Many -> {apart, [Worker || {Worker, _} <- Many]}
                    end,
            {replace(Args, fun(Handle) -> maps:get(Handle, Refs, Handle) end), Where,
             maps:from_list([{Ref, Handle} || {Handle, Ref} <- maps:to_list(Refs)])}
    end.

%% The handles in Term, each with its information.
handles(Ref, Acc) when is_reference(Ref) ->
    %% A reference that is no handle is reported as a bad argument, which
    %% a cnif NIF returns as a value.
    case info_nif(Ref) of
        {Pool, _, _, _, _} = Info when is_pid(Pool) -> [{Ref, Info} | Acc];
        _ -> Acc
    end;
handles([H | T], Acc) ->
    handles(T, handles(H, Acc));
handles(Tuple, Acc) when is_tuple(Tuple) ->
    handles(tuple_to_list(Tuple), Acc);
handles(Map, Acc) when is_map(Map) ->
    handles(maps:to_list(Map), Acc);
handles(_Other, Acc) ->
    Acc.

%% Term with each reference R in it replaced by Fun(R).
replace(Ref, Fun) when is_reference(Ref) ->
    Fun(Ref);
replace([H | T], Fun) ->
    [replace(H, Fun) | replace(T, Fun)];
replace(Tuple, Fun) when is_tuple(Tuple) ->
    list_to_tuple(replace(tuple_to_list(Tuple), Fun));
replace(Map, Fun) when is_map(Map) ->
    maps:from_list(replace(maps:to_list(Map), Fun));
replace(Other, _Fun) ->
    Other.
