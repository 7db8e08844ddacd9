/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ferry-p2pt-codec.h"

/* Captured from P2PT 1.6.2: WebDrop's init message (docs/INTEROP.md, "Reference captures"). */
static const char webdrop_init[] =
  "^{\"id\":119131,\"msg\":\"{\\\"type\\\":\\\"init\\\",\\\"name\\\":\\\"Linux Chrome120\\\","
  "\\\"color\\\":\\\"hsla(10,60%,60%,1)\\\",\\\"sharesCount\\\":0,\\\"msgsCount\\\":0}\","
  "\"o\":1,\"c\":0,\"last\":true}";
static const char webdrop_init_payload[] =
  "{\"type\":\"init\",\"name\":\"Linux Chrome120\",\"color\":\"hsla(10,60%,60%,1)\","
  "\"sharesCount\":0,\"msgsCount\":0}";

/* Captured from P2PT 1.6.2: {type:'ping'} with id 104729, 66 bytes (docs/INTEROP.md, "Reference
 * captures"). */
static const guint8 ping_bytes[] = {
  0x5e, 0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x31, 0x30, 0x34, 0x37, 0x32, 0x39, 0x2c, 0x22, 0x6d,
  0x73, 0x67, 0x22, 0x3a, 0x22, 0x7b, 0x5c, 0x22, 0x74, 0x79, 0x70, 0x65, 0x5c, 0x22, 0x3a, 0x5c,
  0x22, 0x70, 0x69, 0x6e, 0x67, 0x5c, 0x22, 0x7d, 0x22, 0x2c, 0x22, 0x6f, 0x22, 0x3a, 0x31, 0x2c,
  0x22, 0x63, 0x22, 0x3a, 0x30, 0x2c, 0x22, 0x6c, 0x61, 0x73, 0x74, 0x22, 0x3a, 0x74, 0x72, 0x75,
  0x65, 0x7d,
};

static FerryP2ptMessage *
decode_ok (FerryP2ptCodec *codec,
           const char     *text,
           gssize          len)
{
  g_autoptr(GError) error = NULL;
  FerryP2ptMessage *message = NULL;

  if (len < 0)
    len = strlen (text);
  g_assert_true (ferry_p2pt_codec_decode (codec, text, len, &message, &error));
  g_assert_no_error (error);
  g_assert_nonnull (message);
  return message;
}

static void
decode_more (FerryP2ptCodec *codec,
             const char     *text)
{
  g_autoptr(GError) error = NULL;
  FerryP2ptMessage *message = NULL;

  g_assert_false (ferry_p2pt_codec_decode (codec, text, strlen (text), &message, &error));
  g_assert_no_error (error);
  g_assert_null (message);
}

static void
decode_error (FerryP2ptCodec *codec,
              const char     *text,
              gssize          len,
              int             code)
{
  g_autoptr(GError) error = NULL;
  FerryP2ptMessage *message = NULL;

  if (len < 0)
    len = strlen (text);
  g_assert_false (ferry_p2pt_codec_decode (codec, text, len, &message, &error));
  g_assert_error (error, FERRY_P2PT_ERROR, code);
  g_assert_cmpstr (error->message, !=, "");
  g_assert_null (message);
  {
    /* Escaped: TAP output must stay valid UTF-8. */
    g_autofree char *head = g_strndup (text, MIN ((gsize) len, 60));
    g_autofree char *shown = g_strescape (head, NULL);

    g_test_message ("%s… → %s", shown, error->message);
  }
}

/* Feeds all chunks, expecting a message only after the last. */
static FerryP2ptMessage *
decode_all (FerryP2ptCodec *codec,
            GPtrArray      *chunks)
{
  for (guint i = 0; i + 1 < chunks->len; i++)
    decode_more (codec, g_ptr_array_index (chunks, i));
  return decode_ok (codec, g_ptr_array_index (chunks, chunks->len - 1), -1);
}

static char *
repeat (const char *unit,
        guint       n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    g_string_append (s, unit);
  return g_string_free (s, FALSE);
}

static void
test_webdrop_init (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptMessage) message = NULL;
  g_autoptr(GPtrArray) chunks = NULL;

  g_assert_cmpuint (strlen (webdrop_init), ==, 162);
  message = decode_ok (codec, webdrop_init, -1);
  g_assert_true (message->enveloped);
  g_assert_true (message->is_object);
  g_assert_cmpstr (message->id, ==, "119131");
  g_assert_cmpstr (message->payload, ==, webdrop_init_payload);
  g_assert_cmpuint (message->payload_len, ==, strlen (webdrop_init_payload));

  /* Sending the same object with the same id gives the same bytes. */
  chunks = ferry_p2pt_codec_encode (codec, "119131", webdrop_init_payload, TRUE);
  g_assert_cmpuint (chunks->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (chunks, 0), ==, webdrop_init);
}

