/* bench-gui-transfer.c: how smooth the app stays while a big transfer runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-gui-transfer [--size-mib 1024] [--idle-seconds 3] [--dir DIR] [--timeout-seconds 300]
 *
 * The app (FerryApplication and its FerryWindow, started as `ferry` starts them) opens a secret
 * room through a local reference tracker; a friend (`ferry-cli send --room LINK`) offers it a
 * file of --size-mib of random bytes, which the app accepts into its download folder.  Figures:
 *
 * - Time to the first frame: from the start of main (so GTK's start-up and the application's
 *   registration count, not the loading of the program) and from the application's ::activate
 *   to the window's first "after-paint" on its GdkFrameClock; the reference is a bare
 *   libadwaita window (--reference) measured the same way in a process of its own just before.
 * - Frame timing on the room page, idle (the friend there, its offer shown) for --idle-seconds,
 *   then busy: from the accept to the transfer's end as the GUI sees it.  A tick callback
 *   queues a draw at every frame, as an animation would, so that the frame clock never stops:
 *   Xvfb has no compositor and GTK paces frames with its own timer (about 60 per second).  Any
 *   time the GUI thread spends elsewhere (handling the network thread's reports, updating the
 *   transfer's row) delays the next frame, so the intervals between frames show it.  For each
 *   phase: frames per second, median, 99th percentile and largest interval, intervals over 50 ms
 *   and over 100 ms, the transfer's throughput, and the CPU seconds of the GUI thread and of the
 *   whole process (the network thread and the workers that write and hash run in the same
 *   process; the GUI thread should stay nearly idle).  Busy/idle ratios of the 99th percentile
 *   and the largest interval say whether the transfer made the app less smooth.
 *
 * The received file must have the SHA-256 of the one sent, so the figures cannot come from a
 * broken transfer.  Nothing is asserted about the timing: this is a benchmark, not a test.
 *
 * Run it in a network namespace (tests/netns-run.sh), under tests/gui/run-under-xvfb.sh, with
 * $FERRY_CLI, $FERRY_JS_DIR and $FERRY_NODE set as for the gui-room test (tests/bench/meson.build
 * does all of it).  The file to send and everything the app and the friend keep go to a
 * temporary folder in --dir (default: the system's temporary folder), removed at the end
 * however the benchmark ends.
 *
 * Exit 0 with figures; 1 when something failed (the transfer, the check); 77 when node or the
 * tracker's npm packages are missing or the disk lacks room (1 then when CI=true).
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <adwaita.h>

#include "ferry-application.h"
#include "ferry-crypto.h"
#include "ferry-test-friend.h"
#include "ferry-test-gui.h"
#include "ferry-test-tracker.h"
#include "ferry-test-util.h"
#include "ferry-text.h"
#include "ferry-transfer-enums.h"
#include "ferry-window.h"

#define MiB (1024 * 1024)
#define TIMEOUT_MS 20000
/* Frames before the idle phase, for the offer's row and toast to settle. */
#define WARM_UP_MS 1000

static struct {
  int      size_mib;
  double   idle_seconds;
  char    *dir;
  int      timeout_seconds;
  gboolean reference;
} options = { 1024, 3.0, NULL, 300, FALSE };

/* The monotonic time (µs) at the start of main and at the application's ::activate. */
static gint64 start_us;
static gint64 activate_us;
/* The monotonic time (µs) of every "after-paint" of the window's frame clock, in order. */
static GArray *frames;

/* One phase of the run: what the counters were when it began and ended. */
typedef struct {
  gint64      begin_us;
  gint64      end_us;
  /* Its frames, indices in frames[]: from the first painted after it began to the first painted
   * after it ended, end_frame excluded. */
  guint       first_frame;
  guint       end_frame;
  double      gui_cpu_s;         /* CPU time (user + system) of the GUI thread */
  double      process_cpu_s;     /* … of the whole process */
  guint64     bytes;             /* bytes of the transfer done, as the GUI knows them */
  guint       progress_reports;  /* progress reports of the transfer that reached the GUI */
} Phase;

/* What is printed of a phase. */
typedef struct {
  double seconds;
  double fps;
  double median_ms;
  double p99_ms;
  double max_ms;
  guint  over_50ms;
  guint  over_100ms;
  double mb_per_s;
  double gui_cpu_s;
  double process_cpu_s;
  guint  progress_reports;
} Figures;

