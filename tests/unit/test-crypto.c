/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ferry-crypto.h"

static void
assert_hex (const guint8 *bytes,
            gsize         len,
            const char   *expected)
{
  g_autofree char *hex = ferry_hex_encode (bytes, len);
  g_assert_cmpstr (hex, ==, expected);
}

static void
test_plain_info_hash (void)
{
  guint8 hash[20];

  ferry_info_hash_from_identifier ("webdrop65d5", hash);
  assert_hex (hash, 20, "83fa5717cea95e5518974b4c344f1c76ae8f1e38");
  /* UTF-8, as P2PT 1.6 and Node hash it. */
  ferry_info_hash_from_identifier ("café ☕", hash);
  assert_hex (hash, 20, "ceb26d538cd94dcf753ed777f3e9134ebd277860");
}

static void
test_secret_derivation (void)
{
  /* Expected values computed independently with Python's hmac/hashlib (RFC 5869 HKDF). */
  guint8 secret[32], hash[20], key[32];

  for (guint i = 0; i < 32; i++)
    secret[i] = i;
  ferry_derive_room_keys (secret, hash, key);
  assert_hex (hash, 20, "ed87f593e50fd9358765106cad414124f722fbd8");
  assert_hex (key, 32, "0295c17e966ec32134d0a2aef10a48ba468ee744c01bc27a27b098f8eaf74f08");
}

static void
test_hmac (void)
{
  /* RFC 4231 test case 2. */
  guint8 mac[32];

  ferry_hmac_sha256 ((const guint8 *) "Jefe", 4, (const guint8 *) "what do ya want for nothing?",
                     28, mac);
  assert_hex (mac, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void
test_random (void)
{
  guint8 a[20], b[20], s1[32], s2[32];

  ferry_peer_id_generate (a);
  ferry_peer_id_generate (b);
  g_assert_false (memcmp (a, b, 20) == 0);
  ferry_random_secret (s1);
  ferry_random_secret (s2);
  g_assert_false (ferry_memequal_constant_time (s1, s2, 32));
  g_assert_true (ferry_memequal_constant_time (s1, s1, 32));
}

static void
test_base64url (void)
{
  guint8 bytes[32];
  g_autofree char *text = NULL;
  g_autofree guint8 *back = NULL;
  gsize len = 0;

  for (guint i = 0; i < 32; i++)
    bytes[i] = i * 8;
  text = ferry_base64url_encode (bytes, 32);
  g_assert_cmpuint (strlen (text), ==, 43);
  g_assert_null (strchr (text, '='));
  g_assert_null (strchr (text, '+'));
  g_assert_null (strchr (text, '/'));
  back = ferry_base64url_decode (text, &len);
  g_assert_cmpmem (back, len, bytes, 32);

  g_assert_null (ferry_base64url_decode ("abc$", &len));
  g_assert_null (ferry_base64url_decode ("abcde", &len));
  g_assert_null (ferry_base64url_decode ("ab+c", &len));
}

static void
test_hex_decode (void)
{
  const guint8 bytes[4] = { 0x00, 0x7f, 0xab, 0xff };
  g_autofree char *hex = ferry_hex_encode (bytes, sizeof bytes);
  guint8 out[4];

  g_assert_cmpstr (hex, ==, "007fabff");
  g_assert_true (ferry_hex_decode (hex, -1, '\0', out, 4));
  g_assert_cmpmem (out, 4, bytes, 4);
  g_assert_true (ferry_hex_decode ("007FaBFF", -1, '\0', out, 4));
  g_assert_cmpmem (out, 4, bytes, 4);
  g_assert_true (ferry_hex_decode ("00:7F:AB:FF", -1, ':', out, 4));
  g_assert_cmpmem (out, 4, bytes, 4);
  /* A length bounds text that goes on. */
  g_assert_true (ferry_hex_decode ("007fabff00", 8, '\0', out, 4));
  g_assert_cmpmem (out, 4, bytes, 4);
  g_assert_true (ferry_hex_decode ("", -1, '\0', out, 0));

  g_assert_false (ferry_hex_decode ("007fabf", -1, '\0', out, 4));
  g_assert_false (ferry_hex_decode ("007fabff0", -1, '\0', out, 4));
  g_assert_false (ferry_hex_decode ("007fabfg", -1, '\0', out, 4));
  g_assert_false (ferry_hex_decode ("+07fabff", -1, '\0', out, 4));
  g_assert_false (ferry_hex_decode (" 07fabff", -1, '\0', out, 4));
  g_assert_false (ferry_hex_decode ("007fabff", 6, '\0', out, 4));
  g_assert_false (ferry_hex_decode ("00:7F:AB:FF", -1, '\0', out, 4));
  g_assert_false (ferry_hex_decode ("00:7F:AB:FF:", -1, ':', out, 4));
  g_assert_false (ferry_hex_decode ("00-7F:AB:FF", -1, ':', out, 4));
  g_assert_false (ferry_hex_decode ("007F:AB:FF", -1, ':', out, 4));
  g_assert_false (ferry_hex_decode ("007fabff", -1, ':', out, 4));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/crypto/plain-info-hash", test_plain_info_hash);
  g_test_add_func ("/crypto/secret-derivation", test_secret_derivation);
  g_test_add_func ("/crypto/hmac", test_hmac);
  g_test_add_func ("/crypto/random", test_random);
  g_test_add_func ("/crypto/base64url", test_base64url);
  g_test_add_func ("/crypto/hex-decode", test_hex_decode);

  return g_test_run ();
}