static void
test_ping (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptMessage) message = NULL;
  g_autoptr(GPtrArray) chunks = NULL;

  chunks = ferry_p2pt_codec_encode (codec, "104729", "{\"type\":\"ping\"}", TRUE);
  g_assert_cmpuint (chunks->len, ==, 1);
  g_assert_cmpmem (g_ptr_array_index (chunks, 0), strlen (g_ptr_array_index (chunks, 0)),
                   ping_bytes, sizeof ping_bytes);

  message = decode_ok (codec, (const char *) ping_bytes, sizeof ping_bytes);
  g_assert_true (message->is_object);
  g_assert_cmpstr (message->id, ==, "104729");
  g_assert_cmpstr (message->payload, ==, "{\"type\":\"ping\"}");
}

static void
test_chunked_string (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptCodec) peer = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptMessage) message = NULL;
  g_autoptr(FerryP2ptMessage) reply = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  g_autoptr(GPtrArray) reply_chunks = NULL;
  g_autofree char *payload = repeat ("x", 16005);
  g_autofree char *x16000 = repeat ("x", 16000);
  g_autofree char *chunk0 = g_strconcat ("^{\"id\":196991,\"msg\":\"", x16000, "\",\"c\":0}", NULL);

  /* As captured from P2PT 1.6.2 sending 16,005 'x' (docs/INTEROP.md, "Reference captures"). */
  chunks = ferry_p2pt_codec_encode (codec, "196991", payload, FALSE);
  g_assert_cmpuint (chunks->len, ==, 2);
  g_assert_cmpuint (strlen (g_ptr_array_index (chunks, 0)), ==, 16029);
  g_assert_cmpuint (strlen (g_ptr_array_index (chunks, 1)), ==, 46);
  g_assert_cmpstr (g_ptr_array_index (chunks, 0), ==, chunk0);
  g_assert_cmpstr (g_ptr_array_index (chunks, 1), ==,
                   "^{\"id\":196991,\"msg\":\"xxxxx\",\"c\":1,\"last\":true}");

  message = decode_all (peer, chunks);
  g_assert_false (message->is_object);
  g_assert_cmpstr (message->id, ==, "196991");
  g_assert_cmpstr (message->payload, ==, payload);
  g_assert_true (ferry_p2pt_codec_peer_awaits_reply (peer, "196991"));

  /* The receiver's peer.respond ('thanks'). */
  reply_chunks = ferry_p2pt_codec_encode (peer, message->id, "thanks", FALSE);
  g_assert_cmpuint (reply_chunks->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (reply_chunks, 0), ==,
                   "^{\"id\":196991,\"msg\":\"thanks\",\"c\":0,\"last\":true}");
  g_assert_false (ferry_p2pt_codec_peer_awaits_reply (peer, "196991"));

  reply = decode_ok (codec, g_ptr_array_index (reply_chunks, 0), -1);
  g_assert_cmpstr (reply->id, ==, "196991");
  g_assert_cmpstr (reply->payload, ==, "thanks");
}

static void
test_object_non_ascii (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptMessage) message = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  g_autofree char *a15990 = repeat ("a", 15990);
  g_autofree char *a15979 = repeat ("a", 15979);
  g_autofree char *payload = g_strconcat ("{\"type\":\"msg\",\"msg\":\"", a15990,
                                          "é€😀\",\"time\":\"10:00:00 AM\"}", NULL);
  g_autofree char *chunk0 = g_strconcat ("^{\"id\":123456,\"msg\":\"{\\\"type\\\":\\\"msg\\\","
                                         "\\\"msg\\\":\\\"", a15979, "\",\"o\":1,\"c\":0}", NULL);
  /* The 95 bytes of chunk 1, as captured from P2PT 1.6.2 (docs/INTEROP.md, "Reference
   * captures"). */
  static const char chunk1[] =
    "^{\"id\":123456,\"msg\":\"aaaaaaaaaaa\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\\",\\\"time\\\":"
    "\\\"10:00:00 AM\\\"}\",\"o\":1,\"c\":1,\"last\":true}";

  chunks = ferry_p2pt_codec_encode (codec, "123456", payload, TRUE);
  g_assert_cmpuint (chunks->len, ==, 2);
  g_assert_cmpuint (strlen (g_ptr_array_index (chunks, 0)), ==, 16042);
  g_assert_cmpuint (strlen (g_ptr_array_index (chunks, 1)), ==, 95);
  g_assert_cmpuint (strlen (chunk1), ==, 95);
  g_assert_cmpstr (g_ptr_array_index (chunks, 0), ==, chunk0);
  g_assert_cmpstr (g_ptr_array_index (chunks, 1), ==, chunk1);

  message = decode_all (codec, chunks);
  g_assert_true (message->is_object);
  g_assert_cmpstr (message->payload, ==, payload);
}

