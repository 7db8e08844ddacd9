/* ferry-diagnostics-window.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "ferry-diagnostics-window.h"
#include "ferry-dht-enums.h"
#include "ferry-room-enums.h"
#include "ferry-session.h"
#include "ferry-session-enums.h"
#include "ferry-session-peer.h"
#include "ferry-signalling-enums.h"
#include "ferry-text.h"
#include "ferry-webrtc-enums.h"

struct _FerryDiagnosticsWindow
{
  AdwPreferencesWindow  parent_instance;

  FerrySessionRoom     *room;
  FerrySession         *session;     /* the room's, for its DHT node; %NULL for a room left */
  GPtrArray            *rows;        /* the rows made for the models, removed on each update */
  guint                 update_idle;
  guint                 tick;        /* the seconds of "Looking for people on the DHT…" */

  /* Template widgets */
  AdwPreferencesGroup  *trackers_group;
  AdwPreferencesGroup  *peers_group;
  AdwActionRow         *dht_state_row;
  AdwActionRow         *dht_nodes_row;
  AdwActionRow         *dht_room_row;
  GtkLabel             *advice_label;
};

G_DEFINE_FINAL_TYPE (FerryDiagnosticsWindow, ferry_diagnostics_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *
tracker_state_text (FerryTrackerState state)
{
  switch (state)
    {
    case FERRY_TRACKER_STATE_CONNECTING:
      return _("Connecting…");
    case FERRY_TRACKER_STATE_CONNECTED:
      return _("Connected");
    case FERRY_TRACKER_STATE_FAILED:
      return _("Cannot be reached; trying again");
    case FERRY_TRACKER_STATE_DISCONNECTED:
    default:
      return _("Not connected");
    }
}

/* The tracker's host, or a placeholder for an IP address (the report leaves addresses out). */
static char *
tracker_host (FerrySessionTracker *tracker)
{
  g_autoptr(GUri) uri = g_uri_parse (ferry_session_tracker_get_url (tracker), G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  if (host == NULL || g_hostname_is_ip_address (host))
    return g_strdup (_("a server by its IP address"));
  return g_strdup (host);
}

/* The DHT */

static FerryDhtState
dht_state (FerryDiagnosticsWindow *self)
{
  return self->session != NULL ? ferry_session_get_dht_state (self->session) : FERRY_DHT_STATE_STOPPED;
}

static const char *
dht_state_text (FerryDhtState state)
{
  switch (state)
    {
    case FERRY_DHT_STATE_BOOTSTRAPPING:
      return _("Starting…");
    case FERRY_DHT_STATE_READY:
      return _("Ready");
    case FERRY_DHT_STATE_DEGRADED:
      return _("Degraded: few nodes answer");
    case FERRY_DHT_STATE_BLOCKED:
      return _("Blocked: no DHT node answers — UDP may be blocked on this network");
    case FERRY_DHT_STATE_STOPPED:
    default:
      return _("Off");
    }
}

static char *
dht_nodes_text (FerryDiagnosticsWindow *self)
{
  guint nodes = self->session != NULL ? ferry_session_get_dht_nodes (self->session) : 0;
  guint good = self->session != NULL ? ferry_session_get_dht_good_nodes (self->session) : 0;

  if (nodes == 0)
    return g_strdup (_("None known yet"));
  /* Translators: nodes of the DHT in the routing table, and how many of them answer */
  return g_strdup_printf (ngettext ("%u node known, %u answering", "%u nodes known, %u answering", nodes), nodes, good);
}

/* Whether the room's link asks for the DHT at all. */
static gboolean
room_wants_dht (FerrySessionRoom *room)
{
  FerryRoomLink *link = ferry_session_room_get_link (room);

  return ferry_room_link_get_kind (link) == FERRY_ROOM_KIND_SECRET && ferry_room_link_get_dht (link) &&
         !ferry_session_room_get_direct (room);
}

/* "Looking for people on the DHT… 12 s", or what else the room does with the DHT. */
static char *
dht_room_text (FerryDiagnosticsWindow *self)
{
  guint members = ferry_session_room_get_dht_members (self->room);
  gint64 since = ferry_session_room_get_dht_since (self->room);
  gint64 seconds;

  if (ferry_session_room_get_direct (self->room))
    return g_strdup (_("Not used: this is a direct connection"));
  if (ferry_session_room_get_kind (self->room) != FERRY_ROOM_KIND_SECRET)
    return g_strdup (_("Not used: only secret rooms meet through the DHT"));
  if (!room_wants_dht (self->room))
    return g_strdup (_("Not used: this room’s link was made without it"));
  if (self->session != NULL && !ferry_session_get_dht_enabled (self->session))
    return g_strdup (_("Off: turned off in Preferences"));
  if (!ferry_session_room_get_dht (self->room))
    return g_strdup (_("Not used"));
  if (members > 0)
    /* Translators: other members of the room that wrote themselves into its lobby on the DHT */
    return g_strdup_printf (ngettext ("%u member seen on the DHT", "%u members seen on the DHT", members),
                            members);
  seconds = since > 0 ? MAX (g_get_monotonic_time () - since, 0) / G_USEC_PER_SEC : 0;
  if (seconds < 120)
    /* Translators: %u is a number of seconds */
    return g_strdup_printf (_("Looking for people on the DHT… %u s"), (guint) seconds);
  /* Translators: %u is a number of minutes */
  return g_strdup_printf (_("Looking for people on the DHT… %u min"), (guint) (seconds / 60));
}

static const char *
peer_state_text (FerrySessionPeer *peer)
{
  switch (ferry_session_peer_get_state (peer))
    {
    case FERRY_SESSION_PEER_CONNECTING:
      return _("Connecting…");
    case FERRY_SESSION_PEER_CONNECTED:
      return _("Connected");
    case FERRY_SESSION_PEER_FAILED:
      return _("The connection failed");
    case FERRY_SESSION_PEER_LEFT:
    default:
      return _("Left");
    }
}

/* "Direct (host ↔ srflx) · round trip 12 ms", or what is known of it so far. */
static char *
peer_connection_text (FerrySessionPeer *peer)
{
  FerryIceCandidateType local = ferry_session_peer_get_local_candidate_type (peer);
  FerryIceCandidateType remote = ferry_session_peer_get_remote_candidate_type (peer);
  int rtt = ferry_session_peer_get_rtt_ms (peer);
  g_autoptr(GString) text = g_string_new (peer_state_text (peer));

  if (local != FERRY_ICE_CANDIDATE_TYPE_NONE && remote != FERRY_ICE_CANDIDATE_TYPE_NONE)
    {
      /* Translators: the kinds of the two ends of a connection, as ICE names them (host,
       * srflx, prflx, relay): kept in English, since that is what guides and forums use. */
      g_string_append_printf (text, " · %s (%s ↔ %s)",
                              ferry_session_peer_get_relayed (peer) ? _("through a relay") : _("direct"),
                              ferry_enum_nick (FERRY_TYPE_ICE_CANDIDATE_TYPE, local),
                              ferry_enum_nick (FERRY_TYPE_ICE_CANDIDATE_TYPE, remote));
    }
  if (rtt == 0)
    g_string_append_printf (text, " · %s", _("round trip under 1 ms"));
  else if (rtt > 0)
    {
      g_string_append (text, " · ");
      /* Translators: round-trip time in milliseconds */
      g_string_append_printf (text, _("round trip %d ms"), rtt);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static const char *
peer_kind_text (FerrySessionPeer *peer)
{
  switch (ferry_session_peer_get_kind (peer))
    {
    case FERRY_PEER_KIND_FERRY:
      return _("Ferry");
    case FERRY_PEER_KIND_P2PT:
      return _("a browser app");
    case FERRY_PEER_KIND_WEBDROP:
      return _("WebDrop, in a browser");
    case FERRY_PEER_KIND_UNKNOWN:
    default:
      return _("not known yet");
    }
}

/* What to try, from what the models say. */
static char *
advice (FerryDiagnosticsWindow *self)
{
  GListModel *trackers = ferry_session_room_get_trackers (self->room);
  GListModel *peers = ferry_session_room_get_peers (self->room);
  guint n_trackers = g_list_model_get_n_items (trackers), n_peers = g_list_model_get_n_items (peers);
  guint trackers_up = 0, peers_failed = 0, peers_up = 0, peers_relayed = 0;
  gboolean dht = ferry_session_room_get_dht (self->room);
  FerryDhtState state = dht_state (self);
  gboolean dht_up = dht && (state == FERRY_DHT_STATE_READY || state == FERRY_DHT_STATE_DEGRADED);
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < n_trackers; i++)
    {
      g_autoptr(FerrySessionTracker) tracker = g_list_model_get_item (trackers, i);

      trackers_up += ferry_session_tracker_get_state (tracker) == FERRY_TRACKER_STATE_CONNECTED;
    }
  for (guint i = 0; i < n_peers; i++)
    {
      g_autoptr(FerrySessionPeer) peer = g_list_model_get_item (peers, i);

      peers_failed += ferry_session_peer_get_state (peer) == FERRY_SESSION_PEER_FAILED;
      peers_up += ferry_session_peer_get_state (peer) == FERRY_SESSION_PEER_CONNECTED;
      peers_relayed += ferry_session_peer_get_relayed (peer);
    }

  if (n_trackers > 0 && trackers_up == 0 && dht_up)
    g_string_append (text, _("No tracker answers: people are looked for through the DHT alone, which "
                             "takes longer. "));
  else if (n_trackers > 0 && trackers_up == 0)
    g_string_append (text, _("No tracker answers, so nobody can be found. Check that this computer is "
                             "online and that no firewall or proxy blocks WebSocket connections, or add "
                             "another tracker in Preferences. "));
  if (dht && state == FERRY_DHT_STATE_BLOCKED && trackers_up == 0)
    g_string_append (text, n_trackers > 0 ? _("No DHT node answers either: this network may block UDP. ")
                                          : _("No DHT node answers, so nobody can be found: this computer "
                                              "may be offline, or this network may block UDP. Adding a "
                                              "tracker in Preferences may help. "));
  if (peers_failed > 0)
    g_string_append (text, _("A direct connection could not be made: the networks on one or both sides "
                             "block it (a strict router or firewall). Add a TURN server in Preferences: it "
                             "relays the connection when nothing else works. Check also that your firewall "
                             "lets UDP through. "));
  if (trackers_up > 0 && n_peers == 0)
    g_string_append (text, _("You are in the room, but nobody else is yet. Share the room’s link: people "
                             "who open it show up here within seconds. "));
  else if (dht_up && n_peers == 0)
    g_string_append (text, _("You are in the room, but nobody else is yet. Share the room’s link: through "
                             "the DHT, people who open it show up here within a minute. "));
  if (peers_relayed > 0)
    g_string_append (text, _("Connections through a relay work, but are slower than direct ones. "));
  if (text->len == 0 && peers_up > 0)
    g_string_append (text, trackers_up > 0 ? _("Everything works: the trackers answer and everyone here is connected.")
                                           : _("Everything works: everyone here is connected."));
  if (text->len == 0)
    g_string_append (text, _("Looking for the others…"));
  g_strchomp (text->str);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static GtkWidget *
add_row (FerryDiagnosticsWindow *self,
         AdwPreferencesGroup    *group,
         const char             *title,
         const char             *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->rows, row);
  return row;
}

static gboolean tick_cb (gpointer data);

/* The DHT's rows; while the room looks and has seen nobody, again each second. */
static void
update_dht (FerryDiagnosticsWindow *self)
{
  g_autofree char *nodes = dht_nodes_text (self);
  g_autofree char *room = dht_room_text (self);
  gboolean looking = ferry_session_room_get_dht (self->room) && ferry_session_room_get_dht_members (self->room) == 0;

  adw_action_row_set_subtitle (self->dht_state_row, dht_state_text (dht_state (self)));
  adw_action_row_set_subtitle (self->dht_nodes_row, nodes);
  adw_action_row_set_subtitle (self->dht_room_row, room);
  if (looking && self->tick == 0)
    self->tick = g_timeout_add_seconds (1, tick_cb, self);
  else if (!looking)
    g_clear_handle_id (&self->tick, g_source_remove);
}

static gboolean
tick_cb (gpointer data)
{
  FerryDiagnosticsWindow *self = data;
  g_autofree char *room = dht_room_text (self);

  adw_action_row_set_subtitle (self->dht_room_row, room);
  return G_SOURCE_CONTINUE;
}

static void
update (FerryDiagnosticsWindow *self)
{
  GListModel *trackers = ferry_session_room_get_trackers (self->room);
  GListModel *peers = ferry_session_room_get_peers (self->room);
  g_autofree char *text = advice (self);

  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (self->rows, i);

      adw_preferences_group_remove (ADW_PREFERENCES_GROUP (gtk_widget_get_ancestor (row, ADW_TYPE_PREFERENCES_GROUP)),
                                    row);
    }
  g_ptr_array_set_size (self->rows, 0);

  gtk_label_set_text (self->advice_label, text);
  for (guint i = 0; i < g_list_model_get_n_items (trackers); i++)
    {
      g_autoptr(FerrySessionTracker) tracker = g_list_model_get_item (trackers, i);
      const char *error = ferry_session_tracker_get_last_error (tracker);
      g_autofree char *subtitle = error != NULL && ferry_session_tracker_get_state (tracker) != FERRY_TRACKER_STATE_CONNECTED
                                    ? g_strdup_printf ("%s · %s", tracker_state_text (ferry_session_tracker_get_state (tracker)), error)
                                    : g_strdup (tracker_state_text (ferry_session_tracker_get_state (tracker)));

      add_row (self, self->trackers_group, ferry_session_tracker_get_url (tracker), subtitle);
    }
  if (g_list_model_get_n_items (trackers) == 0)
    add_row (self, self->trackers_group, _("No tracker"),
             ferry_session_room_get_dht (self->room)
               ? _("People are looked for through the DHT alone; add a tracker in Preferences to find them sooner")
               : _("Add one in Preferences, or join with a link that names one"));
  update_dht (self);

  for (guint i = 0; i < g_list_model_get_n_items (peers); i++)
    {
      g_autoptr(FerrySessionPeer) peer = g_list_model_get_item (peers, i);
      g_autofree char *subtitle = peer_connection_text (peer);

      add_row (self, self->peers_group, ferry_session_peer_get_display_name (peer), subtitle);
    }
  if (g_list_model_get_n_items (peers) == 0)
    add_row (self, self->peers_group, _("Nobody yet"), NULL);
}

static gboolean
update_idle_cb (gpointer data)
{
  FerryDiagnosticsWindow *self = data;

  self->update_idle = 0;
  update (self);
  return G_SOURCE_REMOVE;
}

/* Many changes come at once (a peer's state, its pair, its round trip): one update for them. */
static void
queue_update (FerryDiagnosticsWindow *self)
{
  if (self->update_idle == 0)
    self->update_idle = g_idle_add (update_idle_cb, self);
}

static void
item_notify_cb (GObject                *item,
                GParamSpec             *pspec,
                FerryDiagnosticsWindow *self)
{
  queue_update (self);
}

static void
items_changed_cb (GListModel             *model,
                  guint                   position,
                  guint                   removed,
                  guint                   added,
                  FerryDiagnosticsWindow *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      g_signal_connect_object (item, "notify", G_CALLBACK (item_notify_cb), self, 0);
    }
  queue_update (self);
}

static void
watch_model (FerryDiagnosticsWindow *self,
             GListModel             *model)
{
  g_signal_connect_object (model, "items-changed", G_CALLBACK (items_changed_cb), self, 0);
  items_changed_cb (model, 0, 0, g_list_model_get_n_items (model), self);
}

/* The report */

/* IP addresses, v4 and v6, wherever they hide (an error message, say). */
static char *
scrub_addresses (const char *text)
{
  g_autoptr(GRegex) regex = g_regex_new ("\\b(\\d{1,3}(\\.\\d{1,3}){3}|[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7})(:\\d+)?\\b",
                                         G_REGEX_OPTIMIZE, 0, NULL);

  return g_regex_replace_literal (regex, text, -1, 0, "<address>", 0, NULL);
}

char *
ferry_diagnostics_window_report (FerryDiagnosticsWindow *self)
{
  GListModel *trackers = ferry_session_room_get_trackers (self->room);
  GListModel *peers = ferry_session_room_get_peers (self->room);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *what_to_try = advice (self);

  g_return_val_if_fail (FERRY_IS_DIAGNOSTICS_WINDOW (self), NULL);

  g_string_append_printf (text, "Ferry %s diagnostics\n", PACKAGE_VERSION);
  g_string_append_printf (text, "Room: %s, %s\n",
                          ferry_enum_nick (FERRY_TYPE_ROOM_KIND, ferry_session_room_get_kind (self->room)),
                          ferry_enum_nick (FERRY_TYPE_SESSION_ROOM_STATE, ferry_session_room_get_state (self->room)));
  g_string_append_printf (text, "Trackers: %u\n", g_list_model_get_n_items (trackers));
  for (guint i = 0; i < g_list_model_get_n_items (trackers); i++)
    {
      g_autoptr(FerrySessionTracker) tracker = g_list_model_get_item (trackers, i);
      g_autofree char *host = tracker_host (tracker);
      const char *error = ferry_session_tracker_get_last_error (tracker);

      g_string_append_printf (text, "  %u. %s: %s%s%s\n", i + 1, host,
                              ferry_enum_nick (FERRY_TYPE_TRACKER_STATE, ferry_session_tracker_get_state (tracker)),
                              error ? ", last error: " : "", error ? error : "");
    }
  g_string_append_printf (text, "DHT: %s, %u nodes known, %u answering\n",
                          ferry_enum_nick (FERRY_TYPE_DHT_STATE, dht_state (self)),
                          self->session != NULL ? ferry_session_get_dht_nodes (self->session) : 0,
                          self->session != NULL ? ferry_session_get_dht_good_nodes (self->session) : 0);
  if (ferry_session_room_get_dht (self->room))
    g_string_append_printf (text, "Room on the DHT: yes, for %" G_GINT64_FORMAT " s, %u members seen\n",
                            MAX (g_get_monotonic_time () - ferry_session_room_get_dht_since (self->room), 0) / G_USEC_PER_SEC,
                            ferry_session_room_get_dht_members (self->room));
  else
    g_string_append_printf (text, "Room on the DHT: no (%s)\n",
                            !room_wants_dht (self->room) ? "not asked for by its link"
                            : self->session != NULL && !ferry_session_get_dht_enabled (self->session) ? "off in the preferences"
                            : "not running");
  g_string_append_printf (text, "People: %u\n", g_list_model_get_n_items (peers));
  for (guint i = 0; i < g_list_model_get_n_items (peers); i++)
    {
      g_autoptr(FerrySessionPeer) peer = g_list_model_get_item (peers, i);
      g_autofree char *connection = peer_connection_text (peer);

      g_string_append_printf (text, "  %u. %s app, %s, %s\n", i + 1, peer_kind_text (peer),
                              ferry_session_peer_get_verified (peer) ? "verified" : "not verified", connection);
    }
  g_string_append_printf (text, "What to try: %s\n", what_to_try);
  return scrub_addresses (text->str);
}

static void
copy_clicked_cb (FerryDiagnosticsWindow *self)
{
  g_autofree char *report = ferry_diagnostics_window_report (self);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), report);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (_("Diagnostics copied, without secrets, names or addresses")));
}

