/* geometry.h -- a small plane-geometry library in plain C. It knows nothing
** of Erlang: geometry_nif.c is what binds it, so this stands for any C
** library a NIF wraps. */
#ifndef GEOMETRY_H
#define GEOMETRY_H

#include <stdbool.h>
#include <stddef.h>

typedef struct geo_point {
    double x, y;
} geo_point;

typedef struct geo_points {
    geo_point *items;
    size_t len;
} geo_points;

typedef struct geo_segment {
    geo_point from, to;
} geo_segment;

typedef struct geo_polyline {
    geo_points points;
} geo_polyline;

typedef struct geo_polygon {
    geo_points vertices; /* in order; the last joins the first */
} geo_polygon;

typedef struct geo_circle {
    geo_point center;
    double radius;
} geo_circle;

typedef struct geo_rect {
    geo_point min, max;
} geo_rect;

typedef enum geo_kind {
    GEO_CIRCLE,
    GEO_RECT,
    GEO_SEGMENT,
    GEO_POLYLINE,
    GEO_POLYGON
} geo_kind;

typedef struct geo_shape {
    geo_kind kind;
    union {
        geo_circle circle;
        geo_rect rect;
        geo_segment segment;
        geo_polyline polyline;
        geo_polygon polygon;
    };
} geo_shape;

typedef struct geo_shapes {
    geo_shape *items;
    size_t len;
} geo_shapes;

/* The enclosed area; 0 for a segment or a polyline. */
double geo_area(const geo_shape *shape);

/* The length of the outline; for a segment or a polyline, its length. */
double geo_perimeter(const geo_shape *shape);

/* The smallest axis-aligned rectangle holding every shape. False if there
** is no point to hold (no shapes, or only empty polylines and polygons). */
bool geo_bounding_box(const geo_shapes *shapes, geo_rect *box);

/* Move the shape by (dx, dy), in place. */
void geo_translate(geo_shape *shape, double dx, double dy);

/* The centre of mass of the polygon's area. False if it has no area. */
bool geo_centroid(const geo_polygon *polygon, geo_point *centroid);

#endif