static void
test_surrogate_split (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptMessage) message = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  g_autofree char *a15999 = repeat ("a", 15999);
  g_autofree char *payload = g_strconcat (a15999, "😀!", NULL);
  g_autofree char *chunk0 = g_strconcat ("^{\"id\":150001,\"msg\":\"", a15999, "\\ud83d\",\"c\":0}",
                                         NULL);
  static const char chunk1[] = "^{\"id\":150001,\"msg\":\"\\ude00!\",\"c\":1,\"last\":true}";

  /* Captured from P2PT 1.6.2 (docs/INTEROP.md, "Reference captures"): the encoder splits the
   * pair as P2PT does... */
  chunks = ferry_p2pt_codec_encode (codec, "150001", payload, FALSE);
  g_assert_cmpuint (chunks->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (chunks, 0), ==, chunk0);
  g_assert_cmpstr (g_ptr_array_index (chunks, 1), ==, chunk1);

  /* ...and the decoder joins P2PT's halves back into one character. */
  decode_more (codec, chunk0);
  message = decode_ok (codec, chunk1, -1);
  g_assert_cmpstr (message->payload, ==, payload);
  g_assert_null (strstr (message->payload, "\xef\xbf\xbd"));
}

static void
test_lone_surrogate (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptMessage) message = NULL;

  /* A half that never finds its partner becomes U+FFFD, as TextEncoder would make it. */
  message = decode_ok (codec, "^{\"id\":1,\"msg\":\"a\\ud83d\",\"c\":0,\"last\":true}", -1);
  g_assert_cmpstr (message->payload, ==, "a\xef\xbf\xbd");
}

static void
test_many_chunks (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptCodec) peer = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptMessage) message = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  GString *payload = g_string_new (NULL);
  g_autofree char *text = NULL;
  g_autofree char *id = NULL;
  gsize units = 0;
  gint64 start;

  /* 1 MiB: ASCII (with characters JSON escapes) and emoji, so that many chunk boundaries split a
   * surrogate pair. */
  while (payload->len < 1024 * 1024)
    {
      static const char *const pieces[] = { "a", "b", "c", " ", "\"", "\\", "\n", "\t", "/", "é",
                                            "😀", "😀" };
      guint i = g_random_int_range (0, G_N_ELEMENTS (pieces));

      g_string_append (payload, pieces[i]);
      units += g_str_equal (pieces[i], "😀") ? 2 : 1;
    }
  text = g_string_free (payload, FALSE);

  start = g_get_monotonic_time ();
  chunks = ferry_p2pt_codec_encode (codec, NULL, text, FALSE);
  g_assert_cmpuint (chunks->len, ==, (units + 15999) / 16000);
  for (guint i = 0; i < chunks->len; i++)
    {
      const char *chunk = g_ptr_array_index (chunks, i);
      g_autofree char *suffix = g_strdup_printf (",\"c\":%u%s}", i,
                                                 i + 1 == chunks->len ? ",\"last\":true" : "");

      g_assert_true (g_str_has_prefix (chunk, "^{\"id\":1"));
      g_assert_true (g_str_has_suffix (chunk, suffix));
      if (i == 0)
        {
          const char *comma = strchr (chunk, ',');

          id = g_strndup (chunk + 7, comma - chunk - 7);
        }
      else
        {
          g_autofree char *prefix = g_strdup_printf ("^{\"id\":%s,", id);

          g_assert_true (g_str_has_prefix (chunk, prefix));
        }
    }
  message = decode_all (peer, chunks);
  g_assert_cmpstr (message->id, ==, id);
  g_assert_cmpuint (message->payload_len, ==, strlen (text));
  g_assert_cmpstr (message->payload, ==, text);
  g_test_message ("1 MiB in %u chunks, encoded and decoded in %" G_GINT64_FORMAT " ms",
                  chunks->len, (g_get_monotonic_time () - start) / 1000);
}

static void
test_out_of_order (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptMessage) message = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  g_autofree char *payload = NULL;
  GString *s = g_string_new (NULL);
  const guint order[] = { 2, 0, 3, 1, 4 };

  for (guint i = 0; i < 70000; i++)
    g_string_append_c (s, 'a' + i % 26);
  payload = g_string_free (s, FALSE);

  chunks = ferry_p2pt_codec_encode (codec, "777777", payload, FALSE);
  g_assert_cmpuint (chunks->len, ==, 5);
  for (guint i = 0; i + 1 < G_N_ELEMENTS (order); i++)
    decode_more (codec, g_ptr_array_index (chunks, order[i]));
  message = decode_ok (codec, g_ptr_array_index (chunks, order[4]), -1);
  g_assert_cmpstr (message->payload, ==, payload);

  /* The last chunk before the others: P2PT would join what it has, we refuse. */
  decode_more (codec, g_ptr_array_index (chunks, 0));
  decode_error (codec, g_ptr_array_index (chunks, 4), -1, FERRY_P2PT_ERROR_INCOMPLETE);
  /* The rest of that message is refused too. */
  decode_error (codec, g_ptr_array_index (chunks, 1), -1, FERRY_P2PT_ERROR_INCOMPLETE);
}

