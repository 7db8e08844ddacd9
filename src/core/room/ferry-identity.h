/* ferry-identity.h: the long-lived DTLS certificate that makes a Ferry user recognisable
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Created once and kept (mode 0600) in the user's data directory, so a friend's fingerprint stays
 * the same across restarts (docs/ARCHITECTURE.md, "Identity").  The verification code lets two
 * people compare, out of band, that they see each other's real certificates.
 */
#pragma once

#include <glib-object.h>

#include "ferry-certificate.h"

G_BEGIN_DECLS

#define FERRY_TYPE_IDENTITY (ferry_identity_get_type ())
G_DECLARE_FINAL_TYPE (FerryIdentity, ferry_identity, FERRY, IDENTITY, GObject)

/* Loads the identity stored at @path, or creates and stores a new one there. */
FerryIdentity    *ferry_identity_load_or_create  (const char     *path,
                                                  GError        **error);
/* $XDG_DATA_HOME/ferry/identity.pem */
char             *ferry_identity_get_default_path (void);

FerryCertificate *ferry_identity_get_certificate (FerryIdentity  *self);
/* SHA-256 of the certificate (32 bytes). */
const guint8     *ferry_identity_get_fingerprint (FerryIdentity  *self);

/* Nine digits in three groups ("123 456 789") from both fingerprints, the same on both sides. */
char             *ferry_identity_verification_code (const guint8 *fingerprint_a,
                                                    const guint8 *fingerprint_b);

G_END_DECLS
