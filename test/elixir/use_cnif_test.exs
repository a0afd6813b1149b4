# use_cnif_test.exs -- `use Cnif` in an Elixir module: the functions
# defnif generates, their docs and specs, and the exceptions callers get,
# with bad arguments written as Elixir code. UseCnif is test/elixir/use_cnif.ex
# over test/nifs/use_cnif.c, compiled by test_helper.exs.

defmodule UseCnifTest do
  use ExUnit.Case, async: true

  alias UseCnif.Point

  defp bad_argument(fun) do
    Exception.message(assert_raise(ArgumentError, fun))
  end

  @header "errors were found at the given arguments:\n\n"

  test "each defnif is a function of its arity" do
    assert UseCnif.answer() == 42
    assert UseCnif.add(1, 2) == 3
    assert UseCnif.translate(%Point{x: 1.0, y: 2.0}, 0.5, -2) == %Point{x: 1.5, y: 0.0}
  end

  test "a bad argument names the argument, and shows it as Elixir code" do
    assert bad_argument(fn -> UseCnif.add(1, :two) end) ==
             @header <> "  * 2nd argument: expected an integer, got: :two\n"

    assert bad_argument(fn -> UseCnif.add("1", 2) end) ==
             @header <> "  * 1st argument: expected an integer, got: \"1\"\n"

    assert bad_argument(fn -> UseCnif.translate(%{x: 1.0, y: 2.0}, 0, 0) end) ==
             @header <>
               "  * 1st argument: expected a %UseCnif.Point{} struct, got: " <>
               inspect(%{x: 1.0, y: 2.0}) <> "\n"

    assert bad_argument(fn -> UseCnif.translate(%Point{}, 0, [1, 2]) end) ==
             @header <> "  * 3rd argument: expected a float, got: [1, 2]\n"
  end

  test "and the place inside it" do
    assert bad_argument(fn -> UseCnif.translate(%Point{y: nil}, 0, 0) end) ==
             @header <> "  * 1st argument: .y: expected a float, got: nil\n"
  end

  test "a huge rejected term is shown by its beginning" do
    assert bad_argument(fn -> UseCnif.add(Enum.to_list(1..1000), 0) end) ==
             @header <>
               "  * 1st argument: expected an integer, got: " <>
               "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, ...]\n"
  end

  test "a bad call as a whole (cnif_raise_badarg with argument 0) gives the general message" do
    error = assert_raise ArgumentError, fn -> UseCnif.closed() end
    assert Exception.message(error) == "errors were found at the given arguments: no device is open"
  end

  test "to Erlang code it is :badarg, its stack frame carrying the arguments and error_info" do
    {:error, :badarg, [{UseCnif, :add, [1, :two], info} | _]} =
      try do
        UseCnif.add(1, :two)
      catch
        kind, reason -> {kind, reason, __STACKTRACE__}
      end

    assert info[:error_info] ==
             %{module: Cnif.Error, cause: {2, "", {:expected, "an integer", :two}}}
  end

  test "a panic is an ErlangError carrying message, phase and location" do
    error = assert_raise ErlangError, fn -> UseCnif.panic_with("boom") end

    assert error.original ==
             {:nif_panicked, %{message: "boom", phase: :call, location: "use_cnif.c:#{site()}"}}

    # The map as inspect/1 shows it, in this VM's order of its keys.
    assert Exception.message(error) == "Erlang error: " <> inspect(error.original)
  end

  test "a raised exception struct is raised as that exception" do
    assert_raise RuntimeError, "boom", fn ->
      UseCnif.raise_term(%RuntimeError{message: "boom"})
    end
  end

  test "@doc and @spec belong to the function; the NIF is hidden" do
    {:docs_v1, _, :elixir, _, _, _, docs} = Code.fetch_docs(UseCnif)
    docs = Map.new(docs, fn {{:function, name, arity}, _, _, doc, _} -> {{name, arity}, doc} end)

    assert docs[{:add, 2}] == %{"en" => "The sum of two 64-bit integers."}
    assert docs[{:add_nif, 2}] == :hidden
    assert docs[{:answer_nif, 0}] == :hidden

    {:ok, specs} = Code.Typespec.fetch_specs(UseCnif)

    assert specs |> Enum.map(&elem(&1, 0)) |> Enum.sort() ==
             [add: 2, answer: 0, closed: 0, panic_with: 1, raise_term: 1, translate: 3]
  end

  # '$cnif_resources'/1 is replaced only in a worker of an isolated module.
  test "-nifs lists the NIFs, the only functions the library may replace" do
    {:ok, {_, [abstract_code: {:raw_abstract_v1, forms}]}} =
      :beam_lib.chunks(:code.which(UseCnif), [:abstract_code])

    assert forms
           |> Enum.flat_map(fn
             {:attribute, _, :nifs, nifs} -> nifs
             _ -> []
           end)
           |> Enum.sort() ==
             [
               "$cnif_resources": 1,
               add_nif: 2,
               answer_nif: 0,
               closed_nif: 0,
               panic_with_nif: 1,
               raise_term_nif: 1,
               translate_nif: 3
             ]
  end

  # What is not a name with plain argument names fails the compile, at the
  # defnif's line, saying what it got: a call with a literal argument, and
  # what is no call at all.
  test "defnif refuses what is not a name with plain argument names" do
    for {defnif, shown} <- [
          {"defnif add(a, 1)", "add(a, 1)"},
          {"defnif 42", "42"},
          {~s(defnif "add"), ~s("add")}
        ] do
      source = "defmodule UseCnif.Invalid do\n  use Cnif, lib: \"use_cnif\"\n  #{defnif}\nend\n"
      error = assert_raise CompileError, fn -> Code.compile_string(source, "invalid.ex") end

      assert {error.file, error.line} == {"invalid.ex", 3}

      assert error.description ==
               "defnif expects a name and plain argument names, like `defnif add(a, b)`, " <>
                 "got: " <> shown

      refute Code.ensure_loaded?(UseCnif.Invalid)
    end
  end

  # The line of the "/* site:panic */" marker in test/nifs/use_cnif.c.
  defp site do
    path = Path.expand("../nifs/use_cnif.c", __DIR__)
    Enum.find_index(File.stream!(path), &String.contains?(&1, "/* site:panic */")) + 1
  end
end
