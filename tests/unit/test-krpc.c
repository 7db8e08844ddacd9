/* test-krpc.c: KRPC messages (src/core/dht/ferry-krpc.h), with the examples of BEP 5
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <string.h>
#include <gio/gio.h>

#include "ferry-krpc.h"

static FerryKrpcMessage *
parse (const char  *text,
       GError     **error)
{
  return ferry_krpc_message_parse ((const guint8 *) text, strlen (text), error);
}

static void
assert_bytes (GBytes     *bytes,
              const char *expected)
{
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), expected, strlen (expected));
}

static void
test_bep5_examples (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryKrpcMessage) ping = parse ("d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe", &error);
  g_autoptr(FerryKrpcMessage) pong = NULL;
  g_autoptr(FerryKrpcMessage) failure = NULL;
  g_autoptr(FerryKrpcMessage) announce = NULL;
  g_autoptr(GBytes) written = NULL;
  const guint8 *raw;
  gsize len;

  g_assert_no_error (error);
  g_assert_cmpint (ping->type, ==, FERRY_KRPC_QUERY);
  g_assert_true (ferry_krpc_message_is (ping, "ping"));
  g_assert_false (ferry_krpc_message_is (ping, "find_node"));
  g_assert_cmpmem (ping->transaction, ping->transaction_len, "aa", 2);
  g_assert_cmpmem (ping->id, 20, "abcdefghij0123456789", 20);
  g_assert_false (ping->read_only);
  raw = ferry_bencode_get_raw (ping->body, &len);
  written = ferry_krpc_write_query ((const guint8 *) "aa", 2, "ping", raw, len, FALSE);
  assert_bytes (written, "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe");

  pong = parse ("d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re", &error);
  g_assert_no_error (error);
  g_assert_cmpint (pong->type, ==, FERRY_KRPC_RESPONSE);
  g_assert_cmpmem (pong->id, 20, "mnopqrstuvwxyz123456", 20);
  g_assert_null (pong->ip);

  failure = parse ("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee", &error);
  g_assert_no_error (error);
  g_assert_cmpint (failure->type, ==, FERRY_KRPC_ERROR_MESSAGE);
  g_assert_cmpint (failure->error_code, ==, FERRY_KRPC_GENERIC_ERROR);
  g_assert_cmpstr (failure->error_message, ==, "A Generic Error Ocurred");
  g_clear_pointer (&written, g_bytes_unref);
  written = ferry_krpc_write_error ((const guint8 *) "aa", 2, 201, "A Generic Error Ocurred");
  assert_bytes (written, "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee");

  announce = parse ("d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e"
                    "5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe", &error);
  g_assert_no_error (error);
  g_assert_true (ferry_krpc_message_is (announce, "announce_peer"));
  g_assert_cmpint (ferry_bencode_get_int (ferry_bencode_lookup (announce->body, "implied_port")), ==, 1);
}

/* BEP 42's "ip" in responses, BEP 43's "ro" in queries. */
static void
test_ip_and_read_only (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string ("124.31.75.21");
  g_autoptr(GSocketAddress) ip = g_inet_socket_address_new (address, 6881);
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GBytes) query = NULL;
  g_autoptr(FerryKrpcMessage) parsed = NULL;
  g_autoptr(FerryKrpcMessage) parsed_query = NULL;
  g_autofree char *text = NULL;

  ferry_bencode_write_mark (body, 'd');
  ferry_bencode_write_str (body, "id");
  ferry_bencode_write_str (body, "mnopqrstuvwxyz123456");
  ferry_bencode_write_mark (body, 'e');
  response = ferry_krpc_write_response ((const guint8 *) "t1", 2, body->data, body->len, G_INET_SOCKET_ADDRESS (ip));
  assert_bytes (response, "d2:ip6:\x7c\x1f\x4b\x15\x1a\xe1" "1:rd2:id20:mnopqrstuvwxyz123456e1:t2:t11:y1:re");
  parsed = ferry_krpc_message_parse (g_bytes_get_data (response, NULL), g_bytes_get_size (response), &error);
  g_assert_no_error (error);
  g_assert_nonnull (parsed->ip);
  text = g_inet_address_to_string (g_inet_socket_address_get_address (parsed->ip));
  g_assert_cmpstr (text, ==, "124.31.75.21");
  g_assert_cmpuint (g_inet_socket_address_get_port (parsed->ip), ==, 6881);

  query = ferry_krpc_write_query ((const guint8 *) "t2", 2, "get_peers", body->data, body->len, TRUE);
  assert_bytes (query, "d1:ad2:id20:mnopqrstuvwxyz123456e1:q9:get_peers2:roi1e1:t2:t21:y1:qe");
  parsed_query = ferry_krpc_message_parse (g_bytes_get_data (query, NULL), g_bytes_get_size (query), &error);
  g_assert_no_error (error);
  g_assert_true (parsed_query->read_only);
}

