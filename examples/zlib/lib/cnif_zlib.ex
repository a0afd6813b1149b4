defmodule CnifZlib do
  @moduledoc """
  The Elixir face of `:cnif_zlib`: options as keyword lists, and streams
  as `Stream`s, so compression fits a pipeline:

      File.stream!("big.log", [], 65_536)
      |> CnifZlib.deflate_stream(format: :gzip)
      |> Stream.into(File.stream!("big.log.gz"))
      |> Stream.run()

  Everything else is `:cnif_zlib` itself: `{:error, reason}` for bad data,
  `ArgumentError` naming the argument for bad options or a misused stream.
  """

  defmodule Error do
    @moduledoc "Bad compressed data met inside a stream pipeline."
    defexception [:reason]

    @impl true
    def message(%{reason: reason}), do: "zlib: #{reason}"
  end

  @doc "Compress `data` (iodata). Options: `level`, `format`, `strategy`."
  def compress(data, opts \\ []), do: :cnif_zlib.compress(data, Map.new(opts))

  @doc "`{:ok, binary}` or `{:error, reason}`. Options: `format`, `max_size`."
  def uncompress(data, opts \\ []), do: :cnif_zlib.uncompress(data, Map.new(opts))

  @doc """
  Deflate an enumerable of iodata chunks lazily, one deflater per
  enumeration. Chunks with no output are left out.
  """
  def deflate_stream(chunks, opts \\ []) do
    pipe(chunks, fn -> :cnif_zlib.deflate_open(Map.new(opts)) end,
      &:cnif_zlib.deflate_feed/2,
      &:cnif_zlib.deflate_finish/1
    )
  end

  @doc """
  Inflate an enumerable of compressed chunks lazily; raises
  `CnifZlib.Error` on bad or truncated data.
  """
  def inflate_stream(chunks, opts \\ []) do
    pipe(chunks, fn -> :cnif_zlib.inflate_open(Map.new(opts)) end,
      fn z, chunk -> ok!(:cnif_zlib.inflate_feed(z, chunk)) end,
      fn z -> ok!(:cnif_zlib.inflate_finish(z)) end
    )
  end

  # A stream left unfinished (the consumer stopped early) is ended when
  # the resource is collected.
  defp pipe(chunks, open, feed, finish) do
    Stream.transform(
      chunks,
      open,
      fn chunk, z -> {nonempty(feed.(z, chunk)), z} end,
      fn z -> {nonempty(finish.(z)), z} end,
      fn _ -> :ok end
    )
  end

  defp nonempty(<<>>), do: []
  defp nonempty(bin), do: [bin]

  defp ok!({:ok, bin}), do: bin
  defp ok!(:ok), do: <<>>
  defp ok!({:error, reason}), do: raise(Error, reason: reason)
end
