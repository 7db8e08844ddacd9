/* ferry-hello.h: the first message between Ferry peers (docs/PROTOCOL.md)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * {"type":"ferry-hello","v":1,"app":"ferry","version":"0.1.0","name":"Ana","caps":["chat","chat-ack","files"],
 *  "mac":"<base64url of 32 bytes>"}
 *
 * It rides the P2PT envelope as an object.  "v" is the protocol version; receivers accept any
 * v >= 1 and ignore members they do not know, so later versions can add capabilities and fields
 * without breaking older peers.  "mac" is present in secret rooms only:
 *   HMAC-SHA256 (K, "ferry-auth-v1" ‖ sender's fingerprint ‖ receiver's fingerprint)
 * over the raw 32-byte SHA-256 certificate fingerprints as the sender sees them; see
 * docs/PROTOCOL.md, "Authentication in secret rooms".
 */
#pragma once

#include <glib.h>

#include "ferry-crypto.h"

G_BEGIN_DECLS

#define FERRY_HELLO_ERROR (ferry_hello_error_quark ())

typedef enum {
  FERRY_HELLO_ERROR_MALFORMED,
  FERRY_HELLO_ERROR_UNSUPPORTED,   /* "v" < 1 */
} FerryHelloError;

#define FERRY_PROTOCOL_VERSION 1
#define FERRY_HELLO_MAX_NAME_BYTES 100

typedef struct {
  guint     version;
  char     *app;
  char     *app_version;
  char     *name;          /* display name, valid UTF-8, control characters removed, ≤ 100 bytes */
  GStrv     caps;
  gboolean  has_mac;
  guint8    mac[FERRY_SHA256_LEN];
} FerryHello;

GQuark      ferry_hello_error_quark      (void);

FerryHello *ferry_hello_new              (const char        *name);
void        ferry_hello_free             (FerryHello        *hello);
/* JSON object text for the P2PT envelope. */
char       *ferry_hello_to_json          (const FerryHello  *hello);
/* %TRUE if @json is an object with "type":"ferry-hello" (whatever else it contains). */
gboolean    ferry_hello_is_hello         (const char        *json,
                                          gsize              len);
/* Only "type" and "v" are required; absent strings become "", absent caps an empty list.  app,
 * version and name are sanitized like name; caps keeps the first 64 strings of ≤ 64 bytes.
 * Text json-glib would misread (\u0000, lone surrogates) and hellos over 64 KiB are MALFORMED. */
FerryHello *ferry_hello_parse            (const char        *json,
                                          gsize              len,
                                          GError           **error);
gboolean    ferry_hello_has_cap          (const FerryHello  *hello,
                                          const char        *cap);

void        ferry_hello_compute_mac      (const guint8       key[FERRY_AUTH_KEY_LEN],
                                          const guint8       sender_fingerprint[FERRY_SHA256_LEN],
                                          const guint8       receiver_fingerprint[FERRY_SHA256_LEN],
                                          guint8             mac[FERRY_SHA256_LEN]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryHello, ferry_hello_free)

G_END_DECLS
