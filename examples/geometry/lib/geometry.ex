defmodule Geometry do
  @moduledoc """
  Plane geometry in C, over the structs of `shapes.ex`.

  The NIFs live in the Erlang module `:geometry_elixir`; a bad argument is an
  `ArgumentError` that says where in the argument the problem is:

      iex> Geometry.centroid(%Geometry.Polygon{vertices: [%Geometry.Point{y: 1}]})
      ** (ArgumentError) errors were found at the given arguments:

        * 1st argument: .vertices[0].x: expected a float, got: nil
  """

  # elixirc need not load the NIF module (and its library) to compile this.
  @compile {:no_warn_undefined, :geometry_elixir}

  @type shape ::
          Geometry.Circle.t()
          | Geometry.Rect.t()
          | Geometry.Segment.t()
          | Geometry.Polyline.t()
          | Geometry.Polygon.t()

  @doc "The enclosed area; 0.0 for a segment or a polyline."
  @spec area(shape) :: float
  defdelegate area(shape), to: :geometry_elixir

  @doc "The length of the outline; for a segment or a polyline, its length."
  @spec perimeter(shape) :: float
  defdelegate perimeter(shape), to: :geometry_elixir

  @doc "The smallest axis-aligned rectangle holding every shape; nil if there is no point."
  @spec bounding_box([shape]) :: Geometry.Rect.t() | nil
  defdelegate bounding_box(shapes), to: :geometry_elixir

  @doc "The shape moved by (dx, dy)."
  @spec translate(shape, number, number) :: shape
  defdelegate translate(shape, dx, dy), to: :geometry_elixir

  @doc "The centre of mass of the polygon's area."
  @spec centroid(Geometry.Polygon.t()) :: Geometry.Point.t()
  defdelegate centroid(polygon), to: :geometry_elixir
end
