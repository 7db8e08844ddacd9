/* ferry-sdp.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ferry-sdp.h"

G_DEFINE_BOXED_TYPE (FerrySdp, ferry_sdp, ferry_sdp_copy, ferry_sdp_free)
G_DEFINE_QUARK (ferry-sdp-error-quark, ferry_sdp_error)

static void
fingerprint_free (gpointer data)
{
  FerrySdpFingerprint *fp = data;

  g_free (fp->algorithm);
  g_free (fp->value);
  g_free (fp);
}

static void
media_free (gpointer data)
{
  FerrySdpMedia *media = data;

  g_free (media->media);
  g_free (media->proto);
  g_free (media->formats);
  g_free (media->mid);
  g_free (media);
}

FerrySdp *
ferry_sdp_new (void)
{
  FerrySdp *sdp = g_new0 (FerrySdp, 1);

  sdp->fingerprints = g_ptr_array_new_with_free_func (fingerprint_free);
  sdp->candidates = g_ptr_array_new_with_free_func (g_free);
  sdp->rejected_media = g_ptr_array_new_with_free_func (media_free);
  sdp->sctp_port = FERRY_SDP_DEFAULT_SCTP_PORT;
  sdp->setup = FERRY_SDP_SETUP_NONE;

  return sdp;
}

void
ferry_sdp_free (FerrySdp *sdp)
{
  if (sdp == NULL)
    return;

  g_free (sdp->ice_ufrag);
  g_free (sdp->ice_pwd);
  g_free (sdp->mid);
  g_ptr_array_unref (sdp->fingerprints);
  g_ptr_array_unref (sdp->candidates);
  g_ptr_array_unref (sdp->rejected_media);
  g_free (sdp);
}

FerrySdp *
ferry_sdp_copy (const FerrySdp *sdp)
{
  FerrySdp *copy = ferry_sdp_new ();

  copy->session_id = sdp->session_id;
  copy->session_version = sdp->session_version;
  copy->ice_ufrag = g_strdup (sdp->ice_ufrag);
  copy->ice_pwd = g_strdup (sdp->ice_pwd);
  copy->ice_lite = sdp->ice_lite;
  copy->ice_trickle = sdp->ice_trickle;
  for (guint i = 0; i < sdp->fingerprints->len; i++)
    {
      FerrySdpFingerprint *fp = g_ptr_array_index (sdp->fingerprints, i);
      ferry_sdp_add_fingerprint (copy, fp->algorithm, fp->value);
    }
  copy->setup = sdp->setup;
  copy->mid = g_strdup (sdp->mid);
  copy->bundle = sdp->bundle;
  copy->legacy = sdp->legacy;
  copy->sctp_port = sdp->sctp_port;
  copy->has_max_message_size = sdp->has_max_message_size;
  copy->max_message_size = sdp->max_message_size;
  copy->large_packets = sdp->large_packets;
  for (guint i = 0; i < sdp->candidates->len; i++)
    g_ptr_array_add (copy->candidates, g_strdup (g_ptr_array_index (sdp->candidates, i)));
  copy->end_of_candidates = sdp->end_of_candidates;
  copy->data_index = sdp->data_index;
  for (guint i = 0; i < sdp->rejected_media->len; i++)
    {
      FerrySdpMedia *m = g_ptr_array_index (sdp->rejected_media, i);
      FerrySdpMedia *c = g_new0 (FerrySdpMedia, 1);

      c->media = g_strdup (m->media);
      c->proto = g_strdup (m->proto);
      c->formats = g_strdup (m->formats);
      c->mid = g_strdup (m->mid);
      g_ptr_array_add (copy->rejected_media, c);
    }

  return copy;
}

void
ferry_sdp_add_fingerprint (FerrySdp   *sdp,
                           const char *algorithm,
                           const char *value)
{
  FerrySdpFingerprint *fp = g_new0 (FerrySdpFingerprint, 1);

  fp->algorithm = g_ascii_strdown (algorithm, -1);
  fp->value = g_ascii_strup (value, -1);
  g_ptr_array_add (sdp->fingerprints, fp);
}

const char *
ferry_sdp_get_fingerprint (const FerrySdp *sdp,
                           const char     *algorithm)
{
  for (guint i = 0; i < sdp->fingerprints->len; i++)
    {
      FerrySdpFingerprint *fp = g_ptr_array_index (sdp->fingerprints, i);

      if (g_ascii_strcasecmp (fp->algorithm, algorithm) == 0)
        return fp->value;
    }
  return NULL;
}

guint64
ferry_sdp_get_remote_max_message_size (const FerrySdp *sdp)
{
  if (!sdp->has_max_message_size)
    return FERRY_SDP_DEFAULT_MAX_MESSAGE_SIZE;
  if (sdp->max_message_size == 0)
    return G_MAXUINT64;
  return sdp->max_message_size;
}

const char *
ferry_sdp_type_to_string (FerrySdpType type)
{
  return type == FERRY_SDP_TYPE_OFFER ? "offer" : "answer";
}

gboolean
ferry_sdp_type_from_string (const char   *text,
                            FerrySdpType *type)
{
  if (g_strcmp0 (text, "offer") == 0)
    *type = FERRY_SDP_TYPE_OFFER;
  else if (g_strcmp0 (text, "answer") == 0)
    *type = FERRY_SDP_TYPE_ANSWER;
  else
    return FALSE;
  return TRUE;
}

/* Parsing */

