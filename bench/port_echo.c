/* port_echo.c -- the floor of any out-of-process call, for `make bench`
** (bench_isolated.erl): a port program that sends back every packet it
** reads, unchanged. It talks as a worker BEAM of isolated mode does: on
** file descriptors 3 (in) and 4 (out), which a port opened with
** nouse_stdio gives, in {packet, 4} framing (a 4-byte big-endian length,
** then the bytes). The packet goes back in one write(2). It ends at end of
** file, or on any error. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { IN = 3, OUT = 4 };

/* Reads exactly n bytes; 0 at a clean end of file or an error. */
static int read_all(unsigned char *buf, size_t n)
{
    while (n > 0) {
        ssize_t got = read(IN, buf, n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return 0;
        buf += got;
        n -= (size_t)got;
    }
    return 1;
}

static int write_all(const unsigned char *buf, size_t n)
{
    while (n > 0) {
        ssize_t put = write(OUT, buf, n);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return 0;
        buf += put;
        n -= (size_t)put;
    }
    return 1;
}

int main(void)
{
    size_t cap = 4096;
    unsigned char *buf = malloc(4 + cap);
    if (buf == NULL)
        return 1;
    while (read_all(buf, 4)) {
        size_t len = (size_t)buf[0] << 24 | (size_t)buf[1] << 16
                   | (size_t)buf[2] << 8 | buf[3];
        if (len > cap) {
            unsigned char *bigger = realloc(buf, 4 + len);
            if (bigger == NULL)
                return 1;
            buf = bigger;
            cap = len;
        }
        if (!read_all(buf + 4, len) || !write_all(buf, 4 + len))
            return 1;
    }
    free(buf);
    return 0;
}
