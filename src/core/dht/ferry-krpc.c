/* ferry-krpc.c: KRPC, the DHT's messages (BEP 5, with BEP 42's "ip" and BEP 43's "ro")
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-krpc.h"
#include "ferry-text.h"

/* An error message is shown to nobody but logs: short. */
#define MAX_ERROR_MESSAGE 200

G_DEFINE_QUARK (ferry-krpc-error-quark, ferry_krpc_error)

static gboolean
invalid (GError     **error,
         const char  *what)
{
  g_set_error (error, FERRY_KRPC_ERROR, FERRY_KRPC_ERROR_INVALID, _("Not a KRPC message: %s"), what);
  return FALSE;
}

void
ferry_krpc_message_free (FerryKrpcMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->root, ferry_bencode_free);
  g_clear_object (&message->ip);
  g_free (message->error_message);
  g_free (message);
}

GInetSocketAddress *
ferry_krpc_address_parse (const guint8 *data,
                          gsize         len)
{
  g_autoptr(GInetAddress) address = NULL;

  if (len != 6 && len != 18)
    return NULL;
  address = g_inet_address_new_from_bytes (data, len == 6 ? G_SOCKET_FAMILY_IPV4 : G_SOCKET_FAMILY_IPV6);
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address, (data[len - 2] << 8) | data[len - 1]));
}

void
ferry_krpc_write_address (GByteArray         *out,
                          GInetSocketAddress *address)
{
  GInetAddress *ip = g_inet_socket_address_get_address (address);
  guint16 port = g_inet_socket_address_get_port (address);
  guint8 port_bytes[2] = { port >> 8, port & 0xff };

  g_byte_array_append (out, g_inet_address_to_bytes (ip), g_inet_address_get_native_size (ip));
  g_byte_array_append (out, port_bytes, sizeof port_bytes);
}

static gboolean
read_id (const FerryBencode  *body,
         guint8              *id,
         GError             **error)
{
  const FerryBencode *value = ferry_bencode_lookup (body, "id");
  const guint8 *bytes;
  gsize len;

  if (value == NULL || ferry_bencode_get_kind (value) != FERRY_BENCODE_BYTES)
    return invalid (error, _("the node id is missing"));
  bytes = ferry_bencode_get_bytes (value, &len);
  if (len != FERRY_KRPC_ID_LEN)
    return invalid (error, _("the node id is not 20 bytes"));
  memcpy (id, bytes, FERRY_KRPC_ID_LEN);
  return TRUE;
}

static gboolean
read_error (FerryKrpcMessage  *message,
            GError           **error)
{
  const FerryBencode *list = ferry_bencode_lookup (message->root, "e");
  const FerryBencode *code, *text;
  g_autofree char *copy = NULL;
  const guint8 *bytes;
  gsize len;

  if (list == NULL || ferry_bencode_get_kind (list) != FERRY_BENCODE_LIST || ferry_bencode_get_length (list) < 2)
    return invalid (error, _("an error without code and message"));
  code = ferry_bencode_get_item (list, 0);
  text = ferry_bencode_get_item (list, 1);
  if (ferry_bencode_get_kind (code) != FERRY_BENCODE_INT || ferry_bencode_get_kind (text) != FERRY_BENCODE_BYTES)
    return invalid (error, _("an error whose code or message has the wrong type"));
  message->error_code = ferry_bencode_get_int (code);
  bytes = ferry_bencode_get_bytes (text, &len);
  copy = g_strndup ((const char *) bytes, len);
  message->error_message = ferry_text_sanitize_line (copy, MAX_ERROR_MESSAGE, 0);
  return TRUE;
}

FerryKrpcMessage *
ferry_krpc_message_parse (const guint8  *data,
                          gsize          len,
                          GError       **error)
{
  g_autoptr(FerryKrpcMessage) message = g_new0 (FerryKrpcMessage, 1);
  g_autoptr(GError) bencode_error = NULL;
  const FerryBencode *t, *y, *ro, *ip;

  if (!(message->root = ferry_bencode_parse (data, len, &bencode_error)))
    return (invalid (error, bencode_error->message), NULL);
  if (ferry_bencode_get_kind (message->root) != FERRY_BENCODE_DICT)
    return (invalid (error, _("not a dictionary")), NULL);

  t = ferry_bencode_lookup (message->root, "t");
  if (t == NULL || ferry_bencode_get_kind (t) != FERRY_BENCODE_BYTES)
    return (invalid (error, _("the transaction id is missing")), NULL);
  message->transaction = ferry_bencode_get_bytes (t, &message->transaction_len);
  if (message->transaction_len > FERRY_KRPC_MAX_TRANSACTION)
    return (invalid (error, _("the transaction id is too long")), NULL);

  y = ferry_bencode_lookup (message->root, "y");
  if (ferry_bencode_equal_str (y, "q"))
    {
      message->type = FERRY_KRPC_QUERY;
      message->method = ferry_bencode_lookup (message->root, "q");
      message->body = ferry_bencode_lookup (message->root, "a");
      if (message->method == NULL || ferry_bencode_get_kind (message->method) != FERRY_BENCODE_BYTES)
        return (invalid (error, _("a query without a method")), NULL);
      ro = ferry_bencode_lookup (message->root, "ro");
      if (ro != NULL && ferry_bencode_get_kind (ro) != FERRY_BENCODE_INT)
        return (invalid (error, _("“ro” is not an integer")), NULL);
      message->read_only = ro != NULL && ferry_bencode_get_int (ro) == 1;
    }
  else if (ferry_bencode_equal_str (y, "r"))
    {
      message->type = FERRY_KRPC_RESPONSE;
      message->body = ferry_bencode_lookup (message->root, "r");
      ip = ferry_bencode_lookup (message->root, "ip");
      if (ip != NULL)
        {
          const guint8 *bytes;
          gsize ip_len;

          if (ferry_bencode_get_kind (ip) != FERRY_BENCODE_BYTES)
            return (invalid (error, _("“ip” is not a compact address")), NULL);
          bytes = ferry_bencode_get_bytes (ip, &ip_len);
          if (!(message->ip = ferry_krpc_address_parse (bytes, ip_len)))
            return (invalid (error, _("“ip” is not a compact address")), NULL);
        }
    }
  else if (ferry_bencode_equal_str (y, "e"))
    {
      message->type = FERRY_KRPC_ERROR_MESSAGE;
      if (!read_error (message, error))
        return NULL;
      return g_steal_pointer (&message);
    }
  else
    return (invalid (error, _("its type is not q, r or e")), NULL);

  if (message->body == NULL || ferry_bencode_get_kind (message->body) != FERRY_BENCODE_DICT)
    return (invalid (error, _("the arguments or values are not a dictionary")), NULL);
  if (!read_id (message->body, message->id, error))
    return NULL;
  return g_steal_pointer (&message);
}

