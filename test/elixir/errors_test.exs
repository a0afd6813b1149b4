# errors_test.exs -- cnif's exceptions as Elixir code sees them: a bad
# argument is an ArgumentError that names the argument, the place inside
# it and the reason; a panic is an ErlangError whose original is
# {:nif_panicked, %{...}}; a raised term arrives as itself.
defmodule ErrorsTest do
  use ExUnit.Case, async: true

  # "File:Line" of the "/* site:NAME */" marker in test/nifs/File, as in
  # boundary_tests.erl: panic locations are never written down twice.
  defp location(file, site) do
    source = to_string(:boundary_nif.module_info(:compile)[:source])
    path = Path.join([Path.dirname(source), "nifs", file])
    marker = "/* site:#{site} */"

    [line] =
      for {text, n} <- Enum.with_index(File.stream!(path), 1),
          String.contains?(text, marker),
          do: n

    "#{file}:#{line}"
  end

  defp bad_argument(fun) do
    Exception.message(assert_raise(ArgumentError, fun))
  end

  @header "errors were found at the given arguments:\n\n"

  test "the argument, what was expected and what came" do
    assert bad_argument(fn -> :boundary_nif.add(1, :foo) end) ==
             @header <> "  * 2nd argument: expected an integer, got: foo\n"

    assert bad_argument(fn -> :boundary_nif.add(1.5, 2) end) ==
             @header <> "  * 1st argument: expected an integer, got: 1.5\n"

    assert bad_argument(fn -> :boundary_nif.add(1, 18_446_744_073_709_551_616) end) ==
             @header <>
               "  * 2nd argument: expected an integer in " <>
               "-9223372036854775808..9223372036854775807, got: 18446744073709551616\n"
  end

  test "the place inside the argument" do
    assert bad_argument(fn -> :boundary_nif.items([0, 1, :foo], -1) end) ==
             @header <> "  * 1st argument: [2]: expected an integer, got: foo\n"

    assert bad_argument(fn -> :boundary_nif.run_plan({self(), [1, 2, :nope]}, :return) end) ==
             @header <> "  * 1st argument: [1][2]: expected a cleanup step, got: nope\n"
  end

  test "a bad call as a whole: cnif_raise_badarg with argument 0" do
    assert bad_argument(fn -> :boundary_nif.closed_device() end) ==
             "errors were found at the given arguments: no device is open"
  end

  test "a reason given with cnif_raise_badarg" do
    assert bad_argument(fn -> :boundary_nif.run_plan({self(), [1, 2, 3, 4]}, :badarg) end) ==
             @header <> "  * 2nd argument: told to fail after 4 cleanups\n"
  end

  test "a bad argument is still plain error:badarg" do
    assert (try do
              :boundary_nif.add(1, :foo)
            catch
              :error, :badarg -> :caught
            end) == :caught
  end

  test "a panic is an ErlangError carrying message, phase and location" do
    error = assert_raise ErlangError, fn -> :boundary_nif.echo_probe(1001) end

    assert error.original ==
             {:nif_panicked,
              %{
                message: "decoder refused 1001",
                phase: :decode,
                location: location("boundary_nif.c", "decode")
              }}

    error = assert_raise ErlangError, fn -> :boundary_nif.on_dirty_io(3, true) end

    assert error.original ==
             {:nif_panicked,
              %{
                message: "panicked with 3",
                phase: :call,
                location: location("boundary_nif.c", "sched")
              }}
  end

  test "a raised exception struct is raised as that exception" do
    assert_raise RuntimeError, "boom", fn ->
      :boundary_nif.raise_term(%RuntimeError{message: "boom"})
    end
  end

  test "any other raised term is the ErlangError's original" do
    assert assert_raise(ErlangError, fn -> :boundary_nif.raise_term({:oops, [1]}) end).original ==
             {:oops, [1]}
  end
end