/* GObject */

static void
ferry_diagnostics_window_dispose (GObject *object)
{
  FerryDiagnosticsWindow *self = FERRY_DIAGNOSTICS_WINDOW (object);

  g_clear_handle_id (&self->update_idle, g_source_remove);
  g_clear_handle_id (&self->tick, g_source_remove);
  g_clear_object (&self->room);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (ferry_diagnostics_window_parent_class)->dispose (object);
}

static void
ferry_diagnostics_window_finalize (GObject *object)
{
  FerryDiagnosticsWindow *self = FERRY_DIAGNOSTICS_WINDOW (object);

  g_ptr_array_unref (self->rows);

  G_OBJECT_CLASS (ferry_diagnostics_window_parent_class)->finalize (object);
}

static void
ferry_diagnostics_window_class_init (FerryDiagnosticsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_diagnostics_window_dispose;
  object_class->finalize = ferry_diagnostics_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferryapp/Ferry/ui/ferry-diagnostics-window.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryDiagnosticsWindow, trackers_group);
  gtk_widget_class_bind_template_child (widget_class, FerryDiagnosticsWindow, peers_group);
  gtk_widget_class_bind_template_child (widget_class, FerryDiagnosticsWindow, dht_state_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDiagnosticsWindow, dht_nodes_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDiagnosticsWindow, dht_room_row);
  gtk_widget_class_bind_template_child (widget_class, FerryDiagnosticsWindow, advice_label);
  gtk_widget_class_bind_template_callback (widget_class, copy_clicked_cb);
}

