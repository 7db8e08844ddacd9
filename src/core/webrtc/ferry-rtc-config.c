/* ferry-rtc-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-rtc-config.h"

G_DEFINE_QUARK (ferry-rtc-config-error-quark, ferry_rtc_config_error)
G_DEFINE_BOXED_TYPE (FerryIceServer, ferry_ice_server, ferry_ice_server_copy, ferry_ice_server_free)
G_DEFINE_BOXED_TYPE (FerryRtcConfig, ferry_rtc_config, ferry_rtc_config_ref, ferry_rtc_config_unref)

static gboolean
invalid_url (GError    **error,
             const char *url,
             const char *why)
{
  g_set_error (error, FERRY_RTC_CONFIG_ERROR, FERRY_RTC_CONFIG_ERROR_INVALID_URL,
               _("“%s” is not a STUN or TURN server address: %s"), url, why);
  return FALSE;
}

FerryIceServer *
ferry_ice_server_new_from_url (const char  *url,
                               const char  *username,
                               const char  *credential,
                               GError     **error)
{
  g_autoptr(FerryIceServer) server = g_new0 (FerryIceServer, 1);
  g_autofree char *scheme = NULL;
  g_autofree char *rest = NULL;
  const char *colon;
  char *query;
  char *host_end;
  char *port_text = NULL;

  g_return_val_if_fail (url != NULL, NULL);

  colon = strchr (url, ':');
  if (colon == NULL)
    return (invalid_url (error, url, _("it has no scheme")), NULL);
  scheme = g_ascii_strdown (url, colon - url);
  rest = g_strdup (colon + 1);

  if (g_str_equal (scheme, "turns") || g_str_equal (scheme, "stuns"))
    {
      g_set_error (error, FERRY_RTC_CONFIG_ERROR, FERRY_RTC_CONFIG_ERROR_UNSUPPORTED,
                   _("“%s”: TURN and STUN over TLS are not supported (they would be sent "
                     "unencrypted); use a turn: server"), url);
      return NULL;
    }
  if (g_str_equal (scheme, "stun"))
    server->kind = FERRY_ICE_SERVER_STUN;
  else if (g_str_equal (scheme, "turn"))
    server->kind = FERRY_ICE_SERVER_TURN;
  else
    return (invalid_url (error, url, _("the scheme must be stun: or turn:")), NULL);

  /* RFC 7064/7065: no "//", an optional ?transport= for TURN only. */
  if ((query = strchr (rest, '?')) != NULL)
    {
      *query++ = '\0';
      if (server->kind != FERRY_ICE_SERVER_TURN)
        return (invalid_url (error, url, _("STUN addresses take no parameters")), NULL);
      if (g_ascii_strcasecmp (query, "transport=udp") == 0)
        server->transport = FERRY_TURN_TRANSPORT_UDP;
      else if (g_ascii_strcasecmp (query, "transport=tcp") == 0)
        server->transport = FERRY_TURN_TRANSPORT_TCP;
      else
        return (invalid_url (error, url, _("the transport must be udp or tcp")), NULL);
    }

  if (rest[0] == '[')
    {
      host_end = strchr (rest, ']');
      if (host_end == NULL)
        return (invalid_url (error, url, _("unterminated IPv6 address")), NULL);
      server->host = g_strndup (rest + 1, host_end - rest - 1);
      if (host_end[1] == ':')
        port_text = host_end + 2;
      else if (host_end[1] != '\0')
        return (invalid_url (error, url, _("unexpected text after the address")), NULL);
    }
  else
    {
      host_end = strchr (rest, ':');
      if (host_end != NULL)
        {
          *host_end = '\0';
          port_text = host_end + 1;
        }
      server->host = g_strdup (rest);
    }

  if (server->host[0] == '\0' || strchr (server->host, '/') != NULL ||
      strchr (server->host, '@') != NULL)
    return (invalid_url (error, url, _("the host name is missing or invalid")), NULL);

  server->port = 3478;
  if (port_text != NULL)
    {
      guint64 port;

      if (!g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &port, NULL))
        return (invalid_url (error, url, _("the port must be a number from 1 to 65535")), NULL);
      server->port = port;
    }

  if (server->kind == FERRY_ICE_SERVER_TURN && (username == NULL || credential == NULL))
    {
      g_set_error (error, FERRY_RTC_CONFIG_ERROR, FERRY_RTC_CONFIG_ERROR_INVALID_URL,
                   _("The TURN server “%s” needs a user name and a password"), url);
      return NULL;
    }
  server->username = g_strdup (username);
  server->credential = g_strdup (credential);

  return g_steal_pointer (&server);
}

FerryIceServer *
ferry_ice_server_copy (const FerryIceServer *server)
{
  FerryIceServer *copy = g_memdup2 (server, sizeof *server);

  copy->host = g_strdup (server->host);
  copy->username = g_strdup (server->username);
  copy->credential = g_strdup (server->credential);
  return copy;
}

void
ferry_ice_server_free (FerryIceServer *server)
{
  if (server == NULL)
    return;
  g_free (server->host);
  g_free (server->username);
  if (server->credential != NULL)
    memset (server->credential, 0, strlen (server->credential));
  g_free (server->credential);
  g_free (server);
}

static void
rtc_config_clear (gpointer data)
{
  FerryRtcConfig *config = data;

  g_ptr_array_unref (config->ice_servers);
  g_clear_object (&config->certificate);
}

FerryRtcConfig *
ferry_rtc_config_new (void)
{
  FerryRtcConfig *config = g_atomic_rc_box_new0 (FerryRtcConfig);

  config->ice_servers = g_ptr_array_new_with_free_func ((GDestroyNotify) ferry_ice_server_free);
  config->policy = FERRY_ICE_POLICY_ALL;
  config->gather_timeout_ms = 5000;
  config->ice_timeout_ms = 30000;
  /* A check is given up 7.5 s after it first went out (0.5 + 1 + 2 + 4 s). */
  config->check_retransmissions = 3;
  config->liveness_timeout_ms = 30000;
  config->mdns_timeout_ms = 2000;
  config->max_message_size = FERRY_DEFAULT_MAX_MESSAGE_SIZE;

  return config;
}

FerryRtcConfig *
ferry_rtc_config_copy (const FerryRtcConfig *config)
{
  FerryRtcConfig *copy = ferry_rtc_config_new ();
  GPtrArray *servers = copy->ice_servers;

  *copy = *config;
  copy->ice_servers = servers;
  for (guint i = 0; i < config->ice_servers->len; i++)
    g_ptr_array_add (servers, ferry_ice_server_copy (g_ptr_array_index (config->ice_servers, i)));
  if (config->certificate != NULL)
    g_object_ref (config->certificate);
  return copy;
}

FerryRtcConfig *
ferry_rtc_config_ref (FerryRtcConfig *config)
{
  return g_atomic_rc_box_acquire (config);
}

void
ferry_rtc_config_unref (FerryRtcConfig *config)
{
  g_atomic_rc_box_release_full (config, rtc_config_clear);
}

gboolean
ferry_rtc_config_add_ice_server (FerryRtcConfig  *config,
                                 const char      *url,
                                 const char      *username,
                                 const char      *credential,
                                 GError         **error)
{
  FerryIceServer *server = ferry_ice_server_new_from_url (url, username, credential, error);

  if (server == NULL)
    return FALSE;
  g_ptr_array_add (config->ice_servers, server);
  return TRUE;
}
