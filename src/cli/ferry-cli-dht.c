/* ferry-cli-dht.c: `ferry-cli dht`, the DHT node for diagnostics and tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>

#include "ferry-bencode.h"
#include "ferry-defaults.h"
#include "ferry-dht.h"
#include "ferry-dht-enums.h"
#include "ferry-cli.h"
#include "ferry-text.h"

typedef struct _Dht Dht;
typedef void (*ReadyFunc) (Dht *self);

struct _Dht {
  GMainLoop  *loop;
  GPtrArray  *nodes;     /* of FerryDht */
  gboolean    json;
  gboolean    wait;
  int         status;
  /* for put */
  gint64      seq;
  char       *public_key;
  ReadyFunc   ready;      /* for status, until the node is past bootstrapping */
};

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, FALSE);

  g_print ("%s\n", text);
}

static void
fail (Dht          *self,
      const char   *command,
      const GError *error)
{
  if (self->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, error->domain == FERRY_DHT_ERROR
                                     ? ferry_enum_nick (FERRY_TYPE_DHT_ERROR, error->code) : "failed");
      json_builder_set_member_name (builder, "message");
      json_builder_add_string_value (builder, error->message);
      json_builder_end_object (builder);
      print_json (builder);
    }
  g_printerr ("ferry-cli dht %s: %s\n", command, error->message);
  self->status = 1;
  g_main_loop_quit (self->loop);
}

static gboolean
parse_hex (const char  *text,
           gsize        len,
           guint8      *out,
           const char  *what,
           GError     **error)
{
  if (text == NULL || strlen (text) != len * 2)
    goto bad;
  for (gsize i = 0; i < len; i++)
    {
      int hi = g_ascii_xdigit_value (text[2 * i]), lo = g_ascii_xdigit_value (text[2 * i + 1]);

      if (hi < 0 || lo < 0)
        goto bad;
      out[i] = hi << 4 | lo;
    }
  return TRUE;

bad:
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("%s must be %zu hexadecimal digits"), what, len * 2);
  return FALSE;
}

static char *
to_hex (const guint8 *data,
        gsize         len)
{
  GString *hex = g_string_sized_new (len * 2);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", data[i]);
  return g_string_free (hex, FALSE);
}

/* status */

static void
print_status (Dht      *self,
              FerryDht *dht)
{
  FerryDhtState state = ferry_dht_get_state (dht);
  g_autoptr(GInetAddress) external4 = ferry_dht_get_external_address (dht, G_SOCKET_FAMILY_IPV4);
  g_autoptr(GInetAddress) external6 = ferry_dht_get_external_address (dht, G_SOCKET_FAMILY_IPV6);
  g_autofree char *external = NULL;
  guint8 id[FERRY_KRPC_ID_LEN];
  g_autofree char *id_hex = NULL;
  guint64 sent, sent_bytes, received, received_bytes;

  if (external4 != NULL || external6 != NULL)
    external = g_inet_address_to_string (external4 != NULL ? external4 : external6);
  ferry_dht_get_id (dht, id);
  id_hex = to_hex (id, sizeof id);
  ferry_dht_get_traffic (dht, &sent, &sent_bytes, &received, &received_bytes);
  if (self->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "state");
      json_builder_add_string_value (builder, ferry_enum_nick (FERRY_TYPE_DHT_STATE, state));
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, id_hex);
      json_builder_set_member_name (builder, "nodes");
      json_builder_add_int_value (builder, ferry_dht_get_node_count (dht, G_SOCKET_FAMILY_INVALID));
      json_builder_set_member_name (builder, "good");
      json_builder_add_int_value (builder, ferry_dht_get_good_count (dht, G_SOCKET_FAMILY_INVALID));
      json_builder_set_member_name (builder, "serving");
      json_builder_add_boolean_value (builder, ferry_dht_is_serving (dht));
      json_builder_set_member_name (builder, "external");
      if (external != NULL)
        json_builder_add_string_value (builder, external);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "packets-sent");
      json_builder_add_int_value (builder, sent);
      json_builder_set_member_name (builder, "bytes-sent");
      json_builder_add_int_value (builder, sent_bytes);
      json_builder_set_member_name (builder, "packets-received");
      json_builder_add_int_value (builder, received);
      json_builder_set_member_name (builder, "bytes-received");
      json_builder_add_int_value (builder, received_bytes);
      json_builder_end_object (builder);
      print_json (builder);
      return;
    }
  g_print ("state=%s id=%s nodes=%u good=%u serving=%s external=%s sent=%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT
           " received=%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT "\n",
           ferry_enum_nick (FERRY_TYPE_DHT_STATE, state), id_hex,
           ferry_dht_get_node_count (dht, G_SOCKET_FAMILY_INVALID), ferry_dht_get_good_count (dht, G_SOCKET_FAMILY_INVALID),
           ferry_dht_is_serving (dht) ? "yes" : "no", external != NULL ? external : "unknown",
           sent, sent_bytes, received, received_bytes);
}

