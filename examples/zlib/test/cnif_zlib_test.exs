# The zlib example from Elixir: CnifZlib's keyword options and Stream
# pipelines, checked against :zlib; errors as Elixir shows them.
defmodule CnifZlibTest do
  use ExUnit.Case, async: true

  @text String.duplicate("All work and no play makes Jack a dull boy. ", 5000)

  defp chunks(bin, n) when byte_size(bin) > n do
    {chunk, rest} = :erlang.split_binary(bin, n)
    [chunk | chunks(rest, n)]
  end

  defp chunks(bin, _), do: [bin]

  defp message(fun), do: Exception.message(assert_raise(ArgumentError, fun))

  test "keyword options" do
    gz = CnifZlib.compress(@text, format: :gzip, level: :best_compression)
    assert :zlib.gunzip(gz) == @text
    assert CnifZlib.uncompress(gz, format: :auto) == {:ok, @text}
    assert CnifZlib.compress(@text) == :zlib.compress(@text)
    assert CnifZlib.uncompress(:zlib.compress(@text), max_size: 10) == {:error, :too_large}
  end

  test "deflate_stream is the one-shot result, whatever the chunking" do
    for n <- [7, 1000, 65536] do
      assert IO.iodata_to_binary(Enum.to_list(CnifZlib.deflate_stream(chunks(@text, n)))) ==
               CnifZlib.compress(@text)
    end
  end

  test "deflate_stream |> inflate_stream round trips lazily" do
    out =
      Stream.repeatedly(fn -> "line of text\n" end)
      |> Stream.take(100_000)
      |> CnifZlib.deflate_stream(format: :gzip)
      |> CnifZlib.inflate_stream(format: :gzip)
      |> Enum.into(<<>>)

    assert out == String.duplicate("line of text\n", 100_000)
  end

  test "a consumer that stops early leaves the stream to the collector" do
    assert [_] =
             Stream.repeatedly(fn -> :rand.bytes(100_000) end)
             |> CnifZlib.deflate_stream()
             |> Enum.take(1)
  end

  test "bad data in a pipeline raises CnifZlib.Error" do
    z = CnifZlib.compress(@text)

    assert_raise CnifZlib.Error, "zlib: truncated", fn ->
      Enum.to_list(CnifZlib.inflate_stream([binary_part(z, 0, 100)]))
    end

    assert_raise CnifZlib.Error, "zlib: data_error", fn ->
      Enum.to_list(CnifZlib.inflate_stream(["not zlib"]))
    end
  end

  test "bad options name the argument and the key" do
    assert message(fn -> CnifZlib.compress("x", level: 10) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 2nd argument: .level: expected an integer in 0..9, none, default, " <>
               "best_speed or best_compression, got: 10\n"

    assert message(fn -> CnifZlib.uncompress("x", levle: 1) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 2nd argument: unknown key levle in a map\n"

    assert message(fn -> Enum.to_list(CnifZlib.deflate_stream(["x", 42])) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 2nd argument: expected iodata, got: 42\n"
  end

  test "a stream belongs to the process that opened it" do
    d = :cnif_zlib.deflate_open()

    assert Task.await(Task.async(fn -> message(fn -> :cnif_zlib.deflate_feed(d, "x") end) end)) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 1st argument: the deflate stream belongs to another process\n"
  end

  test "checksums match :erlang's" do
    assert :cnif_zlib.crc32(@text) == :erlang.crc32(@text)
    assert :cnif_zlib.adler32(7, @text) == :erlang.adler32(7, @text)
  end
end