static void
replace_str (char       **slot,
             const char  *value)
{
  g_free (*slot);
  *slot = g_strdup (value);
}

typedef struct {
  FerrySdp   *sdp;
  guint       lineno;
  const char *line;
  GError    **error;

  /* Session-level values, used where the data section has none. */
  char       *session_ufrag;
  char       *session_pwd;
  GPtrArray  *session_fingerprints;
  FerrySdpSetup session_setup;
  gboolean    session_end_of_candidates;
  char      **bundle_mids;

  int         section;          /* -1: session level; else index of the current m= section */
  gboolean    in_data;          /* the current section is the data channel */
  gboolean    have_data;
  guint       data_format_port; /* legacy: the port named by the m= line's format */
  gboolean    have_sctpmap;
  FerrySdpMedia *current_rejected;
} Parser;

static gboolean G_GNUC_PRINTF (3, 4)
line_error (Parser     *parser,
            int         code,
            const char *format,
            ...)
{
  g_autofree char *detail = NULL;
  g_autofree char *shown = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  /* The line comes from a stranger: make it valid UTF-8 and keep it short. */
  shown = g_utf8_make_valid (parser->line, MIN (strlen (parser->line), 80));
  g_set_error (parser->error, FERRY_SDP_ERROR, code,
               _("Invalid session description, line %u (“%s”): %s"), parser->lineno, shown,
               detail);
  return FALSE;
}

static gboolean
parse_uint (const char *text,
            guint64     max,
            guint64    *out)
{
  return g_ascii_string_to_unsigned (text, 10, 0, max, out, NULL);
}

static gboolean
is_ice_chars (const char *text)
{
  gsize len = strlen (text);

  if (len == 0 || len > 256)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '+' && *p != '/')
      return FALSE;
  return TRUE;
}

static gboolean
parse_fingerprint (Parser     *parser,
                   const char *value,
                   GPtrArray  *into)
{
  g_auto(GStrv) parts = g_strsplit (value, " ", 2);
  FerrySdpFingerprint *fp;
  gsize hex_len;

  if (g_strv_length (parts) != 2)
    return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("a fingerprint needs an algorithm and a value"));

  hex_len = strlen (parts[1]);
  if (hex_len < 2 || hex_len > 3 * 64 || (hex_len + 1) % 3 != 0)
    return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("the fingerprint is not hex bytes separated by colons"));
  for (gsize i = 0; i < hex_len; i++)
    if ((i % 3 == 2) ? parts[1][i] != ':' : !g_ascii_isxdigit (parts[1][i]))
      return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("the fingerprint is not hex bytes separated by colons"));

  if (g_ascii_strcasecmp (parts[0], "sha-256") == 0 && hex_len != 32 * 3 - 1)
    return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("a SHA-256 fingerprint has 32 bytes"));

  fp = g_new0 (FerrySdpFingerprint, 1);
  fp->algorithm = g_ascii_strdown (parts[0], -1);
  fp->value = g_ascii_strup (parts[1], -1);
  g_ptr_array_add (into, fp);
  return TRUE;
}

