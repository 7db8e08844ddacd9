/* ferry-transfer-path.h: the paths of an offer made safe to write in the download folder
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A peer's offer names each file with a relative path, "/" between components
 * (docs/PROTOCOL.md, "File names").  Nothing in it is trusted: before a byte is written, the path
 * goes through ferry_transfer_path_sanitize(), the whole offer through
 * ferry_transfer_paths_check(), and the place on disk is chosen by
 * ferry_transfer_path_unique_child() and checked by ferry_transfer_path_resolve().
 *
 * The rules of ferry_transfer_path_sanitize(), in the order they apply:
 *
 *  1. The path must be valid UTF-8 and at most FERRY_TRANSFER_PATH_MAX_INPUT bytes long.
 *  2. Only "/" separates components.  A backslash is an ordinary character and becomes "_"
 *     (rule 4), so "a\b" is the one name "a_b" and never a folder on any system.
 *  3. In each component, control characters (U+0000–U+001F, U+007F, U+0080–U+009F) become "_";
 *     bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the
 *     line and paragraph separators U+2028 and U+2029 are removed: "evil", U+202E, "txt.exe"
 *     would otherwise be shown as "evilexe.txt".
 *  4. Characters that Windows file systems refuse, < > : " | ? * and \, become "_", so that
 *     the files can later be copied to a USB stick or a Samba share.
 *  5. Each component is put in Unicode normalization form C, so two spellings of one name
 *     (a precomposed "é" and "e" with a combining accent) are the same file.
 *  6. Empty components and "." are dropped: a leading "/" (an absolute path) loses its root,
 *     "a/./b//c" is "a/b/c".  A first component that is a Windows drive ("C:") is dropped
 *     as well.  A ".." component is an error: it is never resolved upward.
 *  7. Trailing dots and spaces are removed from each component (Windows, Samba and exFAT cannot
 *     store them); a component with nothing else left ("...", " ") becomes "_".
 *  8. A Windows device name gets a "_" in front: CON, PRN, AUX, NUL, COM0–COM9, LPT0–LPT9 and
 *     COM or LPT with a superscript ¹, ² or ³, in any case, alone or before a dot ("con.txt",
 *     "Lpt9.log"), trailing spaces before the dot included.
 *  9. A component longer than FERRY_TRANSFER_PATH_MAX_NAME (255) bytes is cut at a character
 *     boundary.  Its extension (from the last dot, when that is not the first character and
 *     the extension is at most 16 bytes) is kept, so the file still opens with the right
 *     program.  Rules 7 and 8 apply again to what is left.
 * 10. What remains must have at least one component, at most FERRY_TRANSFER_PATH_MAX_DEPTH (64)
 *     components and at most FERRY_TRANSFER_PATH_MAX_BYTES (4096) bytes.
 *
 * A path that ferry_transfer_path_sanitize() returns comes back unchanged from it.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_TRANSFER_PATH_ERROR (ferry_transfer_path_error_quark ())

typedef enum {
  FERRY_TRANSFER_PATH_ERROR_INVALID,    /* not UTF-8, or too long before sanitizing */
  FERRY_TRANSFER_PATH_ERROR_PARENT,     /* a ".." component */
  FERRY_TRANSFER_PATH_ERROR_EMPTY,      /* no component left */
  FERRY_TRANSFER_PATH_ERROR_TOO_LONG,   /* too many components or bytes */
  FERRY_TRANSFER_PATH_ERROR_CONFLICT,   /* two entries of one offer for the same place */
  FERRY_TRANSFER_PATH_ERROR_UNSAFE,     /* a symbolic link or a file where a folder should be */
  FERRY_TRANSFER_PATH_ERROR_EXHAUSTED,  /* no free name up to "(FERRY_TRANSFER_PATH_MAX_COPIES)" */
} FerryTransferPathError;

