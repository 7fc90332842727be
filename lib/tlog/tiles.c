/* tiles.c: the C2SP tlog-tiles layout: paths of hash tiles and entry bundles (index in
 * x-prefixed groups of three digits, partial tiles as N.p/W) and the entry bundle encoding
 * (each entry prefixed by its length as a big-endian uint16). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <vitrine/tlog.h>

/* "x001/x234/067" for 1234067; "000" for 0. */
static int index_path(uint64_t index, char *out, size_t out_size)
{
    unsigned groups[8];
    int n = 0;
    do {
        groups[n++] = (unsigned)(index % 1000);
        index /= 1000;
    } while (index && n < 8);
    size_t pos = 0;
    for (int i = n - 1; i >= 0; i--) {
        int w = snprintf(out + pos, out_size - pos, "%s%03u%s", i > 0 ? "x" : "", groups[i],
                         i > 0 ? "/" : "");
        if (w < 0 || (size_t)w >= out_size - pos)
            return -1;
        pos += (size_t)w;
    }
    return (int)pos;
}

static int layout_path(const char *kind, uint64_t index, unsigned width, char *out,
                       size_t out_size)
{
    char n[64];
    if (index_path(index, n, sizeof n) < 0 || width == 0 || width > VT_TLOG_TILE_WIDTH)
        return -1;
    int w = width == VT_TLOG_TILE_WIDTH ? snprintf(out, out_size, "tile/%s/%s", kind, n)
                                        : snprintf(out, out_size, "tile/%s/%s.p/%u", kind, n, width);
    return w < 0 || (size_t)w >= out_size ? -1 : w;
}

int vt_tlog_tile_path(unsigned level, uint64_t index, unsigned width, char *out, size_t out_size)
{
    char kind[16];
    snprintf(kind, sizeof kind, "%u", level);
    return layout_path(kind, index, width, out, out_size);
}

int vt_tlog_bundle_path(uint64_t index, unsigned width, char *out, size_t out_size)
{
    return layout_path("entries", index, width, out, out_size);
}

vt_status vt_tlog_bundle_parse(const unsigned char *data, size_t len, unsigned count,
                               size_t *offsets, size_t *lengths, vt_error *err)
{
    if (count > VT_TLOG_TILE_WIDTH)
        return vt_error_set(err, VT_ERR_ARGUMENT, "bundle of more than %u entries", VT_TLOG_TILE_WIDTH);
    size_t pos = 0;
    for (unsigned i = 0; i < count; i++) {
        if (len - pos < 2)
            return vt_error_set(err, VT_ERR_FORMAT, "entry bundle truncated at entry %u of %u", i,
                                count);
        size_t n = (size_t)data[pos] << 8 | data[pos + 1];
        pos += 2;
        if (len - pos < n)
            return vt_error_set(err, VT_ERR_FORMAT, "entry bundle truncated inside entry %u", i);
        offsets[i] = pos;
        lengths[i] = n;
        pos += n;
    }
    if (pos != len)
        return vt_error_set(err, VT_ERR_FORMAT, "entry bundle has %zu bytes after its %u entries",
                            len - pos, count);
    return VT_OK;
}