gboolean
ferry_krpc_message_is (const FerryKrpcMessage *message,
                       const char             *name)
{
  return message->type == FERRY_KRPC_QUERY && ferry_bencode_equal_str (message->method, name);
}

void
ferry_krpc_node_clear (gpointer data)
{
  FerryKrpcNode *node = data;

  g_clear_object (&node->address);
}

GArray *
ferry_krpc_nodes_parse (const FerryBencode  *value,
                        gboolean             ipv6,
                        GError             **error)
{
  gsize entry = FERRY_KRPC_ID_LEN + (ipv6 ? 18 : 6);
  g_autoptr(GArray) nodes = NULL;
  const guint8 *bytes;
  gsize len;

  if (value == NULL || ferry_bencode_get_kind (value) != FERRY_BENCODE_BYTES)
    return (invalid (error, _("the nodes are not a byte string")), NULL);
  bytes = ferry_bencode_get_bytes (value, &len);
  if (len % entry != 0)
    return (invalid (error, _("the nodes are not a whole number of entries")), NULL);
  nodes = g_array_sized_new (FALSE, FALSE, sizeof (FerryKrpcNode), len / entry);
  g_array_set_clear_func (nodes, ferry_krpc_node_clear);
  for (gsize i = 0; i < len; i += entry)
    {
      FerryKrpcNode node;

      memcpy (node.id, bytes + i, FERRY_KRPC_ID_LEN);
      node.address = ferry_krpc_address_parse (bytes + i + FERRY_KRPC_ID_LEN, entry - FERRY_KRPC_ID_LEN);
      g_array_append_val (nodes, node);
    }
  return g_steal_pointer (&nodes);
}

/* Top-level keys in their bencode order: a, e, ip, q, r, ro, t, y. */

GBytes *
ferry_krpc_write_query (const guint8 *transaction,
                        gsize         transaction_len,
                        const char   *method,
                        const guint8 *body,
                        gsize         body_len,
                        gboolean      read_only)
{
  GByteArray *out = g_byte_array_new ();

  ferry_bencode_write_mark (out, 'd');
  ferry_bencode_write_str (out, "a");
  g_byte_array_append (out, body, body_len);
  ferry_bencode_write_str (out, "q");
  ferry_bencode_write_str (out, method);
  if (read_only)
    {
      ferry_bencode_write_str (out, "ro");
      ferry_bencode_write_int (out, 1);
    }
  ferry_bencode_write_str (out, "t");
  ferry_bencode_write_bytes (out, transaction, transaction_len);
  ferry_bencode_write_str (out, "y");
  ferry_bencode_write_str (out, "q");
  ferry_bencode_write_mark (out, 'e');
  return g_byte_array_free_to_bytes (out);
}

GBytes *
ferry_krpc_write_response (const guint8       *transaction,
                           gsize               transaction_len,
                           const guint8       *body,
                           gsize               body_len,
                           GInetSocketAddress *ip)
{
  GByteArray *out = g_byte_array_new ();

  ferry_bencode_write_mark (out, 'd');
  if (ip != NULL)
    {
      g_autoptr(GByteArray) compact = g_byte_array_new ();

      ferry_krpc_write_address (compact, ip);
      ferry_bencode_write_str (out, "ip");
      ferry_bencode_write_bytes (out, compact->data, compact->len);
    }
  ferry_bencode_write_str (out, "r");
  g_byte_array_append (out, body, body_len);
  ferry_bencode_write_str (out, "t");
  ferry_bencode_write_bytes (out, transaction, transaction_len);
  ferry_bencode_write_str (out, "y");
  ferry_bencode_write_str (out, "r");
  ferry_bencode_write_mark (out, 'e');
  return g_byte_array_free_to_bytes (out);
}

GBytes *
ferry_krpc_write_error (const guint8 *transaction,
                        gsize         transaction_len,
                        gint64        code,
                        const char   *message)
{
  GByteArray *out = g_byte_array_new ();

  ferry_bencode_write_mark (out, 'd');
  ferry_bencode_write_str (out, "e");
  ferry_bencode_write_mark (out, 'l');
  ferry_bencode_write_int (out, code);
  ferry_bencode_write_str (out, message);
  ferry_bencode_write_mark (out, 'e');
  ferry_bencode_write_str (out, "t");
  ferry_bencode_write_bytes (out, transaction, transaction_len);
  ferry_bencode_write_str (out, "y");
  ferry_bencode_write_str (out, "e");
  ferry_bencode_write_mark (out, 'e');
  return g_byte_array_free_to_bytes (out);
}
