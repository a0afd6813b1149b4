/* geometry.c -- the geometry itself: plain C over the types of geometry.h. */
#include "geometry.h"
#include <math.h>

static double distance(geo_point a, geo_point b)
{
    return hypot(b.x - a.x, b.y - a.y);
}

/* The length of the path through the points, back to the first if closed. */
static double path_length(const geo_points *p, bool closed)
{
    double length = 0;
    for (size_t i = 1; i < p->len; i++)
        length += distance(p->items[i - 1], p->items[i]);
    if (closed && p->len > 1)
        length += distance(p->items[p->len - 1], p->items[0]);
    return length;
}

/* Twice the signed area (shoelace formula); positive if counter-clockwise. */
static double twice_signed_area(const geo_points *v)
{
    double sum = 0;
    for (size_t i = 0; i < v->len; i++) {
        geo_point a = v->items[i], b = v->items[(i + 1) % v->len];
        sum += a.x * b.y - b.x * a.y;
    }
    return sum;
}

double geo_area(const geo_shape *s)
{
    switch (s->kind) {
    case GEO_CIRCLE:
        return M_PI * s->circle.radius * s->circle.radius;
    case GEO_RECT:
        return fabs((s->rect.max.x - s->rect.min.x)
                    * (s->rect.max.y - s->rect.min.y));
    case GEO_POLYGON:
        return fabs(twice_signed_area(&s->polygon.vertices)) / 2;
    case GEO_SEGMENT:
    case GEO_POLYLINE:
        break;
    }
    return 0;
}

double geo_perimeter(const geo_shape *s)
{
    switch (s->kind) {
    case GEO_CIRCLE:
        return 2 * M_PI * s->circle.radius;
    case GEO_RECT:
        return 2 * (fabs(s->rect.max.x - s->rect.min.x)
                    + fabs(s->rect.max.y - s->rect.min.y));
    case GEO_SEGMENT:
        return distance(s->segment.from, s->segment.to);
    case GEO_POLYLINE:
        return path_length(&s->polyline.points, false);
    case GEO_POLYGON:
        return path_length(&s->polygon.vertices, true);
    }
    return 0;
}

/* Grow box (empty if *any is false) to hold p. */
static void hold(geo_rect *box, bool *any, geo_point p)
{
    if (!*any) {
        box->min = box->max = p;
        *any = true;
        return;
    }
    box->min.x = fmin(box->min.x, p.x);
    box->min.y = fmin(box->min.y, p.y);
    box->max.x = fmax(box->max.x, p.x);
    box->max.y = fmax(box->max.y, p.y);
}

static void hold_all(geo_rect *box, bool *any, const geo_points *p)
{
    for (size_t i = 0; i < p->len; i++)
        hold(box, any, p->items[i]);
}

bool geo_bounding_box(const geo_shapes *shapes, geo_rect *box)
{
    bool any = false;
    for (size_t i = 0; i < shapes->len; i++) {
        const geo_shape *s = &shapes->items[i];
        switch (s->kind) {
        case GEO_CIRCLE: {
            geo_point c = s->circle.center;
            double r = s->circle.radius;
            hold(box, &any, (geo_point){c.x - r, c.y - r});
            hold(box, &any, (geo_point){c.x + r, c.y + r});
            break;
        }
        case GEO_RECT:
            hold(box, &any, s->rect.min);
            hold(box, &any, s->rect.max);
            break;
        case GEO_SEGMENT:
            hold(box, &any, s->segment.from);
            hold(box, &any, s->segment.to);
            break;
        case GEO_POLYLINE:
            hold_all(box, &any, &s->polyline.points);
            break;
        case GEO_POLYGON:
            hold_all(box, &any, &s->polygon.vertices);
            break;
        }
    }
    return any;
}

static void move(geo_point *p, double dx, double dy)
{
    p->x += dx;
    p->y += dy;
}

static void move_all(geo_points *p, double dx, double dy)
{
    for (size_t i = 0; i < p->len; i++)
        move(&p->items[i], dx, dy);
}

void geo_translate(geo_shape *s, double dx, double dy)
{
    switch (s->kind) {
    case GEO_CIRCLE:
        move(&s->circle.center, dx, dy);
        return;
    case GEO_RECT:
        move(&s->rect.min, dx, dy);
        move(&s->rect.max, dx, dy);
        return;
    case GEO_SEGMENT:
        move(&s->segment.from, dx, dy);
        move(&s->segment.to, dx, dy);
        return;
    case GEO_POLYLINE:
        move_all(&s->polyline.points, dx, dy);
        return;
    case GEO_POLYGON:
        move_all(&s->polygon.vertices, dx, dy);
        return;
    }
}

bool geo_centroid(const geo_polygon *polygon, geo_point *centroid)
{
    const geo_points *v = &polygon->vertices;
    double a2 = twice_signed_area(v), cx = 0, cy = 0;

    if (a2 == 0)
        return false;
    for (size_t i = 0; i < v->len; i++) {
        geo_point a = v->items[i], b = v->items[(i + 1) % v->len];
        double cross = a.x * b.y - b.x * a.y;
        cx += (a.x + b.x) * cross;
        cy += (a.y + b.y) * cross;
    }
    centroid->x = cx / (3 * a2);
    centroid->y = cy / (3 * a2);
    return true;
}
