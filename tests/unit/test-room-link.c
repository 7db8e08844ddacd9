/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ferry-room-link.h"

#define SECRET_0_31 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

static void
test_secret_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_new_secret ("Movie night & more", &error);
  g_autoptr(FerryRoomLink) again = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;
  guint8 h1[20], h2[20], k1[32], k2[32];

  g_assert_no_error (error);
  g_assert_true (ferry_room_link_add_tracker (link, "wss://tracker.example.org/announce?x=1&y", &error));
  g_assert_no_error (error);
  text = ferry_room_link_to_string (link);
  g_assert_true (g_str_has_prefix (text, "ferry://join?v=1&name=Movie%20night%20%26%20more&dht=1&tr=wss"));
  g_assert_nonnull (strstr (text, "#k="));

  again = ferry_room_link_parse (text, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ferry_room_link_get_kind (again), ==, FERRY_ROOM_KIND_SECRET);
  g_assert_cmpstr (ferry_room_link_get_label (again), ==, "Movie night & more");
  g_assert_true (ferry_room_link_get_dht (again));
  g_assert_cmpstr (ferry_room_link_get_trackers (again)[0], ==, "wss://tracker.example.org/announce?x=1&y");
  g_assert_null (ferry_room_link_get_trackers (again)[1]);

  ferry_room_link_get_info_hash (link, h1);
  ferry_room_link_get_info_hash (again, h2);
  g_assert_cmpmem (h1, 20, h2, 20);
  g_assert_true (ferry_room_link_get_auth_key (link, k1));
  g_assert_true (ferry_room_link_get_auth_key (again, k2));
  g_assert_cmpmem (k1, 32, k2, 32);

  text2 = ferry_room_link_to_string (again);
  g_assert_cmpstr (text, ==, text2);

  /* Links made before the flag, or without it, leave the DHT out. */
  g_clear_object (&again);
  again = ferry_room_link_parse ("ferry://join?v=1&name=x#k=" SECRET_0_31, &error);
  g_assert_no_error (error);
  g_assert_false (ferry_room_link_get_dht (again));
  g_assert_cmpmem (ferry_room_link_get_secret (again), 32,
                   "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                   "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f", 32);
}

static void
test_secret_known_keys (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_parse ("ferry://join?v=1#k=" SECRET_0_31, &error);
  g_autofree char *hex = NULL;
  guint8 hash[20];

  g_assert_no_error (error);
  g_assert_null (ferry_room_link_get_label (link));
  g_assert_cmpstr (ferry_room_link_get_display_name (link), !=, NULL);
  ferry_room_link_get_info_hash (link, hash);
  hex = ferry_hex_encode (hash, 20);
  g_assert_cmpstr (hex, ==, "ed87f593e50fd9358765106cad414124f722fbd8");
}

static void
test_plain (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = ferry_room_link_parse ("ferry://join?v=1&room=webdrop65d5", &error);
  g_autoptr(FerryRoomLink) typed = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *text = NULL;
  guint8 hash[20], key[32];

  g_assert_no_error (error);
  g_assert_cmpint (ferry_room_link_get_kind (link), ==, FERRY_ROOM_KIND_PLAIN);
  g_assert_cmpstr (ferry_room_link_get_identifier (link), ==, "webdrop65d5");
  ferry_room_link_get_info_hash (link, hash);
  hex = ferry_hex_encode (hash, 20);
  g_assert_cmpstr (hex, ==, "83fa5717cea95e5518974b4c344f1c76ae8f1e38");
  g_assert_false (ferry_room_link_get_auth_key (link, key));

  typed = ferry_room_link_parse_user_input ("  café ☕ room  ", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ferry_room_link_get_identifier (typed), ==, "café ☕ room");
  text = ferry_room_link_to_string (typed);
  g_assert_cmpstr (text, ==, "ferry://join?v=1&room=caf%C3%A9%20%E2%98%95%20room");
}

static void
test_user_input_link (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link =
    ferry_room_link_parse_user_input ("\n FERRY://join/?v=1&name=x&future=ok#k=" SECRET_0_31 " \t", &error);

  g_assert_no_error (error);
  g_assert_cmpint (ferry_room_link_get_kind (link), ==, FERRY_ROOM_KIND_SECRET);
  g_assert_cmpstr (ferry_room_link_get_label (link), ==, "x");
}

typedef struct {
  const char *input;
  int         code;
} BadLink;

