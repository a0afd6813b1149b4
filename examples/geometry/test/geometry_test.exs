# The geometry example from Elixir: Geometry over the structs of lib/.
# Exact values, and bad arguments as the ArgumentError message reads.
defmodule GeometryTest do
  use ExUnit.Case, async: true
  alias Geometry.{Circle, Point, Polygon, Polyline, Rect, Segment}

  # A right triangle with legs 4 and 3: area 6, perimeter 3 + 4 + 5,
  # centroid (4/3, 1). Every result below is exact in binary floating point.
  defp triangle do
    %Polygon{vertices: [%Point{x: 0, y: 0}, %Point{x: 4, y: 0}, %Point{x: 0, y: 3}]}
  end

  defp message(fun), do: Exception.message(assert_raise(ArgumentError, fun))

  test "area and perimeter of each kind of shape" do
    assert Geometry.area(triangle()) == 6.0
    assert Geometry.perimeter(triangle()) == 12.0
    assert Geometry.area(%Circle{center: %Point{x: 1, y: 1}, radius: 2}) == 4 * :math.pi()
    assert Geometry.area(%Rect{min: %Point{x: 0, y: 0}, max: %Point{x: 4, y: 3}}) == 12.0

    segment = %Segment{from: %Point{x: 0, y: 0}, to: %Point{x: 3, y: 4}}
    assert Geometry.area(segment) == 0.0
    assert Geometry.perimeter(segment) == 5.0
    assert Geometry.perimeter(%Polyline{points: [%Point{x: 0, y: 0}, %Point{x: 3, y: 4}]}) == 5.0
  end

  test "the structs come back as structs" do
    assert Geometry.bounding_box([
             %Circle{center: %Point{x: 1, y: 1}, radius: 2},
             %Segment{from: %Point{x: 5, y: 5}, to: %Point{x: -2, y: 0.5}}
           ]) == %Rect{min: %Point{x: -2.0, y: -1.0}, max: %Point{x: 5.0, y: 5.0}}

    assert Geometry.translate(triangle(), 1, -1) ==
             %Polygon{
               vertices: [%Point{x: 1.0, y: -1.0}, %Point{x: 5.0, y: -1.0}, %Point{x: 1.0, y: 2.0}]
             }

    assert Geometry.centroid(triangle()) == %Point{x: 4 / 3, y: 1.0}
  end

  test "no points, no box" do
    assert Geometry.bounding_box([]) == nil
    assert Geometry.bounding_box([%Polygon{}, %Polyline{}]) == nil
  end

  test "a field left nil is named by its path" do
    bad = %Polygon{vertices: [%Point{x: 0, y: 0}, %Point{x: 4, y: 0}, %Point{y: 3}]}

    for fun <- [fn -> Geometry.centroid(bad) end, fn -> Geometry.area(bad) end] do
      assert message(fun) ==
               "errors were found at the given arguments:\n\n" <>
                 "  * 1st argument: .vertices[2].x: expected a float, got: nil\n"
    end
  end

  test "a struct of the wrong kind" do
    line = %Polyline{points: [%Point{x: 0, y: 0}, %Point{x: 4, y: 0}]}

    assert message(fn -> Geometry.centroid(line) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 1st argument: expected a %Geometry.Polygon{} struct, " <>
               "got a %Geometry.Polyline{} struct\n"
  end

  test "a later argument is named by its position" do
    assert message(fn -> Geometry.translate(triangle(), 1, "2") end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 3rd argument: expected a float, got: <<\"2\">>\n"
  end

  test "what the types cannot say, the NIF body checks" do
    flat = %Polygon{vertices: [%Point{x: 0, y: 0}, %Point{x: 1, y: 1}]}

    assert message(fn -> Geometry.centroid(flat) end) ==
             "errors were found at the given arguments:\n\n" <>
               "  * 1st argument: the polygon has no area\n"
  end
end
