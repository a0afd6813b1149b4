defmodule @MODULE@Test do
  use ExUnit.Case, async: true
  doctest @MODULE@

  @min -9_223_372_036_854_775_808
  @max 9_223_372_036_854_775_807

  test "adds integers" do
    assert @MODULE@.add(1, 2) == 3
    assert @MODULE@.add(@min, @max) == -1
  end

  test "a bad argument is an ArgumentError that names it and says why" do
    error = assert_raise ArgumentError, fn -> @MODULE@.add(1, :two) end

    assert Exception.message(error) == """
           errors were found at the given arguments:

             * 2nd argument: expected an integer, got: :two
           """

    error = assert_raise ArgumentError, fn -> @MODULE@.add(@max + 1, 1) end

    assert Exception.message(error) == """
           errors were found at the given arguments:

             * 1st argument: expected an integer in #{@min}..#{@max}, got: #{@max + 1}
           """
  end

  test "to Erlang code, a bad argument is still plain :badarg" do
    assert catch_error(@MODULE@.add("1", 2)) == :badarg
  end

  test "a panic is an ErlangError with its message, phase and location" do
    error = assert_raise ErlangError, fn -> @MODULE@.add(@max, 1) end

    assert error.original ==
             {:nif_panicked,
              %{
                message: "#{@max} + 1 does not fit in 64 bits",
                phase: :call,
                location: "@NAME@_nif.c:#{line_of("cnif_panic(")}"
              }}

    # The VM, and the library, carry on.
    assert @MODULE@.add(@max, -1) == @max - 1
  end

  # The line of c_src/@NAME@_nif.c that holds text.
  defp line_of(text) do
    "c_src/@NAME@_nif.c"
    |> File.stream!()
    |> Enum.find_index(&String.contains?(&1, text))
    |> Kernel.+(1)
  end
end
