%% fuzz_gen -- the PropEr generators of `make fuzz`.
%%
%% A generator makes a recipe, not the term itself: a term in which tuples
%% tagged '$fz' stand for what PropEr cannot hold or should not shrink
%% element by element (a list nested 10^6 deep, a 10 MB binary, a
%% sub-binary, a bitstring of 13 bits, a pid, a resource). build/1 makes
%% the term from the recipe in the process that calls the NIF, so a
%% sub-binary is still one when the NIF sees it, and PropEr shrinks the
%% recipe: a nesting depth or a size shrinks like any integer.
%%
%% For each NIF, for_nif/1 mixes terms of roughly the NIF's own type (most
%% of them valid, each part sometimes replaced by anything), arbitrary
%% terms, and adversarial ones: every integer bound +-1 of every C width,
%% floats at every edge, integers where floats are expected, empty, huge,
%% sub- and unaligned binaries, improper lists, deep iolists, nesting
%% around CNIF_MAX_DEPTH and 10^5..10^6 deep, maps of 0, 32, 33 ... 10^5
%% keys and keys such as 1 and 1.0, atoms beyond Latin-1 and holding NUL,
%% pids, ports, references, funs, and structs and records with wrong
%% tags, sizes and modules.
-module(fuzz_gen).
-export([for_nif/1, build/1, setup/0, heap_words/1]).

-define(LET(X, Gen, In), proper_types:bind(Gen, fun(X) -> In end, false)).
-define(LAZY(Gen), proper_types:lazy(fun() -> Gen end)).
-define(SIZED(S, Gen), proper_types:sized(fun(S) -> Gen end)).

-define(FLT_MAX, 3.4028234663852886e38).

-import(proper_types, [frequency/1, oneof/1, elements/1, list/1, choose/2,
                       integer/2, resize/2, bool/0, binary/0]).

%% --- The terms that exist once per run -------------------------------------

%% Atoms, a dead pid, an external pid and reference: made once, before the
%% fuzzer counts atoms, and kept in persistent_term.
setup() ->
    Node = <<"fuzz@nohost">>,
    ExtPid = binary_to_term(<<131, 88, 119, (byte_size(Node)), Node/binary,
                              1:32, 2:32, 3:32>>),
    ExtRef = binary_to_term(<<131, 90, 3:16, 119, (byte_size(Node)),
                              Node/binary, 3:32, 1:32, 2:32, 3:32>>),
    Dead = spawn(fun() -> ok end),
    Mon = monitor(process, Dead),
    receive {'DOWN', Mon, process, Dead, _} -> ok end,
    persistent_term:put(fuzz_specials,
                        #{extpid => ExtPid, extref => ExtRef, deadpid => Dead,
                          port => hd(erlang:ports())}),
    Long = [list_to_atom(lists:duplicate(255, C)) || C <- [$a, $é, 26085]],
    persistent_term:put(fuzz_atoms, plain_atoms() ++ nul_atoms() ++ Long),
    ok.

plain_atoms() ->
    [ok, error, true, false, undefined, nil, red, green, blue, point, doc,
     x, y, z, w, h, name, ink, pts, origin, weight, tags, outline, meta, state,
     flag, level, v, kids, empty, circle, rect, at, bytes, tail, '__struct__',
     'Elixir.Fuzz.Point', 'Elixir.Fuzz.Other', '', 'hélló', 'ÿ', '日本語',
     '🦀', 'Red', 'RED', 'red '].

%% Atoms whose name holds NUL; cnif must never take 'red\0x' for red.
nul_atoms() -> ['red\0x', '\0', 'blue\0', 'fuzz\0never_an_atom'].

%% --- Entry point -----------------------------------------------------------

%% The recipe of an argument list for a NIF taking Schemas: valid
%% arguments, arguments of the type with parts gone wrong, anything, and
%% adversarial shapes.
for_nif([S]) ->
    frequency([{5, [gen(good, S)]}, {7, [gen(near, S)]},
               {3, [any()]}, {1, [adversarial(S)]}]);
for_nif([bin, size, size] = Schemas) ->
    %% cnif_bin_sub: positions around the end of the binary, one past it.
    frequency([{2, ?LET(B, binary(),
                        ?LET(Pos, choose(0, byte_size(B) + 1),
                             [B, Pos, choose(0, byte_size(B) - min(Pos, byte_size(B)) + 1)]))},
               {1, for_nif_(Schemas)}]);
