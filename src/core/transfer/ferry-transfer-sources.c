/* ferry-transfer-sources.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "ferry-peer-message.h"
#include "ferry-transfer-sources.h"

typedef struct {
  GFile   *file;
  char    *path;
  guint64  size;
  gint64   mtime;
} Entry;

struct _FerryTransferSources
{
  GObject    parent_instance;

  GArray    *entries;   /* Entry */
  GPtrArray *folders;   /* char *, NULL-terminated */
  guint64    total;
};

G_DEFINE_FINAL_TYPE (FerryTransferSources, ferry_transfer_sources, G_TYPE_OBJECT)

#define ATTRIBUTES G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_NAME "," \
                   G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_TIME_MODIFIED

static void
entry_clear (gpointer data)
{
  Entry *entry = data;

  g_clear_object (&entry->file);
  g_clear_pointer (&entry->path, g_free);
}

static gboolean
add_file (FerryTransferSources  *self,
          GFile                 *file,
          GFileInfo             *info,
          const char            *path,
          GError               **error)
{
  Entry entry = {
    .file = g_object_ref (file),
    .path = g_strdup (path),
    .size = g_file_info_get_size (info),
    .mtime = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED),
  };

  if (self->entries->len >= FERRY_PEER_MESSAGE_MAX_FILES)
    {
      entry_clear (&entry);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES,
                   _("More than %u files cannot be sent at once"), FERRY_PEER_MESSAGE_MAX_FILES);
      return FALSE;
    }
  self->total += entry.size;
  g_array_append_val (self->entries, entry);
  return TRUE;
}

/* Adds everything in @folder (offered as @path) that is a folder or a regular file, without
 * following links. */
static gboolean
add_folder (FerryTransferSources  *self,
            GFile                 *folder,
            const char            *path,
            GCancellable          *cancellable,
            GError               **error)
{
  g_autoptr(GFileEnumerator) children = NULL;

  g_ptr_array_add (self->folders, g_strdup (path));
  children = g_file_enumerate_children (folder, ATTRIBUTES, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                        cancellable, error);
  if (children == NULL)
    return FALSE;

  for (;;)
    {
      GFileInfo *info;
      GFile *child;
      g_autofree char *name = NULL;
      g_autofree char *child_path = NULL;

      if (!g_file_enumerator_iterate (children, &info, &child, cancellable, error))
        return FALSE;
      if (info == NULL)
        return TRUE;

      name = g_filename_display_name (g_file_info_get_name (info));
      child_path = g_strconcat (path, "/", name, NULL);
      switch (g_file_info_get_file_type (info))
        {
        case G_FILE_TYPE_DIRECTORY:
          if (!add_folder (self, child, child_path, cancellable, error))
            return FALSE;
          break;
        case G_FILE_TYPE_REGULAR:
          if (!add_file (self, child, info, child_path, error))
            return FALSE;
          break;
        default:
          g_debug ("Not sending %s: neither a file nor a folder", g_file_peek_path (child));
          break;
        }
    }
}

FerryTransferSources *
ferry_transfer_sources_scan (GFile * const  *files,
                             guint           n_files,
                             GCancellable   *cancellable,
                             GError        **error)
{
  g_autoptr(FerryTransferSources) self = g_object_new (FERRY_TYPE_TRANSFER_SOURCES, NULL);
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_return_val_if_fail (files != NULL || n_files == 0, NULL);

  for (guint i = 0; i < n_files; i++)
    {
      g_autoptr(GFileInfo) info = g_file_query_info (files[i], ATTRIBUTES, G_FILE_QUERY_INFO_NONE,
                                                     cancellable, error);
      g_autofree char *basename = g_file_get_basename (files[i]);
      g_autofree char *name = g_filename_display_name (basename);

      if (info == NULL)
        return NULL;
      if (g_hash_table_contains (names, name))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                       _("Two of the items to send are called “%s”"), name);
          return NULL;
        }
      g_hash_table_add (names, g_strdup (name));

      switch (g_file_info_get_file_type (info))
        {
        case G_FILE_TYPE_DIRECTORY:
          if (!add_folder (self, files[i], name, cancellable, error))
            return NULL;
          break;
        case G_FILE_TYPE_REGULAR:
          if (!add_file (self, files[i], info, name, error))
            return NULL;
          break;
        default:
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                       _("“%s” is neither a file nor a folder"), name);
          return NULL;
        }
    }

  g_ptr_array_add (self->folders, NULL);
  return g_steal_pointer (&self);
}

typedef struct {
  GPtrArray *files;
} ScanData;

static void
scan_data_free (ScanData *data)
{
  g_ptr_array_unref (data->files);
  g_free (data);
}

static void
scan_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ScanData *data = task_data;
  GError *error = NULL;
  FerryTransferSources *self = ferry_transfer_sources_scan ((GFile * const *) data->files->pdata,
                                                            data->files->len, cancellable, &error);

  if (self == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, self, g_object_unref);
}

void
ferry_transfer_sources_scan_async (GFile * const       *files,
                                   guint                n_files,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  ScanData *data = g_new0 (ScanData, 1);

  data->files = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n_files; i++)
    g_ptr_array_add (data->files, g_object_ref (files[i]));
  g_task_set_source_tag (task, ferry_transfer_sources_scan_async);
  g_task_set_task_data (task, data, (GDestroyNotify) scan_data_free);
  g_task_run_in_thread (task, scan_thread);
}

FerryTransferSources *
ferry_transfer_sources_scan_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
ferry_transfer_sources_finalize (GObject *object)
{
  FerryTransferSources *self = FERRY_TRANSFER_SOURCES (object);

  g_array_unref (self->entries);
  g_ptr_array_unref (self->folders);

  G_OBJECT_CLASS (ferry_transfer_sources_parent_class)->finalize (object);
}

static void
ferry_transfer_sources_class_init (FerryTransferSourcesClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ferry_transfer_sources_finalize;
}

static void
ferry_transfer_sources_init (FerryTransferSources *self)
{
  self->entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_array_set_clear_func (self->entries, entry_clear);
  self->folders = g_ptr_array_new_with_free_func (g_free);
}

static Entry *
entry_at (FerryTransferSources *self,
          guint                 index)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_SOURCES (self), NULL);
  g_return_val_if_fail (index < self->entries->len, NULL);

  return &g_array_index (self->entries, Entry, index);
}

guint
ferry_transfer_sources_get_n_files (FerryTransferSources *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_SOURCES (self), 0);

  return self->entries->len;
}

GFile *
ferry_transfer_sources_get_file (FerryTransferSources *self,
                                 guint                 index)
{
  Entry *entry = entry_at (self, index);

  return entry ? entry->file : NULL;
}

const char *
ferry_transfer_sources_get_path (FerryTransferSources *self,
                                 guint                 index)
{
  Entry *entry = entry_at (self, index);

  return entry ? entry->path : NULL;
}

guint64
ferry_transfer_sources_get_size (FerryTransferSources *self,
                                 guint                 index)
{
  Entry *entry = entry_at (self, index);

  return entry ? entry->size : 0;
}

gint64
ferry_transfer_sources_get_mtime (FerryTransferSources *self,
                                  guint                 index)
{
  Entry *entry = entry_at (self, index);

  return entry ? entry->mtime : 0;
}

const char * const *
ferry_transfer_sources_get_folders (FerryTransferSources *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_SOURCES (self), NULL);

  return (const char * const *) self->folders->pdata;
}

guint64
ferry_transfer_sources_get_total (FerryTransferSources *self)
{
  g_return_val_if_fail (FERRY_IS_TRANSFER_SOURCES (self), 0);

  return self->total;
}
