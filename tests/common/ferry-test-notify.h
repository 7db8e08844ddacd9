/* ferry-test-notify.h: checking property notifications
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Ferry's classes emit ::notify for a property only when its value really changes: properties
 * that can be set after construction carry G_PARAM_EXPLICIT_NOTIFY (without it GObject notifies
 * on every set, changed or not), and the code compares before it calls
 * g_object_notify_by_pspec ().  These helpers check that three ways: the flags of a class, a
 * set-same / set-different round on every writable property of an object, and a watch that
 * counts an object's notifications while a test runs and remembers any that came without a
 * change.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Asserts that every property @type installs itself and that can be set after construction
 * (writable, not construct-only) has G_PARAM_EXPLICIT_NOTIFY. */
void             ferry_test_assert_explicit_notify   (GType             type);

/* For each writable, not construct-only property installed by @object's own class: setting the
 * value it has emits no ::notify, setting another value emits exactly one, and so does setting
 * the first value back (which leaves the object as it was).  The other value is the boolean's
 * opposite, a neighbouring number within the property's range, another value of the enum, or the
 * string with a suffix; properties of other types are skipped with a message. */
void             ferry_test_assert_notify_on_change  (gpointer          object);

typedef struct _FerryTestNotify FerryTestNotify;

/* Starts counting @object's ::notify emissions.  For every readable property it also notes the
 * value, so that a notification that comes without a change of value is remembered.  The watch
 * does not keep @object alive, and ends quietly when @object is finalized. */
FerryTestNotify *ferry_test_notify_watch             (gpointer          object);
/* Notifications of @property since the watch began. */
guint            ferry_test_notify_count             (FerryTestNotify  *notify,
                                                      const char       *property);
/* Asserts that every notification so far came with a change of value. */
void             ferry_test_notify_assert_no_spurious (FerryTestNotify *notify);
void             ferry_test_notify_free              (FerryTestNotify  *notify);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryTestNotify, ferry_test_notify_free)

G_END_DECLS