static gboolean
parse_setup (Parser        *parser,
             const char    *value,
             FerrySdpSetup *setup)
{
  if (g_str_equal (value, "actpass"))
    *setup = FERRY_SDP_SETUP_ACTPASS;
  else if (g_str_equal (value, "active"))
    *setup = FERRY_SDP_SETUP_ACTIVE;
  else if (g_str_equal (value, "passive"))
    *setup = FERRY_SDP_SETUP_PASSIVE;
  else
    return line_error (parser, FERRY_SDP_ERROR_UNSUPPORTED, _("unsupported DTLS setup role"));
  return TRUE;
}

static gboolean
parse_media_line (Parser     *parser,
                  const char *value)
{
  g_auto(GStrv) parts = g_strsplit (value, " ", 4);
  guint64 port;
  gboolean modern, legacy;

  if (g_strv_length (parts) < 4 || !parse_uint (parts[1], 65535, &port))
    return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("expected “m=<media> <port> <proto> <formats>”"));

  parser->section++;
  parser->in_data = FALSE;
  parser->current_rejected = NULL;

  modern = g_str_equal (parts[2], "UDP/DTLS/SCTP") || g_str_equal (parts[2], "TCP/DTLS/SCTP");
  legacy = g_str_equal (parts[2], "DTLS/SCTP");

  if (!parser->have_data && g_str_equal (parts[0], "application") && (modern || legacy))
    {
      if (modern && !g_str_equal (parts[3], "webrtc-datachannel"))
        return line_error (parser, FERRY_SDP_ERROR_UNSUPPORTED, _("the application section is not a WebRTC data channel"));
      if (legacy)
        {
          guint64 sctp_port;

          if (!parse_uint (parts[3], 65535, &sctp_port) || sctp_port == 0)
            return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("expected an SCTP port as the format"));
          parser->data_format_port = sctp_port;
        }
      if (port == 0)
        return line_error (parser, FERRY_SDP_ERROR_UNSUPPORTED, _("the data channel section was rejected (port 0)"));

      parser->have_data = TRUE;
      parser->in_data = TRUE;
      parser->sdp->legacy = legacy;
      parser->sdp->data_index = parser->section;
    }
  else
    {
      FerrySdpMedia *media = g_new0 (FerrySdpMedia, 1);

      media->media = g_strdup (parts[0]);
      media->proto = g_strdup (parts[2]);
      media->formats = g_strdup (parts[3]);
      g_ptr_array_add (parser->sdp->rejected_media, media);
      parser->current_rejected = media;
    }

  return TRUE;
}

