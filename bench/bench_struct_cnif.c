/* bench_struct_cnif.c -- the cnif side of the struct benchmarks of
** `make bench`: a 26-field order decoded, and decoded and encoded back, as
** an atom-keyed map, an Elixir struct (%Bench.Order{}) and a record
** (#order{}), through CNIF_DEFINE_STRUCT / CNIF_DEFINE_STRUCT_AS.
** bench_struct_raw.c is the same by hand. Its text fields are cnif_iotext
** and its bytes cnif_iodata: the raw side takes binaries or iolists for
** them, and both sides must do the same work. */
#include <cnif.h>

typedef enum { SIDE_BUY, SIDE_SELL } order_side;
static const cnif_enum_entry side_atoms[] = {
    {SIDE_BUY, "buy"}, {SIDE_SELL, "sell"}, {0, NULL}};
CNIF_DEFINE_ENUM(order_side, side_atoms)

typedef enum { TYPE_MARKET, TYPE_LIMIT, TYPE_STOP, TYPE_STOP_LIMIT } order_type;
static const cnif_enum_entry type_atoms[] = {
    {TYPE_MARKET, "market"}, {TYPE_LIMIT, "limit"}, {TYPE_STOP, "stop"},
    {TYPE_STOP_LIMIT, "stop_limit"}, {0, NULL}};
CNIF_DEFINE_ENUM(order_type, type_atoms)

typedef enum { TIF_GTC, TIF_IOC, TIF_FOK, TIF_DAY } order_tif;
static const cnif_enum_entry tif_atoms[] = {
    {TIF_GTC, "gtc"}, {TIF_IOC, "ioc"}, {TIF_FOK, "fok"}, {TIF_DAY, "day"},
    {0, NULL}};
CNIF_DEFINE_ENUM(order_tif, tif_atoms)

typedef enum {
    STATUS_NEW, STATUS_PARTIAL, STATUS_FILLED, STATUS_CANCELLED, STATUS_REJECTED
} order_status;
static const cnif_enum_entry status_atoms[] = {
    {STATUS_NEW, "new"}, {STATUS_PARTIAL, "partial"}, {STATUS_FILLED, "filled"},
    {STATUS_CANCELLED, "cancelled"}, {STATUS_REJECTED, "rejected"}, {0, NULL}};
CNIF_DEFINE_ENUM(order_status, status_atoms)

typedef struct order {
    int64_t id, account;
    cnif_iotext symbol, venue;
    cnif_iodata client_ref;
    order_side side;
    order_type type;
    order_tif tif;
    order_status status;
    int64_t quantity, filled;
    double price, stop_price, avg_price, fee;
    int64_t created_us, updated_us, expires_us;
    uint8_t priority;
    uint16_t retries;
    uint32_t flags;
    int32_t leverage;
    bool reduce_only, post_only, hidden;
    cnif_iotext trader;
} order;

#define ORDER_FIELDS(F)                                                       \
    F(int64_t, id) F(int64_t, account) F(cnif_iotext, symbol)                 \
    F(cnif_iotext, venue) F(cnif_iodata, client_ref) F(order_side, side)      \
    F(order_type, type) F(order_tif, tif) F(order_status, status)             \
    F(int64_t, quantity) F(int64_t, filled) F(double, price)                  \
    F(double, stop_price) F(double, avg_price) F(double, fee)                 \
    F(int64_t, created_us) F(int64_t, updated_us) F(int64_t, expires_us)      \
    F(uint8_t, priority) F(uint16_t, retries) F(uint32_t, flags)              \
    F(int32_t, leverage) F(bool, reduce_only) F(bool, post_only)              \
    F(bool, hidden) F(cnif_iotext, trader)

CNIF_DEFINE_STRUCT_AS(order_map, order, ORDER_FIELDS, .as = CNIF_AS_MAP)
CNIF_DEFINE_STRUCT_AS(order_ex, order, ORDER_FIELDS, .as = CNIF_AS_STRUCT,
                      .module = "Elixir.Bench.Order")
CNIF_DEFINE_STRUCT_AS(order_rec, order, ORDER_FIELDS, .as = CNIF_AS_RECORD,
                      .tag = "order")

/* Every field folded into one integer, so that the decode is not dead
** code; bench_struct_raw.c computes the same. */
static int64_t checksum(const order *o)
{
    uint64_t sum = (uint64_t)o->id + (uint64_t)o->account + o->symbol.size
                   + o->venue.size + o->client_ref.size + o->side + o->type
                   + o->tif + o->status + (uint64_t)o->quantity
                   + (uint64_t)o->filled + (uint64_t)(int64_t)o->price
                   + (uint64_t)(int64_t)o->stop_price
                   + (uint64_t)(int64_t)o->avg_price + (uint64_t)(int64_t)o->fee
                   + (uint64_t)o->created_us + (uint64_t)o->updated_us
                   + (uint64_t)o->expires_us + o->priority + o->retries
                   + o->flags + (uint64_t)(int64_t)o->leverage
                   + o->reduce_only + o->post_only + o->hidden
                   + o->trader.size;
    return (int64_t)(sum & 0x7fffffffffffffff);
}

/* decode_F(Order) -> the checksum, and roundtrip_F(Order) -> Order, for
** the form F of the order whose codecs are T's. */
#define ORDER_NIFS(F, T)                                                      \
    static int64_t decode_##F(cnif_env *env, T o)                             \
    {                                                                         \
        (void)env;                                                            \
        return checksum(&o);                                                  \
    }                                                                         \
    CNIF_EXPORT(decode_##F, int64_t, T)                                       \
    static T roundtrip_##F(cnif_env *env, T o)                                \
    {                                                                         \
        (void)env;                                                            \
        return o;                                                             \
    }                                                                         \
    CNIF_EXPORT(roundtrip_##F, T, T)

ORDER_NIFS(map, order_map)
ORDER_NIFS(elixir, order_ex)
ORDER_NIFS(record, order_rec)

CNIF_MODULE(bench_struct_cnif, NULL, NULL, NULL)
