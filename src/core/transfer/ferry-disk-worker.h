/* ferry-disk-worker.h: the threads that read, write and hash the files of transfers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Like g_task_run_in_thread (), in a pool of threads that does nothing but transfers' disk work:
 * GIO's shared pool also runs blocking name lookups, and a slow DNS server (or none, behind a
 * captive network) can keep all of its threads waiting for seconds while a transfer's next
 * write waits behind them. */
void ferry_disk_worker_run (GTask           *task,
                            GTaskThreadFunc  func);

G_END_DECLS
