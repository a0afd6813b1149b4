# isolated_test.exs -- isolated mode as Elixir code sees it: a module that
# says `use Cnif, isolated: [...]` (IsoEx, test/elixir/iso_ex.ex over
# test/nifs/iso_ex.c) runs its calls on worker BEAMs. A segfault or an
# abort() raises {:nif_crashed, %{...}} and costs only the worker, which
# is replaced; a bad argument raises the same ArgumentError as in process.
defmodule IsolatedTest do
  use ExUnit.Case, async: false

  # ASan reports a segfault and then aborts the worker.
  @segv if String.contains?(System.get_env("LD_PRELOAD", ""), "asan"), do: :abrt, else: :segv

  test "a call runs in a worker, not in this VM" do
    assert IsoEx.ok(3) == 3
    assert [_ | _] = :cnif_isolated.workers(IsoEx)
    assert :persistent_term.get({:cnif_isolated, IsoEx}, nil) != nil
  end

  test "a segfault costs the worker, and the next call works" do
    error = assert_raise ErlangError, fn -> IsoEx.null_read() end

    assert {:nif_crashed, %{nif: {IsoEx, :null_read, 0}, reason: {:signal, @segv}, worker: {node, os_pid}}} =
             error.original

    assert node == node()
    assert is_integer(os_pid)
    assert IsoEx.ok(4) == 4
  end

  test "an abort() costs the worker" do
    error = assert_raise ErlangError, fn -> IsoEx.abort_now() end
    assert {:nif_crashed, %{nif: {IsoEx, :abort_now, 0}, reason: {:signal, :abrt}}} = error.original
    assert IsoEx.ok(5) == 5
  end

  test "a bad argument raises the ArgumentError it raises in process" do
    error = assert_raise ArgumentError, fn -> IsoEx.ok(:five) end

    assert Exception.message(error) ==
             "errors were found at the given arguments:\n\n  * 1st argument: expected an integer, got: :five\n"
  end

  test "bad isolation options fail the compile" do
    assert_raise ArgumentError,
                 "use Cnif: :isolated must be false or a keyword list of workers, timeout, " <>
                   "max_memory and nodes, got: [workers: 0]",
                 fn ->
                   Code.compile_string("""
                   defmodule IsoExBad do
                     use Cnif, lib: "iso_ex", isolated: [workers: 0]
                     defnif(ok(n))
                   end
                   """)
                 end
  end
end
