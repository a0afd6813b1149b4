# The Elixir half of `make example-geometry`: the same geometry over the
# structs of lib/, and a bad argument as Elixir shows it.
alias Geometry.{Circle, Point, Polygon}

show = fn call, fun ->
  IO.puts(call)

  try do
    IO.puts("    " <> inspect(fun.()))
  rescue
    e in ArgumentError ->
      text = String.replace(String.trim(Exception.message(e)), "\n", "\n    ")
      IO.puts("    ** (ArgumentError) " <> text)
  end
end

triangle = %Polygon{vertices: [%Point{x: 0, y: 0}, %Point{x: 4, y: 0}, %Point{x: 0, y: 3}]}
circle = %Circle{center: %Point{x: 1, y: 1}, radius: 2}

IO.puts("\n== Elixir, structs (module Geometry) ==")
show.("Geometry.area(triangle)", fn -> Geometry.area(triangle) end)
show.("Geometry.centroid(triangle)", fn -> Geometry.centroid(triangle) end)
show.("Geometry.bounding_box([triangle, circle])", fn -> Geometry.bounding_box([triangle, circle]) end)

show.("Geometry.centroid(%Polygon{vertices: [..., %Point{y: 3}]})", fn ->
  Geometry.centroid(%Polygon{vertices: [%Point{x: 0, y: 0}, %Point{x: 4, y: 0}, %Point{y: 3}]})
end)
