# fault_barrier_test.exs -- the fault barrier as Elixir code sees it: a
# segfault or an abort() in a NIF of a module that says
# `use Cnif, fault_barrier: true` raises {:nif_crashed, %{...}} instead of
# killing the VM, quarantines the library (every call then raises
# {:nif_quarantined, %{...}}) until the module is loaded again, and is
# reported to logger. FaultEx and FaultEx.NoQuarantine (quarantine: false)
# are test/elixir/fault_ex.ex over test/nifs/fault_ex.c.
defmodule FaultBarrierTest do
  # A library has one quarantine, which the tests set and lift in turn.
  use ExUnit.Case, async: false

  import ExUnit.CaptureLog

  defmodule Forward do
    @moduledoc false
    # An OTP logger handler that sends cnif's reports on the modules under
    # test, as they are logged, to the process in its config. (Other
    # suites' libraries may still report, when a resource of theirs is
    # collected.) From Elixir 1.15 on, Logger has made the report text
    # before any handler sees it, and keeps it in the metadata (Elixir
    # 1.20 keeps the report too, with the text added to it).
    def log(%{meta: %{cnif_report: report}}, config), do: forward(report, config)
    def log(%{msg: {:report, %{label: {:cnif, _}} = report}}, config), do: forward(report, config)
    def log(_event, _config), do: :ok

    defp forward(%{module: module} = report, %{config: pid})
         when module in [FaultEx, FaultEx.NoQuarantine],
         do: send(pid, {:cnif_report, report})

    defp forward(_report, _config), do: :ok
  end

  @message "quarantined after a fault: every call raises nif_quarantined " <>
             "and callbacks are skipped until the module is loaded again"

  setup do
    :ok = :logger.add_handler(__MODULE__, Forward, %{config: self()})
    on_exit(fn -> :logger.remove_handler(__MODULE__) end)
    # Each test starts from a library loaded afresh, quarantined by none
    # of the others, and with no report of theirs still on its way (the
    # reporter logs one once the one before is done: on a busy machine,
    # the last test's can reach this one's handler).
    reload(FaultEx)
    reload(FaultEx.NoQuarantine)
    drain_reports()
    :ok
  end

  # The reports of the tests before, all of them: the reporter handles its
  # messages in order, so once it has answered a call it has logged every
  # report their faults sent it, and the handler has forwarded them here.
  # (A fault sends its report before the call that faulted raises; the
  # modules under test have no callbacks to report later.)
  defp drain_reports do
    if Process.whereis(:cnif_reporter), do: :sys.get_state(:cnif_reporter)
    flush_reports()
  end

  defp flush_reports do
    receive do
      {:cnif_report, _} -> flush_reports()
    after
      0 -> :ok
    end
  end

  # Loads the module again from its .beam, old code and current purged
  # first: erts unloads its library, then loads it.
  defp reload(module) do
    :code.purge(module)
    :code.delete(module)
    :code.purge(module)
    assert :code.load_file(module) == {:module, module}
  end

  # The original of the ErlangError that fun raises.
  defp error_of(fun), do: assert_raise(ErlangError, fun).original

  # The fault map of a NULL read by module's null_read/0, but for the
  # function, a symbol as the compiler emitted it ("null_read.constprop.0",
  # say) plus the offset of the faulting instruction.
  defp null_read_fault(module, fault) do
    {function, rest} = Map.pop!(fault, :function)
    assert function =~ ~r/\Anull_read(\.\w+)*\+0x[0-9a-f]+\z/
    assert rest == %{signal: :segv, nif: {module, :null_read, 0}, phase: :call, address: 0}
    fault
  end

  # The report of the quarantine of FaultEx that fault started.
  defp quarantine_report(fault),
    do: %{label: {:cnif, :quarantined}, module: FaultEx, fault: fault, message: @message}

  test "a NULL read raises nif_crashed: the signal, the NIF, the phase, the address, the function" do
    capture_log(fn ->
      assert {:nif_crashed, fault} = error_of(&FaultEx.null_read/0)
      null_read_fault(FaultEx, fault)
    end)
  end

  test "abort() raises nif_crashed with no address and no function: it is a call, not an instruction" do
    capture_log(fn ->
      assert error_of(&FaultEx.abort_now/0) ==
               {:nif_crashed,
                %{
                  signal: :abrt,
                  nif: {FaultEx, :abort_now, 0},
                  phase: :call,
                  address: :undefined,
                  function: :undefined
                }}
    end)
  end

  test "the VM and the process that ran the fault go on" do
    capture_log(fn ->
      error_of(&FaultEx.null_read/0)
      error_of(&FaultEx.NoQuarantine.abort_now/0)
    end)

    assert Process.alive?(self())
    assert FaultEx.NoQuarantine.ok(42) == 42
    assert Task.await(Task.async(fn -> FaultEx.NoQuarantine.ok(43) end)) == 43
  end

  test "after the fault every call raises nif_quarantined, from any process, running no code of the library" do
    capture_log(fn ->
      {:nif_crashed, fault} = error_of(&FaultEx.null_read/0)
      quarantined = {:nif_quarantined, %{module: FaultEx, fault: fault, destructors_skipped: 0}}

      assert error_of(fn -> FaultEx.ok(1) end) == quarantined
      assert error_of(&FaultEx.null_read/0) == quarantined
      assert error_of(&FaultEx.abort_now/0) == quarantined
      # Not even its decoders run: a bad argument is not looked at.
      assert error_of(fn -> FaultEx.ok(:not_an_integer) end) == quarantined
      assert Task.await(Task.async(fn -> error_of(fn -> FaultEx.ok(2) end) end)) == quarantined
    end)
  end

  test "the quarantine is reported to logger once, with the fault" do
    capture_log(fn ->
      {:nif_crashed, fault} = error_of(&FaultEx.null_read/0)
      error_of(fn -> FaultEx.ok(1) end)

      assert_receive {:cnif_report, report}
      assert report == quarantine_report(fault)

      # The next report is the next quarantine's: none came in between.
      reload(FaultEx)
      {:nif_crashed, abort} = error_of(&FaultEx.abort_now/0)
      assert_receive {:cnif_report, report}
      assert report == quarantine_report(abort)
    end)
  end

  # Elixir's Logger (Logger.Translator) drops every OTP report whose :label
  # it does not know, cnif's {:cnif, _} among them: logger has the report
  # (the test above), Elixir's console and capture_log never see it.
  test "the report reaches Elixir's Logger" do
    log =
      capture_log(fn ->
        error_of(&FaultEx.null_read/0)
        # The reporter logs a report once every handler has had the one
        # before: a second quarantine's, received, says the first is in
        # Elixir's Logger, which flush/0 then writes.
        reload(FaultEx)
        error_of(&FaultEx.abort_now/0)
        assert_receive {:cnif_report, %{fault: %{signal: :abrt}}}
        Logger.flush()
      end)

    assert log =~ "[error]"
    assert log =~ "FaultEx"
    assert log =~ "null_read"
    assert log =~ @message
  end

  test "loading the module again lifts the quarantine, and arms the barrier again" do
    capture_log(fn ->
      error_of(&FaultEx.null_read/0)
      reload(FaultEx)
      assert FaultEx.ok(5) == 5

      {:nif_crashed, abort} = error_of(&FaultEx.abort_now/0)

      assert error_of(fn -> FaultEx.ok(6) end) ==
               {:nif_quarantined, %{module: FaultEx, fault: abort, destructors_skipped: 0}}

      # A code upgrade loads the library again too.
      assert :code.load_file(FaultEx) == {:module, FaultEx}
      assert FaultEx.ok(7) == 7
    end)
  end

  test "with quarantine: false the library goes on running after each fault, and nothing is reported" do
    capture_log(fn ->
      assert {:nif_crashed, fault} = error_of(&FaultEx.NoQuarantine.null_read/0)
      null_read_fault(FaultEx.NoQuarantine, fault)
      assert FaultEx.NoQuarantine.ok(3) == 3
      assert error_of(&FaultEx.NoQuarantine.null_read/0) == {:nif_crashed, fault}

      assert error_of(&FaultEx.NoQuarantine.abort_now/0) ==
               {:nif_crashed,
                %{
                  signal: :abrt,
                  nif: {FaultEx.NoQuarantine, :abort_now, 0},
                  phase: :call,
                  address: :undefined,
                  function: :undefined
                }}

      assert FaultEx.NoQuarantine.ok(4) == 4

      # Reports from this process reach logger in the order of the faults:
      # one of FaultEx.NoQuarantine's would come before FaultEx's.
      error_of(&FaultEx.null_read/0)
      assert_receive {:cnif_report, %{module: FaultEx}}
      refute_received {:cnif_report, _}
    end)
  end

  test "faults in many processes at once are each the caller's" do
    faults = [&FaultEx.NoQuarantine.null_read/0, &FaultEx.NoQuarantine.abort_now/0]

    capture_log(fn ->
      results =
        1..200
        |> Task.async_stream(
          fn n ->
            {:nif_crashed, %{signal: signal}} = error_of(Enum.at(faults, rem(n, 2)))
            {signal, FaultEx.NoQuarantine.ok(n)}
          end,
          max_concurrency: 2 * System.schedulers_online()
        )
        |> Enum.map(fn {:ok, result} -> result end)

      assert results == for(n <- 1..200, do: {Enum.at([:segv, :abrt], rem(n, 2)), n})
    end)
  end

  test "a load option that is not a boolean fails the compile" do
    assert_raise ArgumentError, "use Cnif: :fault_barrier must be a boolean, got: :yes", fn ->
      Code.compile_string("""
      defmodule FaultEx.BadBarrier do
        use Cnif, lib: "fault_ex", fault_barrier: :yes
      end
      """)
    end

    assert_raise ArgumentError, ~s(use Cnif: :quarantine must be a boolean, got: "false"), fn ->
      Code.compile_string("""
      defmodule FaultEx.BadQuarantine do
        use Cnif, lib: "fault_ex", fault_barrier: true, quarantine: "false"
      end
      """)
    end

    error =
      assert_raise ArgumentError, fn ->
        Code.compile_string("""
        defmodule FaultEx.Misspelt do
          use Cnif, lib: "fault_ex", fault_barier: true
        end
        """)
      end

    assert Exception.message(error) =~ "unknown keys [:fault_barier]"

    for module <- [FaultEx.BadBarrier, FaultEx.BadQuarantine, FaultEx.Misspelt] do
      refute Code.ensure_loaded?(module)
    end
  end
end