static void
test_replies_and_fresh_ids (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  guint taken = 0;

  /* Ids the peer sent are awaiting a reply, whatever their JSON spelling. */
  for (guint id = 100000; id < 101000; id++)
    {
      g_autofree char *text = g_strdup_printf ("^{\"id\":%u,\"msg\":\"hi\",\"c\":0,\"last\":true}",
                                               id);
      g_autoptr(FerryP2ptMessage) message = decode_ok (codec, text, -1);

      g_assert_cmpstr (message->payload, ==, "hi");
    }
  g_assert_true (ferry_p2pt_codec_peer_awaits_reply (codec, "100500"));
  g_assert_true (ferry_p2pt_codec_peer_awaits_reply (codec, "\"100500\""));
  g_assert_true (ferry_p2pt_codec_peer_awaits_reply (codec, "100500.0"));
  g_assert_false (ferry_p2pt_codec_peer_awaits_reply (codec, "101000"));

  /* Without the rule, 20,000 fresh ids would hit the 1,000 taken ones about 200 times. */
  g_random_set_seed (42);
  for (guint i = 0; i < 20000; i++)
    {
      g_autoptr(GPtrArray) chunks = ferry_p2pt_codec_encode (codec, NULL, "x", FALSE);
      const char *chunk = g_ptr_array_index (chunks, 0);
      guint64 id;
      g_autofree char *id_text = NULL;

      g_assert_true (g_str_has_prefix (chunk, "^{\"id\":"));
      id_text = g_strndup (chunk + 7, 6);
      g_assert_true (g_ascii_string_to_unsigned (id_text, 10, 100000, 199999, &id, NULL));
      g_assert_cmpint (chunk[13], ==, ',');
      if (id < 101000)
        taken++;
    }
  g_assert_cmpuint (taken, ==, 0);

  /* Replying frees the id; the reply carries it verbatim. */
  {
    g_autoptr(GPtrArray) chunks = ferry_p2pt_codec_encode (codec, "100500", "ok", FALSE);

    g_assert_cmpstr (g_ptr_array_index (chunks, 0), ==,
                     "^{\"id\":100500,\"msg\":\"ok\",\"c\":0,\"last\":true}");
    g_assert_false (ferry_p2pt_codec_peer_awaits_reply (codec, "100500"));
    g_assert_true (ferry_p2pt_codec_peer_awaits_reply (codec, "100501"));
  }

  /* A string id is kept as JSON text, escapes and all. */
  {
    g_autoptr(FerryP2ptMessage) message =
      decode_ok (codec, "^{\"id\":\"q\\u0031\",\"msg\":\"?\",\"c\":0,\"last\":true}", -1);
    g_autoptr(GPtrArray) chunks = NULL;

    g_assert_cmpstr (message->id, ==, "\"q\\u0031\"");
    g_assert_true (ferry_p2pt_codec_peer_awaits_reply (codec, "\"q1\""));
    chunks = ferry_p2pt_codec_encode (codec, message->id, "!", FALSE);
    g_assert_cmpstr (g_ptr_array_index (chunks, 0), ==,
                     "^{\"id\":\"q\\u0031\",\"msg\":\"!\",\"c\":0,\"last\":true}");
    g_assert_false (ferry_p2pt_codec_peer_awaits_reply (codec, "\"q1\""));
  }

  /* Ids outside P2PT's range cannot collide with ours: only the latest 1024 are remembered. */
  for (guint id = 200000; id < 201025; id++)
    {
      g_autofree char *text = g_strdup_printf ("^{\"id\":%u,\"msg\":\"hi\",\"c\":0,\"last\":true}",
                                               id);
      g_autoptr(FerryP2ptMessage) message = decode_ok (codec, text, -1);

      g_assert_cmpstr (message->payload, ==, "hi");
    }
  g_assert_false (ferry_p2pt_codec_peer_awaits_reply (codec, "200000"));
  g_assert_true (ferry_p2pt_codec_peer_awaits_reply (codec, "200001"));
  /* P2PT waits on its own ids for the whole session: those are never forgotten. */
  g_assert_true (ferry_p2pt_codec_peer_awaits_reply (codec, "100501"));
}

/* A long session: the peer has sent 99,990 of the 100,000 ids it can make and waits on all of
 * them; every one of our new messages still gets one of the ten that are free. */
static void
test_fresh_ids_exhaustive (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();

  for (guint id = 100000; id < 200000; id++)
    {
      g_autofree char *text = NULL;
      g_autoptr(FerryP2ptMessage) message = NULL;

      if (id % 10000 == 1234)
        continue;
      text = g_strdup_printf ("^{\"id\":%u,\"msg\":\"x\",\"c\":0,\"last\":true}", id);
      message = decode_ok (codec, text, -1);
    }

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(GPtrArray) chunks = ferry_p2pt_codec_encode (codec, NULL, "new", FALSE);
      const char *chunk = chunks->pdata[0];
      guint id = atoi (chunk + strlen ("^{\"id\":"));

      g_assert_cmpuint (id % 10000, ==, 1234);
    }
}

static void
test_encode_empty (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(GPtrArray) chunks = ferry_p2pt_codec_encode (codec, NULL, "", FALSE);
  g_autoptr(GPtrArray) exact = NULL;
  g_autofree char *x16000 = repeat ("x", 16000);

  g_assert_cmpuint (chunks->len, ==, 0);

  /* Exactly one chunk's worth stays one chunk. */
  exact = ferry_p2pt_codec_encode (codec, "5", x16000, FALSE);
  g_assert_cmpuint (exact->len, ==, 1);
  g_assert_true (g_str_has_suffix (g_ptr_array_index (exact, 0), "\",\"c\":0,\"last\":true}"));
}

