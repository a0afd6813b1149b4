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

  test "a sum that does not fit is a bad argument too, with the body's reason" do
    error = assert_raise ArgumentError, fn -> @MODULE@.add(@max, 1) end

    assert Exception.message(error) == """
           errors were found at the given arguments:

             * 2nd argument: #{@max} + 1 does not fit in 64 bits
           """

    # The VM, and the library, carry on.
    assert @MODULE@.add(@max, -1) == @max - 1
  end

  test "to Erlang code, a bad argument is still plain :badarg" do
    assert catch_error(@MODULE@.add("1", 2)) == :badarg
  end
end