/* Seen from the GUI thread: progress reports and when the first bytes arrived. */
static guint progress_reports;
static gint64 first_bytes_us;

static G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN void
fail (const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  printf ("bench-gui-transfer FAIL: %s\n", message);
  fflush (stdout);
  _exit (1);
}

/* Exits 77 (skipped), or 1 when CI=true so that a CI run cannot pass by skipping. */
static G_GNUC_NORETURN void
skip_or_fail (const char *what)
{
  gboolean ci = g_strcmp0 (g_getenv ("CI"), "true") == 0;

  printf ("%s: %s%s\n", ci ? "FAIL" : "SKIP", what, ci ? " (CI=true, so this is not skipped)" : "");
  fflush (stdout);
  _exit (ci ? 1 : 77);
}

/* Measuring */

static double
cpu_seconds (int who)
{
  struct rusage usage;

  if (getrusage (who, &usage) != 0)
    fail ("getrusage: %s", g_strerror (errno));
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static void
after_paint_cb (GdkFrameClock *clock,
                gpointer       data)
{
  gint64 now = g_get_monotonic_time ();

  g_array_append_val (frames, now);
}

/* Keeps frames coming: a draw queued at every tick of the frame clock makes it paint a frame at
 * every tick.  GTK renders again only what changed, so this adds little work of its own. */
static gboolean
redraw_tick_cb (GtkWidget     *widget,
                GdkFrameClock *clock,
                gpointer       data)
{
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

static void
activate_cb (GApplication *application,
             gpointer      data)
{
  activate_us = g_get_monotonic_time ();
}

static void
bytes_done_cb (FerrySessionTransfer *transfer,
               GParamSpec           *pspec,
               gpointer              data)
{
  progress_reports++;
  if (first_bytes_us == 0 && ferry_session_transfer_get_bytes_done (transfer) > 0)
    first_bytes_us = g_get_monotonic_time ();
}

/* Runs on the GUI thread, so RUSAGE_THREAD is the GUI thread's own time. */
static void
phase_begin (Phase                *phase,
             FerrySessionTransfer *transfer)
{
  phase->begin_us = g_get_monotonic_time ();
  phase->first_frame = frames->len;
  phase->gui_cpu_s = cpu_seconds (RUSAGE_THREAD);
  phase->process_cpu_s = cpu_seconds (RUSAGE_SELF);
  phase->bytes = ferry_session_transfer_get_bytes_done (transfer);
  phase->progress_reports = progress_reports;
}

static void
phase_end (Phase                *phase,
           FerrySessionTransfer *transfer)
{
  guint painted;

  phase->end_us = g_get_monotonic_time ();
  phase->gui_cpu_s = cpu_seconds (RUSAGE_THREAD) - phase->gui_cpu_s;
  phase->process_cpu_s = cpu_seconds (RUSAGE_SELF) - phase->process_cpu_s;
  phase->bytes = ferry_session_transfer_get_bytes_done (transfer) - phase->bytes;
  phase->progress_reports = progress_reports - phase->progress_reports;

  /* The interval that spans the end belongs to the phase too: the first frame after it closes
   * it, so a GUI thread that is stuck at the end still shows.  Likewise the first interval of a
   * phase starts at the last frame before it began. */
  painted = frames->len;
  FERRY_TEST_WAIT_UNTIL (frames->len > painted, TIMEOUT_MS);
  phase->end_frame = frames->len;
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return (x > y) - (x < y);
}

/* The value at fraction @p of the sorted @values (nearest rank). */
static gint64
percentile (GArray *values,
            double  p)
{
  guint rank = (guint) ceil (p * values->len);

  return g_array_index (values, gint64, MAX (rank, 1) - 1);
}

static Figures
phase_figures (const Phase *phase)
{
  g_autoptr(GArray) intervals = g_array_new (FALSE, FALSE, sizeof (gint64));
  Figures figures = { 0 };
  gint64 span = 0;

  g_assert_cmpuint (phase->first_frame, >, 0);
  for (guint i = phase->first_frame; i < phase->end_frame; i++)
    {
      gint64 interval = g_array_index (frames, gint64, i) - g_array_index (frames, gint64, i - 1);

      g_array_append_val (intervals, interval);
      span += interval;
      figures.over_50ms += interval > 50000;
      figures.over_100ms += interval > 100000;
    }
  g_assert_cmpuint (intervals->len, >, 0);
  g_array_sort (intervals, compare_gint64);

  figures.seconds = (phase->end_us - phase->begin_us) / 1e6;
  figures.fps = intervals->len / (span / 1e6);
  figures.median_ms = percentile (intervals, 0.5) / 1e3;
  figures.p99_ms = percentile (intervals, 0.99) / 1e3;
  figures.max_ms = g_array_index (intervals, gint64, intervals->len - 1) / 1e3;
  figures.mb_per_s = phase->bytes / 1e6 / figures.seconds;
  figures.gui_cpu_s = phase->gui_cpu_s;
  figures.process_cpu_s = phase->process_cpu_s;
  figures.progress_reports = phase->progress_reports;
  return figures;
}

/* Files */

/* Writes @size bytes of random data to @path; returns their SHA-256 (hex).  Not timed. */
static char *
write_random_file (const char *path,
                   guint64     size)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree guint8 *block = g_malloc (MiB);
  FILE *file = fopen (path, "wb");

  if (file == NULL)
    fail ("cannot create %s: %s", path, g_strerror (errno));
  for (guint64 done = 0; done < size; done += MiB)
    {
      gsize n = MIN (MiB, size - done);

      ferry_random_bytes (block, n);
      g_checksum_update (checksum, block, n);
      if (fwrite (block, 1, n, file) != n)
        fail ("cannot write %s: %s", path, g_strerror (errno));
    }
  if (fclose (file) != 0)
    fail ("cannot write %s: %s", path, g_strerror (errno));
  return g_strdup (g_checksum_get_string (checksum));
}

static char *
sha256_of_file (GFile *file)
{
  g_autofree char *path = g_file_get_path (file);
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) error = NULL;

  mapped = g_mapped_file_new (path, FALSE, &error);
  if (mapped == NULL)
    fail ("cannot read the received file: %s", error->message);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256,
                                      (const guchar *) g_mapped_file_get_contents (mapped),
                                      g_mapped_file_get_length (mapped));
}

