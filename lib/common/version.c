/* version.c: the library's version string, fixed at build time from meson.build. */
#include <vitrine/common.h>

#include "vitrine_config.h"

const char *vt_version(void)
{
    return VITRINE_VERSION;
}