for_nif(Schemas) ->
    for_nif_(Schemas).

for_nif_(Schemas) ->
    frequency([{1, [gen(good, S) || S <- Schemas]},
               {2, [sub(near, S) || S <- Schemas]}]).

%% PropEr builds a type anew each time a generator function runs; a
%% worker makes each one once (they are values) and keeps it.
memo(Key, Make) ->
    case get({fuzz_type, Key}) of
        undefined ->
            Type = Make(),
            put({fuzz_type, Key}, Type),
            Type;
        Type ->
            Type
    end.

%% --- Terms of a schema ------------------------------------------------------
%% gen(good, S) makes only terms S accepts; gen(near, S) makes terms of
%% S's shape with something wrong now and then, at any depth.

gen(Mode, S) -> memo({gen, Mode, S}, fun() -> gen_(Mode, S) end).

%% A part of a term: in near mode sometimes anything at all.
sub(good, S) -> gen(good, S);
sub(near, S) ->
    memo({sub, S},
         fun() -> frequency([{30, gen(near, S)}, {1, small_any()}]) end).

%% Good choices always, bad ones in near mode.
pick(good, Good, _) -> frequency(Good);
pick(near, Good, Bad) -> frequency(Good ++ Bad).

gen_(M, {int, Lo, Hi}) ->
    pick(M, [{3, elements([Lo, Lo + 1, Hi - 1, Hi, 0])}, {3, integer(Lo, Hi)}],
         [{1, elements([Lo - 1, Hi + 1])}, {2, int()}, {1, float_()}]);
gen_(M, double) ->
    InRange = [I || I <- int_bounds(), I >= -(1 bsl 63), I < 1 bsl 64],
    pick(M, [{5, float_()}, {2, elements(InRange)}, {1, proper_types:integer()}],
         [{2, int()}, {1, elements([a, <<"1.0">>, "1", []])}]);
gen_(M, float) ->
    Edges = [F || F <- float_edges(), abs(F) =< ?FLT_MAX],
    pick(M, [{3, elements(Edges)}, {2, proper_types:float()}, {1, proper_types:integer()},
             {2, ?LET(B, integer(0, (1 bsl 32) - 1), single(B))}],
         [{3, float_()}, {2, int()}, {1, elements([a, <<"1.0">>, "1", []])}]);
%% Sizes: small ones, and ones no memory holds (not the few gigabytes
%% in between, which a machine may or may not give).
gen_(M, size) ->
    pick(M, [{3, elements([0, 1, 63, 64, 65, 4096, 1 bsl 20])}, {3, integer(0, 1 bsl 20)}],
         [{2, elements([1 bsl 47, 1 bsl 48, 1 bsl 62, 1 bsl 63, (1 bsl 64) - 1,
                        (1 bsl 64) - 64, -1, 1 bsl 64])},
          {1, scalar()}]);
gen_(M, bool) ->
    pick(M, [{1, elements([true, false])}],
         [{1, atom_()}, {1, elements([0, 1, "true", <<"true">>])}]);
gen_(M, atom) ->
    Named = [A || A <- atoms(), element(1, fuzz_model:decode(atom, A, 0)) =:= ok],
    pick(M, [{1, elements(Named)}],
         [{1, atom_()}, {1, binary()}, {1, elements(["red", 1])}]);
gen_(M, {enum, Names}) ->
    pick(M, [{1, elements(Names)}], [{1, atom_()}, {1, scalar()}]);
gen_(M, bin) ->
    pick(M, [{1, bin()}], [{1, iolist(good)}, {1, bitstring()}, {1, scalar()}]);
gen_(M, iodata) ->
    pick(M, [{4, bin()}, {3, iolist(M)}], [{1, bitstring()}, {1, scalar()}]);
gen_(M, str) ->
    pick(M, [{1, utf8()}],
         [{1, ?LET(B, utf8(), chop(B))}, {1, text_iolist()}, {1, scalar()}]);
gen_(M, iotext) ->
    pick(M, [{5, utf8()}, {2, text_iolist()}],
         [{2, ?LET(B, utf8(), chop(B))}, {2, bin()}, {2, iolist(near)},
          {1, scalar()}]);
