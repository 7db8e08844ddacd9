/* ferry-friends.h: the people the user verified, remembered between runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Trust on first use.  Once two people have compared their verification codes, either can mark
 * the other as a friend: the friend's certificate fingerprint is remembered under the name it
 * had, and that fingerprint is a friend in every room from then on.  Someone who shows up under
 * a friend's name (compared without regard to case) with another fingerprint, or with none, is
 * an impostor until proven otherwise: the app warns before anything from them is accepted.
 *
 * The list is a key file in Ferry's folder of the user's data folder, readable only by the
 * user: one group per fingerprint (64 hex digits), with the name and when it was added.
 * Groups that are not a fingerprint are dropped when it is read.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
  FERRY_FRIEND_TRUST_UNKNOWN,    /* not a remembered fingerprint, nor a friend's name */
  FERRY_FRIEND_TRUST_FRIEND,     /* a remembered fingerprint */
  FERRY_FRIEND_TRUST_IMPOSTOR,   /* a friend's name with another fingerprint */
} FerryFriendTrust;

#define FERRY_TYPE_FRIEND (ferry_friend_get_type ())
G_DECLARE_FINAL_TYPE (FerryFriend, ferry_friend, FERRY, FRIEND, GObject)

#define FERRY_TYPE_FRIENDS (ferry_friends_get_type ())
G_DECLARE_FINAL_TYPE (FerryFriends, ferry_friends, FERRY, FRIENDS, GObject)

const char       *ferry_friend_get_name        (FerryFriend  *self);
const char       *ferry_friend_get_fingerprint (FerryFriend  *self);
GDateTime        *ferry_friend_get_added       (FerryFriend  *self);

/* Reads @file (%NULL: the default file); a file missing or unreadable is an empty list. */
FerryFriends     *ferry_friends_new            (GFile        *file);
/* (element-type FerryFriend): in the order they were added. */
GListModel       *ferry_friends_get_list       (FerryFriends *self);
/* Remembers @fingerprint (hex, as FerrySessionPeer gives it) under @name, replacing what was
 * remembered of that fingerprint, and saves. */
gboolean          ferry_friends_add            (FerryFriends *self,
                                                const char   *name,
                                                const char   *fingerprint,
                                                GError      **error);
/* Forgets @fingerprint and saves. */
gboolean          ferry_friends_remove         (FerryFriends *self,
                                                const char   *fingerprint,
                                                GError      **error);
/* What to make of someone called @name with @fingerprint (nullable). */
FerryFriendTrust  ferry_friends_classify       (FerryFriends *self,
                                                const char   *name,
                                                const char   *fingerprint);

G_END_DECLS