#define FERRY_TRANSFER_PATH_MAX_INPUT  16384
#define FERRY_TRANSFER_PATH_MAX_NAME   255
#define FERRY_TRANSFER_PATH_MAX_DEPTH  64
#define FERRY_TRANSFER_PATH_MAX_BYTES  4096
#define FERRY_TRANSFER_PATH_MAX_COPIES 9999

GQuark    ferry_transfer_path_error_quark   (void);

/* The safe relative form of @remote_path (the rules above), components joined with "/", or
 * %NULL with an error.  The caller checks beforehand that the path had no NUL in it. */
char     *ferry_transfer_path_sanitize      (const char          *remote_path,
                                             GError             **error);

/* Checks the paths of a whole offer: every one of @files (file paths) and @folders (folders to
 * create, may be %NULL) must sanitize, and after sanitizing no two files may have the same path
 * and no file path may be a folder of the offer: listed in @folders, or a folder in which
 * another file or folder of the offer lies ("a" and "a/b").  A folder listed twice, or also
 * implied by a file in it, is fine. */
gboolean  ferry_transfer_paths_check        (const char * const  *files,
                                             const char * const  *folders,
                                             GError             **error);

/* Chooses where an entry of an offer goes in @download_dir: @safe_relative (a path returned by
 * ferry_transfer_path_sanitize(), which is checked again) under @download_dir, with its first
 * component renamed until nothing of that name exists there.  Collisions are resolved on the
 * first component only: a file "x.txt" arriving twice becomes "x (1).txt", a whole folder
 * "photos" arriving twice becomes "photos (1)/…", never a mix of old and new files.
 *
 * The number goes before the extension when the first component is also the last one (a file
 * name): "name (1).ext", "archive (1).tar.gz" (".tar." followed by a short extension counts as
 * one), ".bashrc (1)" (a leading dot does not start an extension); after the whole name when
 * the component is a folder: "photos.2024 (1)/a.jpg".  A name that would get longer than 255
 * bytes is cut before the number.  Existence is checked without following symbolic links, so a
 * dangling link counts as taken.
 *
 * To keep the files of one folder transfer together, call this once for the top-level entry
 * and place every file under the folder it returns with ferry_transfer_path_resolve().
 *
 * @download_dir itself is trusted (it may be a symbolic link the user made).  Blocking I/O:
 * call it from a worker thread, never from the network thread. */
GFile    *ferry_transfer_path_unique_child  (GFile               *download_dir,
                                             const char          *safe_relative,
                                             GError             **error);

/* @safe_relative (a path returned by ferry_transfer_path_sanitize(), checked again) under
 * @root, after checking without following symbolic links that every component of it that
 * already exists is a folder and not a symbolic link, except the last one, which may also be a
 * file but not a symbolic link.  So a file is never written, nor a folder created, through a
 * link out of @root.  @root itself is trusted.  Blocking I/O, like
 * ferry_transfer_path_unique_child(). */
GFile    *ferry_transfer_path_resolve       (GFile               *root,
                                             const char          *safe_relative,
                                             GError             **error);

/* Renames @part to a free name for @name (a safe file name) in @parent, chosen as
 * ferry_transfer_path_unique_child () does, choosing again when the name is taken meanwhile.
 * Returns where it landed.  Blocking I/O, like ferry_transfer_path_unique_child (). */
GFile    *ferry_transfer_path_move_to_free_name (GFile        *part,
                                                 GFile        *parent,
                                                 const char   *name,
                                                 GCancellable *cancellable,
                                                 GError      **error);

#define FERRY_TRANSFER_PATH_PART_SUFFIX ".part"

/* Where an unfinished @safe_relative is written: "NAME.part" next to it, or, when the name is
 * too long for the suffix, the name cut at a character boundary with "~" and 8 hex digits of its
 * SHA-256 before ".part", so that it still fits in FERRY_TRANSFER_PATH_MAX_NAME bytes.  The
 * same for the same path, whatever the folder holds, so that a later run finds it to resume. */
char     *ferry_transfer_path_part_name     (const char          *safe_relative);

G_END_DECLS
