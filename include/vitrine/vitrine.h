/* vitrine/vitrine.h: the whole public API in one include. Each part has its own header, which
 * says what that part promises; include only what you use if you prefer.
 * The engine (libvitrine): common, pattern, match, rules, modules, module_runtime, cond, scan.
 * The trust library (libvitrine-trust, on top of the engine): tlog, trust, distrib, audit. */
#ifndef VITRINE_VITRINE_H
#define VITRINE_VITRINE_H

#include <vitrine/common.h>
#include <vitrine/pattern.h>
#include <vitrine/match.h>
#include <vitrine/rules.h>
#include <vitrine/modules.h>
#include <vitrine/module_runtime.h>
#include <vitrine/cond.h>
#include <vitrine/scan.h>
#include <vitrine/tlog.h>
#include <vitrine/trust.h>
#include <vitrine/distrib.h>
#include <vitrine/audit.h>

#endif
