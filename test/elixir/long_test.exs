# long_test.exs -- long work as Elixir code sees it: a threaded NIF
# returns a reference and its result arrives as {ref, result}; a panic on
# the job's thread arrives as {ref, {:error, {:nif_panicked, %{...}}}}; a
# bad argument is still an ArgumentError raised by the call, and one the
# job's body finds arrives as {ref, {:error, {:badarg, map}}}; a yielding
# NIF is called like any function. test/long_tests.erl covers the rest.
defmodule LongTest do
  use ExUnit.Case, async: true

  defp bad_argument(fun) do
    Exception.message(assert_raise(ArgumentError, fun))
  end

  test "a job's result arrives as a message tagged with its reference" do
    for nif <- [:work_pool, :work_thread] do
      ref = apply(:long_nif, nif, [5, 100, {0, 0}, :none])
      assert is_reference(ref)
      assert_receive {^ref, {:thread, tid, 5450, true}} when is_integer(tid), 10_000
    end
  end

  test "a panic on the job's thread arrives as the error of its reply" do
    ref = :long_nif.work_thread(6, 100, {0, 0}, :panic)

    assert_receive {^ref, {:error, error}}, 10_000

    assert error ==
             {:nif_panicked,
              %{message: "thread call 6 gave up", phase: :call, location: :long_tests.site("work")}}
  end

  test "a bad argument to a job is raised by the call" do
    assert bad_argument(fn -> :long_nif.work_pool(1, :foo, {0, 0}, :none) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 2nd argument: expected an integer, got: foo\n"

    refute_received {_ref, _}
  end

  test "a bad argument the job's body finds arrives as {:badarg, map}" do
    for nif <- [:sum_late_pool, :sum_late_thread] do
      ref = apply(:thread_nif, nif, [[1, 2, %{a: 1}]])
      assert_receive {^ref, {:error, {:badarg, map}}}, 10_000
      assert map == %{argno: 1, path: "[2]", reason: {:expected, "an integer", %{a: 1}}}
      # Elixir's text writes the rejected term as Elixir code, Erlang's as Erlang.
      assert Cnif.Error.message(map) == "[2]: expected an integer, got: %{a: 1}"
      assert :cnif_error.message(map) == "[2]: expected an integer, got: \#{a => 1}"
    end
  end

  test "a yielding NIF returns its value like any other" do
    assert {sum, 100, _ticks} = :long_nif.ysum(%{id: 40, n: 1000, chunk: 10})
    assert sum == 1000 * 40 + div(1000 * 999, 2)
  end

  test "a yielding NIF's bad argument names the key" do
    assert bad_argument(fn -> :long_nif.ysum(%{id: 40, n: "many"}) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 1st argument: .n: expected an integer, got: <<\"many\">>\n"
  end
end
