/* ferry-source.h: attaching timers and idles to the context an object lives on
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every object of the core runs on the thread-default GMainContext it was created on, so no
 * source may go to the global default one (g_timeout_add, g_idle_add).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Attaches @source (e.g. g_timeout_source_new (ms)) to @context and returns it, owned by the
 * context: g_source_destroy () it to cancel, never unref it. */
static inline GSource *
ferry_source_attach (GSource        *source,
                     GMainContext   *context,
                     int             priority,
                     GSourceFunc     func,
                     gpointer        data,
                     GDestroyNotify  notify)
{
  g_source_set_priority (source, priority);
  g_source_set_callback (source, func, data, notify);
  g_source_attach (source, context);
  g_source_unref (source);
  return source;
}

G_END_DECLS