static void
test_escaping (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(GPtrArray) chunks = NULL;
  g_autoptr(FerryP2ptMessage) message = NULL;

  /* JSON.stringify: short escapes, \u00xx for other controls, 0x7F and U+2028 raw. */
  chunks = ferry_p2pt_codec_encode (codec, "1", "\"\\/\b\f\n\r\t\x01\x1f\x7f\xe2\x80\xa8", FALSE);
  g_assert_cmpstr (g_ptr_array_index (chunks, 0), ==,
                   "^{\"id\":1,\"msg\":\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xe2\x80\xa8\","
                   "\"c\":0,\"last\":true}");

  /* \u0000 survives (json-glib would cut the string there). */
  message = decode_ok (codec, "^{\"id\":1,\"msg\":\"a\\u0000b\",\"c\":0,\"last\":true}", -1);
  g_assert_cmpuint (message->payload_len, ==, 3);
  g_assert_cmpmem (message->payload, 3, "a\0b", 3);
}

static void
test_plain (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  const char *texts[] = {
    "hello",
    "{\"type\":\"offer\",\"sdp\":\"v=0\"}",
    " ^{\"id\":1}",   /* only a '^' in first place counts */
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(FerryP2ptMessage) message = decode_ok (codec, texts[i], -1);

      g_assert_false (message->enveloped);
      g_assert_false (message->is_object);
      g_assert_null (message->id);
      g_assert_cmpstr (message->payload, ==, texts[i]);
      g_assert_cmpuint (message->payload_len, ==, strlen (texts[i]));
    }

  {
    g_autoptr(FerryP2ptMessage) message = decode_ok (codec, "a\0b", 3);

    g_assert_cmpuint (message->payload_len, ==, 3);
    g_assert_cmpmem (message->payload, 3, "a\0b", 3);
  }

  decode_error (codec, "\xff\xfe", 2, FERRY_P2PT_ERROR_MALFORMED);
  decode_error (codec, "abc\xc3", 4, FERRY_P2PT_ERROR_MALFORMED);
  decode_error (codec, "\xed\xa0\x80", 3, FERRY_P2PT_ERROR_MALFORMED);   /* CESU surrogate */
}

