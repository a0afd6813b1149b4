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

  test "@doc and @spec belong to the function; the NIF is private" do
    {:docs_v1, _, :elixir, _, _, _, docs} = Code.fetch_docs(UseCnif)
    docs = Map.new(docs, fn {{:function, name, arity}, _, _, doc, _} -> {{name, arity}, doc} end)

    assert docs[{:add, 2}] == %{"en" => "The sum of two 64-bit integers."}
    refute Map.has_key?(docs, {:add_nif, 2})
    assert docs[{:"$cnif_call", 2}] == :hidden

    {:ok, specs} = Code.Typespec.fetch_specs(UseCnif)

    assert specs |> Enum.map(&elem(&1, 0)) |> Enum.sort() ==
             [
               add: 2,
               answer: 0,
               closed: 0,
               fetch!: 1,
               loaded: 0,
               panic_with: 1,
               raise_term: 1,
               translate: 3,
               valid?: 1
             ]
  end

  test "the module exports the functions, not the NIF stubs" do
    assert Enum.sort(UseCnif.module_info(:exports)) == [
             "$cnif_call": 2,
             "$cnif_on_load": 0,
             "$cnif_resources": 1,
             __info__: 1,
             add: 2,
             answer: 0,
             closed: 0,
             fetch!: 1,
             loaded: 0,
             module_info: 0,
             module_info: 1,
             panic_with: 1,
             raise_term: 1,
             translate: 3,
             valid?: 1
           ]
  end

  test "names ending in ! and ? are NIFs (CNIF_EXPORT_NAMED)" do
    assert UseCnif.fetch!(4) == 40
    assert UseCnif.valid?(1) == true
    assert UseCnif.valid?(0) == false

    assert bad_argument(fn -> UseCnif.fetch!(-1) end) ==
             @header <> "  * 1st argument: no such key\n"

    assert bad_argument(fn -> UseCnif.valid?(:x) end) ==
             @header <> "  * 1st argument: expected an integer, got: :x\n"
  end

  # test_helper.exs wrote the file; the load data function named it.
  test "the load hook gets the load data; the module's @on_load runs after it" do
    assert UseCnif.loaded() == "read at load"
    assert :persistent_term.get(:use_cnif_after_load) == "read at load"
  end

  test "a definition of a defnif's function fails the compile at its line" do
    for {source, line, what} <- [
          {"  defnif add(a, b)\n  def add(a, b), do: a - b\n", 4,
           "add/2 is defined by defnif (line 3): remove this definition"},
          {"  def add(a, b), do: a - b\n  defnif add(a, b)\n", 3,
           "add/2 is defined by defnif (line 4): remove this definition"}
        ] do
      source = "defmodule UseCnif.Clash do\n  use Cnif, lib: \"use_cnif\"\n" <> source <> "end\n"
      error = assert_raise CompileError, fn -> Code.compile_string(source, "clash.ex") end
      assert {error.file, error.line, error.description} == {"clash.ex", line, what}
      refute Code.ensure_loaded?(UseCnif.Clash)
    end
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
               "fetch!_nif": 1,
               loaded_nif: 0,
               panic_with_nif: 1,
               raise_term_nif: 1,
               translate_nif: 3,
               "valid?_nif": 1
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
