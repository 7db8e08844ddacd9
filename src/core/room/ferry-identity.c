/* ferry-identity.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>
#include <gio/gio.h>

#include "ferry-crypto.h"
#include "ferry-identity.h"

struct _FerryIdentity
{
  GObject           parent_instance;

  FerryCertificate *certificate;
};

G_DEFINE_FINAL_TYPE (FerryIdentity, ferry_identity, G_TYPE_OBJECT)

static void
ferry_identity_finalize (GObject *object)
{
  FerryIdentity *self = FERRY_IDENTITY (object);

  g_clear_object (&self->certificate);

  G_OBJECT_CLASS (ferry_identity_parent_class)->finalize (object);
}

static void
ferry_identity_class_init (FerryIdentityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_identity_finalize;
}

static void
ferry_identity_init (FerryIdentity *self)
{
}

char *
ferry_identity_get_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "ferry", "identity.pem", NULL);
}

static FerryCertificate *
create_and_store (const char  *path,
                  GError     **error)
{
  g_autoptr(FerryCertificate) certificate = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *dir = g_path_get_dirname (path);

  if (!(certificate = ferry_certificate_generate (error)) ||
      !(pem = ferry_certificate_to_pem (certificate, error)))
    return NULL;

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not create the folder “%s”: %s"), dir, g_strerror (saved));
      return NULL;
    }
  /* The file holds the private key: readable by the user only, replaced atomically. */
  if (!g_file_set_contents_full (path, pem, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    return NULL;

  ferry_memzero (pem, strlen (pem));
  return g_steal_pointer (&certificate);
}

FerryIdentity *
ferry_identity_load_or_create (const char  *path,
                               GError     **error)
{
  g_autoptr(FerryIdentity) self = g_object_new (FERRY_TYPE_IDENTITY, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *pem = NULL;
  gsize len = 0;

  g_return_val_if_fail (path != NULL, NULL);

  if (g_file_get_contents (path, &pem, &len, &local_error))
    {
      self->certificate = ferry_certificate_new_from_pem (pem, &local_error);
      ferry_memzero (pem, len);
      if (self->certificate == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The identity file “%s” is damaged (%s); move it away to make a new one"),
                       path, local_error->message);
          return NULL;
        }
    }
  else if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      if (!(self->certificate = create_and_store (path, error)))
        return NULL;
    }
  else
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  return g_steal_pointer (&self);
}

FerryCertificate *
ferry_identity_get_certificate (FerryIdentity *self)
{
  g_return_val_if_fail (FERRY_IS_IDENTITY (self), NULL);

  return self->certificate;
}

const guint8 *
ferry_identity_get_fingerprint (FerryIdentity *self)
{
  g_return_val_if_fail (FERRY_IS_IDENTITY (self), NULL);

  return ferry_certificate_get_fingerprint_raw (self->certificate);
}

char *
ferry_identity_verification_code (const guint8 *fingerprint_a,
                                  const guint8 *fingerprint_b)
{
  g_autoptr(GChecksum) sha256 = g_checksum_new (G_CHECKSUM_SHA256);
  const guint8 *first = fingerprint_a, *second = fingerprint_b;
  guint8 digest[FERRY_SHA256_LEN];
  gsize len = sizeof digest;
  guint32 value;

  /* Sorted, so both ends compute the same code (as KDE Connect does). */
  if (memcmp (fingerprint_a, fingerprint_b, FERRY_SHA256_LEN) > 0)
    {
      first = fingerprint_b;
      second = fingerprint_a;
    }
  g_checksum_update (sha256, (const guchar *) "ferry-verify-v1", strlen ("ferry-verify-v1"));
  g_checksum_update (sha256, first, FERRY_SHA256_LEN);
  g_checksum_update (sha256, second, FERRY_SHA256_LEN);
  g_checksum_get_digest (sha256, digest, &len);

  value = ((guint32) digest[0] << 24 | digest[1] << 16 | digest[2] << 8 | digest[3]) % 1000000000;
  return g_strdup_printf ("%03u %03u %03u", value / 1000000, value / 1000 % 1000, value % 1000);
}
