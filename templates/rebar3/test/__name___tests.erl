%% @NAME@_tests -- EUnit tests of the NIFs in c_src/@NAME@_nif.c: exact
%% results, and for a bad argument the exact text the Erlang shell prints.
-module(@NAME@_tests).
-include_lib("eunit/include/eunit.hrl").

add_test() ->
    ?assertEqual(42, @NAME@:add(40, 2)),
    ?assertEqual(-1, @NAME@:add(1, -2)),
    ?assertEqual(1 bsl 62, @NAME@:add(1 bsl 61, 1 bsl 61)).

mean_test() ->
    ?assertEqual(2.5, @NAME@:mean([1, 2.5, 4])),
    ?assertEqual(-1.0, @NAME@:mean([-1.0])).

%% A bad argument is a plain error:badarg, so `catch error:badarg` still
%% matches; its error_info says which argument is wrong and why.
add_rejects_a_non_integer_test() ->
    ?assertError(badarg, @NAME@:add(1, foo)),
    ?assertEqual(#{2 => "expected an integer, got: foo"},
                 badarg_messages(fun() -> @NAME@:add(1, foo) end)).

add_rejects_an_overflow_test() ->
    ?assertEqual(#{2 => "9223372036854775807 + 1 does not fit in 64 bits"},
                 badarg_messages(fun() -> @NAME@:add(1 bsl 63 - 1, 1) end)).

mean_names_the_rejected_element_test() ->
    ?assertEqual(#{1 => "[2]: expected a float, got: <<\"x\">>"},
                 badarg_messages(fun() -> @NAME@:mean([1.0, 2.0, <<"x">>]) end)).

mean_rejects_an_empty_list_test() ->
    ?assertEqual(#{1 => "the mean of an empty list is undefined"},
                 badarg_messages(fun() -> @NAME@:mean([]) end)).

%% The shell prints the reason under the call, as for OTP's own BIFs.
shell_text_test() ->
    try @NAME@:add(1, foo) of
        Value -> ?assertEqual(badarg, {returned, Value})
    catch
        error:badarg:Stack ->
            Text = erl_error:format_exception(error, badarg, [hd(Stack)]),
            Lines = [string:trim(L) || L <- string:split(lists:flatten(Text), "\n", all)],
            ?assert(lists:member("*** argument 2: expected an integer, got: foo", Lines))
    end.

%% The messages cnif_error gives the shell, by argument number.
badarg_messages(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:badarg:Stack -> cnif_error:format_error(badarg, Stack)
    end.
