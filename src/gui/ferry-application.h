/* ferry-application.h: the single Ferry instance, which also opens ferry:// links
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "ferry-session.h"

G_BEGIN_DECLS

#define FERRY_TYPE_APPLICATION (ferry_application_get_type ())
G_DECLARE_FINAL_TYPE (FerryApplication, ferry_application, FERRY, APPLICATION, AdwApplication)

FerryApplication *ferry_application_new         (void);
/* The one session of the process, started at the first call with the user's settings, which
 * it follows; shut down with the application. */
FerrySession     *ferry_application_get_session (FerryApplication *self);

G_END_DECLS
