defmodule Cnif.Error do
  @moduledoc ~S"""
  The EEP-54 error_info formatter for the bad arguments of `use Cnif`
  modules: what `ArgumentError` prints for one.

  It is `:cnif_error` (the Erlang side's formatter) with the rejected term
  written as Elixir code, so a caller reads
  `* 1st argument: .vertices[0].x: expected a float, got: nil` and
  `got: %Geometry.Point{x: 1, y: :nope}` rather than Erlang's
  `#{'__struct__' => 'Elixir.Geometry.Point', ...}`.
  """

  # A huge rejected term is printed by its beginning.
  @inspect_opts [limit: 20, printable_limit: 80]

  @doc """
  The messages for the arguments a `{ArgNo, Path, Reason}` cause names
  (`:general`, the call's own, for ArgNo 0),
  as `{:error_info, %{module: Cnif.Error, cause: cause}}` in the top stack
  frame carries it (see `Exception` and `:erl_error`).
  """
  @spec format_error(term, Exception.stacktrace()) ::
          %{optional(pos_integer | :general) => String.t()}
  def format_error(_reason, [{_module, _function, _args, info} | _]) do
    case info[:error_info] do
      # The call as a whole (cnif_raise_badarg with argno 0).
      %{cause: {0, path, reason}} ->
        %{general: message(path, reason)}

      %{cause: {arg_no, path, reason}} when is_integer(arg_no) ->
        %{arg_no => message(path, reason)}

      _ ->
        %{}
    end
  end

  def format_error(_reason, _stacktrace), do: %{}

  @doc """
  The text of a bad argument that reached its caller as a value,
  `{:badarg, %{argno: n, path: path, reason: reason}}`: a threaded NIF's
  reply (`{ref, {:error, {:badarg, map}}}`) or a `cnif_try`'s catch. It is
  what `ArgumentError` prints for the same bad argument of a plain NIF.
  """
  @spec message(%{argno: non_neg_integer, path: binary, reason: term}) :: String.t()
  def message(%{path: path, reason: reason}), do: message(path, reason)

  # The path and a text reason are printed as :cnif_error prints them.
  defp message(path, {:expected, expected, got}) do
    message(path, "expected #{expected}, got: #{inspect(got, @inspect_opts)}")
  end

  defp message(path, text), do: List.to_string(:cnif_error.message(path, text))
end
