/* fuzz-krpc.c: ferry_krpc_message_parse () on arbitrary datagrams
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Any datagram from the internet.  It is refused with a clear error, or the message is sane
 * (a short transaction id, a 20-byte id or an error, one-line error text), its node lists parse
 * or are refused, and a query or response written again from its parts reads back the same.
 */
#include <string.h>

#include "fuzz-common.h"
#include "ferry-krpc.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(FerryKrpcMessage) message = NULL;
  g_autoptr(FerryKrpcMessage) again = NULL;
  g_autoptr(GBytes) written = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *body;
  gsize body_len;

  fuzz_init ();

  message = ferry_krpc_message_parse (data, size, &error);
  if (message == NULL)
    {
      g_assert_nonnull (error);
      g_assert_true (error->domain == FERRY_KRPC_ERROR);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }
  g_assert_cmpuint (message->transaction_len, <=, FERRY_KRPC_MAX_TRANSACTION);
  if (message->type == FERRY_KRPC_ERROR_MESSAGE)
    {
      g_assert_true (g_utf8_validate (message->error_message, -1, NULL));
      g_assert_null (strchr (message->error_message, '\n'));
      return 0;
    }
  for (guint ipv6 = 0; ipv6 < 2; ipv6++)
    {
      const FerryBencode *nodes = ferry_bencode_lookup (message->body, ipv6 ? "nodes6" : "nodes");
      g_autoptr(GError) nodes_error = NULL;
      g_autoptr(GArray) parsed = nodes ? ferry_krpc_nodes_parse (nodes, ipv6, &nodes_error) : NULL;

      g_assert_true (nodes == NULL || (parsed != NULL) != (nodes_error != NULL));
    }

  body = ferry_bencode_get_raw (message->body, &body_len);
  if (message->type == FERRY_KRPC_QUERY)
    {
      gsize method_len;
      const guint8 *method = ferry_bencode_get_bytes (message->method, &method_len);
      g_autofree char *name = g_strndup ((const char *) method, method_len);

      if (strlen (name) != method_len)
        return 0;
      written = ferry_krpc_write_query (message->transaction, message->transaction_len, name, body, body_len,
                                        message->read_only);
    }
  else
    written = ferry_krpc_write_response (message->transaction, message->transaction_len, body, body_len, message->ip);
  again = ferry_krpc_message_parse (g_bytes_get_data (written, NULL), g_bytes_get_size (written), &error);
  g_assert_no_error (error);
  g_assert_cmpint (again->type, ==, message->type);
  g_assert_cmpmem (again->id, FERRY_KRPC_ID_LEN, message->id, FERRY_KRPC_ID_LEN);
  g_assert_cmpint (again->read_only, ==, message->read_only);
  return 0;
}