static guint64
free_bytes (const char *dir)
{
  g_autoptr(GFile) file = g_file_new_for_path (dir);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = g_file_query_filesystem_info (file, G_FILE_ATTRIBUTE_FILESYSTEM_FREE, NULL, &error);
  if (info == NULL)
    fail ("%s: %s", dir, error->message);
  return g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
}

/* The reference for the time to the first frame: a bare libadwaita window (a status page in an
 * AdwApplicationWindow), started and measured the same way in a process of its own, since GTK
 * starts once per process.  Prints the time from the start of main to its first frame. */
static void
reference_activate_cb (GtkApplication *application,
                       gpointer        data)
{
  GtkWidget *window = adw_application_window_new (application);
  GtkWidget *status = adw_status_page_new ();

  adw_status_page_set_title (ADW_STATUS_PAGE (status), "Reference");
  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), "folder-symbolic");
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), status);
  gtk_window_set_default_size (GTK_WINDOW (window), 720, 640);
  gtk_window_present (GTK_WINDOW (window));
}

static int
run_reference (void)
{
  g_autoptr(AdwApplication) app = adw_application_new (NULL, G_APPLICATION_NON_UNIQUE);
  g_autoptr(GError) error = NULL;
  GtkWindow *window;

  g_signal_connect (app, "activate", G_CALLBACK (reference_activate_cb), NULL);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    fail ("cannot register the reference application: %s", error->message);
  g_application_activate (G_APPLICATION (app));
  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                    G_CALLBACK (after_paint_cb), NULL);
  FERRY_TEST_WAIT_UNTIL (frames->len > 0, TIMEOUT_MS);
  setlocale (LC_NUMERIC, "C");
  printf ("%.1f\n", (g_array_index (frames, gint64, 0) - start_us) / 1e3);
  gtk_window_destroy (window);
  return 0;
}