static void
test_malformed (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autofree char *long_id = repeat ("1", 200);
  g_autofree char *long_id_message = g_strdup_printf ("^{\"id\":%s,\"msg\":\"x\",\"c\":0,"
                                                      "\"last\":true}", long_id);
  const char *bad[] = {
    "^",
    "^ ",
    "^{",
    "^[]",
    "^null",
    "^{\"id\":1,\"msg\":\"x\",\"c\":0,\"last\":true",
    "^{\"id\":1,\"msg\":\"x\",\"c\":0,\"last\":true}x",
    "^{\"id\":1,\"msg\":\"x\",\"c\":0,\"last\":true}{}",
    "^{\"id\":1,\"msg\":5,\"c\":0,\"last\":true}",
    "^{\"id\":1,\"msg\":null,\"c\":0,\"last\":true}",
    "^{\"id\":1,\"msg\":[\"x\"],\"c\":0,\"last\":true}",
    "^{\"id\":1,\"c\":0,\"last\":true}",
    "^{\"msg\":\"x\",\"c\":0,\"last\":true}",
    "^{\"id\":{},\"msg\":\"x\",\"c\":0,\"last\":true}",
    "^{\"id\":true,\"msg\":\"x\",\"c\":0,\"last\":true}",
    "^{\"id\":null,\"msg\":\"x\",\"c\":0,\"last\":true}",
    long_id_message,
    "^{\"id\":1,\"msg\":\"x\",\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\",\"c\":-1,\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\",\"c\":0.5,\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\",\"c\":0.0,\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\",\"c\":1e9,\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\",\"c\":00,\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\",\"c\":\"0\",\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\",\"c\":null,\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\",\"c\":0,\"last\":1}",
    "^{\"id\":1,\"msg\":\"x\",\"c\":0,\"last\":\"true\"}",
    "^{\"id\":1,\"msg\":\"x\",\"o\":\"1\",\"c\":0,\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\",\"o\":2,\"c\":0,\"last\":true}",
    "^{\"id\":1,\"msg\":\"{\",\"o\":1,\"c\":0,\"last\":true}",          /* object text not JSON */
    "^{\"id\":1,\"msg\":\"{} {}\",\"o\":1,\"c\":0,\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\\q\",\"c\":0,\"last\":true}",
    "^{\"id\":1,\"msg\":\"x\n\",\"c\":0,\"last\":true}",               /* raw control character */
    "^{\"id\":1,\"msg\":\"\xc3\x28\",\"c\":0,\"last\":true}",          /* invalid UTF-8 */
    "^{\"id\":1,\"msg\":\"x\",\"c\":0,\"last\":true,}",
    "^{'id':1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    decode_error (codec, bad[i], -1, FERRY_P2PT_ERROR_MALFORMED);

  /* Tolerated: white space, other members, "o" and "last" spelled otherwise, a string id. */
  {
    g_autoptr(FerryP2ptMessage) message =
      decode_ok (codec, "^ { \"id\" : \"x\" , \"msg\" : \"[1]\" , \"o\" : true , \"c\" : 0 , "
                 "\"last\" : true , \"extra\" : [ {} ] } ", -1);

    g_assert_true (message->is_object);
    g_assert_cmpstr (message->id, ==, "\"x\"");
    g_assert_cmpstr (message->payload, ==, "[1]");
  }
  {
    g_autoptr(FerryP2ptMessage) message =
      decode_ok (codec, "^{\"id\":-1.5e3,\"msg\":\"null\",\"o\":1,\"c\":0,\"last\":true}", -1);

    g_assert_cmpstr (message->id, ==, "-1.5e3");
    g_assert_cmpstr (message->payload, ==, "null");
  }
  /* Like JSON.parse, the last of duplicate members counts. */
  {
    g_autoptr(FerryP2ptMessage) message =
      decode_ok (codec, "^{\"id\":1,\"msg\":\"a\",\"msg\":\"b\",\"o\":0,\"c\":0,\"last\":false,"
                 "\"last\":true}", -1);

    g_assert_false (message->is_object);
    g_assert_cmpstr (message->payload, ==, "b");
  }
}

static void
test_huge_index (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();

  decode_error (codec, "^{\"id\":1,\"msg\":\"x\",\"c\":1000000000}", -1,
                FERRY_P2PT_ERROR_TOO_LARGE);
  decode_error (codec, "^{\"id\":2,\"msg\":\"x\",\"c\":1000000000,\"last\":true}", -1,
                FERRY_P2PT_ERROR_TOO_LARGE);
  decode_error (codec, "^{\"id\":3,\"msg\":\"x\",\"c\":99999999999999999999999999999999}", -1,
                FERRY_P2PT_ERROR_TOO_LARGE);
  decode_error (codec, "^{\"id\":4,\"msg\":\"x\",\"c\":-1}", -1, FERRY_P2PT_ERROR_MALFORMED);
  decode_error (codec, "^{\"id\":5,\"msg\":\"x\",\"c\":1.5}", -1, FERRY_P2PT_ERROR_MALFORMED);
  decode_error (codec, "^{\"id\":6,\"msg\":\"x\",\"c\":1e9}", -1, FERRY_P2PT_ERROR_MALFORMED);
}

static void
test_missing_chunks (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();

  decode_more (codec, "^{\"id\":1,\"msg\":\"a\",\"c\":0}");
  decode_error (codec, "^{\"id\":1,\"msg\":\"c\",\"c\":2,\"last\":true}", -1,
                FERRY_P2PT_ERROR_INCOMPLETE);
  /* The message is forgotten: its chunks are refused, a new chunk 0 starts afresh. */
  decode_error (codec, "^{\"id\":1,\"msg\":\"b\",\"c\":1}", -1, FERRY_P2PT_ERROR_INCOMPLETE);
  decode_more (codec, "^{\"id\":1,\"msg\":\"x\",\"c\":0}");
  {
    g_autoptr(FerryP2ptMessage) message =
      decode_ok (codec, "^{\"id\":1,\"msg\":\"y\",\"c\":1,\"last\":true}", -1);

    g_assert_cmpstr (message->payload, ==, "xy");
  }

  /* A last chunk of a message that never started. */
  decode_error (codec, "^{\"id\":2,\"msg\":\"d\",\"c\":3,\"last\":true}", -1,
                FERRY_P2PT_ERROR_INCOMPLETE);

  /* A chunk beyond the one marked last. */
  decode_more (codec, "^{\"id\":3,\"msg\":\"a\",\"c\":0}");
  decode_more (codec, "^{\"id\":3,\"msg\":\"c\",\"c\":2}");
  decode_error (codec, "^{\"id\":3,\"msg\":\"b\",\"c\":1,\"last\":true}", -1,
                FERRY_P2PT_ERROR_MALFORMED);

  /* The same chunk twice. */
  decode_more (codec, "^{\"id\":4,\"msg\":\"a\",\"c\":0}");
  decode_error (codec, "^{\"id\":4,\"msg\":\"a\",\"c\":0}", -1, FERRY_P2PT_ERROR_MALFORMED);
  decode_more (codec, "^{\"id\":5,\"msg\":\"a\",\"c\":0}");
  decode_error (codec, "^{\"id\":5,\"msg\":\"a\",\"c\":0,\"last\":true}", -1,
                FERRY_P2PT_ERROR_MALFORMED);
}

static void
test_endless (void)
{
  g_autoptr(FerryP2ptCodec) codec = g_object_new (FERRY_TYPE_P2PT_CODEC,
                                                  "max-message-units", (guint64) 100000,
                                                  NULL);
  g_autofree char *x16000 = repeat ("x", 16000);
  g_autofree char *x100001 = repeat ("x", 100001);
  g_autofree char *x70000 = repeat ("x", 70000);
  g_autoptr(GPtrArray) big = NULL;
  g_autoptr(GPtrArray) a = NULL;
  g_autoptr(GPtrArray) b = NULL;
  guint c;

  /* Chunks that never say "last" are refused once they exceed the size limit... */
  for (c = 0; c < 6; c++)
    {
      g_autofree char *chunk = g_strdup_printf ("^{\"id\":9,\"msg\":\"%s\",\"c\":%u}", x16000, c);

      decode_more (codec, chunk);
    }
  {
    g_autofree char *chunk = g_strdup_printf ("^{\"id\":9,\"msg\":\"%s\",\"c\":%u}", x16000, c++);

    decode_error (codec, chunk, -1, FERRY_P2PT_ERROR_TOO_LARGE);
  }
  /* ...and what follows is refused at once, without growing again. */
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *chunk = g_strdup_printf ("^{\"id\":9,\"msg\":\"%s\",\"c\":%u}", x16000, c++);

      decode_error (codec, chunk, -1, FERRY_P2PT_ERROR_INCOMPLETE);
    }

  /* One unit over the limit, in one chunk or several. */
  big = ferry_p2pt_codec_encode (codec, "10", x100001, FALSE);
  g_assert_cmpuint (big->len, ==, 7);
  for (guint i = 0; i + 1 < big->len; i++)
    decode_more (codec, g_ptr_array_index (big, i));
  decode_error (codec, g_ptr_array_index (big, big->len - 1), -1, FERRY_P2PT_ERROR_TOO_LARGE);
  {
    g_autofree char *chunk = g_strdup_printf ("^{\"id\":11,\"msg\":\"%s\",\"c\":0,\"last\":true}",
                                              x100001);

    decode_error (codec, chunk, -1, FERRY_P2PT_ERROR_TOO_LARGE);
  }

  /* Two messages within the limit each but not together. */
  a = ferry_p2pt_codec_encode (codec, "12", x70000, FALSE);
  b = ferry_p2pt_codec_encode (codec, "13", x70000, FALSE);
  g_assert_cmpuint (a->len, ==, 5);
  for (guint i = 0; i < 4; i++)
    decode_more (codec, g_ptr_array_index (a, i));
  decode_more (codec, g_ptr_array_index (b, 0));
  decode_more (codec, g_ptr_array_index (b, 1));
  decode_error (codec, g_ptr_array_index (b, 2), -1, FERRY_P2PT_ERROR_TOO_LARGE);
  {
    g_autoptr(FerryP2ptMessage) message = decode_ok (codec, g_ptr_array_index (a, 4), -1);

    g_assert_cmpuint (message->payload_len, ==, 70000);
  }

  /* Empty chunks count too. */
  for (c = 0; c < 100000 / 64; c++)
    {
      g_autofree char *chunk = g_strdup_printf ("^{\"id\":14,\"msg\":\"\",\"c\":%u}", c);

      decode_more (codec, chunk);
    }
  {
    g_autofree char *chunk = g_strdup_printf ("^{\"id\":14,\"msg\":\"\",\"c\":%u}", c);

    decode_error (codec, chunk, -1, FERRY_P2PT_ERROR_TOO_LARGE);
  }
}

