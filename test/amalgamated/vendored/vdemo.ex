# VDemo -- vdemo.c's NIFs in Elixir, with the vendored `use CnifVendored`
# alone (vendored_tests).
defmodule VDemo do
  use CnifVendored, lib: "VDemo"
  defnif add(a, b)
  defnif fail(code)
  defnif doomed_new(id)
end