static void
test_nodes (void)
{
  g_autoptr(GError) error = NULL;
  static const guint8 response[] =
    "d1:rd2:id20:mnopqrstuvwxyz1234565:nodes52:"
    "abcdefghijklmnopqrst\x7f\x00\x00\x01\x1a\xe1"
    "ABCDEFGHIJKLMNOPQRST\xc6\x12\x00\x05\x00\x50"
    "e1:t2:aa1:y1:re";
  g_autoptr(FerryKrpcMessage) message = ferry_krpc_message_parse (response, sizeof response - 1, &error);
  g_autoptr(GArray) nodes = NULL;
  g_autofree char *second = NULL;
  FerryKrpcNode *node;

  g_assert_no_error (error);
  nodes = ferry_krpc_nodes_parse (ferry_bencode_lookup (message->body, "nodes"), FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nodes->len, ==, 2);
  node = &g_array_index (nodes, FerryKrpcNode, 1);
  g_assert_cmpmem (node->id, 20, "ABCDEFGHIJKLMNOPQRST", 20);
  second = g_inet_address_to_string (g_inet_socket_address_get_address (node->address));
  g_assert_cmpstr (second, ==, "198.18.0.5");
  g_assert_cmpuint (g_inet_socket_address_get_port (node->address), ==, 80);

  /* The same bytes are not a whole number of IPv6 entries. */
  g_clear_pointer (&nodes, g_array_unref);
  nodes = ferry_krpc_nodes_parse (ferry_bencode_lookup (message->body, "nodes"), TRUE, &error);
  g_assert_null (nodes);
  g_assert_error (error, FERRY_KRPC_ERROR, FERRY_KRPC_ERROR_INVALID);
}

static void
test_refused (void)
{
  const char *cases[] = {
    "",
    "le",
    "i1e",
    "d1:y1:qe",                                                                  /* no t */
    "d1:ti1e1:y1:qe",                                                            /* t not bytes */
    "d1:t17:aaaaaaaaaaaaaaaaa1:y1:qe",                                           /* t too long */
    "d1:t2:aa1:y1:xe",                                                           /* unknown y */
    "d1:ad2:id20:abcdefghij0123456789e1:t2:aa1:y1:qe",                           /* no q */
    "d1:q4:ping1:t2:aa1:y1:qe",                                                  /* no a */
    "d1:ad2:id3:abce1:q4:ping1:t2:aa1:y1:qe",                                    /* short id */
    "d1:ade1:q4:ping1:t2:aa1:y1:qe",                                             /* no id */
    "d1:ad2:id20:abcdefghij0123456789e1:q4:ping2:ro1:11:t2:aa1:y1:qe",           /* ro not int */
    "d2:ip3:abc1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",                  /* bad ip */
    "d1:rli1ee1:t2:aa1:y1:re",                                                   /* r not a dict */
    "d1:eli201ee1:t2:aa1:y1:ee",                                                 /* error without message */
    "d1:el4:oops3:bade1:t2:aa1:y1:ee",                                           /* code not int */
    "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe1:x",               /* trailing bytes */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(FerryKrpcMessage) message = parse (cases[i], &error);

      if (message != NULL || !g_error_matches (error, FERRY_KRPC_ERROR, FERRY_KRPC_ERROR_INVALID))
        g_error ("%s: %s", cases[i], error ? error->message : "accepted");
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/krpc/bep5-examples", test_bep5_examples);
  g_test_add_func ("/krpc/ip-and-read-only", test_ip_and_read_only);
  g_test_add_func ("/krpc/nodes", test_nodes);
  g_test_add_func ("/krpc/refused", test_refused);
  return g_test_run ();
}