static void
test_too_many (void)
{
  g_autoptr(FerryP2ptCodec) codec = g_object_new (FERRY_TYPE_P2PT_CODEC, "max-pending", 4, NULL);

  for (guint id = 1; id <= 4; id++)
    {
      g_autofree char *chunk = g_strdup_printf ("^{\"id\":%u,\"msg\":\"a\",\"c\":0}", id);

      decode_more (codec, chunk);
    }
  decode_error (codec, "^{\"id\":5,\"msg\":\"a\",\"c\":0}", -1, FERRY_P2PT_ERROR_TOO_MANY);
  decode_error (codec, "^{\"id\":5,\"msg\":\"b\",\"c\":1,\"last\":true}", -1,
                FERRY_P2PT_ERROR_INCOMPLETE);

  /* Messages in one chunk are never held, so they still get through. */
  {
    g_autoptr(FerryP2ptMessage) message =
      decode_ok (codec, "^{\"id\":6,\"msg\":\"b\",\"c\":0,\"last\":true}", -1);

    g_assert_cmpstr (message->payload, ==, "b");
  }

  /* Finishing one makes room. */
  {
    g_autoptr(FerryP2ptMessage) message =
      decode_ok (codec, "^{\"id\":2,\"msg\":\"b\",\"c\":1,\"last\":true}", -1);

    g_assert_cmpstr (message->payload, ==, "ab");
  }
  decode_more (codec, "^{\"id\":7,\"msg\":\"a\",\"c\":0}");
}