/* Runs this program with --reference: the bare window's time to its first frame, ms. */
static double
measure_reference (const char *self_path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  char *argv[] = { (char *) self_path, (char *) "--reference", NULL };
  int status;

  if (!g_spawn_sync (NULL, argv, NULL,
                     G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    fail ("the reference window did not run: %s", error->message);
  return g_ascii_strtod (out, NULL);
}

/* The app */

/* Starts the app as g_application_run () does in `ferry` (registration, which starts GTK, then
 * ::activate, which shows the window) and waits for the window's first frame; returns the
 * window. */
static FerryWindow *
start_app (FerryApplication *app)
{
  g_autoptr(GError) error = NULL;
  GdkFrameClock *clock;
  FerryWindow *window;

  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), NULL);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    fail ("cannot register the application: %s", error->message);
  g_application_activate (G_APPLICATION (app));

  /* ::activate has mapped the window; its first frame is painted from the main loop. */
  window = FERRY_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_true (FERRY_IS_WINDOW (window));
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (window));
  g_assert_nonnull (clock);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), NULL);
  FERRY_TEST_WAIT_UNTIL (frames->len > 0, TIMEOUT_MS);
  return window;
}

/* The friend's offer, once it reached the GUI. */
static FerrySessionTransfer *
find_offer (FerrySession *session)
{
  GListModel *transfers = ferry_session_get_transfers (session);

  for (guint i = 0; i < g_list_model_get_n_items (transfers); i++)
    {
      g_autoptr(FerrySessionTransfer) transfer = g_list_model_get_item (transfers, i);

      if (ferry_session_transfer_get_direction (transfer) == FERRY_TRANSFER_DIRECTION_RECEIVE &&
          ferry_session_transfer_get_state (transfer) == FERRY_TRANSFER_STATE_OFFERED)
        return transfer;  /* the session's list keeps it */
    }
  return NULL;
}

/* Report */

/* One figure of both phases, with @decimals, and their ratio unless it is NAN. */
static void
print_row (const char *title,
           int         decimals,
           double      idle,
           double      busy,
           double      ratio)
{
  printf ("%-28s %12.*f %12.*f", title, decimals, idle, decimals, busy);
  if (!isnan (ratio))
    printf (" %12.2f", ratio);
  printf ("\n");
}

static void
print_report (const Figures *idle,
              const Figures *busy,
              double         first_frame_ms,
              double         first_frame_from_activate_ms,
              double         reference_ms,
              double         first_bytes_ms)
{
  double busy_mb_per_s_flowing;

  /* Figures in the C locale, whatever GTK's setlocale () chose. */
  setlocale (LC_NUMERIC, "C");

  printf ("\n");
  printf ("GUI while a %d MiB file arrives, one run\n", options.size_mib);
  printf ("time to first frame from program start: %.1f ms\n", first_frame_ms);
  printf ("time to first frame from activate: %.1f ms\n", first_frame_from_activate_ms);
  printf ("time to first frame of a bare libadwaita window: %.1f ms (Ferry takes %.2f times as "
          "long)\n", reference_ms, first_frame_ms / reference_ms);
  printf ("%-28s %12s %12s %12s\n", "", "idle", "busy", "busy/idle");
  print_row ("phase seconds", 2, idle->seconds, busy->seconds, NAN);
  print_row ("frames per second", 1, idle->fps, busy->fps, NAN);
  print_row ("frame interval median ms", 1, idle->median_ms, busy->median_ms, NAN);
  print_row ("frame interval p99 ms", 1, idle->p99_ms, busy->p99_ms, busy->p99_ms / idle->p99_ms);
  print_row ("frame interval max ms", 1, idle->max_ms, busy->max_ms, busy->max_ms / idle->max_ms);
  print_row ("intervals over 50 ms", 0, idle->over_50ms, busy->over_50ms, NAN);
  print_row ("intervals over 100 ms", 0, idle->over_100ms, busy->over_100ms, NAN);
  print_row ("throughput MB/s", 1, idle->mb_per_s, busy->mb_per_s, NAN);
  print_row ("progress reports", 0, idle->progress_reports, busy->progress_reports, NAN);
  print_row ("GUI thread CPU s", 3, idle->gui_cpu_s, busy->gui_cpu_s, NAN);
  print_row ("GUI thread CPU %", 1, 100 * idle->gui_cpu_s / idle->seconds,
             100 * busy->gui_cpu_s / busy->seconds, NAN);
  print_row ("process CPU s", 3, idle->process_cpu_s, busy->process_cpu_s, NAN);

  /* The busy phase also holds the set-up of the transfer's channel after the accept. */
  busy_mb_per_s_flowing = busy->mb_per_s * busy->seconds / (busy->seconds - first_bytes_ms / 1e3);
  printf ("first bytes %.0f ms after the accept; %.1f MB/s from then on\n", first_bytes_ms,
          busy_mb_per_s_flowing);

  printf ("{\"size_mib\":%d,\"first_frame_ms\":%.1f,\"first_frame_from_activate_ms\":%.1f,"
          "\"first_bytes_ms\":%.0f", options.size_mib, first_frame_ms, first_frame_from_activate_ms,
          first_bytes_ms);
  for (guint i = 0; i < 2; i++)
    {
      const Figures *f = i == 0 ? idle : busy;

      printf (",\"%s\":{\"seconds\":%.3f,\"fps\":%.2f,\"median_ms\":%.2f,\"p99_ms\":%.2f,"
              "\"max_ms\":%.2f,\"over_50ms\":%u,\"over_100ms\":%u,\"mb_per_s\":%.2f,"
              "\"progress_reports\":%u,\"gui_cpu_s\":%.3f,\"process_cpu_s\":%.3f}",
              i == 0 ? "idle" : "busy", f->seconds, f->fps, f->median_ms, f->p99_ms, f->max_ms,
              f->over_50ms, f->over_100ms, f->mb_per_s, f->progress_reports, f->gui_cpu_s,
              f->process_cpu_s);
    }
  printf (",\"p99_busy_over_idle\":%.3f,\"max_busy_over_idle\":%.3f}\n",
          busy->p99_ms / idle->p99_ms, busy->max_ms / idle->max_ms);
}

