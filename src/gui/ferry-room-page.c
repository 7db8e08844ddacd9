/* ferry-room-page.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ferry-qr-code.h"
#include "ferry-room-page.h"

/* Fits the clamp on a phone-sized window and scans easily from a screen. */
#define QR_CODE_MAX_SIZE 240

struct _FerryRoomPage
{
  AdwBin                parent_instance;

  /* Template widgets */
  GtkImage             *kind_icon;
  GtkLabel             *title_label;
  GtkLabel             *subtitle_label;
  AdwPreferencesGroup  *invite_group;
  GtkLabel             *link_label;
  GtkPicture           *qr_picture;

  /* Owned references */
  FerryRoomLink        *link;
  char                 *link_text;  /* holds the room secret: wiped, never logged */
  char                 *title;
};

G_DEFINE_FINAL_TYPE (FerryRoomPage, ferry_room_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_LINK,
  PROP_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_link_text (FerryRoomPage *self)
{
  if (self->link_text != NULL)
    ferry_memzero (self->link_text, strlen (self->link_text));
  g_clear_pointer (&self->link_text, g_free);
}

static void
ferry_room_page_update (FerryRoomPage *self)
{
  g_autoptr(GdkTexture) qr_code = NULL;
  g_autoptr(GError) error = NULL;
  const char *name;
  gboolean secret;

  clear_link_text (self);
  g_clear_pointer (&self->title, g_free);

  if (self->link == NULL)
    {
      self->title = g_strdup ("");
      gtk_label_set_text (self->link_label, "");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->link_label), NULL);
      gtk_picture_set_paintable (self->qr_picture, NULL);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.copy-link", FALSE);
      return;
    }

  self->link_text = ferry_room_link_to_string (self->link);
  secret = ferry_room_link_get_kind (self->link) == FERRY_ROOM_KIND_SECRET;
  /* Not the display name: for unnamed secret rooms that is "Private room", which the subtitle
   * already says. */
  name = secret ? ferry_room_link_get_label (self->link)
                : ferry_room_link_get_identifier (self->link);
  /* Translators: the title of a room that was created without a name */
  self->title = g_strdup (name != NULL && *name != '\0' ? name : _("Ferry Room"));

  gtk_label_set_text (self->title_label, self->title);
  if (secret)
    {
      gtk_image_set_from_icon_name (self->kind_icon, "channel-secure-symbolic");
      gtk_label_set_text (self->subtitle_label,
                          _("Private room — only people with the link can find it"));
      adw_preferences_group_set_description (
        self->invite_group,
        _("Send this link to the people you want in the room. Anyone who has it can join."));
    }
  else
    {
      gtk_image_set_from_icon_name (self->kind_icon, "channel-insecure-symbolic");
      gtk_label_set_text (self->subtitle_label,
                          _("Public room — anyone who knows the name can join; connections "
                            "are not verified"));
      adw_preferences_group_set_description (
        self->invite_group,
        _("Send this link or the room name to the people you want in the room."));
    }

  gtk_label_set_text (self->link_label, self->link_text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->link_label), self->link_text);

  qr_code = ferry_qr_code_render (self->link_text, QR_CODE_MAX_SIZE, &error);
  if (qr_code == NULL)
    g_warning ("Cannot show the room link as a QR code: %s", error->message);
  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (qr_code));
  gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), qr_code != NULL);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "room.copy-link", TRUE);
}

static void
ferry_room_page_copy_link (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (widget);
  GtkWidget *overlay;

  if (self->link_text == NULL)
    return;

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), self->link_text);

  overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (_("Link copied")));
}

static void
ferry_room_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), FERRY_TYPE_ROOM_PAGE);

  G_OBJECT_CLASS (ferry_room_page_parent_class)->dispose (object);
}

static void
ferry_room_page_finalize (GObject *object)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (object);

  clear_link_text (self);
  g_clear_object (&self->link);
  g_clear_pointer (&self->title, g_free);

  G_OBJECT_CLASS (ferry_room_page_parent_class)->finalize (object);
}

static void
ferry_room_page_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (object);

  switch (prop_id)
    {
    case PROP_LINK:
      g_value_set_object (value, self->link);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_room_page_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  FerryRoomPage *self = FERRY_ROOM_PAGE (object);

  switch (prop_id)
    {
    case PROP_LINK:
      ferry_room_page_set_link (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ferry_room_page_class_init (FerryRoomPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ferry_room_page_dispose;
  object_class->finalize = ferry_room_page_finalize;
  object_class->get_property = ferry_room_page_get_property;
  object_class->set_property = ferry_room_page_set_property;

  properties[PROP_LINK] =
    g_param_spec_object ("link", NULL, NULL,
                         FERRY_TYPE_ROOM_LINK,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL,
                         "",
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/ferryapp/Ferry/ui/ferry-room-page.ui");
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, kind_icon);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, invite_group);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, link_label);
  gtk_widget_class_bind_template_child (widget_class, FerryRoomPage, qr_picture);

  gtk_widget_class_install_action (widget_class, "room.copy-link", NULL,
                                   ferry_room_page_copy_link);
}

static void
ferry_room_page_init (FerryRoomPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ferry_room_page_update (self);
}

GtkWidget *
ferry_room_page_new (void)
{
  return g_object_new (FERRY_TYPE_ROOM_PAGE, NULL);
}

FerryRoomLink *
ferry_room_page_get_link (FerryRoomPage *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_PAGE (self), NULL);

  return self->link;
}

void
ferry_room_page_set_link (FerryRoomPage *self,
                          FerryRoomLink *link)
{
  g_return_if_fail (FERRY_IS_ROOM_PAGE (self));
  g_return_if_fail (link == NULL || FERRY_IS_ROOM_LINK (link));

  if (!g_set_object (&self->link, link))
    return;

  ferry_room_page_update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LINK]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
ferry_room_page_get_title (FerryRoomPage *self)
{
  g_return_val_if_fail (FERRY_IS_ROOM_PAGE (self), NULL);

  return self->title;
}