/* Calls @func once the first node is past bootstrapping. */
static void
state_cb (FerryDht   *dht,
          GParamSpec *pspec,
          Dht        *self)
{
  ReadyFunc func = self->ready;

  if (func == NULL || ferry_dht_get_state (dht) == FERRY_DHT_STATE_BOOTSTRAPPING)
    return;
  self->ready = NULL;
  func (self);
}

static void
check_ready (gpointer data)
{
  Dht *self = data;

  state_cb (g_ptr_array_index (self->nodes, 0), NULL, self);
}

static void
when_ready (Dht       *self,
            ReadyFunc  func)
{
  self->ready = func;
  g_signal_connect (g_ptr_array_index (self->nodes, 0), "notify::state", G_CALLBACK (state_cb), self);
  /* Once the loop runs: quitting it before would be lost. */
  g_idle_add_once (check_ready, self);
}

static void
status_ready (Dht *self)
{
  print_status (self, g_ptr_array_index (self->nodes, 0));
  g_main_loop_quit (self->loop);
}

/* serve: nodes that run until stdin closes or a signal; each prints its state when it changes. */

static void
serve_state_cb (FerryDht   *dht,
                GParamSpec *pspec,
                Dht        *self)
{
  print_status (self, dht);
}

static gboolean
stop_cb (gpointer data)
{
  Dht *self = data;

  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
stdin_cb (GIOChannel   *channel,
          GIOCondition  condition,
          gpointer      data)
{
  Dht *self = data;
  g_autofree char *line = NULL;
  GIOStatus status = g_io_channel_read_line (channel, &line, NULL, NULL, NULL);

  if (status == G_IO_STATUS_EOF || status == G_IO_STATUS_ERROR)
    {
      g_main_loop_quit (self->loop);
      return G_SOURCE_REMOVE;
    }
  if (line != NULL && g_str_has_prefix (line, "status"))
    for (guint i = 0; i < self->nodes->len; i++)
      print_status (self, g_ptr_array_index (self->nodes, i));
  return G_SOURCE_CONTINUE;
}

/* get-peers, announce, get, put */

static void
get_peers_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  Dht *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) peers = ferry_dht_get_peers_finish (FERRY_DHT (source), result, &error);
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (peers == NULL)
    {
      fail (self, "get-peers", error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "peers");
  json_builder_begin_array (builder);
  for (guint i = 0; i < peers->len; i++)
    {
      GInetSocketAddress *peer = g_ptr_array_index (peers, i);
      g_autofree char *text = g_socket_connectable_to_string (G_SOCKET_CONNECTABLE (peer));

      if (self->json)
        json_builder_add_string_value (builder, text);
      else
        g_print ("%s\n", text);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  if (self->json)
    print_json (builder);
  g_main_loop_quit (self->loop);
}

static void
stored_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      data)
{
  Dht *self = data;
  g_autoptr(GError) error = NULL;
  gboolean put = g_task_get_source_tag (G_TASK (result)) == ferry_dht_put_async;
  guint nodes = put ? ferry_dht_put_finish (FERRY_DHT (source), result, &error)
                    : ferry_dht_announce_finish (FERRY_DHT (source), result, &error);

  if (error != NULL)
    {
      fail (self, put ? "put" : "announce", error);
      return;
    }
  if (self->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "nodes");
      json_builder_add_int_value (builder, nodes);
      if (put && self->public_key != NULL)
        {
          json_builder_set_member_name (builder, "public-key");
          json_builder_add_string_value (builder, self->public_key);
          json_builder_set_member_name (builder, "seq");
          json_builder_add_int_value (builder, self->seq);
        }
      json_builder_end_object (builder);
      print_json (builder);
    }
  else
    g_print (ngettext ("stored at %u node\n", "stored at %u nodes\n", nodes), nodes);
  g_main_loop_quit (self->loop);
}