static void
ferry_diagnostics_window_init (FerryDiagnosticsWindow *self)
{
  self->rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

FerryDiagnosticsWindow *
ferry_diagnostics_window_new (GtkWindow        *parent,
                              FerrySessionRoom *room)
{
  FerryDiagnosticsWindow *self;

  g_return_val_if_fail (FERRY_IS_SESSION_ROOM (room), NULL);

  self = g_object_new (FERRY_TYPE_DIAGNOSTICS_WINDOW, "transient-for", parent, NULL);
  self->room = g_object_ref (room);
  watch_model (self, ferry_session_room_get_trackers (self->room));
  watch_model (self, ferry_session_room_get_peers (self->room));
  g_signal_connect_object (self->room, "notify::state", G_CALLBACK (item_notify_cb), self, 0);
  g_signal_connect_object (self->room, "notify::dht", G_CALLBACK (item_notify_cb), self, 0);
  g_signal_connect_object (self->room, "notify::dht-members", G_CALLBACK (item_notify_cb), self, 0);
  g_signal_connect_object (self->room, "notify::dht-since", G_CALLBACK (item_notify_cb), self, 0);
  g_set_object (&self->session, ferry_session_room_get_session (self->room));
  if (self->session != NULL)
    {
      static const char * const signals[] = {
        "notify::dht-state", "notify::dht-nodes", "notify::dht-good-nodes", "notify::dht-enabled",
      };

      for (gsize i = 0; i < G_N_ELEMENTS (signals); i++)
        g_signal_connect_object (self->session, signals[i], G_CALLBACK (item_notify_cb), self, 0);
    }
  update (self);
  return self;
}
