/* test-nearby-announcement.c: the packets of nearby devices (docs/PAIRING.md, "Nearby devices")
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <glib.h>

#include "ferry-nearby-announcement.h"

static FerryNearbyAnnouncement *
example (void)
{
  FerryNearbyAnnouncement *announcement = g_new0 (FerryNearbyAnnouncement, 1);

  announcement->type = FERRY_NEARBY_HERE;
  memset (announcement->id, 0xab, sizeof announcement->id);
  memset (announcement->fingerprint, 0x5c, sizeof announcement->fingerprint);
  announcement->name = g_strdup ("Ada’s laptop");
  announcement->code = ferry_pairing_code_new (FALSE, 3600);
  g_assert_true (ferry_pairing_code_add_candidate (announcement->code,
                                                   "candidate:1 1 UDP 2122252543 192.168.1.20 54321 typ host", NULL));
  return announcement;
}

static FerryNearbyAnnouncement *
parse_text (const char  *text,
            GError     **error)
{
  return ferry_nearby_announcement_parse ((const guint8 *) text, strlen (text), g_get_real_time () / G_USEC_PER_SEC,
                                          error);
}

static void
test_round_trip (void)
{
  g_autoptr(FerryNearbyAnnouncement) here = example ();
  g_autoptr(FerryNearbyAnnouncement) parsed = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *code = NULL, *parsed_code = NULL;
  g_autoptr(GError) error = NULL;

  here->ask = TRUE;
  bytes = ferry_nearby_announcement_to_bytes (here);
  g_assert_cmpuint (g_bytes_get_size (bytes), <=, FERRY_NEARBY_MAX_PACKET);
  parsed = ferry_nearby_announcement_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                            g_get_real_time () / G_USEC_PER_SEC, &error);
  g_assert_no_error (error);
  g_assert_cmpint (parsed->type, ==, FERRY_NEARBY_HERE);
  g_assert_true (parsed->ask);
  g_assert_cmpmem (parsed->id, sizeof parsed->id, here->id, sizeof here->id);
  g_assert_cmpmem (parsed->fingerprint, 32, here->fingerprint, 32);
  g_assert_cmpstr (parsed->name, ==, "Ada’s laptop");
  code = ferry_pairing_code_to_string (here->code);
  parsed_code = ferry_pairing_code_to_string (parsed->code);
  g_assert_cmpstr (parsed_code, ==, code);

  /* "bye" carries the id only. */
  g_clear_pointer (&parsed, ferry_nearby_announcement_free);
  g_clear_pointer (&bytes, g_bytes_unref);
  here->type = FERRY_NEARBY_BYE;
  bytes = ferry_nearby_announcement_to_bytes (here);
  parsed = ferry_nearby_announcement_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (parsed->type, ==, FERRY_NEARBY_BYE);
  g_assert_null (parsed->name);
  g_assert_null (parsed->code);
}

/* A hostile name is made safe and short: no control characters, at most 64 bytes. */
static void
test_hostile_name (void)
{
  g_autoptr(FerryNearbyAnnouncement) here = example ();
  g_autoptr(FerryNearbyAnnouncement) parsed = NULL;
  g_autoptr(GString) name = g_string_new ("evil\x1b[2J\u202eeman\n");
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 300; i++)
    g_string_append (name, "é");
  g_free (here->name);
  here->name = g_strdup (name->str);
  bytes = ferry_nearby_announcement_to_bytes (here);
  parsed = ferry_nearby_announcement_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (parsed->name), <=, FERRY_NEARBY_MAX_NAME + strlen ("…"));
  g_assert_true (g_utf8_validate (parsed->name, -1, NULL));
  for (const char *p = parsed->name; *p != '\0'; p = g_utf8_next_char (p))
    {
      g_assert_false (g_unichar_iscntrl (g_utf8_get_char (p)));
      g_assert_cmpuint (g_utf8_get_char (p), !=, 0x202e);
    }
}