/* The benchmark, in the guarded child process */

static int
run_benchmark (const char *tmpdir)
{
  g_autofree char *data_home = g_build_filename (tmpdir, "data", NULL);
  g_autofree char *downloads = g_build_filename (tmpdir, "downloads", NULL);
  g_autofree char *friend_state = g_build_filename (tmpdir, "friend-state", NULL);
  g_autofree char *friend_identity = g_build_filename (tmpdir, "friend.pem", NULL);
  g_autofree char *file_name = g_strdup_printf ("ferry-bench-%d-MiB.bin", options.size_mib);
  g_autofree char *source = g_build_filename (tmpdir, file_name, NULL);
  g_autofree char *source_sha256 = NULL;
  g_autofree char *received_sha256 = NULL;
  g_autofree char *link_text = NULL;
  g_autoptr(FerryRoomLink) link = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  guint64 size = (guint64) options.size_mib * MiB;
  FerrySessionTransfer *transfer;
  FerryTestTracker *tracker;
  FerryTestFriend *friend;
  FerryApplication *app;
  FerryWindow *window;
  Figures idle_figures, busy_figures;
  Phase idle, busy;
  double first_frame_ms, first_frame_from_activate_ms, reference_ms;
  guint tick;

  /* Quick checks (a few file look-ups) before the app starts. */
  if (!ferry_test_tracker_available ())
    skip_or_fail ("node or the npm package bittorrent-tracker is missing (npm ci in tests/js)");
  if (g_getenv ("FERRY_CLI") == NULL)
    fail ("$FERRY_CLI is not set");
  if (free_bytes (tmpdir) < 2 * size + 64 * MiB)
    skip_or_fail ("not enough free space for the file and its copy");

  /* The app's identity, recent rooms and transfer state go to the temporary folder. */
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);

  /* 1. Time to the first frame, the reference's first. */
  reference_ms = measure_reference ("/proc/self/exe");
  /* Counted from here: nothing before this touched GTK. */
  start_us = g_get_monotonic_time ();
  app = ferry_application_new ();
  window = start_app (app);
  first_frame_ms = (g_array_index (frames, gint64, 0) - start_us) / 1e3;
  first_frame_from_activate_ms = (g_array_index (frames, gint64, 0) - activate_us) / 1e3;
  g_print ("# first frame %.1f ms after the start, %.1f ms after activate; a bare window's %.1f ms "
           "after its start\n", first_frame_ms, first_frame_from_activate_ms, reference_ms);

  /* 2. A room, and the friend's offer of a file.  The file is made first: it blocks the main
   * loop for a while, which would hold up the page's animations. */
  g_print ("# making a %d MiB random file (not timed)\n", options.size_mib);
  source_sha256 = write_random_file (source, size);

  tracker = ferry_test_tracker_start (0, 2);
  settings = g_settings_new (APP_ID);
  g_settings_set_string (settings, "display-name", "Sam");
  g_settings_set_string (settings, "download-folder", downloads);
  g_settings_set_strv (settings, "trackers",
                       (const char * const[]) { ferry_test_tracker_get_url (tracker), NULL });
  g_settings_set_strv (settings, "stun-servers", (const char * const[]) { NULL });

  link = ferry_room_link_new_secret (NULL, &error);
  g_assert_no_error (error);
  link_text = ferry_room_link_to_string (link);
  ferry_window_open_room (window, link);
  if (g_list_model_get_n_items (ferry_session_get_rooms (ferry_application_get_session (app))) != 1)
    fail ("the window did not join the room");
  /* Without a window manager to give it the focus, offers would go to desktop notifications. */
  gtk_window_present (GTK_WINDOW (window));
  FERRY_TEST_WAIT_UNTIL (gtk_window_is_active (GTK_WINDOW (window)), TIMEOUT_MS);

  friend = ferry_test_friend_run ((const char * const[]) { "send", "--room", link_text, "--json",
                                                           "--yes", "--state-dir", friend_state,
                                                           source, NULL },
                                  ferry_test_tracker_get_url (tracker), friend_identity);
  FERRY_TEST_WAIT_UNTIL ((transfer = find_offer (ferry_application_get_session (app))) != NULL ||
                         friend->out.done, TIMEOUT_MS);
  if (transfer == NULL)
    fail ("ferry-cli send ended before its offer arrived");
  if (ferry_session_transfer_get_total (transfer) != size)
    fail ("the offer is of %" G_GUINT64_FORMAT " bytes, not %" G_GUINT64_FORMAT,
          ferry_session_transfer_get_total (transfer), size);
  g_signal_connect (transfer, "notify::bytes-done", G_CALLBACK (bytes_done_cb), NULL);
  ferry_test_gui_wait_for_paint (GTK_WIDGET (window));
  g_print ("# window %d×%d, the offer shown\n", gtk_widget_get_width (GTK_WIDGET (window)),
           gtk_widget_get_height (GTK_WIDGET (window)));

  /* 3. Frames, idle then busy. */
  tick = gtk_widget_add_tick_callback (GTK_WIDGET (window), redraw_tick_cb, NULL, NULL);
  ferry_test_run_for (WARM_UP_MS);

  phase_begin (&idle, transfer);
  ferry_test_run_for ((guint) (options.idle_seconds * 1000));
  phase_end (&idle, transfer);

  phase_begin (&busy, transfer);
  ferry_session_transfer_accept (transfer, NULL, 0);
  FERRY_TEST_WAIT_UNTIL (ferry_session_transfer_is_finished (transfer),
                         options.timeout_seconds * 1000);
  phase_end (&busy, transfer);
  gtk_widget_remove_tick_callback (GTK_WIDGET (window), tick);

  /* 4. The file arrived whole. */
  if (ferry_session_transfer_get_state (transfer) != FERRY_TRANSFER_STATE_DONE)
    fail ("the transfer ended as %s: %s",
          ferry_enum_nick (FERRY_TYPE_TRANSFER_STATE, ferry_session_transfer_get_state (transfer)),
          ferry_session_transfer_get_reason (transfer) ?: "no reason given");
  received_sha256 = sha256_of_file (ferry_session_transfer_get_file (transfer, 0));
  if (g_strcmp0 (received_sha256, source_sha256) != 0)
    fail ("the received file differs from the one sent (SHA-256 %s, not %s)", received_sha256,
          source_sha256);
  g_print ("# the received file has the SHA-256 of the one sent\n");
  ferry_test_friend_wait (friend, 0, TIMEOUT_MS);

  idle_figures = phase_figures (&idle);
  busy_figures = phase_figures (&busy);
  print_report (&idle_figures, &busy_figures, first_frame_ms, first_frame_from_activate_ms,
                reference_ms, first_bytes_us != 0 ? (first_bytes_us - busy.begin_us) / 1e3 : NAN);

  /* Disposing the application shuts the session down. */
  g_signal_handlers_disconnect_by_func (transfer, bytes_done_cb, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  ferry_test_tracker_stop (tracker);
  g_array_unref (frames);
  return 0;
}