static gboolean
parse_attribute (Parser     *parser,
                 const char *attr)
{
  FerrySdp *sdp = parser->sdp;
  g_autofree char *name = NULL;
  const char *colon = strchr (attr, ':');
  const char *value = colon ? colon + 1 : "";
  gboolean session = parser->section < 0;

  name = colon ? g_strndup (attr, colon - attr) : g_strdup (attr);

  /* Attributes of a section we reject only matter for its mid. */
  if (!session && !parser->in_data)
    {
      if (g_str_equal (name, "mid") && parser->current_rejected != NULL)
        replace_str (&parser->current_rejected->mid, value);
      return TRUE;
    }

  if (g_str_equal (name, "ice-ufrag") || g_str_equal (name, "ice-pwd"))
    {
      gboolean ufrag = name[4] == 'u';
      char **slot = session ? (ufrag ? &parser->session_ufrag : &parser->session_pwd)
                            : (ufrag ? &sdp->ice_ufrag : &sdp->ice_pwd);

      if (!is_ice_chars (value))
        return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("invalid ICE credentials"));
      replace_str (slot, value);
    }
  else if (g_str_equal (name, "fingerprint"))
    {
      return parse_fingerprint (parser, value, session ? parser->session_fingerprints : sdp->fingerprints);
    }
  else if (g_str_equal (name, "setup"))
    {
      return parse_setup (parser, value, session ? &parser->session_setup : &sdp->setup);
    }
  else if (g_str_equal (name, "ice-lite"))
    {
      sdp->ice_lite = TRUE;
    }
  else if (g_str_equal (name, "ice-options"))
    {
      g_auto(GStrv) options = g_strsplit (value, " ", -1);

      if (g_strv_contains ((const char * const *) options, "trickle"))
        sdp->ice_trickle = TRUE;
    }
  else if (g_str_equal (name, "end-of-candidates"))
    {
      if (session)
        parser->session_end_of_candidates = TRUE;
      else
        sdp->end_of_candidates = TRUE;
    }
  else if (g_str_equal (name, "group"))
    {
      if (g_str_has_prefix (value, "BUNDLE"))
        {
          g_strfreev (parser->bundle_mids);
          parser->bundle_mids = g_strsplit (value, " ", -1);
        }
    }
  else if (session)
    {
      /* Everything else at session level is ignored (msid-semantic, extmap-allow-mixed, …). */
    }
  else if (g_str_equal (name, "mid"))
    {
      if (*value == '\0' || strlen (value) > 32)
        return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("invalid media id"));
      replace_str (&sdp->mid, value);
    }
  else if (g_str_equal (name, "sctp-port"))
    {
      guint64 port;

      if (!parse_uint (value, 65535, &port) || port == 0)
        return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("the SCTP port is not a number from 1 to 65535"));
      sdp->sctp_port = port;
    }
  else if (g_str_equal (name, "sctpmap"))
    {
      g_auto(GStrv) parts = g_strsplit (value, " ", 3);
      guint64 port;

      if (g_strv_length (parts) < 2 || !parse_uint (parts[0], 65535, &port) || port == 0 ||
          !g_str_equal (parts[1], "webrtc-datachannel"))
        return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("expected “a=sctpmap:<port> webrtc-datachannel <streams>”"));
      if (sdp->legacy)
        {
          sdp->sctp_port = port;
          parser->have_sctpmap = TRUE;
        }
    }
  else if (g_str_equal (name, "max-message-size"))
    {
      guint64 size;

      if (!parse_uint (value, G_MAXUINT64, &size))
        return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("the maximum message size is not a number"));
      sdp->has_max_message_size = TRUE;
      sdp->max_message_size = size;
    }
  else if (g_str_equal (name, "x-ferry-large-packets"))
    sdp->large_packets = TRUE;
  else if (g_str_equal (name, "candidate"))
    {
      g_autofree char *candidate = g_strstrip (g_strdup (attr));

      g_auto(GStrv) fields = g_strsplit (candidate, " ", 9);

      /* "candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>" */
      if (g_strv_length (fields) < 8)
        return line_error (parser, FERRY_SDP_ERROR_MALFORMED, _("incomplete ICE candidate"));
      if (sdp->candidates->len < FERRY_SDP_MAX_CANDIDATES)
        g_ptr_array_add (sdp->candidates, g_steal_pointer (&candidate));
    }

  return TRUE;
}

