%% cnif_zlib_run -- `make example-zlib`: the zlib binding in a few calls,
%% checked against OTP's own zlib, and its errors as the shell shows them.
-module(cnif_zlib_run).
-export([main/0]).

main() ->
    Text = binary:copy(<<"All work and no play makes Jack a dull boy. ">>, 2000),
    io:format("zlib ~s, ~b bytes of text~n", [cnif_zlib:version(), byte_size(Text)]),
    Z = cnif_zlib:compress(Text, #{level => best_compression}),
    show("byte_size(cnif_zlib:compress(Text, #{level => best_compression}))",
         fun() -> byte_size(Z) end),
    show("zlib:uncompress(Z) =:= Text", fun() -> zlib:uncompress(Z) =:= Text end),
    show("cnif_zlib:uncompress(zlib:gzip(Text), #{format => auto}) =:= {ok, Text}",
         fun() -> cnif_zlib:uncompress(zlib:gzip(Text), #{format => auto}) =:= {ok, Text} end),
    show("cnif_zlib:crc32(Text) =:= erlang:crc32(Text)",
         fun() -> cnif_zlib:crc32(Text) =:= erlang:crc32(Text) end),

    io:format("~n-- a stream, fed 1000 bytes at a time --~n"),
    D = cnif_zlib:deflate_open(#{format => gzip}),
    Parts = [cnif_zlib:deflate_feed(D, Chunk) || Chunk <- chunks(Text, 1000)],
    Gz = iolist_to_binary([Parts, cnif_zlib:deflate_finish(D)]),
    show("zlib:gunzip(Gz) =:= Text", fun() -> zlib:gunzip(Gz) =:= Text end),
    show("cnif_zlib:deflate_feed(D, <<\"more\">>)",
         fun() -> cnif_zlib:deflate_feed(D, <<"more">>) end),

    io:format("~n-- bad data is a value, misuse an exception --~n"),
    show("cnif_zlib:uncompress(<<\"not zlib\">>)", fun() -> cnif_zlib:uncompress(<<"not zlib">>) end),
    show("cnif_zlib:uncompress(binary:part(Z, 0, 100))",
         fun() -> cnif_zlib:uncompress(binary:part(Z, 0, 100)) end),
    show("cnif_zlib:uncompress(Z, #{max_size => 1000})",
         fun() -> cnif_zlib:uncompress(Z, #{max_size => 1000}) end),
    show("cnif_zlib:compress(Text, #{level => 11})",
         fun() -> cnif_zlib:compress(Text, #{level => 11}) end),
    show("cnif_zlib:inflate_feed(cnif_zlib:deflate_open(), Z)",
         fun() -> cnif_zlib:inflate_feed(cnif_zlib:deflate_open(), Z) end),

    io:format("~n-- 100 streams dropped unfinished, then collected --~n"),
    erlang:garbage_collect(),
    Self = self(),
    Pid = spawn(fun() -> Streams = [cnif_zlib:deflate_open() || _ <- lists:seq(1, 100)],
                         Self ! opened,
                         receive stop -> Streams end end),
    receive opened -> ok end,
    show("cnif_zlib:stats() while their process lives", fun cnif_zlib:stats/0),
    exit(Pid, kill),
    timer:sleep(100),
    show("cnif_zlib:stats() after it died", fun cnif_zlib:stats/0).

chunks(Bin, N) when byte_size(Bin) > N ->
    <<Chunk:N/binary, Rest/binary>> = Bin,
    [Chunk | chunks(Rest, N)];
chunks(Bin, _) ->
    [Bin].

show(Call, Fun) ->
    io:format("~ts~n", [Call]),
    try Fun() of
        Value -> io:format("    ~0tp~n", [Value])
    catch
        %% What the shell prints, error_info included.
        Class:Reason:Stack ->
            Text = erl_error:format_exception(Class, Reason, [hd(Stack)]),
            io:format("    ~ts~n", [string:replace(string:trim(Text), "\n", "\n    ", all)])
    end.
