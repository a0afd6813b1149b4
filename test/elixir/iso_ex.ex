# The module under test in isolated_test.exs, over test/nifs/iso_ex.c:
# fault_ex.c's NIFs, run by a pool of worker BEAMs.
defmodule IsoEx do
  @moduledoc "Faults in an isolated module: they cost a worker."

  use Cnif, lib: "iso_ex", isolated: [workers: 2, timeout: 2_000]

  @doc "Reads address 0: SIGSEGV."
  defnif(null_read())

  @doc "Calls abort(): SIGABRT."
  defnif(abort_now())

  @doc "Returns its argument."
  defnif(ok(n))
end
