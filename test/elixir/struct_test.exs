# Structured types from Elixir: %Mod{} structs in and out, nil as the absent
# value, and the ArgumentError text each decode failure prints, naming the
# argument, the path inside it and the reason. The NIFs are those of
# test/nifs/struct_nif.c; test/struct_tests.erl covers the rest from Erlang.
defmodule StructTest.Point do
  defstruct x: 0.0, y: 0.0
end

defmodule StructTest.Line do
  defstruct [:from, :to]
end

defmodule StructTest do
  use ExUnit.Case, async: true

  alias StructTest.{Line, Point}

  @nif :struct_nif

  # The ArgumentError message for a bad first argument.
  defp bad_first(text) do
    "errors were found at the given arguments:\n\n  * 1st argument: " <> text <> "\n"
  end

  defp message(fun) do
    Exception.message(assert_raise(ArgumentError, fun))
  end

  defp raised(fun) do
    try do
      {:returned, fun.()}
    catch
      :error, reason -> reason
    end
  end

  # "file.c:LINE" of the one line of the source at path holding marker.
  defp site(path, marker) do
    [line] =
      for {text, n} <- Enum.with_index(File.stream!(path), 1),
          String.contains?(text, marker),
          do: n

    "#{Path.basename(path)}:#{line}"
  end

  defp nif_site(marker), do: site("test/nifs/struct_nif.c", marker)

  defp drawing do
    seg = fn a, b -> %{start: %{x: a, y: a}, end: %{x: b, y: b}} end

    %{
      title: "plan",
      ink: :green,
      segments: [seg.(0.0, 1.0), seg.(1.0, 2.0), seg.(2.0, 3.0)],
      anchor: nil,
      corner: {:point, 1.0, 2.0},
      size: {3.0, 4.0},
      origin: %Point{x: 0.0, y: 0.0},
      shapes: [:empty, {:circle, 1.5}],
      layer: :undefined,
      outline: {"tri", [{0.0, 0.0}, {1.0, 0.0}, {0.0, 1.0}]}
    }
  end

  describe "Elixir structs" do
    test "come back as the same struct, integers as floats" do
      assert @nif.echo_point_ex(%Point{x: 1, y: 2.5}) == %Point{x: 1.0, y: 2.5}
    end

    test "nest inside each other" do
      line = %Line{from: %Point{x: 0, y: 0}, to: %Point{x: 3, y: 4}}

      assert @nif.echo_line(line) ==
               %Line{from: %Point{x: 0.0, y: 0.0}, to: %Point{x: 3.0, y: 4.0}}

      assert @nif.line_length(line) == 5.0
    end

    test "are one of the forms a C struct can be returned in" do
      assert @nif.point_all_forms(1, 2) ==
               {%{x: 1.0, y: 2.0}, {:point, 1.0, 2.0}, %Point{x: 1.0, y: 2.0}, {1.0, 2.0}}
    end

    test "a struct of another module names both modules" do
      assert message(fn -> @nif.echo_point_ex(%Line{from: 1, to: 2}) end) ==
               bad_first(
                 "expected a %StructTest.Point{} struct, got a %StructTest.Line{} struct"
               )

      line = %Line{from: %Point{}, to: %Line{}}

      assert message(fn -> @nif.line_length(line) end) ==
               bad_first(
                 ".to: expected a %StructTest.Point{} struct, got a %StructTest.Line{} struct"
               )
    end

    test "a plain map is not a struct" do
      assert message(fn -> @nif.echo_point_ex(%{x: 1, y: 2}) end) ==
               bad_first("expected a %StructTest.Point{} struct, got: #{inspect_erl(%{x: 1, y: 2})}")
    end

    test "a key that is no field is rejected when the struct says so" do
      assert message(fn -> @nif.echo_point_ex(Map.put(%Point{}, :z, 3)) end) ==
               bad_first("unknown key z in a %StructTest.Point{} struct")
    end

    test "a missing key is named" do
      assert message(fn -> @nif.echo_point_ex(Map.delete(%Point{}, :y)) end) ==
               bad_first(
                 "expected a %StructTest.Point{} struct with key y, " <>
                   "got: #{inspect_erl(Map.delete(%Point{}, :y))}"
               )
    end

    test "a bad field names its path" do
      assert message(fn -> @nif.echo_point_ex(%Point{x: nil}) end) ==
               bad_first(".x: expected a float, got: nil")
    end
  end

  # How cnif_error prints a term that has no fixed spelling here: in Erlang
  # syntax, as the shell would.
  defp inspect_erl(term), do: :lists.flatten(:io_lib.format(~c"~0tP", [term, 20])) |> to_string()

  describe "maps, records and tuples" do
    test "the path of a failure deep inside a nested map" do
      %{segments: [s0, s1, s2]} = d = drawing()
      bad = %{d | segments: [s0, s1, %{s2 | end: %{x: nil, y: 1.0}}]}

      assert message(fn -> @nif.echo_drawing(bad) end) ==
               bad_first(".segments[2].end.x: expected a float, got: nil")
    end

    test "a nested map round trip, with a defaulted optional field" do
      d = drawing()

      assert @nif.echo_drawing(d) ==
               Map.put(d, :caption, %{name: "untitled", size: 10, color: :red})
    end

    test "missing and unknown keys" do
      assert message(fn -> @nif.echo_point(%{x: 1}) end) ==
               bad_first("expected a map with key y, got: \#{x => 1}")

      assert message(fn -> @nif.echo_label(%{name: "a", zz: 1}) end) ==
               bad_first("unknown key zz in a map")

      assert @nif.echo_label_lax(%{name: "a", zz: 1}) == %{name: "a", size: 0, color: :red}
      assert @nif.echo_label(%{name: "a"}) == %{name: "a", size: 12, color: :blue}
    end

    test "a record's tag and size" do
      assert @nif.echo_point_rec({:point, 1, 2}) == {:point, 1.0, 2.0}

      assert message(fn -> @nif.echo_point_rec({:pt, 1, 2}) end) ==
               bad_first("expected a #point{} record, got: {pt,1,2}")

      assert message(fn -> @nif.echo_point_rec({:point, 1}) end) ==
               bad_first("expected a #point{} record (a tuple of 3 elements), got: {point,1}")
    end

    test "a plain tuple's size" do
      assert @nif.echo_point_tup({1, 2}) == {1.0, 2.0}

      assert message(fn -> @nif.echo_point_tup({1, 2, 3}) end) ==
               bad_first("expected a tuple of 2 elements, got: {1,2,3}")
    end
  end

  describe "unions, optionals and results" do
    test "a tagged union" do
      assert @nif.echo_shape(:empty) == :empty
      assert @nif.echo_shape({:rect, %{w: 1, h: 2}}) == {:rect, %{w: 1.0, h: 2.0}}

      assert message(fn -> @nif.echo_shape({:circle, "1"}) end) ==
               bad_first(".circle: expected a float, got: <<\"1\">>")
    end

    test "one-of tries its alternatives in declared order" do
      assert @nif.echo_num_fi(5) === 5.0
      assert @nif.echo_num_if(5) === 5
      assert @nif.echo_any_point(%Point{x: 1, y: 2}) == %Point{x: 1.0, y: 2.0}

      assert message(fn -> @nif.echo_num_if(:five) end) ==
               bad_first("expected an integer or a float, got: five")
    end

    test "nil is absent for an Elixir optional, :undefined is not" do
      assert @nif.echo_opt_point(nil) == nil
      assert @nif.echo_opt_point(%{x: 1, y: 2}) == %{x: 1.0, y: 2.0}

      assert message(fn -> @nif.echo_opt_point(:undefined) end) ==
               bad_first("expected a map, got: undefined")

      assert @nif.echo_maybe_int(:undefined) == :undefined

      assert message(fn -> @nif.echo_maybe_int(nil) end) ==
               bad_first("expected an integer, got: nil")
    end

    test "results and statuses" do
      assert @nif.first_point([%{x: 1, y: 2}]) == {:ok, {:point, 1.0, 2.0}}
      assert @nif.first_point([]) == {:error, :empty}
      assert @nif.label_check(%{name: "a"}) == :ok
      assert @nif.label_check(%{name: "a", size: -1}) == {:error, "size must be positive"}

      assert message(fn -> @nif.echo_div_result({:ok, "x"}) end) ==
               bad_first("[1]: expected a float, got: <<\"x\">>")
    end
  end

  describe "dynamic term values" do
    test "any term goes to C and back" do
      term = %{
        "list" => [1, 2.5, :b, {1, "x"}, [1 | 2]],
        :big => [Bitwise.bsl(1, 100), -Bitwise.bsl(1, 64)],
        nil => %Point{x: 1, y: 2},
        {:pid} => self()
      }

      assert @nif.echo_cnif_value(term) == term
    end

    test "deep nesting is a bad argument" do
      deep = Enum.reduce(1..1000, :x, fn _, acc -> [acc] end)

      assert message(fn -> @nif.echo_cnif_value(deep) end) ==
               bad_first("..." <> String.duplicate("[0]", 32) <> ": nested deeper than 512 levels")
    end
  end

  describe "an encoder that panics halfway through a large return value" do
    test "in a user codec, in a struct field, in a dynamic term: contained" do
      assert raised(fn -> @nif.polygon_ring(1000, 4096, 500) end) ==
               {:nif_panicked,
                %{
                  phase: :encode,
                  message: "polygon vertex 500 of 1000 repeats vertex 499",
                  location: nif_site("POLYGON_PANIC")
                }}

      assert raised(fn -> @nif.sample_series(1000, 4096, 500) end) ==
               {:nif_panicked,
                %{
                  phase: :encode,
                  message: "reading -500 is negative",
                  location: nif_site("READING_PANIC")
                }}

      assert raised(fn -> @nif.value_tree(1000, 4096, 500, :nan) end) ==
               {:nif_panicked,
                %{
                  phase: :encode,
                  message: "cannot encode nan as an Erlang float: it is not finite",
                  location: nif_site("CNIF_EXPORT(value_tree,")
                }}

      assert @nif.add(1, 2) == 3
    end

    test "is an ErlangError to Elixir code that rescues" do
      error = assert_raise(ErlangError, fn -> @nif.sample_series(10, 1, 5) end)

      assert error.original ==
               {:nif_panicked,
                %{
                  phase: :encode,
                  message: "reading -5 is negative",
                  location: nif_site("READING_PANIC")
                }}
    end
  end
end