static void
test_refused (void)
{
  g_autoptr(FerryNearbyAnnouncement) here = example ();
  g_autoptr(GBytes) bytes = ferry_nearby_announcement_to_bytes (here);
  g_autofree char *good = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autofree char *code = ferry_pairing_code_to_string (here->code);
  g_autofree char *big = g_strnfill (FERRY_NEARBY_MAX_PACKET + 1, ' ');
  g_autofree char *deep = NULL;
  g_autoptr(GString) nested = g_string_new (NULL);
  struct {
    const char *text;
    int         code;
  } cases[] = {
    { "", FERRY_NEARBY_ERROR_INVALID },
    { "not json", FERRY_NEARBY_ERROR_INVALID },
    { "[1,2,3]", FERRY_NEARBY_ERROR_INVALID },
    { "{\"app\":\"other\",\"v\":1}", FERRY_NEARBY_ERROR_INVALID },
    { "{\"app\":\"ferry-nearby\"}", FERRY_NEARBY_ERROR_INVALID },
    { "{\"app\":\"ferry-nearby\",\"v\":2,\"type\":\"here\"}", FERRY_NEARBY_ERROR_VERSION },
    { "{\"app\":\"ferry-nearby\",\"v\":\"1\",\"type\":\"bye\",\"id\":\"abababababababab\"}", FERRY_NEARBY_ERROR_INVALID },
    { "{\"app\":\"ferry-nearby\",\"v\":1,\"type\":\"bye\",\"id\":\"abab\"}", FERRY_NEARBY_ERROR_INVALID },
    { "{\"app\":\"ferry-nearby\",\"v\":1,\"type\":\"gone\",\"id\":\"abababababababab\"}", FERRY_NEARBY_ERROR_INVALID },
    { "{\"app\":\"ferry-nearby\",\"v\":1,\"type\":\"here\",\"id\":\"abababababababab\"}", FERRY_NEARBY_ERROR_INVALID },
    { big, FERRY_NEARBY_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FerryNearbyAnnouncement) parsed = parse_text (cases[i].text, &error);

      g_assert_null (parsed);
      g_assert_error (error, FERRY_NEARBY_ERROR, cases[i].code);
    }

  /* Field by field, in a packet otherwise good. */
  {
    const char *replacements[][2] = {
      { "\"ask\":false", "\"ask\":\"yes\"" },
      { "5c5c5c5c", "zz5c5c5c" },
      { code, "AAAA" },
      { "Ada’s laptop", "" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (replacements); i++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(FerryNearbyAnnouncement) parsed = NULL;
        g_auto(GStrv) parts = g_strsplit (good, replacements[i][0], 2);
        g_autofree char *bad = NULL;

        g_assert_cmpuint (g_strv_length (parts), ==, 2);
        bad = g_strjoin (replacements[i][1], parts[0], parts[1], NULL);
        parsed = parse_text (bad, &error);
        g_assert_null (parsed);
        g_assert_error (error, FERRY_NEARBY_ERROR, FERRY_NEARBY_ERROR_INVALID);
      }
  }

  /* A NUL inside, and deep nesting, within the size limit. */
  {
    g_autoptr(GError) error = NULL;
    const guint8 nul[] = "{\"app\":\"ferry-nearby\",\0\"v\":1}";

    g_assert_null (ferry_nearby_announcement_parse (nul, sizeof nul - 1, 0, &error));
    g_assert_error (error, FERRY_NEARBY_ERROR, FERRY_NEARBY_ERROR_INVALID);
  }
  for (int i = 0; i < FERRY_NEARBY_MAX_PACKET / 2; i++)
    g_string_append_c (nested, '[');
  for (int i = 0; i < FERRY_NEARBY_MAX_PACKET / 2; i++)
    g_string_append_c (nested, ']');
  deep = g_string_free (g_steal_pointer (&nested), FALSE);
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (parse_text (deep, &error));
    g_assert_error (error, FERRY_NEARBY_ERROR, FERRY_NEARBY_ERROR_INVALID);
  }
}

/* A code that expired, or a reply code, is no invitation. */
static void
test_stale_code (void)
{
  g_autoptr(FerryNearbyAnnouncement) here = example ();
  g_autoptr(GBytes) bytes = ferry_nearby_announcement_to_bytes (here);
  g_autoptr(GError) error = NULL;

  g_assert_null (ferry_nearby_announcement_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                                  here->code->expires + 1, &error));
  g_assert_error (error, FERRY_NEARBY_ERROR, FERRY_NEARBY_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "expired"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/nearby-announcement/round-trip", test_round_trip);
  g_test_add_func ("/nearby-announcement/hostile-name", test_hostile_name);
  g_test_add_func ("/nearby-announcement/refused", test_refused);
  g_test_add_func ("/nearby-announcement/stale-code", test_stale_code);
  return g_test_run ();
}