/* The guard */

static volatile sig_atomic_t benchmark_pid;

/* Passes SIGINT, SIGTERM and SIGHUP on to the benchmark and everything it started. */
static void
forward_signal (int signum)
{
  if (benchmark_pid > 0)
    kill (-benchmark_pid, signum);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GError) error = NULL;
  int status;
  const char *argv[] = { "rm", "-rf", "--", path, NULL };

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                     &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    g_printerr ("bench-gui-transfer: cannot remove %s: %s\n", path, error->message);
}

/* The benchmark runs in a child process, the leader of its own process group, so that its
 * temporary folder (the file and its copy: twice --size-mib) and the processes it started (the
 * tracker, the friend) go however it ends: an assertion of a shared test helper aborts it, and
 * a timeout kills it.  Forked before GTK or any thread is started.  Returns in the child only,
 * with 0; in the parent, exits with the child's status once everything is removed. */
static int
guard (const char *tmpdir)
{
  struct sigaction forward = { .sa_handler = forward_signal };
  int status;
  pid_t pid;

  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    fail ("fork: %s", g_strerror (errno));
  if (pid == 0)
    {
      setpgid (0, 0);
      return 0;
    }

  setpgid (pid, pid);
  benchmark_pid = pid;
  sigaction (SIGINT, &forward, NULL);
  sigaction (SIGTERM, &forward, NULL);
  sigaction (SIGHUP, &forward, NULL);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      fail ("waitpid: %s", g_strerror (errno));

  kill (-pid, SIGTERM);  /* what it left running, if it was stopped short */
  remove_tree (tmpdir);
  if (WIFSIGNALED (status))
    {
      printf ("bench-gui-transfer FAIL: stopped by signal %d (%s)\n", WTERMSIG (status),
              g_strsignal (WTERMSIG (status)));
      exit (128 + WTERMSIG (status));
    }
  exit (WEXITSTATUS (status));
}