static void
test_timeout (void)
{
  g_autoptr(FerryP2ptCodec) codec = g_object_new (FERRY_TYPE_P2PT_CODEC,
                                                  "reassembly-timeout", 200,
                                                  "max-pending", 1,
                                                  NULL);
  guint timeout, pending;
  guint64 units;

  g_object_get (codec, "reassembly-timeout", &timeout, "max-pending", &pending,
                "max-message-units", &units, NULL);
  g_assert_cmpuint (timeout, ==, 200);
  g_assert_cmpuint (pending, ==, 1);
  g_assert_cmpuint (units, ==, 16 * 1024 * 1024);

  /* A chunk within the timeout keeps the message alive. */
  decode_more (codec, "^{\"id\":1,\"msg\":\"a\",\"c\":0}");
  g_usleep (50 * G_TIME_SPAN_MILLISECOND);
  decode_more (codec, "^{\"id\":1,\"msg\":\"b\",\"c\":1}");
  g_usleep (50 * G_TIME_SPAN_MILLISECOND);
  {
    g_autoptr(FerryP2ptMessage) message =
      decode_ok (codec, "^{\"id\":1,\"msg\":\"c\",\"c\":2,\"last\":true}", -1);

    g_assert_cmpstr (message->payload, ==, "abc");
  }

  decode_more (codec, "^{\"id\":2,\"msg\":\"a\",\"c\":0}");
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);
  /* The stale message was purged, so its slot is free for a new one... */
  decode_more (codec, "^{\"id\":3,\"msg\":\"a\",\"c\":0}");
  /* ...and its late chunks are refused. */
  decode_error (codec, "^{\"id\":2,\"msg\":\"b\",\"c\":1}", -1, FERRY_P2PT_ERROR_INCOMPLETE);
  decode_error (codec, "^{\"id\":2,\"msg\":\"c\",\"c\":2,\"last\":true}", -1,
                FERRY_P2PT_ERROR_INCOMPLETE);
  {
    g_autoptr(FerryP2ptMessage) message =
      decode_ok (codec, "^{\"id\":3,\"msg\":\"b\",\"c\":1,\"last\":true}", -1);

    g_assert_cmpstr (message->payload, ==, "ab");
  }
}

static void
test_round_trip_random (void)
{
  g_autoptr(FerryP2ptCodec) codec = ferry_p2pt_codec_new ();
  g_autoptr(FerryP2ptCodec) peer = ferry_p2pt_codec_new ();

  /* Random code points of every UTF-8 length, around the chunk size. */
  for (guint n = 0; n < 40; n++)
    {
      GString *s = g_string_new (NULL);
      g_autofree char *text = NULL;
      g_autoptr(GPtrArray) chunks = NULL;
      g_autoptr(FerryP2ptMessage) message = NULL;
      guint count = g_random_int_range (1, 40000);

      for (guint i = 0; i < count; i++)
        {
          gunichar c;

          do
            {
              switch (g_random_int_range (0, 4))
                {
                case 0: c = g_random_int_range (1, 0x80); break;
                case 1: c = g_random_int_range (0x80, 0x800); break;
                case 2: c = g_random_int_range (0x800, 0x10000); break;
                default: c = g_random_int_range (0x10000, 0x110000); break;
                }
            }
          while (c >= 0xD800 && c <= 0xDFFF);
          g_string_append_unichar (s, c);
        }
      text = g_string_free (s, FALSE);
      chunks = ferry_p2pt_codec_encode (codec, NULL, text, FALSE);
      message = decode_all (peer, chunks);
      g_assert_cmpstr (message->payload, ==, text);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/p2pt-codec/webdrop-init", test_webdrop_init);
  g_test_add_func ("/p2pt-codec/ping", test_ping);
  g_test_add_func ("/p2pt-codec/chunked-string", test_chunked_string);
  g_test_add_func ("/p2pt-codec/object-non-ascii", test_object_non_ascii);
  g_test_add_func ("/p2pt-codec/surrogate-split", test_surrogate_split);
  g_test_add_func ("/p2pt-codec/lone-surrogate", test_lone_surrogate);
  g_test_add_func ("/p2pt-codec/many-chunks", test_many_chunks);
  g_test_add_func ("/p2pt-codec/out-of-order", test_out_of_order);
  g_test_add_func ("/p2pt-codec/replies-and-fresh-ids", test_replies_and_fresh_ids);
  g_test_add_func ("/p2pt-codec/fresh-ids-exhaustive", test_fresh_ids_exhaustive);
  g_test_add_func ("/p2pt-codec/encode-empty", test_encode_empty);
  g_test_add_func ("/p2pt-codec/escaping", test_escaping);
  g_test_add_func ("/p2pt-codec/plain", test_plain);
  g_test_add_func ("/p2pt-codec/malformed", test_malformed);
  g_test_add_func ("/p2pt-codec/huge-index", test_huge_index);
  g_test_add_func ("/p2pt-codec/missing-chunks", test_missing_chunks);
  g_test_add_func ("/p2pt-codec/endless", test_endless);
  g_test_add_func ("/p2pt-codec/too-many", test_too_many);
  g_test_add_func ("/p2pt-codec/timeout", test_timeout);
  g_test_add_func ("/p2pt-codec/round-trip-random", test_round_trip_random);

  return g_test_run ();
}