static void
test_malformed (void)
{
  const BadLink bad[] = {
    { "ferry://join?v=2&room=x", FERRY_ROOM_LINK_ERROR_UNSUPPORTED_VERSION },
    { "ferry://join?v=1000&name=a#k=" SECRET_0_31, FERRY_ROOM_LINK_ERROR_UNSUPPORTED_VERSION },
    { "ferry://join?room=x", FERRY_ROOM_LINK_ERROR_UNSUPPORTED_VERSION },
    { "ferry://join?v=one&room=x", FERRY_ROOM_LINK_ERROR_UNSUPPORTED_VERSION },
    { "ferry://join?v=1&v=1&room=x", FERRY_ROOM_LINK_ERROR_INVALID },
    { "ferry://join?v=1", FERRY_ROOM_LINK_ERROR_MISSING_SECRET },
    { "ferry://join?v=1&name=Party", FERRY_ROOM_LINK_ERROR_MISSING_SECRET },
    { "ferry://join?v=1&name=Party#", FERRY_ROOM_LINK_ERROR_MISSING_SECRET },
    { "ferry://join?v=1&name=Party#x=1", FERRY_ROOM_LINK_ERROR_MISSING_SECRET },
    { "ferry://join?v=1&name=Party#k=short", FERRY_ROOM_LINK_ERROR_BAD_SECRET },
    { "ferry://join?v=1&name=Party#k=" SECRET_0_31 "A", FERRY_ROOM_LINK_ERROR_BAD_SECRET },
    { "ferry://join?v=1&name=Party#k=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", FERRY_ROOM_LINK_ERROR_BAD_SECRET },
    { "ferry://join?v=1&name=Party#k=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", FERRY_ROOM_LINK_ERROR_BAD_SECRET },
    { "ferry://join?v=1&name=Party#k=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd$h8", FERRY_ROOM_LINK_ERROR_BAD_SECRET },
    { "ferry://join?v=1&room=x#k=" SECRET_0_31, FERRY_ROOM_LINK_ERROR_INVALID },
    { "ferry://join?v=1&room=", FERRY_ROOM_LINK_ERROR_BAD_NAME },
    { "ferry://join?v=1&room=%00x", FERRY_ROOM_LINK_ERROR_INVALID },
    { "ferry://join?v=1&room=a%0Ab", FERRY_ROOM_LINK_ERROR_BAD_NAME },
    { "ferry://join?v=1&room=%FF", FERRY_ROOM_LINK_ERROR_INVALID },
    { "ferry://join?v=1&room=%20x", FERRY_ROOM_LINK_ERROR_BAD_NAME },
    { "ferry://join?v=1&room=x%ZZ", FERRY_ROOM_LINK_ERROR_INVALID },
    { "ferry://join?v=1&room=x&tr=http://example.org", FERRY_ROOM_LINK_ERROR_BAD_TRACKER },
    { "ferry://join?v=1&room=x&tr=wss://", FERRY_ROOM_LINK_ERROR_BAD_TRACKER },
    { "ferry://join?v=1&room=x&tr=nonsense", FERRY_ROOM_LINK_ERROR_BAD_TRACKER },
    { "ferry://leave?v=1&room=x", FERRY_ROOM_LINK_ERROR_INVALID },
    { "ferry://join/x?v=1&room=x", FERRY_ROOM_LINK_ERROR_INVALID },
    { "ferry://user@join?v=1&room=x", FERRY_ROOM_LINK_ERROR_INVALID },
    { "ferry://join:80?v=1&room=x", FERRY_ROOM_LINK_ERROR_INVALID },
    { "https://join?v=1&room=x", FERRY_ROOM_LINK_ERROR_INVALID },
    { "ferry:", FERRY_ROOM_LINK_ERROR_INVALID },
    { "ferry://join", FERRY_ROOM_LINK_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FerryRoomLink) link = ferry_room_link_parse (bad[i].input, &error);

      if (link != NULL || error == NULL || error->code != bad[i].code)
        g_error ("%s: expected error %d, got %s", bad[i].input, bad[i].code,
                 error ? error->message : "a link");
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      /* The secret never appears in an error message. */
      g_assert_null (strstr (error->message, "AAECAwQF"));
    }
}

static void
test_bad_user_input (void)
{
  const char *bad[] = { "", "   ", "https://example.org/room", "a\x01b", "\xff\xfe" };
  g_autofree char *too_long = g_strnfill (FERRY_ROOM_NAME_MAX_BYTES + 1, 'a');

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FerryRoomLink) link = ferry_room_link_parse_user_input (bad[i], &error);

      g_assert_null (link);
      g_assert_nonnull (error);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FerryRoomLink) link = ferry_room_link_parse_user_input (too_long, &error);
    g_assert_error (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_BAD_NAME);
  }
}

static void
test_too_many_trackers (void)
{
  g_autoptr(GString) text = g_string_new ("ferry://join?v=1&room=x");
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryRoomLink) link = NULL;

  for (int i = 0; i < 40; i++)
    g_string_append_printf (text, "&tr=wss://t%d.example.org", i);
  link = ferry_room_link_parse (text->str, &error);
  g_assert_error (error, FERRY_ROOM_LINK_ERROR, FERRY_ROOM_LINK_ERROR_BAD_TRACKER);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/room-link/secret/roundtrip", test_secret_roundtrip);
  g_test_add_func ("/room-link/secret/known-keys", test_secret_known_keys);
  g_test_add_func ("/room-link/plain", test_plain);
  g_test_add_func ("/room-link/user-input/link", test_user_input_link);
  g_test_add_func ("/room-link/malformed", test_malformed);
  g_test_add_func ("/room-link/user-input/bad", test_bad_user_input);
  g_test_add_func ("/room-link/too-many-trackers", test_too_many_trackers);

  return g_test_run ();
}