int
main (int   argc,
      char *argv[])
{
  const GOptionEntry entries[] = {
    { "size-mib", 0, 0, G_OPTION_ARG_INT, &options.size_mib,
      "Size of the file sent, MiB (1024)", "N" },
    { "idle-seconds", 0, 0, G_OPTION_ARG_DOUBLE, &options.idle_seconds,
      "Length of the idle phase (3)", "S" },
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &options.dir,
      "Where the temporary folder goes (the system's temporary folder)", "DIR" },
    { "timeout-seconds", 0, 0, G_OPTION_ARG_INT, &options.timeout_seconds,
      "Longest the transfer may take (300)", "S" },
    { "reference", 0, 0, G_OPTION_ARG_NONE, &options.reference,
      "Only show a bare libadwaita window and print its time to the first frame", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpdir = NULL;

  start_us = g_get_monotonic_time ();
  context = g_option_context_new ("- the app's frames while a file arrives");
  /* Figures and the friend's lines as they come, even when stdout is a pipe. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  frames = g_array_new (FALSE, FALSE, sizeof (gint64));

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-gui-transfer: %s\n", error->message);
      return 2;
    }
  if (options.reference)
    return run_reference ();
  if (options.size_mib <= 0 || options.timeout_seconds <= 0 || options.idle_seconds <= 0)
    {
      g_printerr ("bench-gui-transfer: --size-mib, --idle-seconds and --timeout-seconds must be "
                  "positive\n");
      return 2;
    }
  tmpdir = g_build_filename (options.dir != NULL ? options.dir : g_get_tmp_dir (),
                             "ferry-bench-gui-XXXXXX", NULL);
  if (g_mkdtemp (tmpdir) == NULL)
    fail ("cannot make a temporary folder: %s", g_strerror (errno));

  guard (tmpdir);
  return run_benchmark (tmpdir);
}
