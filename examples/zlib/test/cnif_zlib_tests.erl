%% cnif_zlib_tests -- the zlib binding against OTP's own zlib module and
%% erlang:crc32/adler32 (the same system zlib underneath, so compressed
%% bytes must match exactly), bad data as exact {error, Reason} values,
%% bad arguments as exact error_info messages, streams, memory.
-module(cnif_zlib_tests).
-include_lib("eunit/include/eunit.hrl").

-define(MB, (1024 * 1024)).

%% The inputs every round trip runs over: empty, small, 1 MB of random
%% bytes (incompressible), 1 MB of one repeated phrase (compresses ~1000x).
inputs() ->
    rand:seed(exsss, {1, 2, 3}),
    [{empty, <<>>},
     {small, <<"hello, zlib">>},
     {random, rand:bytes(?MB)},
     {repetitive, binary:copy(<<"compressible ">>, ?MB div 13)}].

%% The error_info text for each bad argument, by position.
why(Fun) ->
    try Fun() of
        Value -> {returned, Value}
    catch
        error:badarg:Stack -> cnif_error:format_error(badarg, Stack)
    end.

chunks(Bin, N) when byte_size(Bin) > N ->
    <<Chunk:N/binary, Rest/binary>> = Bin,
    [Chunk | chunks(Rest, N)];
chunks(Bin, _) ->
    [Bin].

%% OTP's zlib at a given level, for comparing bytes.
otp_deflate(Data, Level) ->
    Z = zlib:open(),
    ok = zlib:deflateInit(Z, Level),
    Out = iolist_to_binary(zlib:deflate(Z, Data, finish)),
    zlib:close(Z),
    Out.

%% --- One shot --------------------------------------------------------------

