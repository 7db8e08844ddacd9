/* ferry-rtc-config.h: configuration of a peer connection (ICE servers, policies, limits)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "ferry-certificate.h"

G_BEGIN_DECLS

typedef enum {
  FERRY_ICE_SERVER_STUN,
  FERRY_ICE_SERVER_TURN,
} FerryIceServerKind;

typedef enum {
  FERRY_TURN_TRANSPORT_ANY,  /* no ?transport=: both UDP and TCP */
  FERRY_TURN_TRANSPORT_UDP,
  FERRY_TURN_TRANSPORT_TCP,
} FerryTurnTransport;

typedef enum {
  FERRY_ICE_POLICY_ALL,
  FERRY_ICE_POLICY_RELAY,    /* only TURN relays: hides our addresses from peers */
} FerryIcePolicy;

typedef struct {
  FerryIceServerKind  kind;
  char               *host;
  guint16             port;
  FerryTurnTransport  transport;
  char               *username;
  char               *credential;
} FerryIceServer;

#define FERRY_DEFAULT_MAX_MESSAGE_SIZE 262144

typedef struct {
  GPtrArray        *ice_servers;        /* FerryIceServer */
  FerryIcePolicy    policy;
  FerryCertificate *certificate;        /* NULL: a new one per connection */
  gboolean          trickle;            /* offers/answers before gathering ends; see peer connection */
  guint             gather_timeout_ms;  /* ceiling on non-trickle gathering */
  guint             ice_timeout_ms;     /* connect within this long after both descriptions */
  guint             check_retransmissions; /* of each connectivity check (from 0.5 s, doubling) */
  guint             liveness_timeout_ms;/* a silent peer is declared gone after about this long */
  guint             mdns_timeout_ms;    /* resolving a browser's <uuid>.local candidate */
  guint64           max_message_size;   /* what we advertise and can receive */
} FerryRtcConfig;

#define FERRY_RTC_CONFIG_ERROR (ferry_rtc_config_error_quark ())

typedef enum {
  FERRY_RTC_CONFIG_ERROR_INVALID_URL,
  FERRY_RTC_CONFIG_ERROR_UNSUPPORTED,
} FerryRtcConfigError;

#define FERRY_TYPE_ICE_SERVER (ferry_ice_server_get_type ())
#define FERRY_TYPE_RTC_CONFIG (ferry_rtc_config_get_type ())

GQuark          ferry_rtc_config_error_quark  (void);
GType           ferry_ice_server_get_type     (void) G_GNUC_CONST;
GType           ferry_rtc_config_get_type     (void) G_GNUC_CONST;

/* stun:host[:port], turn:host[:port][?transport=udp|tcp].  turns: and stuns: are refused:
 * libnice 0.1.21 would send "TLS" TURN in clear. */
FerryIceServer *ferry_ice_server_new_from_url (const char           *url,
                                               const char           *username,
                                               const char           *credential,
                                               GError              **error);
FerryIceServer *ferry_ice_server_copy         (const FerryIceServer *server);
void            ferry_ice_server_free         (FerryIceServer       *server);

FerryRtcConfig *ferry_rtc_config_new          (void);
FerryRtcConfig *ferry_rtc_config_copy         (const FerryRtcConfig *config);
FerryRtcConfig *ferry_rtc_config_ref          (FerryRtcConfig       *config);
void            ferry_rtc_config_unref        (FerryRtcConfig       *config);
gboolean        ferry_rtc_config_add_ice_server (FerryRtcConfig     *config,
                                                 const char         *url,
                                                 const char         *username,
                                                 const char         *credential,
                                                 GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryIceServer, ferry_ice_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (FerryRtcConfig, ferry_rtc_config_unref)

G_END_DECLS
