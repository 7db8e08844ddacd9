/* ferry-test-notify.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "ferry-test-notify.h"

static gboolean
settable (GParamSpec *pspec)
{
  return (pspec->flags & G_PARAM_WRITABLE) && !(pspec->flags & G_PARAM_CONSTRUCT_ONLY);
}

void
ferry_test_assert_explicit_notify (GType type)
{
  g_autoptr(GTypeClass) klass = g_type_class_ref (type);
  g_autofree GParamSpec **pspecs = NULL;
  guint n;

  g_assert_true (G_IS_OBJECT_CLASS (klass));
  pspecs = g_object_class_list_properties (G_OBJECT_CLASS (klass), &n);
  for (guint i = 0; i < n; i++)
    {
      if (pspecs[i]->owner_type != type || !settable (pspecs[i]))
        continue;
      if (!(pspecs[i]->flags & G_PARAM_EXPLICIT_NOTIFY))
        g_error ("%s:%s can be set but lacks G_PARAM_EXPLICIT_NOTIFY", g_type_name (type),
                 pspecs[i]->name);
    }
}

/* A numeric neighbour of @v within [@min, @max]: one up, or one down at the top. */
#define NEIGHBOUR(v, min, max) ((v) < (max) ? (v) + 1 : (v) > (min) ? (v) - 1 : (v))
/* One more link in the chain of tests in other_value (), for a numeric GParamSpec type. */
#define ELSE_IF_NUMBER(TYPE, type) \
  else if (G_IS_PARAM_SPEC_##TYPE (pspec)) \
    g_value_set_##type (other, NEIGHBOUR (g_value_get_##type (current), \
                                          G_PARAM_SPEC_##TYPE (pspec)->minimum, \
                                          G_PARAM_SPEC_##TYPE (pspec)->maximum))

/* Fills @other with a valid value of @pspec that differs from @current; FALSE when the type is
 * not one this knows, or the property has a single possible value. */
static gboolean
other_value (GParamSpec   *pspec,
             const GValue *current,
             GValue       *other)
{
  g_value_init (other, pspec->value_type);

  if (G_IS_PARAM_SPEC_BOOLEAN (pspec))
    g_value_set_boolean (other, !g_value_get_boolean (current));
  ELSE_IF_NUMBER (INT, int);
  ELSE_IF_NUMBER (UINT, uint);
  ELSE_IF_NUMBER (LONG, long);
  ELSE_IF_NUMBER (ULONG, ulong);
  ELSE_IF_NUMBER (INT64, int64);
  ELSE_IF_NUMBER (UINT64, uint64);
  ELSE_IF_NUMBER (FLOAT, float);
  ELSE_IF_NUMBER (DOUBLE, double);
  else if (G_IS_PARAM_SPEC_ENUM (pspec))
    {
      GEnumClass *enum_class = G_PARAM_SPEC_ENUM (pspec)->enum_class;
      int v = g_value_get_enum (current);

      for (guint i = 0; i < enum_class->n_values; i++)
        if (enum_class->values[i].value != v)
          {
            g_value_set_enum (other, enum_class->values[i].value);
            break;
          }
    }
  else if (G_IS_PARAM_SPEC_STRING (pspec))
    g_value_take_string (other, g_strconcat (g_value_get_string (current) ?: "", "-x", NULL));
  else
    return FALSE;

  g_param_value_validate (pspec, other);
  return g_param_values_cmp (pspec, current, other) != 0;
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          guint      *count)
{
  (*count)++;
}

void
ferry_test_assert_notify_on_change (gpointer object)
{
  GType type = G_OBJECT_TYPE (object);
  g_autofree GParamSpec **pspecs = NULL;
  guint n;

  g_assert_true (G_IS_OBJECT (object));
  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);
  for (guint i = 0; i < n; i++)
    {
      GParamSpec *pspec = pspecs[i];
      g_auto(GValue) current = G_VALUE_INIT;
      g_auto(GValue) other = G_VALUE_INIT;
      g_autofree char *detailed = NULL;
      guint count = 0;
      gulong handler;

      if (pspec->owner_type != type || !settable (pspec) || !(pspec->flags & G_PARAM_READABLE))
        continue;
      g_value_init (&current, pspec->value_type);
      g_object_get_property (object, pspec->name, &current);
      if (!other_value (pspec, &current, &other))
        {
          g_test_message ("%s:%s: no other value to try", g_type_name (type), pspec->name);
          continue;
        }

      detailed = g_strconcat ("notify::", pspec->name, NULL);
      handler = g_signal_connect (object, detailed, G_CALLBACK (count_cb), &count);
      g_object_set_property (object, pspec->name, &current);
      if (count != 0)
        g_error ("%s:%s notified when set to the value it had", g_type_name (type), pspec->name);
      g_object_set_property (object, pspec->name, &other);
      if (count != 1)
        g_error ("%s:%s notified %u times when its value changed", g_type_name (type), pspec->name,
                 count);
      g_object_set_property (object, pspec->name, &current);
      if (count != 2)
        g_error ("%s:%s notified %u times when its value changed back", g_type_name (type),
                 pspec->name, count - 1);
      g_signal_handler_disconnect (object, handler);
    }
}

