/* ferry-transfer-sources.h: the files and folders a user chose to send, scanned once
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Scanning turns what the user picked into the entries of an offer (docs/PROTOCOL.md, "offer"):
 * a file becomes one entry named by its base name; a folder becomes a folder entry with every
 * file and folder inside it, empty ones included, under its base name ("Holiday/a/b.jpg").
 * Inside a folder, symbolic links and special files (sockets, devices, pipes) are left out, so a
 * link can neither pull in files from elsewhere nor make the scan loop; what the user picked is
 * taken as it is, links followed.  Names that are not UTF-8 are sent as their display names.
 * Two picked items with the same base name, more than FERRY_PEER_MESSAGE_MAX_FILES files, or an
 * unreadable folder make the scan fail with a clear message.  Sizes and modification times are
 * those of the scan; the sender checks them again before each file goes out.
 *
 * The result can be offered to any number of peers.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TYPE_TRANSFER_SOURCES (ferry_transfer_sources_get_type ())
G_DECLARE_FINAL_TYPE (FerryTransferSources, ferry_transfer_sources, FERRY, TRANSFER_SOURCES, GObject)

/* Blocking I/O runs in a worker thread; @callback runs on the caller's thread-default context. */
void                  ferry_transfer_sources_scan_async  (GFile * const       *files,
                                                          guint                n_files,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
FerryTransferSources *ferry_transfer_sources_scan_finish (GAsyncResult        *result,
                                                          GError             **error);
/* The same, blocking. */
FerryTransferSources *ferry_transfer_sources_scan        (GFile * const       *files,
                                                          guint                n_files,
                                                          GCancellable        *cancellable,
                                                          GError             **error);

guint                 ferry_transfer_sources_get_n_files (FerryTransferSources *self);
GFile                *ferry_transfer_sources_get_file    (FerryTransferSources *self,
                                                          guint                 index);
/* Relative, "/" between components. */
const char           *ferry_transfer_sources_get_path    (FerryTransferSources *self,
                                                          guint                 index);
guint64               ferry_transfer_sources_get_size    (FerryTransferSources *self,
                                                          guint                 index);
gint64                ferry_transfer_sources_get_mtime   (FerryTransferSources *self,
                                                          guint                 index);
const char * const   *ferry_transfer_sources_get_folders (FerryTransferSources *self);
guint64               ferry_transfer_sources_get_total   (FerryTransferSources *self);

G_END_DECLS
