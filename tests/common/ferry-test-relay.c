/* ferry-test-relay.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>

#include "ferry-test-relay.h"

typedef struct {
  GSocket        *socket;    /* stands for this peer towards the other one */
  GSource        *source;
  GSocketAddress *real;      /* where this peer really is */
} Side;

struct _FerryTestRelay
{
  Side                sides[2];   /* A, B */
  guint               n_rewritten;
  FerryTestRelayFunc  func;
  gpointer            user_data;
};

static void
forward (FerryTestRelay *self,
         Side           *to,
         Side           *via,
         const guint8   *data,
         gsize           len)
{
  /* Before both descriptions went through, a datagram is lost, as on a real path. */
  if (to->real != NULL && via->socket != NULL)
    g_socket_send_to (via->socket, to->real, (const char *) data, len, NULL, NULL);
}

/* A datagram arrived on the socket of side @index: it comes from the other peer. */
static gboolean
readable_cb (GSocket      *socket,
             GIOCondition  condition,
             gpointer      user_data)
{
  FerryTestRelay *self = g_object_get_data (G_OBJECT (socket), "relay");
  guint index = GPOINTER_TO_UINT (user_data);
  Side *to = &self->sides[index];
  Side *from = &self->sides[1 - index];
  FerryTestRelayDirection direction = index == 1 ? FERRY_TEST_RELAY_A_TO_B : FERRY_TEST_RELAY_B_TO_A;
  guint8 buf[65536];
  GSocketAddress *source = NULL;
  g_autoptr(GPtrArray) out = NULL;
  gssize n;

  n = g_socket_receive_from (socket, &source, (char *) buf, sizeof buf, NULL, NULL);
  if (n < 0)
    return G_SOURCE_CONTINUE;
  g_clear_object (&from->real);
  from->real = source;

  out = self->func != NULL ? self->func (direction, buf, n, self->user_data) : NULL;
  if (out == NULL)
    forward (self, to, from, buf, n);
  else
    for (guint i = 0; i < out->len; i++)
      {
        gsize len;
        const guint8 *data = g_bytes_get_data (out->pdata[i], &len);

        forward (self, to, from, data, len);
      }
  return G_SOURCE_CONTINUE;
}

FerryTestRelay *
ferry_test_relay_new (FerryTestRelayFunc func,
                      gpointer           user_data)
{
  FerryTestRelay *self = g_new0 (FerryTestRelay, 1);

  self->func = func;
  self->user_data = user_data;
  return self;
}

void
ferry_test_relay_free (FerryTestRelay *self)
{
  for (guint i = 0; i < 2; i++)
    {
      if (self->sides[i].source != NULL)
        g_source_destroy (self->sides[i].source);
      g_clear_pointer (&self->sides[i].source, g_source_unref);
      g_clear_object (&self->sides[i].socket);
      g_clear_object (&self->sides[i].real);
    }
  g_free (self);
}

/* Binds @side's socket next to @ip, the peer's own address, so that it is reachable. */
static void
side_bind (FerryTestRelay *self,
           guint           index,
           const char     *ip)
{
  Side *side = &self->sides[index];
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (ip);
  g_autoptr(GSocketAddress) local = g_inet_socket_address_new (address, 0);

  g_assert_nonnull (address);
  side->socket = g_socket_new (g_inet_address_get_family (address), G_SOCKET_TYPE_DATAGRAM,
                               G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_set_blocking (side->socket, FALSE);
  g_socket_bind (side->socket, local, FALSE, &error);
  g_assert_no_error (error);
  g_object_set_data (G_OBJECT (side->socket), "relay", self);
  side->source = g_socket_create_source (side->socket, G_IO_IN, NULL);
  g_source_set_callback (side->source, (GSourceFunc) readable_cb, GUINT_TO_POINTER (index), NULL);
  g_source_attach (side->source, g_main_context_get_thread_default ());
}

char *
ferry_test_relay_rewrite_sdp (const char *sdp,
                              gpointer    relay)
{
  FerryTestRelay *self = relay;
  guint index = self->n_rewritten++;
  Side *side = &self->sides[index];
  g_auto(GStrv) lines = g_strsplit (sdp, "\r\n", -1);
  GString *out = g_string_new (NULL);
  gboolean replaced = FALSE;

  g_assert_cmpuint (index, <, 2);
  for (guint i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto(GStrv) fields = NULL;
      g_autoptr(GSocketAddress) local = NULL;
      g_autoptr(GInetAddress) real_ip = NULL;

      if (!g_str_has_prefix (lines[i], "a=candidate:"))
        {
          g_string_append_printf (out, "%s\r\n", lines[i]);
          continue;
        }
      if (replaced)
        continue;

      /* foundation component transport priority address port "typ" type */
      fields = g_strsplit (lines[i], " ", -1);
      g_assert_cmpuint (g_strv_length (fields), >=, 8);
      real_ip = g_inet_address_new_from_string (fields[4]);
      side->real = g_inet_socket_address_new (real_ip, atoi (fields[5]));
      side_bind (self, index, fields[4]);
      local = g_socket_get_local_address (side->socket, NULL);
      g_string_append_printf (out, "a=candidate:1 1 udp 2130706431 %s %u typ host\r\n", fields[4],
                              g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local)));
      replaced = TRUE;
    }
  g_assert_true (replaced);
  return g_string_free (out, FALSE);
}
