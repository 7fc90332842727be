/* range.h: yara's rule for the (offset, length) ranges taken by hash and math functions: the
 * offset must lie inside the data (offset < size), the length is clipped to the end. */
#ifndef VITRINE_MODRT_RANGE_H
#define VITRINE_MODRT_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool vt_modrt_range(size_t size, int64_t offset, int64_t length, size_t *start,
                                  size_t *len)
{
    if (offset < 0 || length < 0 || (uint64_t)offset >= size)
        return false;
    *start = (size_t)offset;
    *len = (uint64_t)length < size - *start ? (size_t)length : size - *start;
    return true;
}

#endif
