/* ferry-stun-query.c: our public IPv4 address, as a STUN server sees it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <stun/stunagent.h>
#include <stun/usages/bind.h>

#include "ferry-peer-connection.h"
#include "ferry-source.h"
#include "ferry-stun-query.h"

/* The request goes out at 0, 0.5, 1.5 and 3.5 s (RFC 5389's doubling), and the query gives up
 * a second after the last one. */
#define FIRST_RTO_MS 500
#define TRIES 4
#define LAST_WAIT_MS 1000

typedef struct {
  GMainContext   *context;
  GSocket        *socket;
  GSocketAddress *server;
  GSource        *readable;
  GSource        *timer;
  StunAgent       agent;
  StunMessage     request;
  guint8          buffer[STUN_MAX_MESSAGE_SIZE_IPV4];
  gsize           request_len;
  guint           tries;
  guint           rto_ms;
  guint16         port;
} Query;

static void
query_free (Query *query)
{
  if (query->readable != NULL)
    g_source_destroy (query->readable);
  g_clear_pointer (&query->readable, g_source_unref);
  if (query->timer != NULL)
    g_source_destroy (query->timer);
  g_clear_object (&query->socket);
  g_clear_object (&query->server);
  g_main_context_unref (query->context);
  g_free (query);
}

static gboolean send_request_cb (gpointer user_data);

static void
send_request (GTask *task)
{
  Query *query = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint wait;

  query->tries++;
  if (g_socket_send_to (query->socket, query->server, (const char *) query->buffer,
                        query->request_len, NULL, &error) < 0)
    g_debug ("STUN query: %s", error->message);
  wait = query->tries < TRIES ? query->rto_ms : LAST_WAIT_MS;
  query->rto_ms *= 2;
  query->timer = ferry_source_attach (g_timeout_source_new (wait), query->context, G_PRIORITY_DEFAULT,
                                      send_request_cb, task, NULL);
}

static gboolean
send_request_cb (gpointer user_data)
{
  GTask *task = user_data;
  Query *query = g_task_get_task_data (task);

  query->timer = NULL;
  if (query->tries < TRIES)
    send_request (task);
  else
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               _("The STUN server did not answer, so the public address is unknown"));
      g_object_unref (task);
    }
  return G_SOURCE_REMOVE;
}

static gboolean
readable_cb (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  GTask *task = user_data;
  Query *query = g_task_get_task_data (task);
  guint8 buffer[STUN_MAX_MESSAGE_SIZE_IPV4];
  StunMessage response;
  struct sockaddr_storage mapped, alternate;
  socklen_t mapped_len = sizeof mapped, alternate_len = sizeof alternate;
  g_autoptr(GSocketAddress) from = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  gssize n;

  n = g_socket_receive_from (socket, &from, (char *) buffer, sizeof buffer, NULL, NULL);
  /* Only a valid answer to our own request counts (the agent checks the transaction id). */
  if (n <= 0 ||
      stun_agent_validate (&query->agent, &response, buffer, n, NULL, NULL) != STUN_VALIDATION_SUCCESS ||
      stun_usage_bind_process (&response, (struct sockaddr *) &mapped, &mapped_len,
                               (struct sockaddr *) &alternate, &alternate_len) != STUN_USAGE_BIND_RETURN_SUCCESS ||
      !(address = g_socket_address_new_from_native (&mapped, mapped_len)) ||
      !G_IS_INET_SOCKET_ADDRESS (address))
    return G_SOURCE_CONTINUE;

  g_task_return_pointer (task,
                         g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address))),
                         g_free);
  g_object_unref (task);
  return G_SOURCE_REMOVE;
}

static void
resolved_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GTask *task = user_data;
  Query *query = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autolist(GInetAddress) addresses = g_resolver_lookup_by_name_finish (G_RESOLVER (source), result, &error);
  GInetAddress *ipv4 = NULL;

  for (GList *l = addresses; l != NULL && ipv4 == NULL; l = l->next)
    if (g_inet_address_get_family (l->data) == G_SOCKET_FAMILY_IPV4)
      ipv4 = l->data;
  if (ipv4 == NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("The STUN server has no IPv4 address"));
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }

  /* WebDrop's rooms go by the public IPv4 address, so the question is asked over IPv4. */
  if (!(query->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  g_socket_set_blocking (query->socket, FALSE);
  query->server = g_inet_socket_address_new (ipv4, query->port);
  query->readable = g_socket_create_source (query->socket, G_IO_IN, NULL);
  g_source_set_callback (query->readable, G_SOURCE_FUNC (readable_cb), task, NULL);
  g_source_attach (query->readable, query->context);

  stun_agent_init (&query->agent, STUN_ALL_KNOWN_ATTRIBUTES, STUN_COMPATIBILITY_RFC5389,
                   STUN_AGENT_USAGE_USE_FINGERPRINT);
  query->request_len = stun_usage_bind_create (&query->agent, &query->request, query->buffer, sizeof query->buffer);
  query->rto_ms = FIRST_RTO_MS;
  send_request (task);
}

void
ferry_stun_query_public_address_async (FerryRtcConfig      *config,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  FerryIceServer *server = config->ice_servers->len > 0 ? g_ptr_array_index (config->ice_servers, 0) : NULL;
  Query *query;

  g_task_set_source_tag (task, ferry_stun_query_public_address_async);
  if (server == NULL)
    {
      g_task_return_new_error (task, FERRY_PEER_CONNECTION_ERROR, FERRY_PEER_CONNECTION_ERROR_CONFIGURATION,
                               _("No STUN server is set, so the public address is unknown"));
      g_object_unref (task);
      return;
    }
  query = g_new0 (Query, 1);
  query->context = g_main_context_ref_thread_default ();
  query->port = server->port;
  g_task_set_task_data (task, query, (GDestroyNotify) query_free);
  /* The task holds itself until it returns; the answer or the last timeout ends it. */
  g_resolver_lookup_by_name_async (resolver, server->host, cancellable, resolved_cb, task);
}

char *
ferry_stun_query_public_address_finish (GAsyncResult  *result,
                                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
