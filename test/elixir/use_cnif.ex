# The module under test in use_cnif_test.exs; test_helper.exs compiles it
# (with cnif's Elixir side) into the test ebin: test/nifs/use_cnif.c is its
# library.
defmodule UseCnif.Point do
  @moduledoc false
  defstruct x: 0.0, y: 0.0
  @type t :: %__MODULE__{x: float, y: float}
end

defmodule UseCnif do
  @moduledoc "The NIFs of test/nifs/use_cnif.c."

  # Loaded from its .beam, beside ../priv/use_cnif.so, rather than by the
  # compiler before the .beam is written: with no Mix project there is no
  # application to look in (see Cnif's :otp_app).
  @compile {:autoload, false}
  use Cnif, lib: "use_cnif", load_data: &load_data/0

  # Called at load: the library reads the file named here (test_helper.exs
  # writes it beside the library).
  defp load_data do
    {:ok, library} = :cnif.priv_path(__MODULE__, ~c"use_cnif")
    Path.join(Path.dirname(library), "use_cnif.txt")
  end

  # The module's own @on_load runs after the library has loaded.
  @on_load :after_load
  defp after_load do
    :persistent_term.put(:use_cnif_after_load, loaded())
  end

  @doc "The first line of the file the load data named."
  @spec loaded() :: String.t()
  defnif(loaded())

  @doc "Ten times the key, or a bad argument."
  @spec fetch!(integer) :: integer
  defnif(fetch!(key))

  @doc "Whether x is positive."
  @spec valid?(integer) :: boolean
  defnif(valid?(x))

  @doc "The answer, from no argument."
  @spec answer() :: integer
  defnif(answer())

  @doc "A bad argument that is the call's, not one argument's."
  @spec closed() :: no_return
  defnif(closed())

  @doc "The sum of two 64-bit integers."
  @spec add(integer, integer) :: integer
  defnif(add(a, b))

  @doc "The point moved by (dx, dy)."
  @spec translate(UseCnif.Point.t(), number, number) :: UseCnif.Point.t()
  defnif(translate(point, dx, dy))

  @doc "Panics with the message."
  @spec panic_with(String.t()) :: no_return
  defnif(panic_with(message))

  @doc "Raises the term."
  @spec raise_term(term) :: no_return
  defnif(raise_term(term))
end
