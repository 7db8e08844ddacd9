/* ferry-session-pairing.h: a pairing code in progress, as the GUI sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The GUI's handle on one FerryPairing running on the session's network thread
 * (ferry_session_pair ()).  Everything here lives on the GUI's main context; calls are passed
 * on to the network thread and return at once, their results come back as changes of the
 * properties or as signals.  Once the other computer proved the code, the session makes a
 * direct room for it (no tracker: only that peer is in it), lists it in its rooms, and the
 * pairing emits ::connected with that room; then, or after ::failed or
 * ferry_session_pairing_cancel (), the pairing is over.
 *
 * Properties (read-only, notified on the GUI's main context):
 *   link        string   the code we made, as a link (ferry://pair?v=1#…), once it is ready;
 *                        %NULL while gathering and for a reader
 *   reply-link  string   a reader's reply code, as a link, when nothing got through within a
 *                        few seconds: the owner of the code must enter it
 *   reader      boolean  (construct-only) this side read someone else's code
 *   error       GError   what went wrong last (a refused reply, or why the pairing failed)
 *   finished    boolean  connected, failed or cancelled: nothing more happens
 * Signals:
 *   ::failed (const GError *)           over without a connection: the code expired, it was
 *                                       used already, the connection broke, or the identity
 *                                       could not be loaded
 *   ::reply-refused (const GError *)    a reply code given to ferry_session_pairing_add_reply ()
 *                                       was refused; the pairing goes on
 *   ::connected (FerrySessionRoom *)    the direct room with the other computer in it
 */
#pragma once

#include <gio/gio.h>

#include "ferry-session-room.h"

G_BEGIN_DECLS

#define FERRY_TYPE_SESSION_PAIRING (ferry_session_pairing_get_type ())
G_DECLARE_FINAL_TYPE (FerrySessionPairing, ferry_session_pairing, FERRY, SESSION_PAIRING, GObject)

const char   *ferry_session_pairing_get_link       (FerrySessionPairing  *self);
const char   *ferry_session_pairing_get_reply_link (FerrySessionPairing  *self);
gboolean      ferry_session_pairing_get_reader     (FerrySessionPairing  *self);
const GError *ferry_session_pairing_get_error      (FerrySessionPairing  *self);
gboolean      ferry_session_pairing_get_finished   (FerrySessionPairing  *self);

/* The owner takes the reader's reply code (or its link).  Text that is no reply code fails at
 * once with the parser's error (FERRY_PAIRING_CODE_ERROR); a reply that does not answer our
 * code, or comes after it was used, is refused on the network thread: ::reply-refused. */
gboolean      ferry_session_pairing_add_reply      (FerrySessionPairing  *self,
                                                    const char           *text,
                                                    GError              **error);
/* Stops waiting: the code is no longer answered, and nothing more is reported. */
void          ferry_session_pairing_cancel         (FerrySessionPairing  *self);

G_END_DECLS
