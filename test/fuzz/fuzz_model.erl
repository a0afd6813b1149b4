%% fuzz_model -- the oracle of `make fuzz`: what each NIF of
%% test/fuzz/fuzz_nif.c must do with a term, worked out in Erlang from what
%% include/cnif.h documents, independently of the C code.
%%
%% Each NIF is described by the schemas of its arguments (nifs/0). For a
%% term, decode/3 gives either {ok, Encoded}, the term the NIF must return
%% for it (a decode followed by an encode), or {error, Path, Why}: the
%% report the NIF must raise, Path being the segments from the argument
%% down to the rejected subterm (outermost first) and Why one of
%%   {got, Subterm}  "expected ..., got: Subterm" for the subterm at Path
%%   depth           "nested deeper than CNIF_MAX_DEPTH levels"
%%   unknown_key     a map key that names no field (.reject_unknown)
%% Path segments: {i, N} is "[N]" (a list or tuple element, a result's
%% payload, a map value of a cnif_value), {k, Name} is ".Name" (a struct
%% field, a union payload, the tail of an improper list), {key, N} is the
%% N-th key of a map in a cnif_value, which cnif does not name in the path.
%%
%% Reading the path back (follow/3) must reach the subterm the report
%% names: that is how the fuzzer checks that a path points into the term.
-module(fuzz_model).
-export([nifs/0, schema/1, expect/2, decode/3, follow/3, path_text/1,
         parse_path/1, max_depth/0, path_max/0, same/2, utf8_valid/1]).

