/* The built-in defaults of ferry-cli are the GSettings schema's.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <gio/gio.h>

#include "ferry-defaults.h"

static void
assert_default (GSettingsSchema    *schema,
                const char         *key_name,
                const char * const *expected)
{
  g_autoptr(GSettingsSchemaKey) key = g_settings_schema_get_key (schema, key_name);
  g_autoptr(GVariant) value = g_settings_schema_key_get_default_value (key);
  g_autofree const char **actual = g_variant_get_strv (value, NULL);

  g_assert_cmpstrv (actual, expected);
}

static void
test_network_defaults (void)
{
  const char *dir = g_getenv ("FERRY_SCHEMA_DIR");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettingsSchemaSource) source = NULL;
  g_autoptr(GSettingsSchema) schema = NULL;

  g_assert_nonnull (dir);
  source = g_settings_schema_source_new_from_directory (dir, NULL, FALSE, &error);
  g_assert_no_error (error);
  schema = g_settings_schema_source_lookup (source, "io.github.ferryapp.Ferry", FALSE);
  g_assert_nonnull (schema);

  assert_default (schema, "trackers", (const char * const[]) FERRY_DEFAULT_TRACKERS);
  assert_default (schema, "stun-servers", (const char * const[]) FERRY_DEFAULT_STUN_SERVERS);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/defaults/network", test_network_defaults);
  return g_test_run ();
}
