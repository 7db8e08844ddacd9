/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ferry-rtc-config.h"

static void
test_urls (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryIceServer) stun = ferry_ice_server_new_from_url ("stun:stun.example.org", NULL, NULL, &error);
  g_autoptr(FerryIceServer) turn_udp = NULL, turn_tcp = NULL, turn_any = NULL, v6 = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (stun->kind, ==, FERRY_ICE_SERVER_STUN);
  g_assert_cmpstr (stun->host, ==, "stun.example.org");
  g_assert_cmpuint (stun->port, ==, 3478);

  turn_udp = ferry_ice_server_new_from_url ("turn:198.51.100.2:3479?transport=udp", "u", "p", &error);
  g_assert_no_error (error);
  g_assert_cmpint (turn_udp->kind, ==, FERRY_ICE_SERVER_TURN);
  g_assert_cmpint (turn_udp->transport, ==, FERRY_TURN_TRANSPORT_UDP);
  g_assert_cmpuint (turn_udp->port, ==, 3479);
  g_assert_cmpstr (turn_udp->username, ==, "u");

  turn_tcp = ferry_ice_server_new_from_url ("TURN:turn.example.org?transport=TCP", "u", "p", &error);
  g_assert_no_error (error);
  g_assert_cmpint (turn_tcp->transport, ==, FERRY_TURN_TRANSPORT_TCP);

  turn_any = ferry_ice_server_new_from_url ("turn:turn.example.org:80", "u", "p", &error);
  g_assert_no_error (error);
  g_assert_cmpint (turn_any->transport, ==, FERRY_TURN_TRANSPORT_ANY);

  v6 = ferry_ice_server_new_from_url ("stun:[2001:db8::1]:19302", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (v6->host, ==, "2001:db8::1");
  g_assert_cmpuint (v6->port, ==, 19302);
}

static void
test_refused (void)
{
  const struct {
    const char *url;
    int         code;
  } bad[] = {
    /* libnice 0.1.21 would send "TLS" TURN in clear: refused, not silently downgraded. */
    { "turns:turn.example.org:5349", FERRY_RTC_CONFIG_ERROR_UNSUPPORTED },
    { "stuns:stun.example.org", FERRY_RTC_CONFIG_ERROR_UNSUPPORTED },
    { "http://stun.example.org", FERRY_RTC_CONFIG_ERROR_INVALID_URL },
    { "stun.example.org", FERRY_RTC_CONFIG_ERROR_INVALID_URL },
    { "stun:", FERRY_RTC_CONFIG_ERROR_INVALID_URL },
    { "stun:host:0", FERRY_RTC_CONFIG_ERROR_INVALID_URL },
    { "stun:host:70000", FERRY_RTC_CONFIG_ERROR_INVALID_URL },
    { "stun:host:12ab", FERRY_RTC_CONFIG_ERROR_INVALID_URL },
    { "stun:host?transport=udp", FERRY_RTC_CONFIG_ERROR_INVALID_URL },
    { "turn:host?transport=sctp", FERRY_RTC_CONFIG_ERROR_INVALID_URL },
    { "turn:user@host", FERRY_RTC_CONFIG_ERROR_INVALID_URL },
    { "stun:[2001:db8::1", FERRY_RTC_CONFIG_ERROR_INVALID_URL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FerryIceServer) server = ferry_ice_server_new_from_url (bad[i].url, "u", "p", &error);

      g_assert_null (server);
      g_assert_error (error, FERRY_RTC_CONFIG_ERROR, bad[i].code);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(FerryIceServer) server = ferry_ice_server_new_from_url ("turn:host", NULL, NULL, &error);

    /* TURN needs credentials. */
    g_assert_null (server);
    g_assert_error (error, FERRY_RTC_CONFIG_ERROR, FERRY_RTC_CONFIG_ERROR_INVALID_URL);
  }
}

static void
test_copy (void)
{
  g_autoptr(FerryRtcConfig) config = ferry_rtc_config_new ();
  g_autoptr(FerryRtcConfig) copy = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (ferry_rtc_config_add_ice_server (config, "stun:198.51.100.2", NULL, NULL, &error));
  config->policy = FERRY_ICE_POLICY_RELAY;
  copy = ferry_rtc_config_copy (config);
  g_ptr_array_set_size (config->ice_servers, 0);
  g_assert_cmpuint (copy->ice_servers->len, ==, 1);
  g_assert_cmpint (copy->policy, ==, FERRY_ICE_POLICY_RELAY);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rtc-config/urls", test_urls);
  g_test_add_func ("/rtc-config/refused", test_refused);
  g_test_add_func ("/rtc-config/copy", test_copy);

  return g_test_run ();
}