-define(FLT_MAX, 3.4028234663852886e38).
-define(INT64, {-(1 bsl 63), (1 bsl 63) - 1}).
-define(CONT(B), B >= 16#80, B =< 16#BF).

%% CNIF_MAX_DEPTH and CNIF_PATH_MAX of the library under test (cnif.h
%% section 1); a build with other values says so through the environment.
max_depth() -> persistent_term:get(fuzz_max_depth, 512).
path_max() -> persistent_term:get(fuzz_path_max, 32).

%% {Nif, ArgumentSchemas, Result}: Result is how the NIF's return value is
%% made from the decoded arguments (echo: the one argument encoded again).
nifs() ->
    case persistent_term:get(fuzz_nifs, undefined) of
        undefined ->
            Nifs = make_nifs(),
            persistent_term:put(fuzz_nifs, Nifs),
            Nifs;
        Nifs ->
            Nifs
    end.

make_nifs() ->
    Ints = [{Name, [int_schema(Name)], echo}
            || Name <- [int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                        uint32_t, uint64_t, int, unsigned, long, size_t,
                        ssize_t]],
    [{echo(N), S, R} || {N, S, R} <- Ints] ++
    [{echo(T), [schema(T)], echo}
     || T <- [double, float, bool, cnif_atom, cnif_bin, cnif_iodata, cnif_str,
              cnif_iotext, cnif_cstr,
              cnif_tuple, cnif_map, cnif_pid, cnif_ref, cnif_term, cnif_value,
              color, cnif_array_int64_t, cnif_array_uint8_t,
              cnif_array_double, cnif_array_bool, cnif_array_cnif_str,
              cnif_array_cnif_atom, cnif_array_cnif_array_int32_t,
              point, point_lax, point_ex, point_rec, point_tup,
              cnif_array_point_rec, shape, num, expr, maybe_int, opt_point,
              res_u16, status, doc, doc_rec, tree]] ++
    [{res_get, [counter_value], echo},
     {echo_res, [counter], echo},
     {bin_new_size, [size], size},
     {bin_alloc_size, [size], size},
     {bin_sub, [bin, size, size], sub},
     {echo_value_dirty, [value], echo},
     {echo_value_job, [value], job},
     {echo_map_thread, [map], job},
     {make_triple, [schema(uint8_t), schema(double), schema(cnif_str)], tuple}].

echo(T) -> list_to_atom("echo_" ++ atom_to_list(T)).

int_schema(T) ->
    {Lo, Hi} = case T of
                   int8_t -> {-128, 127};
                   int16_t -> {-32768, 32767};
                   int32_t -> {-(1 bsl 31), (1 bsl 31) - 1};
                   int -> {-(1 bsl 31), (1 bsl 31) - 1};
                   uint8_t -> {0, 255};
                   uint16_t -> {0, 65535};
                   uint32_t -> {0, (1 bsl 32) - 1};
                   unsigned -> {0, (1 bsl 32) - 1};
                   uint64_t -> {0, (1 bsl 64) - 1};
                   size_t -> {0, (1 bsl 64) - 1};
                   _ -> ?INT64 % int64_t, long, ssize_t on LP64
               end,
    {int, Lo, Hi}.

%% The schema of each C type of fuzz_nif.c.
schema(T) when T =:= int8_t; T =:= int16_t; T =:= int32_t; T =:= int64_t;
               T =:= uint8_t; T =:= uint16_t; T =:= uint32_t;
               T =:= uint64_t; T =:= int; T =:= unsigned; T =:= long;
               T =:= size_t; T =:= ssize_t ->
    int_schema(T);
schema(double) -> double;
schema(float) -> float;
schema(bool) -> bool;
schema(cnif_atom) -> atom;
schema(cnif_bin) -> bin;
schema(cnif_iodata) -> iodata;
schema(cnif_str) -> str;
schema(cnif_iotext) -> iotext;
schema(cnif_cstr) -> cstr;
schema(cnif_tuple) -> tuple;
schema(cnif_map) -> map;
schema(cnif_pid) -> pid;
schema(cnif_ref) -> ref;
schema(cnif_term) -> term;
schema(cnif_value) -> value;
schema(color) -> {enum, [red, green, blue]};
schema(cnif_array_int64_t) -> {array, schema(int64_t)};
schema(cnif_array_uint8_t) -> {array, schema(uint8_t)};
schema(cnif_array_double) -> {array, double};
schema(cnif_array_bool) -> {array, bool};
schema(cnif_array_cnif_str) -> {array, str};
schema(cnif_array_cnif_atom) -> {array, atom};
schema(cnif_array_cnif_array_int32_t) -> {array, {array, schema(int32_t)}};
schema(point) -> {struct, map, point_fields(7), reject};
schema(point_lax) -> {struct, map, point_fields(0), lax};
schema(point_ex) -> {struct, {ex, 'Elixir.Fuzz.Point'}, point_fields(0), reject};
schema(point_rec) -> {struct, {record, point}, point_fields(0), lax};
schema(point_tup) -> {struct, tuple, point_fields(0), lax};
schema(cnif_array_point_rec) -> {array, schema(point_rec)};
schema(rect) -> {struct, map, [{w, double, required}, {h, double, required}], lax};
schema(shape) ->
    {union, [{empty, none}, {circle, double}, {rect, schema(rect)},
             {at, schema(point_rec)}, {bytes, schema(cnif_array_uint8_t)}]};
schema(num) -> {one_of, [schema(int64_t), double, schema(point_rec), str]};
schema(expr) -> expr;
schema(maybe_int) -> {optional, undefined, schema(int64_t)};
schema(opt_point) -> {optional, nil, schema(point)};
schema(res_u16) -> {result, schema(uint16_t), atom};
schema(status) -> {status, str};
schema(inner) ->
    {struct, map, [{flag, bool, required},
                   {level, schema(uint8_t), {default, 0}}], lax};
schema(doc) -> {struct, map, doc_fields(), lax};
schema(doc_rec) -> {struct, {record, doc}, doc_fields(), lax};
schema(tree) -> tree.

%% {Key, Schema, required | {default, Encoded}}, in declaration order.
point_fields(ZDefault) ->
    [{x, double, required}, {y, double, required},
     {z, schema(int32_t), {default, ZDefault}}].

doc_fields() ->
    [{name, str, required},
     {ink, schema(color), {default, blue}},
     {pts, schema(cnif_array_point_rec), required},
     {origin, schema(point_tup), required},
     {weight, schema(maybe_int), {default, undefined}},
     {tags, schema(cnif_array_cnif_atom), {default, []}},
     {outline, schema(shape), required},
     {meta, schema(inner), {default, #{flag => true, level => 3}}},
     {state, schema(res_u16), required}].

%% The recursive types, unfolded one level at a time.
unfold(expr) -> {one_of, [schema(int64_t), {array, expr}]};
unfold(tree) ->
    {struct, map, [{v, schema(int16_t), required},
                   {kids, {array, tree}, {default, []}}], lax}.

%% --- The expected outcome of a call ----------------------------------------

%% What a call must do: arguments are decoded in order and the first that
%% fails is reported as {reject, ArgNo, Path, Why}; with all decoded, the
%% call returns {accept, Return}, sends {accept_job, Return} from a job,
%% panics ({panic, MessagePrefix}), or either ({accept_or_panic, Return,
%% MessagePrefix}: whether memory can be had).
expect(Nif, Args) ->
    {Nif, Schemas, Result} = lists:keyfind(Nif, 1, nifs()),
    expect(Schemas, Args, 1, [], Result).

expect([], [], _, Outs, Result) -> result(Result, lists:reverse(Outs));
expect([S | Ss], [A | As], N, Outs, Result) ->
    case decode(S, A, 0) of
        {ok, Out} -> expect(Ss, As, N + 1, [Out | Outs], Result);
        {error, Path, Why} -> {reject, N, Path, Why}
    end.

result(echo, [Out]) -> {accept, Out};
result(tuple, Outs) -> {accept, list_to_tuple(Outs)};
result(job, [Out]) -> {accept_job, Out};
%% A binary of any size: up to 16 MB it is made; from 2^47 bytes (more
%% than an address space) it cannot be; in between, it depends.
result(size, [N]) when N =< 1 bsl 24 -> {accept, N};
result(size, [N]) when N >= 1 bsl 47 -> {panic, <<"out of memory">>};
result(size, [N]) -> {accept_or_panic, N, <<"out of memory">>};
result(sub, [Bin, Pos, Len]) when Pos + Len =< byte_size(Bin) ->
    {accept, binary:part(Bin, Pos, Len)};
result(sub, _) -> {panic, <<"sub-binary">>}.

got(T) -> {error, [], {got, T}}.

%% The bytes a text type decoded, if they are UTF-8; else T was rejected.
text({ok, B}, T) ->
    case utf8_valid(B) of
        true -> {ok, B};
        false -> got(T)
    end;
text(Error, _) -> Error.

%% Prefix a failure's path with one segment.
at(Seg, {error, Path, Why}) -> {error, [Seg | Path], Why};
at(_, Ok) -> Ok.

%% decode(Schema, Term, Depth): Depth is the number of nesting levels
%% entered above Term (arrays, structs and cnif_value nodes enter one).
decode({int, Lo, Hi}, T, _) when is_integer(T), T >= Lo, T =< Hi -> {ok, T};
decode({int, _, _}, T, _) -> got(T);
decode(size, T, D) -> decode({int, 0, (1 bsl 64) - 1}, T, D);
%% double: a float, or an integer in int64 or uint64 range, rounded.
decode(double, T, _) when is_float(T) -> {ok, T};
decode(double, T, _) when is_integer(T), T >= -(1 bsl 63), T < 1 bsl 64 ->
    {ok, float(T)};
decode(double, T, _) -> got(T);
%% float: the same, within single precision's finite range, rounded to it.
decode(float, T, D) ->
    case decode(double, T, D) of
        {ok, F} when abs(F) > ?FLT_MAX -> got(T);
        {ok, F} -> {ok, to_single(F)};
        Error -> Error
    end;
decode(bool, T, _) when is_boolean(T) -> {ok, T};
decode(bool, T, _) -> got(T);
decode(atom, T, _) when is_atom(T) ->
    case atom_has_text(T) of
        true -> {ok, T};
        false -> got(T)
    end;
decode(atom, T, _) -> got(T);
decode({enum, Names}, T, _) ->
    case lists:member(T, Names) of
        true -> {ok, T};
        false -> got(T)
    end;
decode(bin, T, _) when is_binary(T) -> {ok, T};
decode(bin, T, _) -> got(T);
decode(iodata, T, _) when is_binary(T) -> {ok, T};
decode(iodata, T, _) when is_list(T) ->
    try iolist_to_binary(T) of
        B -> {ok, B}
    catch
        error:badarg -> got(T)
    end;
decode(iodata, T, _) -> got(T);
decode(str, T, D) -> text(decode(bin, T, D), T);
decode(iotext, T, D) -> text(decode(iodata, T, D), T);
decode(cstr, T, D) ->
    case decode(str, T, D) of
        {ok, B} ->
            case binary:match(B, <<0>>) of
                nomatch -> {ok, B};
                _ -> got(T)
            end;
        Error -> Error
    end;
decode(tuple, T, _) when is_tuple(T) -> {ok, T};
decode(map, T, _) when is_map(T) -> {ok, T};
decode(pid, T, _) when is_pid(T), node(T) =:= node() -> {ok, T};
decode(ref, T, _) when is_reference(T) -> {ok, T};
decode(term, T, _) -> {ok, T};
decode(counter, T, _) ->
    case get({fuzz_counter, T}) of
        undefined -> got(T);
        _ -> {ok, T}
    end;
decode(counter_value, T, _) ->
    case get({fuzz_counter, T}) of
        undefined -> got(T);
        Value -> {ok, Value}
    end;
decode(value, T, D) ->
    case value(T, D) of
        ok -> {ok, T};
        Error -> Error
    end;
decode({array, S}, T, D) ->
    case {proper_list(T), D >= max_depth()} of
        {false, _} -> got(T);
        {true, true} -> {error, [], depth};
        {true, false} -> elements(S, T, 0, D + 1, none, [])
    end;
decode({struct, Form, Fields, Unknown}, T, D) ->
    case D >= max_depth() of
        true -> {error, [], depth};
        false -> struct(Form, Fields, Unknown, T, D + 1)
    end;
decode({union, Variants}, {Tag, Payload} = T, D) ->
    case lists:keyfind(Tag, 1, Variants) of
        {Tag, S} when S =/= none ->
            case at({k, atom_to_binary(Tag)}, decode(S, Payload, D)) of
                {ok, Out} -> {ok, {Tag, Out}};
                Error -> Error
            end;
        _ ->
            got(T)
    end;
decode({union, Variants}, T, _) ->
    case lists:keyfind(T, 1, Variants) of
        {T, none} -> {ok, T};
        _ -> got(T)
    end;
%% One-of: the first alternative that decodes; if none does, the first
%% that failed below the top of the term (it recognised the term), else a
%% failure for the whole term (with every alternative's expectation, a
%% reason such as "nested deeper than 512 levels" among them).
decode({one_of, Alternatives}, T, D) ->
    one_of([decode(S, T, D) || S <- Alternatives], T);
decode({optional, None, _}, None, _) -> {ok, None};
decode({optional, _, S}, T, D) -> decode(S, T, D);
decode({result, S, _}, {ok, P}, D) -> payload(ok, decode(S, P, D));
decode({result, _, E}, {error, P}, D) -> payload(error, decode(E, P, D));
decode({result, _, _}, T, _) -> got(T);
decode({status, _}, ok, _) -> {ok, ok};
decode({status, E}, {error, P}, D) -> payload(error, decode(E, P, D));
decode({status, _}, T, _) -> got(T);
decode(Recursive, T, D) when Recursive =:= expr; Recursive =:= tree ->
    decode(unfold(Recursive), T, D);
decode(_, T, _) -> got(T).

payload(Tag, {ok, Out}) -> {ok, {Tag, Out}};
payload(_, Error) -> at({i, 1}, Error).

one_of(Results, T) ->
    case [Out || {ok, Out} <- Results] of
        [Out | _] ->
            {ok, Out};
        [] ->
            case [E || {error, [_ | _], _} = E <- Results] of
                [Inside | _] -> Inside;
                [] -> got(T)
            end
    end.

%% A long list is often one term many times over: an element that is the
%% very term before it (not just equal: 0.0 =:= -0.0) decodes the same.
elements(_, [], _, _, _, Outs) -> {ok, lists:reverse(Outs)};
elements(S, [H | T], I, D, {Prev, Out} = Last, Outs) ->
    case erts_debug:same(H, Prev) of
        true -> elements(S, T, I + 1, D, Last, [Out | Outs]);
        false -> element(S, H, T, I, D, Outs)
    end;
elements(S, [H | T], I, D, none, Outs) ->
    element(S, H, T, I, D, Outs).

element(S, H, T, I, D, Outs) ->
    case decode(S, H, D) of
        {ok, Out} -> elements(S, T, I + 1, D, {H, Out}, [Out | Outs]);
        Error -> at({i, I}, Error)
    end.

proper_list([_ | T]) -> proper_list(T);
proper_list([]) -> true;
proper_list(_) -> false.

%% Shape first (every missing key before any bad value), then unknown
%% keys, then the fields in declaration order.
struct(Form, Fields, Unknown, T, D) ->
    case struct_terms(Form, Fields, T) of
        {ok, Terms} ->
            Matched = length([x || V <- Terms, V =/= absent])
                      + case Form of {ex, _} -> 1; _ -> 0 end,
            case Unknown =:= reject andalso map_size(T) > Matched of
                true -> {error, [], unknown_key};
                false -> fields(Form, Fields, Terms, D, [])
            end;
        Error ->
            Error
    end.

struct_terms(map, Fields, T) when is_map(T) -> map_terms(Fields, T, []);
struct_terms({ex, Module}, Fields, T) when is_map(T) ->
    case maps:find('__struct__', T) of
        {ok, Module} -> map_terms(Fields, T, []);
        _ -> got(T)
    end;
struct_terms({record, Tag}, Fields, T)
  when is_tuple(T), tuple_size(T) > 0, element(1, T) =:= Tag ->
    case tuple_size(T) =:= length(Fields) + 1 of
        true -> {ok, tl(tuple_to_list(T))};
        false -> got(T)
    end;
struct_terms(tuple, Fields, T) when is_tuple(T) ->
    case tuple_size(T) =:= length(Fields) of
        true -> {ok, tuple_to_list(T)};
        false -> got(T)
    end;
struct_terms(_, _, T) -> got(T).

map_terms([], _, Terms) -> {ok, lists:reverse(Terms)};
map_terms([{Key, _, Required} | Fields], T, Terms) ->
    case maps:find(Key, T) of
        {ok, V} -> map_terms(Fields, T, [V | Terms]);
        error when Required =:= required -> got(T);
        error -> map_terms(Fields, T, [absent | Terms])
    end.

fields(Form, [], [], _, Outs) ->
    Values = lists:reverse(Outs),
    {ok, case Form of
             map -> maps:from_list(Values);
             {ex, Module} -> maps:from_list([{'__struct__', Module} | Values]);
             {record, Tag} -> list_to_tuple([Tag | [V || {_, V} <- Values]]);
             tuple -> list_to_tuple([V || {_, V} <- Values])
         end};
fields(Form, [{Key, _, {default, Default}} | Fs], [absent | Ts], D, Outs) ->
    fields(Form, Fs, Ts, D, [{Key, Default} | Outs]);
fields(Form, [{Key, S, _} | Fs], [T | Ts], D, Outs) ->
    case decode(S, T, D) of
        {ok, Out} -> fields(Form, Fs, Ts, D, [{Key, Out} | Outs]);
        Error -> at({k, atom_to_binary(Key)}, Error)
    end.

%% cnif_value: every node enters a level; anything of any other kind is
%% kept as the term itself, so an accepted term comes back unchanged.
value(T, D) ->
    case D >= max_depth() of
        true -> {error, [], depth};
        false when is_list(T) -> value_list(T, 0, D + 1);
        false when is_tuple(T) -> value_items(tuple_to_list(T), 0, D + 1);
        false when is_map(T) -> value_map(maps:to_list(T), 0, D + 1);
        false -> ok
    end.

value_list([], _, _) -> ok;
value_list([H | T], I, D) ->
    case value(H, D) of
        ok -> value_list(T, I + 1, D);
        Error -> at({i, I}, Error)
    end;
value_list(Tail, _, D) -> at({k, <<"tail">>}, value(Tail, D)).

value_items([], _, _) -> ok;
value_items([H | T], I, D) ->
    case value(H, D) of
        ok -> value_items(T, I + 1, D);
        Error -> at({i, I}, Error)
    end.

%% A map's keys are decoded too, each before its value, in the order the
%% map iterates; a failure inside a key gets no segment for it.
value_map([], _, _) -> ok;
value_map([{K, V} | T], I, D) ->
    case value(K, D) of
        ok ->
            case value(V, D) of
                ok -> value_map(T, I + 1, D);
                Error -> at({i, I}, Error)
            end;
        Error ->
            at({key, I}, Error)
    end.

%% The nearest single-precision value, as C's (float) cast rounds (the
%% range was checked before).
to_single(F) ->
    <<S:32/float>> = <<F:32/float>>,
    S.

%% An atom cnif_atom can represent: any Unicode name without NUL.
atom_has_text(A) -> not lists:member(0, atom_to_list(A)).

%% Well-formed UTF-8 (Unicode 15, table 3-7): no overlongs, surrogates or
%% code points past U+10FFFF. Written out byte by byte, not through
%% Erlang's own decoder, to be a second opinion.
utf8_valid(<<C, R/binary>>) when C < 16#80 -> utf8_valid(R);
utf8_valid(<<C, A, R/binary>>) when C >= 16#C2, C =< 16#DF, ?CONT(A) -> utf8_valid(R);
utf8_valid(<<16#E0, A, B, R/binary>>) when A >= 16#A0, A =< 16#BF, ?CONT(B) ->
    utf8_valid(R);
utf8_valid(<<C, A, B, R/binary>>)
  when (C >= 16#E1 andalso C =< 16#EC) orelse C =:= 16#EE orelse C =:= 16#EF,
       ?CONT(A), ?CONT(B) ->
    utf8_valid(R);
utf8_valid(<<16#ED, A, B, R/binary>>) when A >= 16#80, A =< 16#9F, ?CONT(B) ->
    utf8_valid(R);
utf8_valid(<<16#F0, A, B, C, R/binary>>)
  when A >= 16#90, A =< 16#BF, ?CONT(B), ?CONT(C) ->
    utf8_valid(R);
utf8_valid(<<L, A, B, C, R/binary>>)
  when L >= 16#F1, L =< 16#F3, ?CONT(A), ?CONT(B), ?CONT(C) ->
    utf8_valid(R);
utf8_valid(<<16#F4, A, B, C, R/binary>>)
  when A >= 16#80, A =< 16#8F, ?CONT(B), ?CONT(C) ->
    utf8_valid(R);
utf8_valid(<<>>) -> true;
utf8_valid(_) -> false.

%% --- Paths -------------------------------------------------------------------

%% The path as cnif prints it: {key, N} segments are not shown, and past
%% CNIF_PATH_MAX segments only the innermost are, after "...".
path_text(Path) ->
    Shown = [S || S <- Path, element(1, S) =/= key],
    Max = path_max(),
    case length(Shown) > Max of
        true -> iolist_to_binary(["..." | segments(lists:nthtail(length(Shown) - Max, Shown))]);
        false -> iolist_to_binary(segments(Shown))
    end.

segments(Path) ->
    [case S of
         {i, N} -> ["[", integer_to_list(N), "]"];
         {k, Name} -> [".", Name]
     end || S <- Path].

%% The segments of a printed path; {truncated, Segments} after "...".
parse_path(<<"...", Rest/binary>>) ->
    case parse_path(Rest) of
        {ok, Segs} -> {truncated, Segs};
        Error -> Error
    end;
parse_path(Text) -> parse_segments(Text, []).

parse_segments(<<>>, Acc) -> {ok, lists:reverse(Acc)};
parse_segments(<<"[", Rest/binary>>, Acc) ->
    case binary:split(Rest, <<"]">>) of
        [Digits, Tail] when Digits =/= <<>> ->
            try binary_to_integer(Digits) of
                N when N >= 0 -> parse_segments(Tail, [{i, N} | Acc]);
                _ -> error
            catch
                error:badarg -> error
            end;
        _ ->
            error
    end;
parse_segments(<<".", Rest/binary>>, Acc) ->
    {Name, Tail} = name(Rest, <<>>),
    case Name of
        <<>> -> error;
        _ -> parse_segments(Tail, [{k, Name} | Acc])
    end;
parse_segments(_, _) -> error.

name(<<C, _/binary>> = Rest, Name) when C =:= $.; C =:= $[ -> {Name, Rest};
name(<<C, Rest/binary>>, Name) -> name(Rest, <<Name/binary, C>>);
name(<<>>, Name) -> {Name, <<>>}.

%% follow(Schema, Term, Path): {ok, Subterm} at Path, or error if Path does
%% not lead anywhere in Term read as Schema.
follow(_, T, []) -> {ok, T};
follow({array, S}, T, [{i, N} | Path]) when is_list(T) ->
    case nth_cell(N, T) of
        {ok, E} -> follow(S, E, Path);
        error -> error
    end;
follow({struct, Form, Fields, _}, T, [{k, Name} | Path]) ->
    case field_index(Name, Fields, 1) of
        {I, {Key, S, _}} ->
            case {Form, T} of
                {{record, _}, _} when is_tuple(T), tuple_size(T) > I ->
                    follow(S, element(I + 1, T), Path);
                {tuple, _} when is_tuple(T), tuple_size(T) >= I ->
                    follow(S, element(I, T), Path);
                {_, _} when is_map(T) ->
                    case maps:find(Key, T) of
                        {ok, V} -> follow(S, V, Path);
                        error -> error
                    end;
                _ ->
                    error
            end;
        false ->
            error
    end;
follow({union, Variants}, {Tag, Payload}, [{k, Name} | Path]) when is_atom(Tag) ->
    case lists:keyfind(Tag, 1, Variants) of
        {Tag, S} when S =/= none ->
            case atom_to_binary(Tag) of
                Name -> follow(S, Payload, Path);
                _ -> error
            end;
        _ ->
            error
    end;
follow({one_of, Alternatives}, T, Path) ->
    first_followed([follow(S, T, Path) || S <- Alternatives]);
follow({optional, _, S}, T, Path) -> follow(S, T, Path);
follow({result, S, E}, {Tag, P}, [{i, 1} | Path]) when Tag =:= ok; Tag =:= error ->
    follow(case Tag of ok -> S; error -> E end, P, Path);
follow({status, E}, {error, P}, [{i, 1} | Path]) -> follow(E, P, Path);
follow(value, T, [{i, N} | Path]) when is_list(T) ->
    case nth_cell(N, T) of
        {ok, E} -> follow(value, E, Path);
        error -> error
    end;
follow(value, T, [{k, <<"tail">>} | Path]) when is_list(T) ->
    case improper_tail(T) of
        [] -> error;
        Tail -> follow(value, Tail, Path)
    end;
follow(value, T, [{i, N} | Path]) when is_tuple(T), N < tuple_size(T) ->
    follow(value, element(N + 1, T), Path);
follow(value, T, [{i, N} | Path]) when is_map(T), N < map_size(T) ->
    {_, V} = lists:nth(N + 1, maps:to_list(T)),
    follow(value, V, Path);
follow(value, T, [{key, N} | Path]) when is_map(T), N < map_size(T) ->
    {K, _} = lists:nth(N + 1, maps:to_list(T)),
    follow(value, K, Path);
follow(Recursive, T, Path) when Recursive =:= expr; Recursive =:= tree ->
    follow(unfold(Recursive), T, Path);
follow(_, _, _) -> error.

first_followed([{ok, _} = Found | _]) -> Found;
first_followed([_ | Rest]) -> first_followed(Rest);
first_followed([]) -> error.

field_index(_, [], _) -> false;
field_index(Name, [{Key, _, _} = F | Fields], I) ->
    case atom_to_binary(Key) of
        Name -> {I, F};
        _ -> field_index(Name, Fields, I + 1)
    end.

nth_cell(0, [H | _]) -> {ok, H};
nth_cell(N, [_ | T]) when N > 0 -> nth_cell(N - 1, T);
nth_cell(_, _) -> error.

improper_tail([_ | T]) -> improper_tail(T);
improper_tail(Tail) -> Tail.

%% --- Comparing results ----------------------------------------------------

%% Exactly the same term: the very same one, or equal with the same
%% floats bit by bit (=:= does not tell -0.0 from 0.0 before OTP 27).
%% Not through term_to_binary: a list of 10^5 times one 4 kB binary is
%% 400 MB in the external format.
same(A, B) -> erts_debug:same(A, B) orelse (A =:= B andalso floats(A, B)).

%% Floats of two equal terms, bit by bit.
floats(A, B) -> erts_debug:same(A, B) orelse floats_(A, B).

floats_(A, B) when is_float(A) -> <<A/float>> =:= <<B/float>>;
floats_([HA | TA], [HB | TB]) -> floats(HA, HB) andalso floats(TA, TB);
floats_(A, B) when is_tuple(A) -> floats_(tuple_to_list(A), tuple_to_list(B));
floats_(A, B) when is_map(A) -> floats_(maps:to_list(A), maps:to_list(B));
floats_(_, _) -> true.
