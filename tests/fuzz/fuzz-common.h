/* fuzz-common.h: shared by the fuzz targets
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each target defines LLVMFuzzerTestOneInput(): linked with -fsanitize=fuzzer it is driven by
 * libFuzzer; otherwise replay.c runs it once per corpus file (tests/fuzz/meson.build).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A g_return_if_fail() or g_warning() reached from hostile input is a bug the fuzzer must
 * report, not a message on stderr: make them abort like a failed assertion.  Called from each
 * target rather than from replay.c so that it holds under libFuzzer too. */
static inline void
fuzz_init (void)
{
  static gboolean done;

  if (!done)
    {
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
      done = TRUE;
    }
}
