/* ferry-allocator.h: the C library's allocator set up for bulk transfers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Call once, first thing in main (); see ferry-allocator.c. */
void ferry_allocator_init (void);

G_END_DECLS