gen_(M, cstr) ->
    pick(M, [{5, ?LET(B, utf8(), binary:replace(B, <<0>>, <<>>, [global]))}],
         [{2, gen(near, str)},
          {2, ?LET({A, B}, {utf8(), utf8()}, <<A/binary, 0, B/binary>>)}]);
gen_(M, tuple) -> pick(M, [{1, tuple_()}], [{1, scalar()}]);
gen_(M, map) -> pick(M, [{1, map_()}], [{1, scalar()}]);
gen_(M, pid) ->
    pick(M, [{1, elements([{'$fz', pid}, {'$fz', deadpid}])}],
         [{2, special()}, {1, scalar()}]);
gen_(M, ref) ->
    pick(M, [{1, elements([{'$fz', ref}, {'$fz', extref}, {'$fz', other},
                           {'$fz', counter, 1}])}],
         [{2, special()}, {1, scalar()}]);
gen_(_, Any) when Any =:= term; Any =:= value -> any();
gen_(M, Counter) when Counter =:= counter; Counter =:= counter_value ->
    pick(M, [{6, {'$fz', counter, integer(-(1 bsl 63), (1 bsl 63) - 1)}},
             {1, {'$fz', counter, elements([-(1 bsl 63), (1 bsl 63) - 1])}}],
         [{2, special()}, {1, scalar()}]);
gen_(M, {array, S}) ->
    Item = ?LAZY(sub(M, S)),
    pick(M, [{1, ?SIZED(N, resize(N div 2 + 1, list(Item)))}],
         [{1, {'$fz', improper, list(Item), small_any()}}, {1, scalar()}]);
gen_(M, {struct, Form, Fields, Unknown}) -> struct_(M, Form, Fields, Unknown);
gen_(M, {union, Variants}) ->
    Bare = [T || {T, none} <- Variants],
    Payload = [{T, ?LAZY(sub(M, S))} || {T, S} <- Variants, S =/= none],
    pick(M, [{1, elements(Bare)}, {3, oneof(Payload)}],
         [{1, elements([T || {T, _} <- Payload])},
          {1, {elements([T || {T, _} <- Variants] ++ [x]), small_any()}},
          {1, small_any()}]);
gen_(M, {one_of, Alternatives}) ->
    oneof([?LAZY(gen(M, A)) || A <- Alternatives]);
gen_(M, {optional, None, S}) ->
    frequency([{1, None}, {5, gen(M, S)}]);
gen_(M, {result, S, E}) ->
    pick(M, [{1, {ok, sub(M, S)}}, {1, {error, sub(M, E)}}],
         [{1, {elements([ok, error, other]), small_any()}}, {1, elements([ok, error])}]);
gen_(M, {status, E}) ->
    pick(M, [{1, ok}, {1, {error, sub(M, E)}}],
         [{1, {ok, small_any()}}, {1, small_any()}]);
gen_(M, expr) -> ?SIZED(N, expr(M, N));
gen_(M, tree) -> ?SIZED(N, tree(M, N));
gen_(M, {tree_kids, N}) ->
    resize(N div 3 + 1, list(?LAZY(tree(M, N div 3)))).

%% A struct in its form. Near mode leaves a key out now and then, adds
%% one no field has, names another module or tag, or gets the size wrong;
%% good mode adds unknown keys only where they are ignored.
struct_(M, Form, Fields, Unknown) ->
    Values = [{Key, ?LAZY(sub(M, S)), Required} || {Key, S, Required} <- Fields],
    Mostly = fun(Good, Wrong) -> pick(M, [{12, Good}], [{1, Wrong}]) end,
    case Form of
        {record, Tag} ->
            ?LET({T, Items, Extra},
                 {Mostly(Tag, oneof([atom_(), small_any()])),
                  positional(M, Values), extra_items(M)},
                 list_to_tuple([T | Items ++ Extra]));
        tuple ->
            ?LET({Items, Extra}, {positional(M, Values), extra_items(M)},
                 list_to_tuple(Items ++ Extra));
        _ ->
            Module = case {Form, M} of
                         {{ex, Mod}, good} -> [[{'__struct__', Mod}]];
                         {{ex, Mod}, near} ->
                             [perhaps(95, {'__struct__',
                                         Mostly(Mod, oneof(['Elixir.Fuzz.Other',
                                                         small_any()]))})];
                         {map, good} -> [];
                         {map, near} -> [perhaps(2, {'__struct__', 'Elixir.Fuzz.Point'})]
                     end,
            Keyed = [case {Required, M} of
                         {required, good} -> [{Key, V}];
                         {required, near} -> perhaps(97, {Key, V});
                         _ -> perhaps(60, {Key, V})
                     end || {Key, V, Required} <- Values],
            Others = case {Unknown, M} of
                         {reject, good} -> [];
                         _ -> [perhaps(8, {elements([unknown, 'Elixir.Fuzz.Other', 1, <<"x">>]),
                                         small_any()})]
                     end,
            ?LET(Parts, Module ++ Keyed ++ Others, {'$fz', map, lists:append(Parts)})
    end.

