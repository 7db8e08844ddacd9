/* ferry-application.h: the single Ferry instance, which also opens ferry:// links
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ferry-recent-rooms.h"
#include "ferry-session.h"

G_BEGIN_DECLS

#define FERRY_TYPE_APPLICATION (ferry_application_get_type ())
G_DECLARE_FINAL_TYPE (FerryApplication, ferry_application, FERRY, APPLICATION, AdwApplication)

FerryApplication *ferry_application_new                  (void);
/* The one session of the process, started at the first call with the user's settings, which
 * it follows; shut down with the application. */
FerrySession     *ferry_application_get_session          (FerryApplication *self);
/* The rooms joined lately, read from the default file at the first call. */
FerryRecentRooms *ferry_application_get_recent_rooms     (FerryApplication *self);
/* Whether a transfer of the session runs: the "busy" property, notified when it changes. */
gboolean          ferry_application_get_busy             (FerryApplication *self);
/* Tests only, which have nobody to transfer with: busy as if a transfer ran, while @busy. */
void              ferry_application_set_busy_for_testing (FerryApplication *self,
                                                          gboolean          busy);

G_END_DECLS
