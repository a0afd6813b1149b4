# The modules under test in fault_barrier_test.exs, over
# test/nifs/fault_ex.c (FaultEx) and test/nifs/fault_ex_no_quarantine.c
# (FaultEx.NoQuarantine): the same NIFs, behind the fault barrier.
defmodule FaultEx do
  @moduledoc "Faults behind the fault barrier, which quarantines the library."

  # Loaded from its .beam, beside ../priv/fault_ex.so (see use_cnif.ex);
  # the test loads it again to lift a quarantine.
  @compile {:autoload, false}
  use Cnif, lib: "fault_ex", fault_barrier: true

  @doc "Reads address 0: SIGSEGV."
  defnif(null_read())

  @doc "Calls abort(): SIGABRT."
  defnif(abort_now())

  @doc "Returns its argument."
  defnif(ok(n))
end

defmodule FaultEx.NoQuarantine do
  @moduledoc "Faults behind the fault barrier, with quarantine off."

  @compile {:autoload, false}
  use Cnif, lib: "fault_ex_no_quarantine", fault_barrier: true, quarantine: false

  defnif(null_read())
  defnif(abort_now())
  defnif(ok(n))
end
