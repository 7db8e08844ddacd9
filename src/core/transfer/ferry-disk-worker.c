/* ferry-disk-worker.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "ferry-disk-worker.h"

/* Enough for a few transfers at once; more jobs wait their turn. */
#define MAX_THREADS 4

typedef struct {
  GTask           *task;
  GTaskThreadFunc  func;
} Job;

static void
run_job (gpointer data,
         gpointer user_data)
{
  Job *job = data;

  job->func (job->task, g_task_get_source_object (job->task), g_task_get_task_data (job->task),
             g_task_get_cancellable (job->task));
  g_object_unref (job->task);
  g_free (job);
}

void
ferry_disk_worker_run (GTask           *task,
                       GTaskThreadFunc  func)
{
  static gsize pool;
  Job *job;

  g_return_if_fail (G_IS_TASK (task));

  if (g_once_init_enter (&pool))
    g_once_init_leave (&pool, (gsize) g_thread_pool_new (run_job, NULL, MAX_THREADS, FALSE, NULL));
  job = g_new (Job, 1);
  job->task = g_object_ref (task);
  job->func = func;
  g_thread_pool_push ((GThreadPool *) pool, job, NULL);
}
