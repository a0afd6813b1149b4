%% cnif_zlib -- the system zlib as NIFs (c_src/zlib_nif.c).
%%
%% One shot, in zlib (default), gzip or raw deflate format:
%%     Z = cnif_zlib:compress(Data, #{level => best_compression}),
%%     {ok, Data} = cnif_zlib:uncompress(Z).
%% Streams, used by the process that opened them:
%%     D = cnif_zlib:deflate_open(#{format => gzip}),
%%     Parts = [cnif_zlib:deflate_feed(D, Chunk) || Chunk <- Chunks],
%%     Gz = [Parts, cnif_zlib:deflate_finish(D)].
%% Data is iodata: a binary or an iolist. Errors that depend on the data come
%% back as {error, Reason}; misuse (a bad option, a finished stream, a
%% deflater where an inflater belongs) raises badarg with error_info.
-module(cnif_zlib).
-include_lib("cnif/include/cnif.hrl").
-cnif_nifs([compress/2, uncompress/2, crc32/2, adler32/2,
            deflate_open/1, deflate_feed/2, deflate_finish/1,
            inflate_open/1, inflate_feed/2, inflate_finish/1,
            stats/0, version/0]).
-export([compress/1, uncompress/1, crc32/1, adler32/1,
         deflate_open/0, inflate_open/0]).
-export_type([level/0, deflate_options/0, inflate_options/0, error_reason/0,
              deflater/0, inflater/0]).

-type level() :: 0..9 | none | default | best_speed | best_compression.
-type deflate_options() :: #{level => level(),
                             format => zlib | gzip | raw,
                             strategy => default | filtered | huffman_only | rle | fixed}.
%% auto: zlib or gzip, whichever the header says. max_size: a bound on the
%% output, against inputs that inflate to far more than expected.
-type inflate_options() :: #{format => zlib | gzip | raw | auto,
                             max_size => non_neg_integer()}.
-type error_reason() :: data_error | need_dict | truncated | trailing_data | too_large.
-opaque deflater() :: reference().
-opaque inflater() :: reference().

-spec compress(iodata()) -> binary().
compress(Data) -> compress(Data, #{}).
-spec compress(iodata(), deflate_options()) -> binary().

-spec uncompress(iodata()) -> {ok, binary()} | {error, error_reason()}.
uncompress(Data) -> uncompress(Data, #{}).
-spec uncompress(iodata(), inflate_options()) -> {ok, binary()} | {error, error_reason()}.

%% As erlang:crc32/1,2 and erlang:adler32/1,2, initial value first.
-spec crc32(iodata()) -> 0..16#ffffffff.
crc32(Data) -> crc32(0, Data).
-spec crc32(0..16#ffffffff, iodata()) -> 0..16#ffffffff.
-spec adler32(iodata()) -> 0..16#ffffffff.
adler32(Data) -> adler32(1, Data).
-spec adler32(0..16#ffffffff, iodata()) -> 0..16#ffffffff.

%% A deflater gives what output it has for each chunk (often nothing: zlib
%% buffers) and the rest at deflate_finish, which ends it.
-spec deflate_open() -> deflater().
deflate_open() -> deflate_open(#{}).
-spec deflate_open(deflate_options()) -> deflater().
-spec deflate_feed(deflater(), iodata()) -> binary().
-spec deflate_finish(deflater()) -> binary().

%% An inflater gives all output each chunk allows; inflate_finish only
%% checks that the input ended where a stream does, and ends it.
-spec inflate_open() -> inflater().
inflate_open() -> inflate_open(#{}).
-spec inflate_open(inflate_options()) -> inflater().
-spec inflate_feed(inflater(), iodata()) -> {ok, binary()} | {error, error_reason()}.
-spec inflate_finish(inflater()) -> ok | {error, error_reason()}.

%% Open stream resources, and the bytes zlib holds (streams and calls
%% running now): both 0 once every stream is finished or collected.
-spec stats() -> #{streams := non_neg_integer(), bytes := non_neg_integer()}.
-spec version() -> binary().
