/* utf8.c -- UTF-8 validation (RFC 3629: no overlongs, no surrogates,
** nothing above U+10FFFF), with a word-at-a-time ASCII fast path. */
#include "internal.h"
#include <string.h>

bool cnif_utf8_valid(const void *data, size_t size)
{
    const unsigned char *s = data, *end = s + size;

    while (s < end) {
        if (end - s >= 8) {
            uint64_t word;
            memcpy(&word, s, 8);
            if (!(word & 0x8080808080808080ULL)) {
                s += 8;
                continue;
            }
        }
        unsigned char c = *s;
        if (c < 0x80) {
            s++;
            continue;
        }
        size_t need;
        unsigned char lo = 0x80, hi = 0xBF; /* allowed range of 2nd byte */
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong */
            if (c == 0xED)
                hi = 0x9F; /* surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong */
            if (c == 0xF4)
                hi = 0x8F; /* above U+10FFFF */
        } else {
            return false;
        }
        if ((size_t)(end - s) <= need || s[1] < lo || s[1] > hi)
            return false;
        for (size_t i = 2; i <= need; i++)
            if ((s[i] & 0xC0) != 0x80)
                return false;
        s += need + 1;
    }
    return true;
}
