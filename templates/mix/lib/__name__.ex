defmodule @MODULE@ do
  @moduledoc """
  Functions written in C, in `c_src/@NAME@_nif.c`.
  """
  use Cnif, lib: "@NAME@_nif"

  @doc """
  The sum of two integers that fit in 64 bits.

      iex> @MODULE@.add(1, 2)
      3

  Any other argument raises an `ArgumentError` that names it, and so does
  a sum that does not fit in 64 bits.
  """
  @spec add(integer, integer) :: integer
  defnif add(a, b)
end