static void
got_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      data)
{
  Dht *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(FerryDhtValue) value = ferry_dht_get_finish (FERRY_DHT (source), result, &error);
  g_autoptr(FerryBencode) parsed = NULL;
  g_autofree char *text = NULL;
  g_autofree char *hex = NULL;
  gsize len;
  const guint8 *raw;

  if (value == NULL)
    {
      fail (self, "get", error);
      return;
    }
  raw = g_bytes_get_data (value->value, &len);
  hex = to_hex (raw, len);
  /* A byte string holding text is shown as the text; anything else as its bencoding. */
  parsed = ferry_bencode_parse (raw, len, NULL);
  if (parsed != NULL && ferry_bencode_get_kind (parsed) == FERRY_BENCODE_BYTES)
    {
      gsize text_len;
      const char *bytes = (const char *) ferry_bencode_get_bytes (parsed, &text_len);

      if (g_utf8_validate_len (bytes, text_len, NULL) && memchr (bytes, 0, text_len) == NULL)
        text = g_strndup (bytes, text_len);
    }
  if (self->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "seq");
      json_builder_add_int_value (builder, value->seq);
      json_builder_set_member_name (builder, "nodes");
      json_builder_add_int_value (builder, value->nodes);
      json_builder_set_member_name (builder, "value");
      if (text != NULL)
        json_builder_add_string_value (builder, text);
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "bencoded");
      json_builder_add_string_value (builder, hex);
      json_builder_end_object (builder);
      print_json (builder);
    }
  else
    g_print ("seq=%" G_GINT64_FORMAT " nodes=%u value=%s\n", value->seq, value->nodes, text != NULL ? text : hex);
  g_main_loop_quit (self->loop);
}

/* Options */

static GInetSocketAddress *
parse_bind (const char  *text,
            GError     **error)
{
  g_autoptr(GSocketConnectable) connectable = g_network_address_parse (text, 0, error);
  g_autoptr(GInetAddress) address = NULL;

  if (connectable == NULL)
    return NULL;
  if (!(address = g_inet_address_new_from_string (g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)))))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("“%s” is not an IP address with an optional port"), text);
      return NULL;
    }
  return G_INET_SOCKET_ADDRESS (g_inet_socket_address_new (address,
                                                           g_network_address_get_port (G_NETWORK_ADDRESS (connectable))));
}

static gboolean
parse_mode (const char    *text,
            FerryDhtMode  *mode,
            GError       **error)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (FERRY_TYPE_DHT_MODE);
  GEnumValue *value = text != NULL ? g_enum_get_value_by_nick (klass, text) : NULL;

  if (text == NULL)
    return TRUE;
  if (value == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, _("--mode is auto, read-only or server"));
      return FALSE;
    }
  *mode = value->value;
  return TRUE;
}

static void
usage (void)
{
  g_printerr (_("Usage: ferry-cli dht COMMAND [OPTIONS…]\n"
                "\n"
                "Commands:\n"
                "  status                    bootstrap and print the node's state\n"
                "  get-peers INFO-HASH       print the peers announced for an info-hash (40 hex digits)\n"
                "  announce INFO-HASH        announce this node's port for an info-hash\n"
                "  put VALUE                 store a value (mutable with --seed, immutable without)\n"
                "  get PUBLIC-KEY            read a mutable item (or --target for an immutable one)\n"
                "  serve                     run nodes (one per --bind) until stdin closes\n"
                "\n"
                "Run “ferry-cli dht COMMAND --help” for the options.\n"));
}