struct _FerryTestNotify
{
  GObject    *object;     /* weak */
  gulong      handler;
  GHashTable *values;     /* property name → GValue *, the last value seen */
  GHashTable *counts;     /* property name → count */
  GPtrArray  *spurious;   /* names of properties notified without a change */
};

static void
value_free (gpointer data)
{
  GValue *value = data;

  g_value_unset (value);
  g_free (value);
}

static GValue *
read_value (GObject    *object,
            GParamSpec *pspec)
{
  GValue *value = g_new0 (GValue, 1);

  g_value_init (value, pspec->value_type);
  g_object_get_property (object, pspec->name, value);
  return value;
}

static void
notify_cb (GObject         *object,
           GParamSpec      *pspec,
           FerryTestNotify *notify)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (notify->counts, pspec->name));
  GValue *before;
  GValue *now;

  g_hash_table_insert (notify->counts, (gpointer) pspec->name, GUINT_TO_POINTER (count + 1));
  if (!(pspec->flags & G_PARAM_READABLE))
    return;

  now = read_value (object, pspec);
  before = g_hash_table_lookup (notify->values, pspec->name);
  if (before != NULL && g_param_values_cmp (pspec, before, now) == 0)
    g_ptr_array_add (notify->spurious, g_strdup (pspec->name));
  g_hash_table_insert (notify->values, (gpointer) pspec->name, now);
}

FerryTestNotify *
ferry_test_notify_watch (gpointer object)
{
  FerryTestNotify *notify;
  g_autofree GParamSpec **pspecs = NULL;
  guint n;

  g_assert_true (G_IS_OBJECT (object));

  notify = g_new0 (FerryTestNotify, 1);
  /* Keyed by the GParamSpecs' own names, which live as long as the class. */
  notify->values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, value_free);
  notify->counts = g_hash_table_new (g_str_hash, g_str_equal);
  notify->spurious = g_ptr_array_new_with_free_func (g_free);

  pspecs = g_object_class_list_properties (G_OBJECT_GET_CLASS (object), &n);
  for (guint i = 0; i < n; i++)
    if (pspecs[i]->flags & G_PARAM_READABLE)
      g_hash_table_insert (notify->values, (gpointer) pspecs[i]->name,
                           read_value (object, pspecs[i]));

  g_set_weak_pointer (&notify->object, object);
  notify->handler = g_signal_connect (object, "notify", G_CALLBACK (notify_cb), notify);
  return notify;
}

guint
ferry_test_notify_count (FerryTestNotify *notify,
                         const char      *property)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (notify->counts, property));
}

void
ferry_test_notify_assert_no_spurious (FerryTestNotify *notify)
{
  if (notify->spurious->len > 0)
    g_error ("%s notified without a change of value", (char *) notify->spurious->pdata[0]);
}

void
ferry_test_notify_free (FerryTestNotify *notify)
{
  if (notify == NULL)
    return;

  if (notify->object != NULL)
    {
      g_signal_handler_disconnect (notify->object, notify->handler);
      g_clear_weak_pointer (&notify->object);
    }
  g_hash_table_unref (notify->values);
  g_hash_table_unref (notify->counts);
  g_ptr_array_unref (notify->spurious);
  g_free (notify);
}