%% Record and tuple fields: all of them, in near mode one now and then
%% dropped, or one more.
positional(M, Values) ->
    Items = [V || {_, V, _} <- Values],
    pick(M, [{20, Items}], [{1, ?LET(L, Items, tl(L))}]).

extra_items(M) -> pick(M, [{20, []}], [{1, [small_any()]}]).

%% [G] with probability P percent, else [] (first: what shrinking tries).
perhaps(P, G) -> frequency([{100 - P, []}, {P, [G]}]).

%% expr = integer() | [expr()], now and then nested around CNIF_MAX_DEPTH.
expr(M, N) when N =< 1 -> gen(M, fuzz_model:schema(int64_t));
expr(M, N) ->
    memo({expr, M, N},
         fun() ->
                 frequency([{3, gen(M, fuzz_model:schema(int64_t))},
                            {4, resize(N div 2, list(?LAZY(expr(M, N div 3))))},
                            {1, deep_expr()}])
         end).

deep_expr() ->
    {'$fz', deep, list, elements([2, 5, 8, 11, 12, 510, 511, 512, 513, 514]),
     frequency([{3, int()}, {1, small_any()}])}.

%% tree = #{v := int16, kids => [tree()]}; a tree level is two nesting
%% levels (the struct and its kids), so CNIF_MAX_DEPTH is 256 tree levels.
tree(M, N) ->
    memo({tree, M, N},
         fun() ->
                 Kids = case N =< 1 of
                            true -> [];
                            false -> [{kids, {tree_kids, N}, {default, []}}]
                        end,
                 frequency([{8, struct_(M, map, [{v, fuzz_model:schema(int16_t), required}
                                                 | Kids], lax)},
                            {1, {'$fz', deep_tree, elements([2, 10, 254, 255, 256, 257]),
                                 gen(M, fuzz_model:schema(int16_t))}}])
         end).

%% --- Scalars ------------------------------------------------------------

%% Every bound of every C integer width, one either side, and neighbours
%% of 2^53 (the last integer a double holds exactly) and 2^64.
int_bounds() ->
    Bounds = [0, 127, -128, 255, 32767, -32768, 65535,
              (1 bsl 31) - 1, -(1 bsl 31), (1 bsl 32) - 1,
              (1 bsl 63) - 1, -(1 bsl 63), (1 bsl 64) - 1,
              1 bsl 53, -(1 bsl 53), 1 bsl 64, -(1 bsl 64)],
    lists:usort([B + D || B <- Bounds, D <- [-1, 0, 1]]).

int() ->
    memo(int, fun() ->
                      frequency([{4, elements(int_bounds())}, {3, proper_types:integer()},
                                 {2, ?LET({Neg, Bits, Off},
                                          {bool(), choose(54, 200), choose(-2, 2)},
                                          sign(Neg) * (1 bsl Bits) + Off)}])
              end).

sign(true) -> -1;
sign(false) -> 1.

%% Float edges: zeros of both signs, the smallest subnormals, the largest
%% doubles, single precision's largest value and its neighbours (where
%% float must start refusing), its smallest normal and subnormal, and
%% doubles around 2^53, 2^63 and 2^64.
float_edges() ->
    FltMax = bits_float(float_bits(?FLT_MAX) + 1),
    [0.0, neg_zero(), 1.0, -1.0, 0.5, 0.1, -2.25, 5.0e-324, -5.0e-324,
     2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308,
     -1.7976931348623157e308, ?FLT_MAX, -?FLT_MAX, FltMax, -FltMax,
     3.4028235677973366e38, 1.1754943508222875e-38, 1.401298464324817e-45,
     7.006492321624085e-46, 2.1019476964872256e-45, 9007199254740992.0,
     9007199254740994.0, 9.223372036854775e18, 9.223372036854776e18,
     1.8446744073709552e19, 1.0e300, -1.0e300, 16777217.0].

