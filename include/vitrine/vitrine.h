/* vitrine/vitrine.h: the whole public API of libvitrine in one include. Each part has its own
 * header, which says what that part promises; include only what you use if you prefer. */
#ifndef VITRINE_VITRINE_H
#define VITRINE_VITRINE_H

#include <vitrine/common.h>
#include <vitrine/trust.h>

#endif