int
ferry_cli_dht (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_auto(GStrv) binds = NULL;
  g_auto(GStrv) bootstrap = NULL;
  g_autofree char *mode_text = NULL;
  g_autofree char *state_dir = NULL;
  g_autofree char *seed_hex = NULL;
  g_autofree char *salt = NULL;
  g_autofree char *target_hex = NULL;
  g_autofree char *command = NULL;
  gint64 seq = -1, cas = -1;
  int port = 0;
  FerryDhtMode mode;
  gboolean serve;
  guint n_binds;
  Dht self = { .loop = loop };
  const GOptionEntry entries[] = {
    { "bind", 0, 0, G_OPTION_ARG_STRING_ARRAY, &binds, N_("Address (and port) of a socket; one IPv4 and one IPv6, or one node each for serve"), N_("ADDRESS[:PORT]") },
    { "bootstrap", 0, 0, G_OPTION_ARG_STRING_ARRAY, &bootstrap, N_("Node to start from instead of the configured ones (repeatable)"), N_("HOST:PORT") },
    { "mode", 0, 0, G_OPTION_ARG_STRING, &mode_text, N_("When to answer queries: auto (once reachable; the default of serve), read-only (the default of the others) or server"), N_("MODE") },
    { "state-dir", 0, 0, G_OPTION_ARG_FILENAME, &state_dir, N_("Keep the routing tables here between runs"), N_("DIR") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &self.json, N_("Print JSON, one object per line"), NULL },
    { "seed", 0, 0, G_OPTION_ARG_STRING, &seed_hex, N_("put: the Ed25519 seed (64 hex digits) of a mutable item"), N_("HEX") },
    { "salt", 0, 0, G_OPTION_ARG_STRING, &salt, N_("put, get: the mutable item's salt (text)"), N_("SALT") },
    { "seq", 0, 0, G_OPTION_ARG_INT64, &seq, N_("put: the sequence number; get: only a value newer than this"), N_("N") },
    { "cas", 0, 0, G_OPTION_ARG_INT64, &cas, N_("put: the sequence number the item must have now"), N_("N") },
    { "target", 0, 0, G_OPTION_ARG_STRING, &target_hex, N_("get: an immutable item's target (40 hex digits)"), N_("HEX") },
    { "port", 0, 0, G_OPTION_ARG_INT, &port, N_("announce: the port to announce (default: the one the DHT sees)"), N_("PORT") },
    { NULL }
  };
  guint8 seed[FERRY_DHT_KEY_LEN], key[FERRY_DHT_KEY_LEN], hash[FERRY_KRPC_ID_LEN];
  gsize salt_len;

  if (argc < 2 || g_str_has_prefix (argv[1], "-"))
    {
      usage ();
      return 2;
    }
  command = g_strdup (argv[1]);
  /* A command that ends in seconds should not become a node others rely on. */
  mode = g_str_equal (command, "serve") ? FERRY_DHT_MODE_AUTO : FERRY_DHT_MODE_READ_ONLY;
  argc--;
  argv++;
  context = g_option_context_new (command);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error) || !parse_mode (mode_text, &mode, &error))
    {
      g_printerr ("ferry-cli dht %s: %s\n", command, error->message);
      return 2;
    }
  salt_len = salt != NULL ? strlen (salt) : 0;

  if (bootstrap == NULL)
    {
      settings = ferry_cli_app_settings ();
      bootstrap = ferry_cli_configured_list ("FERRY_DHT_BOOTSTRAP", settings, "dht-bootstrap",
                                             (const char * const[]) FERRY_DEFAULT_DHT_BOOTSTRAP);
    }

  /* The nodes: one per --bind for serve; otherwise one, with a socket per family (by default
   * both, any address and port: without IPv6 on this machine, IPv4 alone). */
  self.nodes = g_ptr_array_new_with_free_func (g_object_unref);
  serve = g_str_equal (command, "serve");
  n_binds = binds != NULL ? g_strv_length (binds) : 0;
  for (guint i = 0; i < (serve ? n_binds : 1); i++)
    {
      g_autoptr(GInetSocketAddress) ipv4 = NULL;
      g_autoptr(GInetSocketAddress) ipv6 = NULL;
      g_autoptr(FerryDht) dht = NULL;
      g_autofree char *node_dir = NULL;

      for (guint j = serve ? i : 0; j < (serve ? i + 1 : n_binds); j++)
        {
          g_autoptr(GInetSocketAddress) address = parse_bind (binds[j], &error);

          if (address == NULL)
            goto usage_error;
          g_set_object (g_socket_address_get_family (G_SOCKET_ADDRESS (address)) == G_SOCKET_FAMILY_IPV6 ? &ipv6 : &ipv4,
                        address);
        }
      if (n_binds == 0)
        {
          ipv4 = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("0.0.0.0", 0));
          ipv6 = G_INET_SOCKET_ADDRESS (g_inet_socket_address_new_from_string ("::", 0));
        }
      /* Each node of serve keeps its own tables (and id). */
      node_dir = state_dir != NULL && serve ? g_strdup_printf ("%s/%u", state_dir, i) : g_strdup (state_dir);
      dht = g_object_new (FERRY_TYPE_DHT, "mode", mode, "bootstrap", bootstrap, "state-dir", node_dir, NULL);
      if (!ferry_dht_start (dht, ipv4, ipv6, n_binds > 0 ? &error : NULL) &&
          (n_binds > 0 || !ferry_dht_start (dht, ipv4, NULL, &error)))
        {
          g_printerr ("ferry-cli dht %s: %s\n", command, error->message);
          g_ptr_array_unref (self.nodes);
          return 1;
        }
      g_ptr_array_add (self.nodes, g_steal_pointer (&dht));
    }
  if (self.nodes->len == 0)
    {
      g_printerr ("ferry-cli dht serve: %s\n", _("--bind says where each node listens"));
      g_ptr_array_unref (self.nodes);
      return 2;
    }

  if (g_str_equal (command, "status") && argc == 1)
    when_ready (&self, status_ready);
  else if (g_str_equal (command, "serve") && argc == 1)
    {
      g_autoptr(GIOChannel) channel = g_io_channel_unix_new (0);

      for (guint i = 0; i < self.nodes->len; i++)
        g_signal_connect (g_ptr_array_index (self.nodes, i), "notify::state", G_CALLBACK (serve_state_cb), &self);
      g_io_add_watch (channel, G_IO_IN | G_IO_HUP | G_IO_ERR, stdin_cb, &self);
      g_unix_signal_add (SIGTERM, stop_cb, &self);
      g_unix_signal_add (SIGINT, stop_cb, &self);
    }
  else if ((g_str_equal (command, "get-peers") || g_str_equal (command, "announce")) && argc == 2)
    {
      if (!parse_hex (argv[1], sizeof hash, hash, "INFO-HASH", &error))
        goto usage_error;
      if (g_str_equal (command, "announce"))
        ferry_dht_announce_async (g_ptr_array_index (self.nodes, 0), hash, port, NULL, stored_cb, &self);
      else
        ferry_dht_get_peers_async (g_ptr_array_index (self.nodes, 0), hash, NULL, get_peers_cb, &self);
    }
  else if (g_str_equal (command, "put") && argc == 2)
    {
      g_autoptr(GByteArray) value = g_byte_array_new ();
      g_autoptr(GBytes) bytes = NULL;

      if (seed_hex != NULL)
        {
          if (!parse_hex (seed_hex, sizeof seed, seed, "--seed", &error))
            goto usage_error;
          ferry_dht_item_public_key (seed, key);
          self.public_key = to_hex (key, sizeof key);
        }
      ferry_bencode_write_str (value, argv[1]);
      bytes = g_byte_array_free_to_bytes (g_steal_pointer (&value));
      self.seq = seq >= 0 ? seq : g_get_real_time () / 1000;
      ferry_dht_put_async (g_ptr_array_index (self.nodes, 0), seed_hex != NULL ? seed : NULL, (const guint8 *) salt,
                           salt_len, self.seq, cas >= 0 ? &cas : NULL, bytes, NULL, stored_cb, &self);
    }
  else if (g_str_equal (command, "get") && ((argc == 2 && target_hex == NULL) || (argc == 1 && target_hex != NULL)))
    {
      if (target_hex != NULL ? !parse_hex (target_hex, sizeof hash, hash, "--target", &error)
                             : !parse_hex (argv[1], sizeof key, key, "PUBLIC-KEY", &error))
        goto usage_error;
      ferry_dht_get_async (g_ptr_array_index (self.nodes, 0), target_hex != NULL ? NULL : key, (const guint8 *) salt,
                           salt_len, target_hex != NULL ? hash : NULL, seq, NULL, got_cb, &self);
    }
  else
    {
      usage ();
      g_ptr_array_unref (self.nodes);
      return 2;
    }

  g_main_loop_run (loop);
  g_ptr_array_unref (self.nodes);
  g_free (self.public_key);
  return self.status;

usage_error:
  g_printerr ("ferry-cli dht %s: %s\n", command, error->message);
  g_ptr_array_unref (self.nodes);
  g_free (self.public_key);
  return 2;
}
