/* geometry_nif.c -- the geometry library of geometry.h as NIFs.
**
** The same C types can look three ways from the BEAM. This file is built
** once per way, each build a NIF library for its own Erlang module:
**
**   -DGEOMETRY_RECORDS  module geometry         #point{x = 1.0, y = 2.0}
**   -DGEOMETRY_MAPS     module geometry_maps    #{x => 1.0, y => 2.0}
**   -DGEOMETRY_ELIXIR   module geometry_elixir  %Geometry.Point{x: 1.0, y: 2.0}
**
** One build per form keeps one field list per type. In a single file, each
** form would need its own codec for every type (point_rec, point_map, ...)
** and its own field lists naming them: a segment of records holds
** point_rec fields, a segment of maps point_map fields. */
#include <cnif.h>
#include "geometry.h"

/* AS(record name, Elixir module name): the form of one struct type.
** NONE: the atom for "no value", as each language spells it. */
#if defined GEOMETRY_RECORDS
#define AS(name, Module) .as = CNIF_AS_RECORD, .tag = #name
#define NONE CNIF_UNDEFINED
CNIF_MODULE(geometry, NULL, NULL, NULL)
#elif defined GEOMETRY_MAPS
#define AS(name, Module) .as = CNIF_AS_MAP
#define NONE CNIF_UNDEFINED
CNIF_MODULE(geometry_maps, NULL, NULL, NULL)
#elif defined GEOMETRY_ELIXIR
#define AS(name, Module) .as = CNIF_AS_STRUCT, .module = "Elixir.Geometry." #Module
#define NONE CNIF_NIL
CNIF_MODULE(geometry_elixir, NULL, NULL, NULL)
#else
#error "build with one of -DGEOMETRY_RECORDS, -DGEOMETRY_MAPS, -DGEOMETRY_ELIXIR"
#endif

/* Each codec is named as the Erlang side calls the type. Field lists are in
** the order of the record fields in geometry.hrl. */
#define POINT_FIELDS(F) F(double, x) F(double, y)
CNIF_DEFINE_STRUCT_AS(point, geo_point, POINT_FIELDS, AS(point, Point))
CNIF_DEFINE_ARRAY_AS(points, geo_points, point)

#define SEGMENT_FIELDS(F) F(point, from) F(point, to)
CNIF_DEFINE_STRUCT_AS(segment, geo_segment, SEGMENT_FIELDS, AS(segment, Segment))

#define POLYLINE_FIELDS(F) F(points, points)
CNIF_DEFINE_STRUCT_AS(polyline, geo_polyline, POLYLINE_FIELDS, AS(polyline, Polyline))

#define POLYGON_FIELDS(F) F(points, vertices)
CNIF_DEFINE_STRUCT_AS(polygon, geo_polygon, POLYGON_FIELDS, AS(polygon, Polygon))

#define CIRCLE_FIELDS(F) F(point, center) F(double, radius)
CNIF_DEFINE_STRUCT_AS(circle, geo_circle, CIRCLE_FIELDS, AS(circle, Circle))

#define RECT_FIELDS(F) F(point, min) F(point, max)
CNIF_DEFINE_STRUCT_AS(rect, geo_rect, RECT_FIELDS, AS(rect, Rect))

typedef geo_shape shape;
#ifdef GEOMETRY_MAPS
/* A map does not say what it is, so a shape is tagged: {circle, #{...}}. */
#define SHAPE_VARIANTS(TAG, VALUE)                                            \
    VALUE(circle, GEO_CIRCLE, circle, circle)                                 \
    VALUE(rect, GEO_RECT, rect, rect)                                         \
    VALUE(segment, GEO_SEGMENT, segment, segment)                             \
    VALUE(polyline, GEO_POLYLINE, polyline, polyline)                         \
    VALUE(polygon, GEO_POLYGON, polygon, polygon)
CNIF_DEFINE_UNION(shape, kind, SHAPE_VARIANTS)
#else
/* A record or an Elixir struct says what it is, so a shape is just one of
** them: #circle{} or %Geometry.Circle{}. */
#define SHAPE_ALTERNATIVES(ALT)                                               \
    ALT(GEO_CIRCLE, circle, circle)                                           \
    ALT(GEO_RECT, rect, rect)                                                 \
    ALT(GEO_SEGMENT, segment, segment)                                        \
    ALT(GEO_POLYLINE, polyline, polyline)                                     \
    ALT(GEO_POLYGON, polygon, polygon)
CNIF_DEFINE_ONE_OF(shape, kind, SHAPE_ALTERNATIVES)
#endif
CNIF_DEFINE_ARRAY_AS(shapes, geo_shapes, shape)

/* No points, no box: undefined in Erlang, nil in Elixir. */
CNIF_DEFINE_OPTIONAL(maybe_rect, rect, NONE)

/* The NIFs: decoding and encoding come from the types above, the geometry
** from geometry.c, so each body is a call and the checks the types cannot
** express. */
static double area(cnif_env *env, shape s)
{
    (void)env;
    return geo_area(&s);
}
CNIF_EXPORT(area, double, shape)

static double perimeter(cnif_env *env, shape s)
{
    (void)env;
    return geo_perimeter(&s);
}
CNIF_EXPORT(perimeter, double, shape)

static maybe_rect bounding_box(cnif_env *env, shapes all)
{
    maybe_rect box;
    (void)env;
    box.present = geo_bounding_box(&all, &box.value);
    return box;
}
CNIF_EXPORT(bounding_box, maybe_rect, shapes)

/* The decoded shape is the call's own copy (its point lists are in
** call-scoped memory), so it can be moved in place and returned. */
static shape translate(cnif_env *env, shape s, double dx, double dy)
{
    (void)env;
    geo_translate(&s, dx, dy);
    return s;
}
CNIF_EXPORT(translate, shape, shape, double, double)

static point centroid(cnif_env *env, polygon p)
{
    point c;
    if (!geo_centroid(&p, &c))
        cnif_raise_badarg(env, 1, "the polygon has no area");
    return c;
}
CNIF_EXPORT(centroid, point, polygon)