round_trip_test_() ->
    {timeout, 60,
     [{atom_to_list(Name),
       fun() ->
           Z = cnif_zlib:compress(Data),
           ?assertEqual(zlib:compress(Data), Z),
           ?assertEqual(Data, zlib:uncompress(Z)),
           ?assertEqual({ok, Data}, cnif_zlib:uncompress(Z)),
           ?assertEqual({ok, Data}, cnif_zlib:uncompress(zlib:compress(Data))),
           ?assertEqual(Data, zlib:gunzip(cnif_zlib:compress(Data, #{format => gzip}))),
           ?assertEqual({ok, Data}, cnif_zlib:uncompress(zlib:gzip(Data), #{format => gzip})),
           ?assertEqual(Data, zlib:unzip(cnif_zlib:compress(Data, #{format => raw}))),
           ?assertEqual({ok, Data}, cnif_zlib:uncompress(zlib:zip(Data), #{format => raw})),
           %% auto reads either header.
           ?assertEqual({ok, Data}, cnif_zlib:uncompress(zlib:gzip(Data), #{format => auto})),
           ?assertEqual({ok, Data}, cnif_zlib:uncompress(Z, #{format => auto}))
       end} || {Name, Data} <- inputs()]}.

%% An iolist is taken as the bytes it stands for.
iolist_test() ->
    Data = [<<"abc">>, [$d, [<<"ef">>, []], <<>>], "ghi", binary:copy(<<"j">>, 1000)],
    Flat = iolist_to_binary(Data),
    ?assertEqual(zlib:compress(Flat), cnif_zlib:compress(Data)),
    Z = zlib:compress(Flat),
    Split = [binary:part(Z, 0, 3), [binary:part(Z, 3, byte_size(Z) - 3)]],
    ?assertEqual({ok, Flat}, cnif_zlib:uncompress(Split)),
    %% A sub-binary is a binary like any other.
    <<_, Sub:(byte_size(Z))/binary, _>> = <<0, Z/binary, 0>>,
    ?assertEqual({ok, Flat}, cnif_zlib:uncompress(Sub)).

%% Every level by number and by name gives OTP's bytes for that level.
%% Level 0 stores the data in blocks whose size follows the output buffer
%% (OTP's differs), so it is compared by what it holds.
level_test() ->
    {_, Data} = lists:keyfind(repetitive, 1, inputs()),
    [?assertEqual(otp_deflate(Data, Level), cnif_zlib:compress(Data, #{level => Level}))
     || Level <- lists:seq(1, 9) ++ [default, best_speed, best_compression]],
    ?assertEqual(cnif_zlib:compress(Data, #{level => 6}),
                 cnif_zlib:compress(Data, #{level => default})),
    Stored = cnif_zlib:compress(Data, #{level => none}),
    ?assertEqual(Stored, cnif_zlib:compress(Data, #{level => 0})),
    ?assertEqual(Data, zlib:uncompress(Stored)),
    ?assert(byte_size(Stored) > byte_size(Data)).

strategy_test() ->
    {_, Data} = lists:keyfind(repetitive, 1, inputs()),
    [?assertEqual({ok, Data},
                  cnif_zlib:uncompress(cnif_zlib:compress(Data, #{strategy => S})))
     || S <- [default, filtered, huffman_only, rle, fixed]],
    %% Huffman coding alone cannot see the repetition.
    ?assert(byte_size(cnif_zlib:compress(Data, #{strategy => huffman_only}))
            > 10 * byte_size(cnif_zlib:compress(Data))).

%% --- Bad data: values, never exceptions -------------------------------------

corrupt_test() ->
    Data = binary:copy(<<"some text to corrupt ">>, 100),
    Z = zlib:compress(Data),
    Size = byte_size(Z),
    <<Cmf, Flg, Body:(Size - 6)/binary, Adler:32>> = Z,
    %% Header check, a flipped byte inside, the trailing checksum.
    ?assertEqual({error, data_error}, cnif_zlib:uncompress(<<Cmf, (Flg bxor 1), Body/binary, Adler:32>>)),
    <<B0:10/binary, B, BRest/binary>> = Body,
    ?assertEqual({error, data_error},
                 cnif_zlib:uncompress(<<Cmf, Flg, B0/binary, (B bxor 16#ff), BRest/binary, Adler:32>>)),
    ?assertEqual({error, data_error}, cnif_zlib:uncompress(<<Cmf, Flg, Body/binary, (Adler + 1):32>>)),
    ?assertEqual({error, data_error}, cnif_zlib:uncompress(<<"not zlib data at all">>)),
    %% The wrong format is bad data too.
    ?assertEqual({error, data_error}, cnif_zlib:uncompress(zlib:gzip(Data))),
    ?assertEqual({error, data_error}, cnif_zlib:uncompress(Z, #{format => gzip})).

%% zlib reports a stream that stops short as Z_BUF_ERROR ("no progress
%% possible"); the binding names it.
truncated_test() ->
    Z = zlib:compress(binary:copy(<<"truncate me ">>, 100)),
    ?assertEqual({error, truncated}, cnif_zlib:uncompress(<<>>)),
    [?assertEqual({error, truncated}, cnif_zlib:uncompress(binary:part(Z, 0, N)))
     || N <- [1, 2, 10, byte_size(Z) - 1]],
    ?assertEqual({error, truncated}, cnif_zlib:uncompress(<<>>, #{format => raw})).

trailing_data_test() ->
    Z = zlib:compress(<<"abc">>),
    ?assertEqual({error, trailing_data}, cnif_zlib:uncompress(<<Z/binary, 0>>)),
    ?assertEqual({error, trailing_data}, cnif_zlib:uncompress([Z, Z])),
    R = zlib:zip(<<"abc">>),
    ?assertEqual({error, trailing_data}, cnif_zlib:uncompress(<<R/binary, "x">>, #{format => raw})).

%% gzip members may follow one another (RFC 1952): they inflate as one.
gzip_members_test() ->
    Two = [zlib:gzip(<<"first ">>), cnif_zlib:compress(<<"second">>, #{format => gzip})],
    ?assertEqual({ok, <<"first second">>}, cnif_zlib:uncompress(Two, #{format => gzip})),
    ?assertEqual({ok, <<"first second">>}, cnif_zlib:uncompress(Two, #{format => auto})),
    %% A second member cut short, or followed by bytes that are no member.
    ?assertEqual({error, truncated},
                 cnif_zlib:uncompress([zlib:gzip(<<"a">>), <<31, 139>>], #{format => gzip})),
    ?assertEqual({error, data_error},
                 cnif_zlib:uncompress([zlib:gzip(<<"a">>), <<"junk">>], #{format => gzip})).

max_size_test() ->
    Data = binary:copy(<<0>>, ?MB),
    Z = cnif_zlib:compress(Data),
    ?assertEqual({ok, Data}, cnif_zlib:uncompress(Z, #{max_size => ?MB})),
    ?assertEqual({error, too_large}, cnif_zlib:uncompress(Z, #{max_size => ?MB - 1})),
    ?assertEqual({error, too_large}, cnif_zlib:uncompress(Z, #{max_size => 0})),
    ?assertEqual({ok, <<>>}, cnif_zlib:uncompress(zlib:compress(<<>>), #{max_size => 0})).

%% A stream made with a preset dictionary needs it; the binding takes none.
need_dict_test() ->
    Z = zlib:open(),
    ok = zlib:deflateInit(Z),
    _ = zlib:deflateSetDictionary(Z, <<"dictionary">>),
    Compressed = iolist_to_binary(zlib:deflate(Z, <<"dictionary words">>, finish)),
    zlib:close(Z),
    ?assertEqual({error, need_dict}, cnif_zlib:uncompress(Compressed)).

%% --- Checksums -------------------------------------------------------------

checksum_test() ->
    [begin
         ?assertEqual(erlang:crc32(Data), cnif_zlib:crc32(Data)),
         ?assertEqual(erlang:adler32(Data), cnif_zlib:adler32(Data)),
         ?assertEqual(erlang:crc32(12345, Data), cnif_zlib:crc32(12345, Data)),
         ?assertEqual(erlang:adler32(12345, Data), cnif_zlib:adler32(12345, Data))
     end || {_, Data} <- inputs()],
    ?assertEqual(0, cnif_zlib:crc32(<<>>)),
    ?assertEqual(1, cnif_zlib:adler32(<<>>)),
    ?assertEqual(16#ffffffff, cnif_zlib:crc32(16#ffffffff, <<>>)),
    %% An initial value continues an earlier sum.
    ?assertEqual(erlang:crc32(<<"hello world">>),
                 cnif_zlib:crc32(cnif_zlib:crc32(<<"hello ">>), <<"world">>)),
    ?assertEqual(erlang:adler32(<<"hello world">>),
                 cnif_zlib:adler32(cnif_zlib:adler32(<<"hello ">>), <<"world">>)),
    IoList = [<<"a">>, [<<"bc">>, $d], "ef"],
    ?assertEqual(erlang:crc32(IoList), cnif_zlib:crc32(IoList)),
    ?assertEqual(erlang:adler32(IoList), cnif_zlib:adler32(IoList)).

%% --- Bad arguments: exact error_info messages --------------------------------

-define(LEVELS, "an integer in 0..9, none, default, best_speed or best_compression").

bad_argument_test() ->
    ?assertEqual(#{1 => "expected iodata, got: foo"},
                 why(fun() -> cnif_zlib:compress(foo) end)),
    ?assertEqual(#{1 => "expected iodata, got: [<<\"a\">>,-1]"},
                 why(fun() -> cnif_zlib:compress([<<"a">>, -1]) end)),
    ?assertEqual(#{1 => "expected iodata, got: <<1:3>>"},
                 why(fun() -> cnif_zlib:uncompress(<<1:3>>) end)),
    ?assertEqual(#{2 => ".level: expected " ?LEVELS ", got: 10"},
                 why(fun() -> cnif_zlib:compress(<<>>, #{level => 10}) end)),
    ?assertEqual(#{2 => ".level: expected " ?LEVELS ", got: -1"},
                 why(fun() -> cnif_zlib:compress(<<>>, #{level => -1}) end)),
    ?assertEqual(#{2 => ".level: expected " ?LEVELS ", got: fast"},
                 why(fun() -> cnif_zlib:compress(<<>>, #{level => fast}) end)),
    ?assertEqual(#{2 => ".level: expected " ?LEVELS ", got: 1.0"},
                 why(fun() -> cnif_zlib:compress(<<>>, #{level => 1.0}) end)),
    %% auto is for reading only.
    ?assertEqual(#{2 => ".format: expected zlib, gzip or raw, got: auto"},
                 why(fun() -> cnif_zlib:compress(<<>>, #{format => auto}) end)),
    ?assertEqual(#{2 => ".format: expected zlib, gzip, raw or auto, got: \"gzip\""},
                 why(fun() -> cnif_zlib:uncompress(<<>>, #{format => "gzip"}) end)),
    ?assertEqual(#{2 => ".strategy: expected default, filtered, huffman_only, rle or fixed, got: best"},
                 why(fun() -> cnif_zlib:compress(<<>>, #{strategy => best}) end)),
    %% A misspelt option is refused, not ignored.
    ?assertEqual(#{2 => "unknown key levle in a map"},
                 why(fun() -> cnif_zlib:compress(<<>>, #{levle => 9}) end)),
    ?assertEqual(#{2 => "unknown key level in a map"},
                 why(fun() -> cnif_zlib:uncompress(<<>>, #{level => 9}) end)),
    ?assertEqual(#{2 => "expected a map, got: [{level,1}]"},
                 why(fun() -> cnif_zlib:compress(<<>>, [{level, 1}]) end)),
    ?assertEqual(#{2 => ".max_size: expected an integer in 0..18446744073709551615, got: -1"},
                 why(fun() -> cnif_zlib:uncompress(<<>>, #{max_size => -1}) end)),
    ?assertEqual(#{2 => ".max_size: expected an integer, got: infinity"},
                 why(fun() -> cnif_zlib:uncompress(<<>>, #{max_size => infinity}) end)),
    ?assertEqual(#{1 => "expected an integer in 0..4294967295, got: 4294967296"},
                 why(fun() -> cnif_zlib:crc32(16#100000000, <<>>) end)),
    ?assertEqual(#{1 => "expected an integer in 0..4294967295, got: -1"},
                 why(fun() -> cnif_zlib:adler32(-1, <<>>) end)),
    %% The one-argument forms call the two-argument NIFs.
    ?assertEqual(#{2 => "expected iodata, got: foo"},
                 why(fun() -> cnif_zlib:crc32(foo) end)),
    ?assertEqual(#{2 => "expected iodata, got: {}"},
                 why(fun() -> cnif_zlib:adler32({}) end)).

%% It is a plain badarg, and the shell names the function and argument.
shell_message_test() ->
    try cnif_zlib:compress(<<"x">>, #{level => 11}) of
        _ -> ?assert(false)
    catch
        error:badarg:Stack ->
            Text = lists:flatten(erl_error:format_exception(error, badarg, [hd(Stack)])),
            ?assertEqual("exception error: bad argument\n"
                         "  in function  cnif_zlib:compress/2\n"
                         "     called as cnif_zlib:compress(<<\"x\">>,#{level => 11})\n"
                         "     *** argument 2: .level: expected " ?LEVELS ", got: 11",
                         Text)
    end.

%% --- Streams ---------------------------------------------------------------

deflate_chunks(Data, N, Opts) ->
    D = cnif_zlib:deflate_open(Opts),
    Parts = [cnif_zlib:deflate_feed(D, Chunk) || Chunk <- chunks(Data, N)],
    iolist_to_binary([Parts, cnif_zlib:deflate_finish(D)]).

inflate_chunks(Z, N, Opts) ->
    I = cnif_zlib:inflate_open(Opts),
    Parts = [begin {ok, Part} = cnif_zlib:inflate_feed(I, Chunk), Part end
             || Chunk <- chunks(Z, N)],
    {cnif_zlib:inflate_finish(I), iolist_to_binary(Parts)}.

%% How the input is cut does not change what deflate writes.
stream_equals_one_shot_test_() ->
    {timeout, 120,
     [{lists:flatten(io_lib:format("~p in chunks of ~p", [Name, N])),
       fun() ->
           Z = cnif_zlib:compress(Data),
           ?assertEqual(Z, deflate_chunks(Data, N, #{})),
           ?assertEqual({ok, Data}, inflate_chunks(Z, N, #{})),
           Gz = cnif_zlib:compress(Data, #{format => gzip, level => 9}),
           ?assertEqual(Gz, deflate_chunks(Data, N, #{format => gzip, level => 9})),
           ?assertEqual({ok, Data}, inflate_chunks(Gz, N, #{format => auto}))
       end} || {Name, Data} <- inputs(), N <- [1000, 65536, 3 * ?MB],
               Name =/= empty orelse N =:= 1000]
     ++ [{"small, byte by byte",
          fun() ->
              Data = <<"one byte at a time, through both directions">>,
              Z = cnif_zlib:compress(Data),
              ?assertEqual(Z, deflate_chunks(Data, 1, #{})),
              ?assertEqual({ok, Data}, inflate_chunks(Z, 1, #{}))
          end}]}.

stream_iolist_test() ->
    D = cnif_zlib:deflate_open(),
    A = cnif_zlib:deflate_feed(D, [<<"ab">>, [$c | <<"d">>]]),
    B = cnif_zlib:deflate_finish(D),
    ?assertEqual(<<"abcd">>, zlib:uncompress([A, B])).

stream_errors_test() ->
    Z = cnif_zlib:compress(binary:copy(<<"stream ">>, 1000)),
    %% Cut short: every byte inflates, finish says the end is missing.
    I1 = cnif_zlib:inflate_open(),
    ?assertMatch({ok, _}, cnif_zlib:inflate_feed(I1, binary:part(Z, 0, byte_size(Z) - 1))),
    ?assertEqual({error, truncated}, cnif_zlib:inflate_finish(I1)),
    %% Bad data: the error stays, finish included.
    I2 = cnif_zlib:inflate_open(),
    ?assertEqual({error, data_error}, cnif_zlib:inflate_feed(I2, <<"junk">>)),
    ?assertEqual({error, data_error}, cnif_zlib:inflate_feed(I2, Z)),
    ?assertEqual({error, data_error}, cnif_zlib:inflate_finish(I2)),
    %% Past the end of a zlib stream.
    I3 = cnif_zlib:inflate_open(),
    ?assertMatch({ok, _}, cnif_zlib:inflate_feed(I3, Z)),
    ?assertEqual({ok, <<>>}, cnif_zlib:inflate_feed(I3, <<>>)),
    ?assertEqual({error, trailing_data}, cnif_zlib:inflate_feed(I3, <<0>>)),
    ?assertEqual({error, trailing_data}, cnif_zlib:inflate_finish(I3)),
    %% Empty input is no stream at all.
    ?assertEqual({error, truncated}, cnif_zlib:inflate_finish(cnif_zlib:inflate_open())),
    %% max_size counts the whole stream, across feeds.
    I4 = cnif_zlib:inflate_open(#{max_size => 7000}),
    [P1, P2] = chunks(Z, byte_size(Z) div 2),
    {ok, Out1} = cnif_zlib:inflate_feed(I4, P1),
    {ok, Out2} = cnif_zlib:inflate_feed(I4, P2),
    ?assertEqual(7000, byte_size(Out1) + byte_size(Out2)),
    I5 = cnif_zlib:inflate_open(#{max_size => 6999}),
    ?assertMatch({ok, _}, cnif_zlib:inflate_feed(I5, P1)),
    ?assertEqual({error, too_large}, cnif_zlib:inflate_feed(I5, P2)).

stream_gzip_members_test() ->
    Two = iolist_to_binary([zlib:gzip(<<"first ">>), zlib:gzip(<<"second">>)]),
    ?assertEqual({ok, <<"first second">>}, inflate_chunks(Two, 5, #{format => gzip})).

%% Misuse: a clear bad argument, never a crash and never silent.
stream_misuse_test() ->
    D = cnif_zlib:deflate_open(),
    I = cnif_zlib:inflate_open(),
    Ref = fun(R) -> lists:flatten(io_lib:format("~p", [R])) end,
    MadeRef = make_ref(),
    ?assertEqual(#{1 => "expected a deflater resource, got: " ++ Ref(I)},
                 why(fun() -> cnif_zlib:deflate_feed(I, <<"x">>) end)),
    ?assertEqual(#{1 => "expected an inflater resource, got: " ++ Ref(D)},
                 why(fun() -> cnif_zlib:inflate_finish(D) end)),
    ?assertEqual(#{1 => "expected a deflater resource, got: make_ref"},
                 why(fun() -> cnif_zlib:deflate_finish(make_ref) end)),
    ?assertEqual(#{1 => "expected a deflater resource, got: " ++ Ref(MadeRef)},
                 why(fun() -> cnif_zlib:deflate_feed(MadeRef, <<>>) end)),
    %% Another process may not touch them.
    Self = self(),
    spawn(fun() -> Self ! {other, why(fun() -> cnif_zlib:deflate_feed(D, <<"x">>) end),
                                  why(fun() -> cnif_zlib:inflate_finish(I) end)} end),
    receive
        {other, OtherD, OtherI} ->
            ?assertEqual(#{1 => "the deflate stream belongs to another process"}, OtherD),
            ?assertEqual(#{1 => "the inflate stream belongs to another process"}, OtherI)
    end,
    %% Finished is finished.
    _ = cnif_zlib:deflate_finish(D),
    ?assertEqual(#{1 => "the deflate stream is finished"},
                 why(fun() -> cnif_zlib:deflate_feed(D, <<"x">>) end)),
    ?assertEqual(#{1 => "the deflate stream is finished"},
                 why(fun() -> cnif_zlib:deflate_finish(D) end)),
    ?assertEqual({error, truncated}, cnif_zlib:inflate_finish(I)),
    ?assertEqual(#{1 => "the inflate stream is finished"},
                 why(fun() -> cnif_zlib:inflate_feed(I, <<>>) end)),
    ?assertEqual(#{1 => "the inflate stream is finished"},
                 why(fun() -> cnif_zlib:inflate_finish(I) end)),
    %% Bad options for a stream, as for one shot.
    ?assertEqual(#{1 => ".level: expected " ?LEVELS ", got: 12"},
                 why(fun() -> cnif_zlib:deflate_open(#{level => 12}) end)),
    ?assertEqual(#{2 => "expected iodata, got: 42"},
                 why(fun() -> cnif_zlib:deflate_feed(cnif_zlib:deflate_open(), 42) end)).

%% --- Memory ----------------------------------------------------------------

%% What zlib holds comes back to 0 once its streams are gone; collection
%% and destructors run shortly after a process exits.
wait_released() -> wait_released(200).
wait_released(0) ->
    cnif_zlib:stats();
wait_released(N) ->
    erlang:garbage_collect(),
    case cnif_zlib:stats() of
        #{streams := 0, bytes := 0} = Stats -> Stats;
        _ -> timer:sleep(10), wait_released(N - 1)
    end.

finish_releases_test() ->
    ?assertEqual(#{streams => 0, bytes => 0}, wait_released()),
    D = cnif_zlib:deflate_open(),
    I = cnif_zlib:inflate_open(),
    #{streams := 2, bytes := Bytes} = cnif_zlib:stats(),
    ?assert(Bytes > 256 * 1024), % deflate's window and hash tables
    Z = cnif_zlib:deflate_finish(D),
    {ok, <<>>} = cnif_zlib:inflate_feed(I, Z),
    ok = cnif_zlib:inflate_finish(I),
    %% Given back at finish, while D and I are still referenced.
    ?assertEqual(#{streams => 0, bytes => 0}, cnif_zlib:stats()),
    ?assertEqual(#{1 => "the deflate stream is finished"},
                 why(fun() -> cnif_zlib:deflate_feed(D, <<>>) end)).

%% 10,000 streams dropped unfinished, in processes of 100 each, half of
%% them mid-way through their data. Each deflater holds about 270 KB
%% (2.6 GB all told), so a leak would show in the VM's memory too.
abandoned_streams_test_() ->
    {timeout, 120,
     fun() ->
         ?assertEqual(#{streams => 0, bytes => 0}, wait_released()),
         Z = cnif_zlib:compress(binary:copy(<<"abandoned ">>, 10000)),
         Before = erlang:memory(system),
         [begin
              {Pid, Mon} = spawn_monitor(fun() -> abandon(Z, 100) end),
              receive {'DOWN', Mon, process, Pid, Reason} -> ?assertEqual(normal, Reason) end
          end || _ <- lists:seq(1, 100)],
         ?assertEqual(#{streams => 0, bytes => 0}, wait_released()),
         ?assert(erlang:memory(system) - Before < 20 * ?MB)
     end}.

abandon(Z, N) ->
    Streams = [begin
                   D = cnif_zlib:deflate_open(#{level => K rem 10}),
                   I = cnif_zlib:inflate_open(),
                   case K rem 2 of
                       0 -> ok;
                       1 -> _ = cnif_zlib:deflate_feed(D, Z),
                            {ok, _} = cnif_zlib:inflate_feed(I, binary:part(Z, 0, 100))
                   end,
                   {D, I}
               end || K <- lists:seq(1, N div 2)],
    #{streams := Open} = cnif_zlib:stats(),
    true = Open >= N,
    length(Streams).

%% --- Large input -----------------------------------------------------------

%% 50 MB: one shot on a dirty scheduler, checksums yielding.
large_test_() ->
    {timeout, 300,
     fun() ->
         rand:seed(exsss, {4, 5, 6}),
         Block = rand:bytes(?MB),
         Data = iolist_to_binary([[Block, binary:copy(<<I>>, ?MB)] || I <- lists:seq(1, 25)]),
         ?assertEqual(50 * ?MB, byte_size(Data)),
         Z = cnif_zlib:compress(Data),
         ?assertEqual(zlib:compress(Data), Z),
         ?assertEqual({ok, Data}, cnif_zlib:uncompress(Z)),
         ?assertEqual({error, too_large}, cnif_zlib:uncompress(Z, #{max_size => 50 * ?MB - 1})),
         ?assertEqual(erlang:crc32(Data), cnif_zlib:crc32(Data)),
         ?assertEqual(erlang:adler32(Data), cnif_zlib:adler32(Data)),
         %% An iolist is flattened, then what is left is kept when it yields.
         Chunked = chunks(Data, 1000000),
         ?assertEqual(erlang:crc32(Data), cnif_zlib:crc32(Chunked))
     end}.

%% A yielding call gives the scheduler back: its process is charged the
%% reductions of the slices it used, where one slice is about 4000.
checksum_yields_test_() ->
    {timeout, 60,
     fun() ->
         Data = binary:copy(<<"yield ">>, 10 * ?MB),
         {reductions, R0} = process_info(self(), reductions),
         ?assertEqual(erlang:crc32(Data), cnif_zlib:crc32(Data)),
         {reductions, R1} = process_info(self(), reductions),
         ?assert(R1 - R0 > 8000)
     end}.

%% A process killed between slices of a checksum: its kept input is freed
%% with the call's state, and the module goes on working.
checksum_killed_test_() ->
    {timeout, 60,
     fun() ->
         Data = [binary:copy(<<"x">>, 64 * ?MB)],
         Before = erlang:memory(binary),
         kill_mid_checksum(Data, 5),
         ?assert(binary_back_to(Before + 4 * ?MB, 200)),
         ?assertEqual(erlang:crc32(<<"still here">>), cnif_zlib:crc32(<<"still here">>))
     end}.

%% Four processes killed while each sums Data. A kill takes effect where
%% the call yields: each has flattened the iolist and keeps what it has
%% yet to sum. On a loaded machine this process may not run again before
%% one has summed all of it: that round does not count, and another is
%% tried, up to Rounds in all.
kill_mid_checksum(Data, Rounds) ->
    Self = self(),
    Pids = [spawn(fun() -> Self ! started, cnif_zlib:crc32(Data), Self ! done end)
            || _ <- lists:seq(1, 4)],
    [receive started -> ok end || _ <- Pids],
    [exit(Pid, kill) || Pid <- Pids],
    receive
        done ->
            ?assert(Rounds > 1),
            [receive done -> ok after 100 -> ok end || _ <- Pids],
            kill_mid_checksum(Data, Rounds - 1)
    after 500 ->
        ok
    end.

binary_back_to(Limit, Tries) ->
    case erlang:memory(binary) =< Limit of
        true -> true;
        false when Tries > 0 -> timer:sleep(10), binary_back_to(Limit, Tries - 1);
        false -> false
    end.