neg_zero() -> bits_float(1 bsl 63).

float_bits(F) ->
    <<B:64>> = <<F/float>>,
    B.

%% Any bit pattern as a double, NaNs and infinities moved to finite values.
bits_float(B) ->
    case <<B:64>> of
        <<S:1, 2047:11, M:52>> -> <<F/float>> = <<S:1, 2046:11, M:52>>;
        <<F/float>> -> ok
    end,
    F.

%% Any 32-bit pattern as a single-precision value, likewise.
single(B) ->
    case <<B:32>> of
        <<S:1, 255:8, M:23>> -> <<F:32/float>> = <<S:1, 254:8, M:23>>;
        <<F:32/float>> -> ok
    end,
    F.

float_() ->
    memo(float, fun() ->
                        frequency([{3, elements(float_edges())}, {2, proper_types:float()},
                                   {2, ?LET(B, integer(0, (1 bsl 64) - 1), bits_float(B))}])
                end).

atoms() -> persistent_term:get(fuzz_atoms).

atom_() -> memo(atom, fun() -> elements(atoms()) end).

%% Binaries: random bytes, text, tricky UTF-8, sub-binaries, whole bytes
%% that do not start on a byte boundary, and larger ones.
bin() ->
    memo(bin, fun() ->
                      frequency([{5, binary()}, {2, utf8()},
                                 {2, elements([<<>>, <<0>>, <<"a", 0, "b">>, <<255>>,
                                               <<16#C0, 16#80>>, <<16#ED, 16#A0, 16#80>>,
                                               <<16#F4, 16#90, 16#80, 16#80>>, <<16#E2, 16#82>>,
                                               <<16#EF, 16#BF, 16#BF>>,
                                               <<16#F4, 16#8F, 16#BF, 16#BF>>])},
                                 {2, {'$fz', sub, ?LAZY(bin()), choose(0, 3), choose(0, 3)}},
                                 {1, {'$fz', offbin, ?LAZY(bin()), choose(1, 7)}},
                                 {1, {'$fz', bin, elements([64, 65, 4096]), choose(0, 255)}}])
              end).

%% Valid UTF-8 of characters of every encoded length.
utf8() ->
    memo(utf8, fun() ->
                       ?LET(Cs, list(frequency([{6, choose($ , $~)}, {1, choose(0, 16#7F)},
                                                {1, choose(16#80, 16#7FF)},
                                                {1, choose(16#800, 16#D7FF)},
                                                {1, choose(16#E000, 16#FFFD)},
                                                {1, choose(16#10000, 16#10FFFF)}])),
                            unicode:characters_to_binary(Cs))
               end).

%% Valid UTF-8 as an iolist: whole characters in binaries, ASCII bytes.
text_iolist() ->
    memo(text_iolist, fun() -> list(oneof([utf8(), choose(0, 127), list(utf8())])) end).

%% A binary cut in the middle of a character, now and then.
chop(<<>>) -> <<>>;
chop(B) -> binary:part(B, 0, byte_size(B) - 1).

%% Bits that are not whole bytes.
bitstring() ->
    memo(bitstring, fun() ->
                            oneof([{'$fz', bits, ?LAZY(bin()), choose(1, 7), choose(0, 127)},
                                   {'$fz', bitsub, ?LAZY(bin()), choose(1, 7)}])
                    end).

%% iolists: bytes, binaries and lists of them, nested, with a binary as
%% the tail; in near mode now and then an element that is none of those.
iolist(M) -> ?SIZED(N, iolist_(M, N)).

iolist_(M, N) ->
    memo({iolist, M, N},
         fun() ->
                 Item = pick(M, [{4, choose(0, 255)}, {4, bin()}]
                             ++ [{N, ?LAZY(iolist_(M, N div 3))} || N > 0],
                             [{1, elements([256, -1, 1.0, x, <<1:3>>, {}])}]),
                 frequency([{6, resize(N div 2 + 1, list(Item))},
                            {1, {'$fz', improper, list(Item), bin()}},
                            {1, {'$fz', deep, list, elements([10, 1000]), bin()}}])
         end).

%% Scalars of every kind.
scalar() ->
    memo(scalar,
         fun() ->
                 frequency([{5, int()}, {3, float_()}, {3, atom_()}, {3, bin()},
                            {1, bitstring()}, {1, special()},
                            {1, elements([[], {}, {'$fz', map, []}])}])
         end).

special() ->
    memo(special, fun() ->
                          oneof([{'$fz', pid}, {'$fz', deadpid}, {'$fz', extpid}, {'$fz', port},
                                 {'$fz', ref}, {'$fz', extref}, {'$fz', 'fun'}, {'$fz', extfun},
                                 {'$fz', counter, choose(-5, 5)}, {'$fz', other}])
                  end).

%% --- Anything -------------------------------------------------------------

any() -> ?SIZED(N, any_(N)).

small_any() -> memo(small_any, fun() -> resize(4, any()) end).

any_(N) when N =< 1 -> scalar();
any_(N) ->
    memo({any, N},
         fun() ->
                 Sub = ?LAZY(any_(N div 3)),
                 frequency([{6, scalar()},
                            {3, resize(N div 2, list(Sub))},
                            {2, ?LET(L, resize(N div 2, list(Sub)), list_to_tuple(L))},
                            {2, map_of(Sub, N)},
                            {1, {'$fz', improper, resize(N div 3, list(Sub)), Sub}},
                            {1, iolist(near)}])
         end).

tuple_() -> ?LET(L, list(small_any()), list_to_tuple(L)).

map_() -> ?SIZED(N, map_of(small_any(), N)).

%% Maps, with keys that look alike (1, 1.0, -0.0, 0.0) now and then.
map_of(Sub, N) ->
    Key = frequency([{4, Sub}, {1, elements([1, 1.0, 0, 0.0, neg_zero(), a, <<"a">>, "a"])}]),
    ?LET(KVs, resize(N div 2, list({Key, Sub})), {'$fz', map, KVs}).

%% --- Adversarial shapes ---------------------------------------------------

%% Three tiers by cost: a shape of 10^6 nodes (or 10 MB) costs a second
%% or so to build, call and check, so one comes about once per 5000
%% terms; those of 10^5 nodes ten times as often; the cheap ones around
%% the depth bound and the map sizes the rest of the time.
adversarial(S) ->
    memo({adversarial, S},
         fun() -> frequency([{400, cheap(S)}, {10, big(S, 100000)}, {1, big(S, 1000000)}]) end).

cheap(S) ->
    Own = case S of
              expr -> [deep_expr()];
              tree -> [{'$fz', deep_tree, elements([254, 255, 256, 257]), int()}];
              _ -> []
          end,
    oneof(Own ++
          [{'$fz', deep, kinds(), elements([510, 511, 512, 513, 514]), scalar()},
           {'$fz', bin, elements([1 bsl 16]), choose(0, 255)},
           {'$fz', long, 1000, long_item(S)},
           {'$fz', bigmap, elements([0, 31, 32, 33, 64, 129, 1000]), choose(0, 3)},
           ?LET({Neg, Bits}, {bool(), elements([1000, 10000])},
                sign(Neg) * ((1 bsl Bits) - 1)),
           {'$fz', map, [{1, a}, {1.0, b}]},
           {'$fz', map, [{0.0, a}, {neg_zero(), b}, {0, c}]}]).

%% Shapes of N nodes: nested N deep, N long, N keys, 10 N bytes.
big(S, N) ->
    Own = case S of
              expr -> [{'$fz', deep, list, N, int()}];
              tree -> [{'$fz', deep_tree, N, int()}];
              _ -> []
          end,
    oneof(Own ++
          [{'$fz', deep, kinds(), N, scalar()},
           {'$fz', deep, list, N, bin()},
           {'$fz', sub, {'$fz', bin, 10 * N, choose(0, 255)}, choose(0, 9), choose(0, 9)},
           {'$fz', long, N, long_item(S)},
           {'$fz', bigmap, N div 10, choose(0, 3)},
           %% Printing an integer takes time quadratic in its size (one of
           %% 10^6 bits, 7 s), and a rejected one is printed: 10^5 bits.
           ?LET(Neg, bool(), sign(Neg) * ((1 bsl 100000) - 1))]).

kinds() -> elements([list, tuple, map, improper, mixed]).

%% The element of a long list: one of the NIF's own elements if it takes
%% a list, so that the whole list is decoded.
long_item({array, E}) -> gen(near, E);
long_item(_) -> scalar().

%% How many heap words the term of a recipe takes, roughly: a process
%% that builds a large term gets a heap that size from the start, or it
%% spends most of its time collecting garbage.
heap_words({'$fz', deep, map, N, Leaf}) -> 5 * N + heap_words(Leaf);
heap_words({'$fz', deep, mixed, N, Leaf}) -> 3 * N + heap_words(Leaf);
heap_words({'$fz', deep, _, N, Leaf}) -> 2 * N + heap_words(Leaf);
heap_words({'$fz', deep_tree, N, _}) -> 9 * N;
heap_words({'$fz', long, N, Item}) -> 2 * N + heap_words(Item);
heap_words({'$fz', bigmap, N, _}) -> 8 * N;
heap_words(T) when is_tuple(T) -> heap_words(tuple_to_list(T));
heap_words(L) when is_list(L) -> lists:sum([heap_words(E) || E <- L]);
heap_words(_) -> 0.

%% --- Recipes to terms -----------------------------------------------------

build({'$fz', map, KVs}) -> maps:from_list([{build(K), build(V)} || {K, V} <- KVs]);
build({'$fz', improper, Items, Tail}) ->
    lists:foldr(fun(I, Acc) -> [build(I) | Acc] end, build(Tail), Items);
build({'$fz', deep, Kind, N, Leaf}) -> deep(Kind, N, build(Leaf));
build({'$fz', deep_tree, N, V}) ->
    nest(N, #{v => V}, fun(T) -> #{v => 1, kids => [T]} end);
build({'$fz', long, N, Item}) -> lists:duplicate(N, build(Item));
build({'$fz', bin, N, Byte}) -> binary:copy(<<Byte>>, N);
build({'$fz', sub, Bin, Pre, Post}) ->
    B = build(Bin),
    Whole = <<(binary:copy(<<7>>, Pre))/binary, B/binary,
              (binary:copy(<<9>>, Post))/binary>>,
    binary:part(Whole, Pre, byte_size(B));
build({'$fz', offbin, Bin, Off}) ->
    %% Whole bytes that start Off bits into another binary.
    B = build(Bin),
    <<_:Off, Sub:(byte_size(B))/binary, _/bitstring>> = <<0:8, B/binary>>,
    Sub;
build({'$fz', bits, Bin, N, V}) -> <<(build(Bin))/binary, V:N>>;
build({'$fz', bitsub, Bin, Off}) ->
    <<_:Off, Rest/bitstring>> = <<255, (build(Bin))/binary>>,
    Rest;
build({'$fz', bigmap, N, Kind}) ->
    maps:from_list([{key(Kind, I), I} || I <- lists:seq(1, N)]);
build({'$fz', counter, V}) ->
    C = fuzz_nif:res_new(V),
    put({fuzz_counter, C}, V),
    C;
build({'$fz', other}) -> fuzz_nif:other_new();
build({'$fz', pid}) -> self();
build({'$fz', ref}) -> make_ref();
build({'$fz', 'fun'}) -> fun() -> ok end;
build({'$fz', extfun}) -> fun lists:reverse/1;
build({'$fz', Special}) -> maps:get(Special, persistent_term:get(fuzz_specials));
build(T) when is_tuple(T) -> list_to_tuple([build(E) || E <- tuple_to_list(T)]);
build(L) when is_list(L) -> [build(E) || E <- L];
build(X) -> X.

%% Map keys of a big map: integers, floats equal to them, atoms, binaries.
key(0, I) -> I;
key(1, I) -> float(I);
key(2, I) -> integer_to_binary(I);
key(3, I) -> {I}.

%% Leaf nested N levels deep in lists, tuples, maps, improper list heads,
%% or all three in turn.
deep(list, N, Leaf) -> nest(N, Leaf, fun(T) -> [T] end);
deep(tuple, N, Leaf) -> nest(N, Leaf, fun(T) -> {T} end);
deep(map, N, Leaf) -> nest(N, Leaf, fun(T) -> #{k => T} end);
deep(improper, N, Leaf) -> nest(N, Leaf, fun(T) -> [T | x] end);
deep(mixed, N, Leaf) ->
    element(2, nest(N, {0, Leaf},
                    fun({0, T}) -> {1, [T]};
                       ({1, T}) -> {2, {a, T}};
                       ({2, T}) -> {0, #{T => 1}}
                    end)).

nest(0, T, _) -> T;
nest(N, T, Wrap) -> nest(N - 1, Wrap(T), Wrap).