FerrySdp *
ferry_sdp_parse (const char  *text,
                 gssize       len,
                 GError     **error)
{
  g_autoptr(FerrySdp) sdp = ferry_sdp_new ();
  g_autoptr(GPtrArray) session_fingerprints = g_ptr_array_new_with_free_func (fingerprint_free);
  g_auto(GStrv) lines = NULL;
  g_autofree char *copy = NULL;
  Parser parser = { 0 };
  gboolean ok = TRUE;

  g_return_val_if_fail (text != NULL, NULL);

  if (len < 0)
    len = strlen (text);
  if ((gsize) len > FERRY_SDP_MAX_LENGTH)
    {
      g_set_error (error, FERRY_SDP_ERROR, FERRY_SDP_ERROR_MALFORMED,
                   _("Invalid session description: longer than %d bytes"), FERRY_SDP_MAX_LENGTH);
      return NULL;
    }
  if (memchr (text, '\0', len) != NULL || !g_utf8_validate_len (text, len, NULL))
    {
      g_set_error_literal (error, FERRY_SDP_ERROR, FERRY_SDP_ERROR_MALFORMED,
                           _("Invalid session description: not UTF-8 text"));
      return NULL;
    }

  copy = g_strndup (text, len);
  lines = g_strsplit (copy, "\n", -1);

  parser.sdp = sdp;
  parser.error = error;
  parser.section = -1;
  parser.session_fingerprints = session_fingerprints;

  for (guint i = 0; ok && lines[i] != NULL; i++)
    {
      char *line = lines[i];
      gsize n = strlen (line);

      if (n > 0 && line[n - 1] == '\r')
        line[--n] = '\0';
      parser.lineno = i + 1;
      parser.line = line;

      if (n == 0)
        continue;
      if (n < 2 || line[1] != '=' || !g_ascii_isalpha (line[0]))
        {
          ok = line_error (&parser, FERRY_SDP_ERROR_MALFORMED, _("expected “<type>=<value>”"));
          break;
        }
      if (i == 0 && !g_str_equal (line, "v=0"))
        {
          ok = line_error (&parser, FERRY_SDP_ERROR_MALFORMED, _("a session description starts with “v=0”"));
          break;
        }

      switch (line[0])
        {
        case 'o':
          {
            g_auto(GStrv) parts = g_strsplit (line + 2, " ", 6);

            /* Any origin is accepted (Firefox writes "mozilla...THIS_IS_SDPARTA-…"). */
            if (g_strv_length (parts) >= 3)
              {
                parse_uint (parts[1], G_MAXUINT64, &sdp->session_id);
                parse_uint (parts[2], G_MAXUINT64, &sdp->session_version);
              }
            break;
          }
        case 'm':
          ok = parse_media_line (&parser, line + 2);
          break;
        case 'a':
          ok = parse_attribute (&parser, line + 2);
          break;
        default:
          break;
        }
    }

  if (ok && !g_str_has_prefix (copy, "v=0"))
    ok = (g_set_error_literal (error, FERRY_SDP_ERROR, FERRY_SDP_ERROR_MALFORMED,
                               _("Invalid session description: it does not start with “v=0”")), FALSE);

  if (ok)
    {
      if (!parser.have_data)
        {
          g_set_error_literal (error, FERRY_SDP_ERROR, FERRY_SDP_ERROR_UNSUPPORTED,
                               _("The session description has no data channel section "
                                 "(m=application … webrtc-datachannel)"));
          ok = FALSE;
        }
      else
        {
          if (sdp->ice_ufrag == NULL)
            sdp->ice_ufrag = g_steal_pointer (&parser.session_ufrag);
          if (sdp->ice_pwd == NULL)
            sdp->ice_pwd = g_steal_pointer (&parser.session_pwd);
          if (sdp->fingerprints->len == 0)
            g_ptr_array_extend_and_steal (sdp->fingerprints, g_steal_pointer (&session_fingerprints));
          if (sdp->setup == FERRY_SDP_SETUP_NONE)
            sdp->setup = parser.session_setup;
          if (parser.session_end_of_candidates)
            sdp->end_of_candidates = TRUE;
          if (sdp->mid == NULL)
            sdp->mid = g_strdup ("0");
          if (sdp->legacy && !parser.have_sctpmap)
            sdp->sctp_port = parser.data_format_port;
          sdp->bundle = parser.bundle_mids != NULL &&
                        g_strv_contains ((const char * const *) parser.bundle_mids + 1, sdp->mid);

          if (sdp->ice_ufrag == NULL || sdp->ice_pwd == NULL)
            {
              g_set_error_literal (error, FERRY_SDP_ERROR, FERRY_SDP_ERROR_MISSING,
                                   _("The session description has no ICE credentials (a=ice-ufrag, a=ice-pwd)"));
              ok = FALSE;
            }
          else if (ferry_sdp_get_fingerprint (sdp, "sha-256") == NULL)
            {
              g_set_error_literal (error, FERRY_SDP_ERROR, FERRY_SDP_ERROR_MISSING,
                                   _("The session description has no SHA-256 certificate fingerprint"));
              ok = FALSE;
            }
        }
    }

  g_free (parser.session_ufrag);
  g_free (parser.session_pwd);
  g_strfreev (parser.bundle_mids);

  return ok ? g_steal_pointer (&sdp) : NULL;
}

