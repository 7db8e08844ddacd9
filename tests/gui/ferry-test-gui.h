/* ferry-test-gui.h: the widget tree and screenshots, for the GUI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Screenshots go to $FERRY_TEST_ARTIFACTS_DIR (the temporary folder without it).
 */
#pragma once

#include <adwaita.h>

#include "ferry-application.h"
#include "ferry-window.h"

G_BEGIN_DECLS

/* @root or the first of its descendants (depth first) named @name, or %NULL. */
GtkWidget *ferry_test_gui_find_widget     (GtkWidget  *root,
                                           const char *name);
/* The same, failing the test when there is none. */
GtkWidget *ferry_test_gui_get_widget      (GtkWidget  *root,
                                           const char *name);
/* The AdwActionRow child of @list titled @title, or %NULL. */
AdwActionRow *ferry_test_gui_find_row     (GtkWidget  *list,
                                           const char *title);
/* Whether the chat of @window's room shows a message whose text is @text. */
gboolean   ferry_test_gui_has_message     (GtkWidget  *window,
                                           const char *text);
/* Waits until @widget is mapped and a frame is painted after the call: a shot taken before the
 * first frame is blank, and one taken right after a change shows the old state. */
void       ferry_test_gui_wait_for_paint  (GtkWidget  *widget);
/* Renders the toplevel @window as it is now, saves it as the artifact @file_name and checks
 * that it is not blank. */
void       ferry_test_gui_take_screenshot (GtkWidget  *window,
                                           const char *file_name);
/* The same, as NAME.png in the light style and then as NAME-dark.png in the dark one. */
void       ferry_test_gui_take_light_and_dark (GtkWidget  *window,
                                               const char *name);

/* For a test that runs the app in a network namespace.  Before g_test_init (): untranslated
 * strings and a fresh data folder named after @prefix as XDG_DATA_HOME and XDG_STATE_HOME,
 * returned. */
char      *ferry_test_gui_isolate         (const char *prefix);
/* The app registered and activated, with @display_name and no tracker, no STUN server and no
 * DHT bootstrap node (nothing outside the namespace); @window gets its window. */
FerryApplication *ferry_test_gui_start_app (const char   *display_name,
                                            FerryWindow **window);
/* Closes @window, drops @app and removes @data_dir (freed). */
void       ferry_test_gui_stop_app        (FerryWindow      *window,
                                           FerryApplication *app,
                                           char             *data_dir);

G_END_DECLS
