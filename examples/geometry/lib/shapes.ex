# The structs the geometry NIFs take and return in Elixir. The NIF side
# (c_src/geometry_nif.c, -DGEOMETRY_ELIXIR) checks __struct__ and reads the
# fields by key.

defmodule Geometry.Point do
  defstruct [:x, :y]
  @type t :: %__MODULE__{x: number, y: number}
end

defmodule Geometry.Segment do
  defstruct [:from, :to]
  @type t :: %__MODULE__{from: Geometry.Point.t(), to: Geometry.Point.t()}
end

defmodule Geometry.Polyline do
  defstruct points: []
  @type t :: %__MODULE__{points: [Geometry.Point.t()]}
end

defmodule Geometry.Polygon do
  defstruct vertices: []
  @type t :: %__MODULE__{vertices: [Geometry.Point.t()]}
end

defmodule Geometry.Circle do
  defstruct [:center, :radius]
  @type t :: %__MODULE__{center: Geometry.Point.t(), radius: number}
end

defmodule Geometry.Rect do
  defstruct [:min, :max]
  @type t :: %__MODULE__{min: Geometry.Point.t(), max: Geometry.Point.t()}
end
