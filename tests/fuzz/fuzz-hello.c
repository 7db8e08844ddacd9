/* fuzz-hello.c: ferry_hello_parse() on arbitrary bytes
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A hello that parses must be sane (names and caps valid UTF-8 within their limits, no control
 * characters), be recognised by ferry_hello_is_hello(), and survive serialization: parsing
 * ferry_hello_to_json() of it gives the same hello.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-hello.h"

static void
check_text (const char *text)
{
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpuint (strlen (text), <=, FERRY_HELLO_MAX_NAME_BYTES);
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    g_assert_false (g_unichar_iscntrl (g_utf8_get_char (p)));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(FerryHello) hello = NULL;
  g_autoptr(FerryHello) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  fuzz_init ();

  hello = ferry_hello_parse ((const char *) data, size, &error);
  if (hello == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == FERRY_HELLO_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_no_error (error);

  g_assert_true (ferry_hello_is_hello ((const char *) data, size));
  g_assert_cmpuint (hello->version, >=, 1);
  check_text (hello->app);
  check_text (hello->app_version);
  check_text (hello->name);
  g_assert_nonnull (hello->caps);
  for (guint i = 0; hello->caps[i] != NULL; i++)
    check_text (hello->caps[i]);

  json = ferry_hello_to_json (hello);
  g_assert_true (ferry_hello_is_hello (json, strlen (json)));
  again = ferry_hello_parse (json, strlen (json), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->version, ==, hello->version);
  g_assert_cmpstr (again->app, ==, hello->app);
  g_assert_cmpstr (again->app_version, ==, hello->app_version);
  g_assert_cmpstr (again->name, ==, hello->name);
  g_assert_cmpstrv (again->caps, hello->caps);
  g_assert_cmpint (again->has_mac, ==, hello->has_mac);
  g_assert_cmpmem (again->mac, sizeof again->mac, hello->mac, sizeof hello->mac);

  return 0;
}