/* Building */

static const char *
setup_to_string (FerrySdpSetup setup)
{
  switch (setup)
    {
    case FERRY_SDP_SETUP_ACTPASS: return "actpass";
    case FERRY_SDP_SETUP_ACTIVE: return "active";
    case FERRY_SDP_SETUP_PASSIVE: return "passive";
    case FERRY_SDP_SETUP_NONE:
    default: return NULL;
    }
}

char *
ferry_sdp_to_string (const FerrySdp *sdp)
{
  GString *out = g_string_sized_new (1024);
  guint n_sections = sdp->rejected_media->len + 1;
  guint rejected = 0;

  g_return_val_if_fail (sdp->ice_ufrag != NULL && sdp->ice_pwd != NULL, NULL);
  g_return_val_if_fail (sdp->data_index <= sdp->rejected_media->len, NULL);

  g_string_append (out, "v=0\r\n");
  g_string_append_printf (out, "o=- %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT " IN IP4 127.0.0.1\r\n",
                          sdp->session_id, sdp->session_version);
  g_string_append (out, "s=-\r\nt=0 0\r\n");
  if (sdp->bundle)
    g_string_append_printf (out, "a=group:BUNDLE %s\r\n", sdp->mid);
  if (sdp->ice_lite)
    g_string_append (out, "a=ice-lite\r\n");

  for (guint section = 0; section < n_sections; section++)
    {
      const char *setup;

      if (section != sdp->data_index)
        {
          FerrySdpMedia *media = g_ptr_array_index (sdp->rejected_media, rejected++);

          g_string_append_printf (out, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", media->media,
                                  media->proto, media->formats);
          if (media->mid != NULL)
            g_string_append_printf (out, "a=mid:%s\r\n", media->mid);
          continue;
        }

      if (sdp->legacy)
        g_string_append_printf (out, "m=application 9 DTLS/SCTP %u\r\n", sdp->sctp_port);
      else
        g_string_append (out, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n");
      g_string_append (out, "c=IN IP4 0.0.0.0\r\n");
      g_string_append_printf (out, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", sdp->ice_ufrag, sdp->ice_pwd);
      if (sdp->ice_trickle)
        g_string_append (out, "a=ice-options:trickle\r\n");
      for (guint i = 0; i < sdp->fingerprints->len; i++)
        {
          FerrySdpFingerprint *fp = g_ptr_array_index (sdp->fingerprints, i);
          g_string_append_printf (out, "a=fingerprint:%s %s\r\n", fp->algorithm, fp->value);
        }
      if ((setup = setup_to_string (sdp->setup)) != NULL)
        g_string_append_printf (out, "a=setup:%s\r\n", setup);
      g_string_append_printf (out, "a=mid:%s\r\n", sdp->mid);
      if (sdp->legacy)
        g_string_append_printf (out, "a=sctpmap:%u webrtc-datachannel 1024\r\n", sdp->sctp_port);
      else
        g_string_append_printf (out, "a=sctp-port:%u\r\n", sdp->sctp_port);
      if (sdp->has_max_message_size)
        g_string_append_printf (out, "a=max-message-size:%" G_GUINT64_FORMAT "\r\n",
                                sdp->max_message_size);
      if (sdp->large_packets)
        g_string_append (out, "a=x-ferry-large-packets\r\n");
      for (guint i = 0; i < sdp->candidates->len; i++)
        g_string_append_printf (out, "a=%s\r\n", (char *) g_ptr_array_index (sdp->candidates, i));
      if (sdp->end_of_candidates)
        g_string_append (out, "a=end-of-candidates\r\n");
    }

  return g_string_free (out, FALSE);
}
