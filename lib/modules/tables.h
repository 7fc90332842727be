/* tables.h: the constant declaration texts of the built-in modules (tables.c), read by
 * declare.c. */
#ifndef VITRINE_MODULES_TABLES_H
#define VITRINE_MODULES_TABLES_H

#include <stddef.h>

typedef struct vt_module_table {
    const char *name;
    const char *declarations;
} vt_module_table;

const vt_module_table *vt_module_tables(size_t *count);

#endif
