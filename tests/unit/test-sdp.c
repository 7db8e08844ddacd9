/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "ferry-sdp.h"

/* Real descriptions, byte for byte in the form each stack emits them (CRLF).  The libwebrtc offer
 * is a capture, kept verbatim; the Chromium, Firefox and aiortc ones are rebuilt from captures of
 * those stacks (same line order, attribute forms and value shapes; addresses, ids, credentials
 * and fingerprints are fresh random values).  See docs/INTEROP.md, "Reference captures". */

/* Chromium offer with STUN configured (WebDrop v2): an mDNS host candidate and a srflx candidate
 * with "raddr 0.0.0.0 rport 0"; the default candidate goes into m= and c=. */
static const char chromium_offer[] =
  "v=0\r\n"
  "o=- 4215775240449105457 2 IN IP4 127.0.0.1\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE 0\r\n"
  "a=extmap-allow-mixed\r\n"
  "a=msid-semantic: WMS\r\n"
  "m=application 51472 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "c=IN IP4 203.0.113.7\r\n"
  "a=candidate:1452984789 1 udp 2113937151 8852922e-6e72-46b0-bef8-6bc86ea891c1.local 51472 typ host generation 0 network-cost 999\r\n"
  "a=candidate:842163049 1 udp 1677729535 203.0.113.7 51472 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999\r\n"
  "a=ice-ufrag:Vx3Q\r\n"
  "a=ice-pwd:2Kq7yF0mJc9sLrT4uWzXb1eA\r\n"
  "a=ice-options:trickle\r\n"
  "a=fingerprint:sha-256 75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5\r\n"
  "a=setup:actpass\r\n"
  "a=mid:0\r\n"
  "a=sctp-port:5000\r\n"
  "a=max-message-size:262144\r\n";

static const char chromium_answer[] =
  "v=0\r\n"
  "o=- 7396214427891562130 2 IN IP4 127.0.0.1\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE 0\r\n"
  "a=extmap-allow-mixed\r\n"
  "a=msid-semantic: WMS\r\n"
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=candidate:3506734122 1 udp 2113937151 58dc70a0-faca-44b2-b830-eec002444d15.local 60128 typ host generation 0 network-cost 999\r\n"
  "a=ice-ufrag:pL8r\r\n"
  "a=ice-pwd:Yq0mXcTz4w7Rr1Lk9sB2nHfE\r\n"
  "a=ice-options:trickle\r\n"
  "a=fingerprint:sha-256 B3:6C:3A:91:B7:DA:00:2A:C6:D4:BE:BF:51:83:7A:07:A2:B7:34:08:5D:A7:88:80:6A:B6:81:1B:CC:C1:9E:E4\r\n"
  "a=setup:active\r\n"
  "a=mid:0\r\n"
  "a=sctp-port:5000\r\n"
  "a=max-message-size:262144\r\n";

/* Firefox: session-level fingerprint and ice-options, a=sendrecv at both levels, hex ICE
 * credentials, a TCP active candidate on the discard port, end-of-candidates. */
static const char firefox_offer[] =
  "v=0\r\n"
  "o=mozilla...THIS_IS_SDPARTA-99.0 3875183567446440318 0 IN IP4 0.0.0.0\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=sendrecv\r\n"
  "a=fingerprint:sha-256 D3:E8:C8:4B:8B:EE:1A:95:32:02:DC:E8:AD:BA:54:09:57:C3:3E:37:7A:D5:FC:EF:4F:E4:A9:08:EA:4A:3C:3F\r\n"
  "a=group:BUNDLE 0\r\n"
  "a=ice-options:trickle\r\n"
  "a=msid-semantic:WMS *\r\n"
  "m=application 50816 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=candidate:0 1 UDP 2122252543 c4efda77-2e91-4a5b-b9c2-69ebaf526606.local 50816 typ host\r\n"
  "a=candidate:1 1 TCP 2105524479 c4efda77-2e91-4a5b-b9c2-69ebaf526606.local 9 typ host tcptype active\r\n"
  "a=sendrecv\r\n"
  "a=end-of-candidates\r\n"
  "a=ice-pwd:3569291af267a2fbf0226e12a2d363b8\r\n"
  "a=ice-ufrag:e2491ecc\r\n"
  "a=mid:0\r\n"
  "a=setup:actpass\r\n"
  "a=sctp-port:5000\r\n"
  "a=max-message-size:1073741823\r\n";

static const char firefox_answer[] =
  "v=0\r\n"
  "o=mozilla...THIS_IS_SDPARTA-99.0 1718466011263487372 0 IN IP4 0.0.0.0\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=sendrecv\r\n"
  "a=fingerprint:sha-256 90:0D:CE:F4:DA:10:1F:DB:40:AB:19:CC:EA:FF:04:7B:F0:48:A4:66:69:0A:D4:24:D9:4F:15:31:E3:53:35:6E\r\n"
  "a=group:BUNDLE 0\r\n"
  "a=ice-options:trickle\r\n"
  "a=msid-semantic:WMS *\r\n"
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=candidate:0 1 UDP 2122252543 3b1f0e52-9a4c-4c8e-a1d7-5e2f6b9c0d34.local 58231 typ host\r\n"
  "a=candidate:1 1 TCP 2105524479 3b1f0e52-9a4c-4c8e-a1d7-5e2f6b9c0d34.local 9 typ host tcptype active\r\n"
  "a=sendrecv\r\n"
  "a=end-of-candidates\r\n"
  "a=ice-pwd:f99bb8ff64c873b227a0876ba13f6a2e\r\n"
  "a=ice-ufrag:4d6e73fd\r\n"
  "a=mid:0\r\n"
  "a=setup:active\r\n"
  "a=sctp-port:5000\r\n"
  "a=max-message-size:1073741823\r\n";

/* Captured from libwebrtc M106 via node @roamhq/wrtc (an offer made by P2PT 1.6.2), 1223 bytes;
 * see docs/INTEROP.md, "Reference captures". */
static const char libwebrtc_offer[] =
  "v=0\r\n"
  "o=- 3703429459490841177 2 IN IP4 127.0.0.1\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE 0\r\n"
  "a=extmap-allow-mixed\r\n"
  "a=msid-semantic: WMS\r\n"
  "m=application 54946 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "c=IN IP4 192.0.2.2\r\n"
  "a=candidate:3077952869 1 udp 2122265343 fd00::2 52549 typ host generation 0 network-id 2\r\n"
  "a=candidate:3229573512 1 udp 2122194687 192.0.2.2 54946 typ host generation 0 network-id 1\r\n"
  "a=candidate:559267639 1 udp 2122136831 ::1 47343 typ host generation 0 network-id 4\r\n"
  "a=candidate:1510613869 1 udp 2122063615 127.0.0.1 37049 typ host generation 0 network-id 3\r\n"
  "a=candidate:4193659285 1 tcp 1518285567 fd00::2 38051 typ host tcptype passive generation 0 network-id 2\r\n"
  "a=candidate:2398920056 1 tcp 1518214911 192.0.2.2 50661 typ host tcptype passive generation 0 network-id 1\r\n"
  "a=candidate:1876313031 1 tcp 1518157055 ::1 45043 typ host tcptype passive generation 0 network-id 4\r\n"
  "a=candidate:344579997 1 tcp 1518083839 127.0.0.1 41745 typ host tcptype passive generation 0 network-id 3\r\n"
  "a=ice-ufrag:j81P\r\n"
  "a=ice-pwd:kfr+h/PXO10QpFvz7ltRuUrF\r\n"
  "a=fingerprint:sha-256 10:99:50:8D:98:14:14:6E:2A:2E:5F:61:1A:70:56:BE:01:89:1B:DA:84:77:4B:9D:18:72:0C:91:7E:17:88:BD\r\n"
  "a=setup:actpass\r\n"
  "a=mid:0\r\n"
  "a=sctp-port:5000\r\n"
  "a=max-message-size:262144\r\n";

/* aiortc before PR #1388: legacy "DTLS/SCTP 5000" + a=sctpmap, md5-hex foundations and one
 * fingerprint per hash (sha-256, sha-384, sha-512). */
static const char aiortc_legacy_offer[] =
  "v=0\r\n"
  "o=- 3912345678 3912345678 IN IP4 0.0.0.0\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE 0\r\n"
  "a=msid-semantic:WMS *\r\n"
  "m=application 49211 DTLS/SCTP 5000\r\n"
  "c=IN IP4 192.168.1.50\r\n"
  "a=mid:0\r\n"
  "a=sctpmap:5000 webrtc-datachannel 65535\r\n"
  "a=max-message-size:65536\r\n"
  "a=candidate:5c3a1d0e8b7f4a2c9e6d1b0a3f2e4d5c 1 udp 2130706431 192.168.1.50 49211 typ host\r\n"
  "a=candidate:9f8e7d6c5b4a39281706f5e4d3c2b1a0 1 udp 1694498815 203.0.113.50 49211 typ srflx raddr 192.168.1.50 rport 49211\r\n"
  "a=end-of-candidates\r\n"
  "a=ice-ufrag:Fq2h\r\n"
  "a=ice-pwd:Wm4ZkR8tN1bV6cX3yJ0pQs\r\n"
  "a=fingerprint:sha-256 1F:A3:0A:99:0A:99:4A:F8:0F:3A:E7:C6:CF:8F:EF:C0:FD:17:97:C0:16:11:FD:E7:75:3F:78:FB:FC:35:C4:AF\r\n"
  "a=fingerprint:sha-384 F9:ED:8D:D8:57:85:2E:57:DF:7B:F4:99:1A:BA:24:1F:7C:E8:6A:1D:95:00:32:6B:77:DD:83:EF:63:E5:09:4A:C8:FE:F4:A0:59:96:66:5B:F6:91:F8:1F:3E:DA:16:C2\r\n"
  "a=fingerprint:sha-512 67:3D:42:9D:1F:27:9C:BD:DC:36:DE:57:DD:CA:53:15:15:3F:17:D1:C5:1B:F0:9E:A1:D0:1E:83:44:A7:DF:85:4F:68:D8:86:75:EB:0B:A1:44:83:17:C2:50:A6:3E:06:3E:DE:7A:43:B3:75:9F:3B:3E:F9:B1:B3:3E:A6:2B:EC\r\n"
  "a=setup:actpass\r\n";

/* An ICE-lite server in the style of pion (session-level fingerprint, here in lower case, which
 * RFC 8122 allows), no a=max-message-size. */
static const char ice_lite_offer[] =
  "v=0\r\n"
  "o=- 6185314291234567890 1699999999 IN IP4 0.0.0.0\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=fingerprint:sha-256 78:38:f4:68:32:b8:82:b0:62:98:c7:b9:9a:78:94:79:c7:21:ae:7d:a7:6e:5f:60:66:fd:a3:35:78:a1:ea:48\r\n"
  "a=ice-lite\r\n"
  "a=extmap-allow-mixed\r\n"
  "a=group:BUNDLE 0\r\n"
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=setup:actpass\r\n"
  "a=mid:0\r\n"
  "a=sendrecv\r\n"
  "a=sctp-port:5000\r\n"
  "a=ice-ufrag:QzBxKwYvRnTpLmHd\r\n"
  "a=ice-pwd:cXbVnMaSdFgHjKlPoIuYtReWqZxCvBnM\r\n"
  "a=candidate:1966762134 1 udp 2130706431 198.51.100.20 3478 typ host\r\n"
  "a=end-of-candidates\r\n";

/* A gateway that writes ICE credentials, fingerprint and setup at session level only (RFC 8839
 * allows either level), with its own mid, no BUNDLE and "a=max-message-size:0" (no limit). */
static const char session_level_answer[] =
  "v=0\r\n"
  "o=- 20518 0 IN IP4 198.51.100.30\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=ice-ufrag:F7gI\r\n"
  "a=ice-pwd:x9cml/YzichV2+XlhiMu8g\r\n"
  "a=fingerprint:sha-256 66:CE:2E:A5:42:0C:DA:9E:21:27:89:3B:F7:0C:FF:58:37:D4:B7:F6:D8:03:DD:E7:EB:78:53:CB:79:2C:A6:99\r\n"
  "a=setup:passive\r\n"
  "m=application 5000 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "c=IN IP4 198.51.100.30\r\n"
  "a=mid:data\r\n"
  "a=sctp-port:5000\r\n"
  "a=max-message-size:0\r\n"
  "a=candidate:1 1 UDP 2130706431 198.51.100.30 5000 typ host\r\n";

/* Chromium offer for a page that also has a microphone and a camera (trickle, so no candidates
 * yet); codec lists shortened. */
static const char chromium_av_offer[] =
  "v=0\r\n"
  "o=- 1536826378294467102 2 IN IP4 127.0.0.1\r\n"
  "s=-\r\n"
  "t=0 0\r\n"
  "a=group:BUNDLE 0 1 2\r\n"
  "a=extmap-allow-mixed\r\n"
  "a=msid-semantic: WMS 4d0b1b6e-6c6a-4f2e-9a55-2b1f0c9d8e7a\r\n"
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=rtcp:9 IN IP4 0.0.0.0\r\n"
  "a=ice-ufrag:aV2u\r\n"
  "a=ice-pwd:Gk5sQ1pW8mZr3Tn0yXc7LbHd\r\n"
  "a=ice-options:trickle\r\n"
  "a=fingerprint:sha-256 1F:A3:0A:99:0A:99:4A:F8:0F:3A:E7:C6:CF:8F:EF:C0:FD:17:97:C0:16:11:FD:E7:75:3F:78:FB:FC:35:C4:AF\r\n"
  "a=setup:actpass\r\n"
  "a=mid:0\r\n"
  "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
  "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
  "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n"
  "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
  "a=sendrecv\r\n"
  "a=msid:4d0b1b6e-6c6a-4f2e-9a55-2b1f0c9d8e7a 8a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\r\n"
  "a=rtcp-mux\r\n"
  "a=rtpmap:111 opus/48000/2\r\n"
  "a=rtcp-fb:111 transport-cc\r\n"
  "a=fmtp:111 minptime=10;useinbandfec=1\r\n"
  "a=rtpmap:63 red/48000/2\r\n"
  "a=fmtp:63 111/111\r\n"
  "a=rtpmap:9 G722/8000\r\n"
  "a=rtpmap:0 PCMU/8000\r\n"
  "a=rtpmap:8 PCMA/8000\r\n"
  "a=rtpmap:13 CN/8000\r\n"
  "a=rtpmap:110 telephone-event/48000\r\n"
  "a=rtpmap:126 telephone-event/8000\r\n"
  "a=ssrc:2913440839 cname:Qm5yK3xT0pVb8wLz\r\n"
  "a=ssrc:2913440839 msid:4d0b1b6e-6c6a-4f2e-9a55-2b1f0c9d8e7a 8a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\r\n"
  "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=rtcp:9 IN IP4 0.0.0.0\r\n"
  "a=ice-ufrag:aV2u\r\n"
  "a=ice-pwd:Gk5sQ1pW8mZr3Tn0yXc7LbHd\r\n"
  "a=ice-options:trickle\r\n"
  "a=fingerprint:sha-256 1F:A3:0A:99:0A:99:4A:F8:0F:3A:E7:C6:CF:8F:EF:C0:FD:17:97:C0:16:11:FD:E7:75:3F:78:FB:FC:35:C4:AF\r\n"
  "a=setup:actpass\r\n"
  "a=mid:1\r\n"
  "a=extmap:14 urn:ietf:params:rtp-hdrext:toffset\r\n"
  "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n"
  "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
  "a=sendrecv\r\n"
  "a=msid:4d0b1b6e-6c6a-4f2e-9a55-2b1f0c9d8e7a 0b7c6d5e-4f3a-4b2c-9d1e-8f7a6b5c4d3e\r\n"
  "a=rtcp-mux\r\n"
  "a=rtcp-rsize\r\n"
  "a=rtpmap:96 VP8/90000\r\n"
  "a=rtcp-fb:96 goog-remb\r\n"
  "a=rtcp-fb:96 transport-cc\r\n"
  "a=rtcp-fb:96 ccm fir\r\n"
  "a=rtcp-fb:96 nack\r\n"
  "a=rtcp-fb:96 nack pli\r\n"
  "a=rtpmap:97 rtx/90000\r\n"
  "a=fmtp:97 apt=96\r\n"
  "a=rtpmap:98 VP9/90000\r\n"
  "a=rtcp-fb:98 goog-remb\r\n"
  "a=rtcp-fb:98 transport-cc\r\n"
  "a=rtcp-fb:98 ccm fir\r\n"
  "a=rtcp-fb:98 nack\r\n"
  "a=rtcp-fb:98 nack pli\r\n"
  "a=fmtp:98 profile-id=0\r\n"
  "a=rtpmap:99 rtx/90000\r\n"
  "a=fmtp:99 apt=98\r\n"
  "a=ssrc-group:FID 1176452063 3458217990\r\n"
  "a=ssrc:1176452063 cname:Qm5yK3xT0pVb8wLz\r\n"
  "a=ssrc:3458217990 cname:Qm5yK3xT0pVb8wLz\r\n"
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
  "c=IN IP4 0.0.0.0\r\n"
  "a=ice-ufrag:aV2u\r\n"
  "a=ice-pwd:Gk5sQ1pW8mZr3Tn0yXc7LbHd\r\n"
  "a=ice-options:trickle\r\n"
  "a=fingerprint:sha-256 1F:A3:0A:99:0A:99:4A:F8:0F:3A:E7:C6:CF:8F:EF:C0:FD:17:97:C0:16:11:FD:E7:75:3F:78:FB:FC:35:C4:AF\r\n"
  "a=setup:actpass\r\n"
  "a=mid:2\r\n"
  "a=sctp-port:5000\r\n"
  "a=max-message-size:262144\r\n";

static FerrySdp *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  FerrySdp *sdp = ferry_sdp_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (sdp);
  return sdp;
}

static void
assert_candidates (const FerrySdp     *sdp,
                   const char * const *expected)
{
  guint n = g_strv_length ((char **) expected);

  g_assert_cmpuint (sdp->candidates->len, ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (g_ptr_array_index (sdp->candidates, i), ==, expected[i]);
}

/* Every field that a parse can set. */
static void
assert_sdp_equal (const FerrySdp *a,
                  const FerrySdp *b)
{
  g_assert_cmpuint (a->session_id, ==, b->session_id);
  g_assert_cmpuint (a->session_version, ==, b->session_version);
  g_assert_cmpstr (a->ice_ufrag, ==, b->ice_ufrag);
  g_assert_cmpstr (a->ice_pwd, ==, b->ice_pwd);
  g_assert_cmpint (a->ice_lite, ==, b->ice_lite);
  g_assert_cmpint (a->ice_trickle, ==, b->ice_trickle);
  g_assert_cmpuint (a->fingerprints->len, ==, b->fingerprints->len);
  for (guint i = 0; i < a->fingerprints->len; i++)
    {
      FerrySdpFingerprint *fa = g_ptr_array_index (a->fingerprints, i);
      FerrySdpFingerprint *fb = g_ptr_array_index (b->fingerprints, i);

      g_assert_cmpstr (fa->algorithm, ==, fb->algorithm);
      g_assert_cmpstr (fa->value, ==, fb->value);
    }
  g_assert_cmpint (a->setup, ==, b->setup);
  g_assert_cmpstr (a->mid, ==, b->mid);
  g_assert_cmpint (a->bundle, ==, b->bundle);
  g_assert_cmpint (a->legacy, ==, b->legacy);
  g_assert_cmpuint (a->sctp_port, ==, b->sctp_port);
  g_assert_cmpint (a->has_max_message_size, ==, b->has_max_message_size);
  g_assert_cmpuint (a->max_message_size, ==, b->max_message_size);
  g_assert_cmpint (a->large_packets, ==, b->large_packets);
  g_assert_cmpuint (a->candidates->len, ==, b->candidates->len);
  for (guint i = 0; i < a->candidates->len; i++)
    g_assert_cmpstr (g_ptr_array_index (a->candidates, i), ==, g_ptr_array_index (b->candidates, i));
  g_assert_cmpint (a->end_of_candidates, ==, b->end_of_candidates);
  g_assert_cmpuint (a->data_index, ==, b->data_index);
  g_assert_cmpuint (a->rejected_media->len, ==, b->rejected_media->len);
  for (guint i = 0; i < a->rejected_media->len; i++)
    {
      FerrySdpMedia *ma = g_ptr_array_index (a->rejected_media, i);
      FerrySdpMedia *mb = g_ptr_array_index (b->rejected_media, i);

      g_assert_cmpstr (ma->media, ==, mb->media);
      g_assert_cmpstr (ma->proto, ==, mb->proto);
      g_assert_cmpstr (ma->formats, ==, mb->formats);
      g_assert_cmpstr (ma->mid, ==, mb->mid);
    }
}

/* to_string → parse gives the same description again. */
static void
assert_reparses (const FerrySdp *sdp)
{
  g_autofree char *text = ferry_sdp_to_string (sdp);
  g_autoptr(FerrySdp) again = parse_ok (text);
  g_autoptr(FerrySdp) copy = ferry_sdp_copy (sdp);
  g_autofree char *text2 = ferry_sdp_to_string (again);

  assert_sdp_equal (sdp, again);
  assert_sdp_equal (sdp, copy);
  /* And the text is a fixed point. */
  g_assert_cmpstr (text, ==, text2);
}

/* Real descriptions */

static void
test_chromium_offer (void)
{
  static const char * const candidates[] = {
    "candidate:1452984789 1 udp 2113937151 8852922e-6e72-46b0-bef8-6bc86ea891c1.local 51472 typ host generation 0 network-cost 999",
    "candidate:842163049 1 udp 1677729535 203.0.113.7 51472 typ srflx raddr 0.0.0.0 rport 0 generation 0 network-cost 999",
    NULL,
  };
  g_autoptr(FerrySdp) sdp = parse_ok (chromium_offer);

  g_assert_cmpuint (sdp->session_id, ==, G_GUINT64_CONSTANT (4215775240449105457));
  g_assert_cmpuint (sdp->session_version, ==, 2);
  g_assert_cmpstr (sdp->ice_ufrag, ==, "Vx3Q");
  g_assert_cmpstr (sdp->ice_pwd, ==, "2Kq7yF0mJc9sLrT4uWzXb1eA");
  g_assert_false (sdp->ice_lite);
  g_assert_true (sdp->ice_trickle);
  g_assert_cmpuint (sdp->fingerprints->len, ==, 1);
  g_assert_cmpstr (ferry_sdp_get_fingerprint (sdp, "sha-256"), ==,
                   "75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5");
  g_assert_cmpint (sdp->setup, ==, FERRY_SDP_SETUP_ACTPASS);
  g_assert_cmpstr (sdp->mid, ==, "0");
  g_assert_true (sdp->bundle);
  g_assert_false (sdp->legacy);
  g_assert_cmpuint (sdp->sctp_port, ==, 5000);
  g_assert_true (sdp->has_max_message_size);
  g_assert_cmpuint (sdp->max_message_size, ==, 262144);
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, 262144);
  assert_candidates (sdp, candidates);
  g_assert_false (sdp->end_of_candidates);
  g_assert_cmpuint (sdp->data_index, ==, 0);
  g_assert_cmpuint (sdp->rejected_media->len, ==, 0);

  assert_reparses (sdp);
}

static void
test_chromium_answer (void)
{
  static const char * const candidates[] = {
    "candidate:3506734122 1 udp 2113937151 58dc70a0-faca-44b2-b830-eec002444d15.local 60128 typ host generation 0 network-cost 999",
    NULL,
  };
  g_autoptr(FerrySdp) sdp = parse_ok (chromium_answer);

  g_assert_cmpstr (sdp->ice_ufrag, ==, "pL8r");
  g_assert_cmpstr (sdp->ice_pwd, ==, "Yq0mXcTz4w7Rr1Lk9sB2nHfE");
  g_assert_cmpstr (ferry_sdp_get_fingerprint (sdp, "SHA-256"), ==,
                   "B3:6C:3A:91:B7:DA:00:2A:C6:D4:BE:BF:51:83:7A:07:A2:B7:34:08:5D:A7:88:80:6A:B6:81:1B:CC:C1:9E:E4");
  g_assert_cmpint (sdp->setup, ==, FERRY_SDP_SETUP_ACTIVE);
  g_assert_cmpstr (sdp->mid, ==, "0");
  g_assert_true (sdp->bundle);
  g_assert_true (sdp->ice_trickle);
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, 262144);
  assert_candidates (sdp, candidates);
  g_assert_false (sdp->end_of_candidates);

  assert_reparses (sdp);
}

static void
test_firefox_offer (void)
{
  static const char * const candidates[] = {
    "candidate:0 1 UDP 2122252543 c4efda77-2e91-4a5b-b9c2-69ebaf526606.local 50816 typ host",
    "candidate:1 1 TCP 2105524479 c4efda77-2e91-4a5b-b9c2-69ebaf526606.local 9 typ host tcptype active",
    NULL,
  };
  g_autoptr(FerrySdp) sdp = parse_ok (firefox_offer);

  /* "mozilla...THIS_IS_SDPARTA-99.0" in place of the user name does not disturb the numbers. */
  g_assert_cmpuint (sdp->session_id, ==, G_GUINT64_CONSTANT (3875183567446440318));
  g_assert_cmpuint (sdp->session_version, ==, 0);
  g_assert_cmpstr (sdp->ice_ufrag, ==, "e2491ecc");
  g_assert_cmpstr (sdp->ice_pwd, ==, "3569291af267a2fbf0226e12a2d363b8");
  /* Both come from the session level. */
  g_assert_true (sdp->ice_trickle);
  g_assert_cmpuint (sdp->fingerprints->len, ==, 1);
  g_assert_cmpstr (ferry_sdp_get_fingerprint (sdp, "sha-256"), ==,
                   "D3:E8:C8:4B:8B:EE:1A:95:32:02:DC:E8:AD:BA:54:09:57:C3:3E:37:7A:D5:FC:EF:4F:E4:A9:08:EA:4A:3C:3F");
  g_assert_cmpint (sdp->setup, ==, FERRY_SDP_SETUP_ACTPASS);
  g_assert_cmpstr (sdp->mid, ==, "0");
  g_assert_true (sdp->bundle);
  g_assert_false (sdp->legacy);
  g_assert_cmpuint (sdp->sctp_port, ==, 5000);
  g_assert_cmpuint (sdp->max_message_size, ==, 1073741823);
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, 1073741823);
  assert_candidates (sdp, candidates);
  g_assert_true (sdp->end_of_candidates);
  g_assert_false (sdp->ice_lite);

  assert_reparses (sdp);
}

static void
test_firefox_answer (void)
{
  g_autoptr(FerrySdp) sdp = parse_ok (firefox_answer);

  g_assert_cmpstr (sdp->ice_ufrag, ==, "4d6e73fd");
  g_assert_cmpstr (sdp->ice_pwd, ==, "f99bb8ff64c873b227a0876ba13f6a2e");
  g_assert_cmpstr (ferry_sdp_get_fingerprint (sdp, "sha-256"), ==,
                   "90:0D:CE:F4:DA:10:1F:DB:40:AB:19:CC:EA:FF:04:7B:F0:48:A4:66:69:0A:D4:24:D9:4F:15:31:E3:53:35:6E");
  g_assert_cmpint (sdp->setup, ==, FERRY_SDP_SETUP_ACTIVE);
  g_assert_cmpuint (sdp->candidates->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (sdp->candidates, 1), ==,
                   "candidate:1 1 TCP 2105524479 3b1f0e52-9a4c-4c8e-a1d7-5e2f6b9c0d34.local 9 typ host tcptype active");
  g_assert_true (sdp->end_of_candidates);
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, 1073741823);

  assert_reparses (sdp);
}

static void
test_libwebrtc_offer (void)
{
  g_autoptr(FerrySdp) sdp = NULL;

  g_assert_cmpuint (strlen (libwebrtc_offer), ==, 1223);
  sdp = parse_ok (libwebrtc_offer);

  g_assert_cmpuint (sdp->session_id, ==, G_GUINT64_CONSTANT (3703429459490841177));
  g_assert_cmpstr (sdp->ice_ufrag, ==, "j81P");
  g_assert_cmpstr (sdp->ice_pwd, ==, "kfr+h/PXO10QpFvz7ltRuUrF");
  /* simple-peer removed a=ice-options:trickle (non-trickle over the tracker). */
  g_assert_false (sdp->ice_trickle);
  g_assert_cmpstr (ferry_sdp_get_fingerprint (sdp, "sha-256"), ==,
                   "10:99:50:8D:98:14:14:6E:2A:2E:5F:61:1A:70:56:BE:01:89:1B:DA:84:77:4B:9D:18:72:0C:91:7E:17:88:BD");
  g_assert_cmpint (sdp->setup, ==, FERRY_SDP_SETUP_ACTPASS);
  g_assert_cmpstr (sdp->mid, ==, "0");
  g_assert_true (sdp->bundle);
  g_assert_cmpuint (sdp->sctp_port, ==, 5000);
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, 262144);
  g_assert_cmpuint (sdp->candidates->len, ==, 8);
  g_assert_cmpstr (g_ptr_array_index (sdp->candidates, 0), ==,
                   "candidate:3077952869 1 udp 2122265343 fd00::2 52549 typ host generation 0 network-id 2");
  g_assert_cmpstr (g_ptr_array_index (sdp->candidates, 7), ==,
                   "candidate:344579997 1 tcp 1518083839 127.0.0.1 41745 typ host tcptype passive generation 0 network-id 3");
  g_assert_false (sdp->end_of_candidates);

  assert_reparses (sdp);
}

static void
test_legacy_offer (void)
{
  g_autoptr(FerrySdp) sdp = parse_ok (aiortc_legacy_offer);
  g_autofree char *text = NULL;
  FerrySdpFingerprint *fp;

  g_assert_true (sdp->legacy);
  g_assert_cmpuint (sdp->sctp_port, ==, 5000);
  g_assert_cmpstr (sdp->mid, ==, "0");
  g_assert_true (sdp->bundle);
  g_assert_cmpstr (sdp->ice_ufrag, ==, "Fq2h");
  g_assert_cmpstr (sdp->ice_pwd, ==, "Wm4ZkR8tN1bV6cX3yJ0pQs");
  g_assert_cmpint (sdp->setup, ==, FERRY_SDP_SETUP_ACTPASS);
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, 65536);
  g_assert_cmpuint (sdp->candidates->len, ==, 2);
  g_assert_true (sdp->end_of_candidates);

  /* Every fingerprint is kept, in order. */
  g_assert_cmpuint (sdp->fingerprints->len, ==, 3);
  fp = g_ptr_array_index (sdp->fingerprints, 1);
  g_assert_cmpstr (fp->algorithm, ==, "sha-384");
  g_assert_cmpuint (strlen (fp->value), ==, 48 * 3 - 1);
  fp = g_ptr_array_index (sdp->fingerprints, 2);
  g_assert_cmpstr (fp->algorithm, ==, "sha-512");
  g_assert_cmpuint (strlen (fp->value), ==, 64 * 3 - 1);
  g_assert_cmpstr (ferry_sdp_get_fingerprint (sdp, "sha-256"), ==,
                   "1F:A3:0A:99:0A:99:4A:F8:0F:3A:E7:C6:CF:8F:EF:C0:FD:17:97:C0:16:11:FD:E7:75:3F:78:FB:FC:35:C4:AF");

  /* The answer keeps the legacy form. */
  text = ferry_sdp_to_string (sdp);
  g_assert_nonnull (strstr (text, "\r\nm=application 9 DTLS/SCTP 5000\r\n"));
  g_assert_nonnull (strstr (text, "\r\na=sctpmap:5000 webrtc-datachannel "));
  g_assert_null (strstr (text, "a=sctp-port"));
  assert_reparses (sdp);
}

static void
test_legacy_port_forms (void)
{
  /* Without a=sctpmap the format is the SCTP port; with one, a=sctpmap names it. */
  static const char *head =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
    "a=fingerprint:sha-256 75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5\r\n";
  g_autofree char *bare = g_strconcat (head, "m=application 9 DTLS/SCTP 5001\r\n", NULL);
  g_autofree char *mapped = g_strconcat (head, "m=application 9 DTLS/SCTP 5001\r\n"
                                         "a=sctpmap:6000 webrtc-datachannel 1024\r\n", NULL);
  /* a=sctpmap in a modern section is ignored. */
  g_autofree char *modern = g_strconcat (head, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                                         "a=sctpmap:6000 webrtc-datachannel 1024\r\n", NULL);
  g_autoptr(FerrySdp) a = parse_ok (bare);
  g_autoptr(FerrySdp) b = parse_ok (mapped);
  g_autoptr(FerrySdp) c = parse_ok (modern);

  g_assert_true (a->legacy);
  g_assert_cmpuint (a->sctp_port, ==, 5001);
  g_assert_true (b->legacy);
  g_assert_cmpuint (b->sctp_port, ==, 6000);
  g_assert_false (c->legacy);
  g_assert_cmpuint (c->sctp_port, ==, 5000);
  /* No a=mid: "0", and no BUNDLE group. */
  g_assert_cmpstr (a->mid, ==, "0");
  g_assert_false (a->bundle);
  /* No a=setup at all. */
  g_assert_cmpint (a->setup, ==, FERRY_SDP_SETUP_NONE);
  assert_reparses (a);
  assert_reparses (b);
}

static void
test_ice_lite (void)
{
  g_autoptr(FerrySdp) sdp = parse_ok (ice_lite_offer);

  g_assert_true (sdp->ice_lite);
  g_assert_false (sdp->ice_trickle);
  g_assert_cmpstr (sdp->ice_ufrag, ==, "QzBxKwYvRnTpLmHd");
  g_assert_cmpstr (sdp->ice_pwd, ==, "cXbVnMaSdFgHjKlPoIuYtReWqZxCvBnM");
  /* Lower-case hex is normalised to upper case. */
  g_assert_cmpstr (ferry_sdp_get_fingerprint (sdp, "sha-256"), ==,
                   "78:38:F4:68:32:B8:82:B0:62:98:C7:B9:9A:78:94:79:C7:21:AE:7D:A7:6E:5F:60:66:FD:A3:35:78:A1:EA:48");
  g_assert_cmpint (sdp->setup, ==, FERRY_SDP_SETUP_ACTPASS);
  g_assert_true (sdp->bundle);
  /* Absent a=max-message-size: the W3C default. */
  g_assert_false (sdp->has_max_message_size);
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, 65536);
  g_assert_cmpuint (sdp->candidates->len, ==, 1);
  g_assert_true (sdp->end_of_candidates);

  assert_reparses (sdp);
}

static void
test_session_level (void)
{
  g_autoptr(FerrySdp) sdp = parse_ok (session_level_answer);

  g_assert_cmpstr (sdp->ice_ufrag, ==, "F7gI");
  g_assert_cmpstr (sdp->ice_pwd, ==, "x9cml/YzichV2+XlhiMu8g");
  g_assert_cmpstr (ferry_sdp_get_fingerprint (sdp, "sha-256"), ==,
                   "66:CE:2E:A5:42:0C:DA:9E:21:27:89:3B:F7:0C:FF:58:37:D4:B7:F6:D8:03:DD:E7:EB:78:53:CB:79:2C:A6:99");
  g_assert_cmpint (sdp->setup, ==, FERRY_SDP_SETUP_PASSIVE);
  g_assert_cmpstr (sdp->mid, ==, "data");
  g_assert_false (sdp->bundle);
  /* 0 means "no limit". */
  g_assert_true (sdp->has_max_message_size);
  g_assert_cmpuint (sdp->max_message_size, ==, 0);
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, G_MAXUINT64);
  g_assert_cmpuint (sdp->candidates->len, ==, 1);
  g_assert_false (sdp->end_of_candidates);

  assert_reparses (sdp);
}

static void
test_media_level_wins (void)
{
  /* Values at both levels: the data section's own ones are used. */
  static const char text[] =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=ice-ufrag:sess\r\na=ice-pwd:sessionsessionsession1\r\n"
    "a=fingerprint:sha-256 75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5\r\n"
    "a=setup:actpass\r\n"
    "a=end-of-candidates\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "a=ice-ufrag:medi\r\na=ice-pwd:mediamediamediamedia12\r\n"
    "a=fingerprint:sha-256 b3:6c:3a:91:b7:da:00:2a:c6:d4:be:bf:51:83:7a:07:a2:b7:34:08:5d:a7:88:80:6a:b6:81:1b:cc:c1:9e:e4\r\n"
    "a=setup:passive\r\n";
  g_autoptr(FerrySdp) sdp = parse_ok (text);

  g_assert_cmpstr (sdp->ice_ufrag, ==, "medi");
  g_assert_cmpstr (sdp->ice_pwd, ==, "mediamediamediamedia12");
  g_assert_cmpuint (sdp->fingerprints->len, ==, 1);
  g_assert_cmpstr (ferry_sdp_get_fingerprint (sdp, "sha-256"), ==,
                   "B3:6C:3A:91:B7:DA:00:2A:C6:D4:BE:BF:51:83:7A:07:A2:B7:34:08:5D:A7:88:80:6A:B6:81:1B:CC:C1:9E:E4");
  g_assert_cmpint (sdp->setup, ==, FERRY_SDP_SETUP_PASSIVE);
  /* A session-level end-of-candidates still applies. */
  g_assert_true (sdp->end_of_candidates);
}

static void
test_audio_video_rejected (void)
{
  g_autoptr(FerrySdp) offer = parse_ok (chromium_av_offer);
  g_autoptr(FerrySdp) answer = ferry_sdp_new ();
  g_autoptr(FerrySdp) again = NULL;
  g_autofree char *text = NULL;
  FerrySdpMedia *media;

  g_assert_cmpuint (offer->data_index, ==, 2);
  g_assert_cmpstr (offer->mid, ==, "2");
  g_assert_true (offer->bundle);
  g_assert_cmpuint (offer->candidates->len, ==, 0);
  g_assert_cmpuint (offer->rejected_media->len, ==, 2);
  media = g_ptr_array_index (offer->rejected_media, 0);
  g_assert_cmpstr (media->media, ==, "audio");
  g_assert_cmpstr (media->proto, ==, "UDP/TLS/RTP/SAVPF");
  g_assert_cmpstr (media->formats, ==, "111 63 9 0 8 13 110 126");
  g_assert_cmpstr (media->mid, ==, "0");
  media = g_ptr_array_index (offer->rejected_media, 1);
  g_assert_cmpstr (media->media, ==, "video");
  g_assert_cmpstr (media->formats, ==, "96 97 98 99");
  g_assert_cmpstr (media->mid, ==, "1");
  /* The credentials of the data section (identical here, BUNDLE). */
  g_assert_cmpstr (offer->ice_ufrag, ==, "aV2u");
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (offer), ==, 262144);

  /* An answer built the way FerryPeerConnection builds one. */
  answer->session_id = 42;
  answer->session_version = 1;
  answer->ice_ufrag = g_strdup ("Xy9z");
  answer->ice_pwd = g_strdup ("0123456789abcdefABCDEF");
  ferry_sdp_add_fingerprint (answer, "sha-256",
                             "90:0d:ce:f4:da:10:1f:db:40:ab:19:cc:ea:ff:04:7b:f0:48:a4:66:69:0a:d4:24:d9:4f:15:31:e3:53:35:6e");
  answer->setup = FERRY_SDP_SETUP_ACTIVE;
  answer->mid = g_strdup (offer->mid);
  answer->bundle = offer->bundle;
  answer->has_max_message_size = TRUE;
  answer->max_message_size = 262144;
  answer->data_index = offer->data_index;
  g_ptr_array_extend_and_steal (answer->rejected_media, g_steal_pointer (&offer->rejected_media));
  offer->rejected_media = g_ptr_array_new ();
  g_ptr_array_add (answer->candidates, g_strdup ("candidate:1 1 UDP 2015363327 10.99.0.2 48082 typ host"));
  answer->end_of_candidates = TRUE;

  /* Rejected sections keep their place and mid, with port 0 and outside the BUNDLE group. */
  text = ferry_sdp_to_string (answer);
  g_assert_cmpstr (text, ==,
                   "v=0\r\n"
                   "o=- 42 1 IN IP4 127.0.0.1\r\n"
                   "s=-\r\n"
                   "t=0 0\r\n"
                   "a=group:BUNDLE 2\r\n"
                   "m=audio 0 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\r\n"
                   "c=IN IP4 0.0.0.0\r\n"
                   "a=mid:0\r\n"
                   "m=video 0 UDP/TLS/RTP/SAVPF 96 97 98 99\r\n"
                   "c=IN IP4 0.0.0.0\r\n"
                   "a=mid:1\r\n"
                   "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
                   "c=IN IP4 0.0.0.0\r\n"
                   "a=ice-ufrag:Xy9z\r\n"
                   "a=ice-pwd:0123456789abcdefABCDEF\r\n"
                   "a=fingerprint:sha-256 90:0D:CE:F4:DA:10:1F:DB:40:AB:19:CC:EA:FF:04:7B:F0:48:A4:66:69:0A:D4:24:D9:4F:15:31:E3:53:35:6E\r\n"
                   "a=setup:active\r\n"
                   "a=mid:2\r\n"
                   "a=sctp-port:5000\r\n"
                   "a=max-message-size:262144\r\n"
                   "a=candidate:1 1 UDP 2015363327 10.99.0.2 48082 typ host\r\n"
                   "a=end-of-candidates\r\n");

  again = parse_ok (text);
  assert_sdp_equal (answer, again);
}

static void
test_data_between_media (void)
{
  /* audio, data, video: the answer keeps that order. */
  static const char text[] =
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=group:BUNDLE a d v\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\na=ice-ufrag:zzzz\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:d\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
    "a=fingerprint:sha-256 75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\na=setup:holdconn\r\n"
    /* A second data section is answered with port 0 like any other. */
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d2\r\n";
  g_autoptr(FerrySdp) sdp = parse_ok (text);
  g_autofree char *out = NULL;
  const char *audio, *data, *video, *data2;

  /* Attributes of rejected sections (even invalid ones) do not matter. */
  g_assert_cmpstr (sdp->ice_ufrag, ==, "abcd");
  g_assert_cmpint (sdp->setup, ==, FERRY_SDP_SETUP_NONE);
  g_assert_cmpuint (sdp->data_index, ==, 1);
  g_assert_cmpstr (sdp->mid, ==, "d");
  g_assert_true (sdp->bundle);
  g_assert_cmpuint (sdp->rejected_media->len, ==, 3);
  g_assert_cmpstr (((FerrySdpMedia *) g_ptr_array_index (sdp->rejected_media, 2))->mid, ==, "d2");

  out = ferry_sdp_to_string (sdp);
  audio = strstr (out, "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\n");
  data = strstr (out, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n");
  video = strstr (out, "m=video 0 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\n");
  data2 = strstr (out, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:d2\r\n");
  g_assert_nonnull (audio);
  g_assert_nonnull (data);
  g_assert_nonnull (video);
  g_assert_nonnull (data2);
  g_assert_true (audio < data && data < video && video < data2);
  g_assert_nonnull (strstr (out, "a=group:BUNDLE d\r\n"));
  assert_reparses (sdp);
}

/* Round trips and tolerance */

static void
test_round_trip (void)
{
  g_autoptr(FerrySdp) sdp = ferry_sdp_new ();
  g_autoptr(FerrySdp) parsed = NULL;
  g_autofree char *text = NULL;

  sdp->session_id = G_MAXUINT64;
  sdp->session_version = 7;
  sdp->ice_ufrag = g_strdup ("h1U7");
  sdp->ice_pwd = g_strdup ("t5pcZX3D0MwaUiQPQbK0no");
  sdp->ice_trickle = TRUE;
  sdp->ice_lite = TRUE;
  ferry_sdp_add_fingerprint (sdp, "SHA-256",
                             "d9:bb:75:a0:56:ee:fb:28:e8:dd:60:23:64:48:25:36:f7:51:59:0b:cd:06:90:ce:47:a0:8e:d5:6a:64:11:ef");
  ferry_sdp_add_fingerprint (sdp, "sha-1", "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01");
  sdp->setup = FERRY_SDP_SETUP_ACTPASS;
  sdp->mid = g_strdup ("0");
  sdp->bundle = TRUE;
  sdp->sctp_port = 5000;
  sdp->has_max_message_size = TRUE;
  sdp->max_message_size = 262144;
  sdp->large_packets = TRUE;
  g_ptr_array_add (sdp->candidates, g_strdup ("candidate:1 1 UDP 2015363327 10.99.0.2 48082 typ host"));
  g_ptr_array_add (sdp->candidates, g_strdup ("candidate:2 1 UDP 1679819007 198.51.100.4 48082 typ srflx raddr 10.99.0.2 rport 48082"));
  sdp->end_of_candidates = TRUE;

  /* Stored normalised. */
  g_assert_cmpstr (((FerrySdpFingerprint *) g_ptr_array_index (sdp->fingerprints, 0))->algorithm, ==, "sha-256");
  g_assert_cmpstr (ferry_sdp_get_fingerprint (sdp, "sha-256"), ==,
                   "D9:BB:75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:11:EF");
  g_assert_null (ferry_sdp_get_fingerprint (sdp, "sha-512"));

  text = ferry_sdp_to_string (sdp);
  g_assert_true (g_str_has_prefix (text, "v=0\r\n"));
  g_assert_true (g_str_has_suffix (text, "a=end-of-candidates\r\n"));
  /* Every line ends in CRLF. */
  for (const char *p = strchr (text, '\n'); p != NULL; p = strchr (p + 1, '\n'))
    g_assert_cmpint (p[-1], ==, '\r');

  g_assert_nonnull (strstr (text, "a=max-message-size:262144\r\na=x-ferry-large-packets\r\n"));

  parsed = parse_ok (text);
  assert_sdp_equal (sdp, parsed);
  assert_reparses (sdp);

  /* Other setup values, no max-message-size, no large packets. */
  sdp->setup = FERRY_SDP_SETUP_PASSIVE;
  sdp->has_max_message_size = FALSE;
  sdp->max_message_size = 0;
  sdp->large_packets = FALSE;
  sdp->ice_lite = FALSE;
  sdp->bundle = FALSE;
  assert_reparses (sdp);
  sdp->setup = FERRY_SDP_SETUP_NONE;
  sdp->legacy = TRUE;
  sdp->sctp_port = 5001;
  assert_reparses (sdp);
}

static void
test_lf_only (void)
{
  g_autoptr(FerrySdp) crlf = parse_ok (firefox_offer);
  g_autoptr(FerrySdp) lf = NULL;
  g_autoptr(GString) text = g_string_new (firefox_offer);

  g_string_replace (text, "\r\n", "\n", 0);
  g_assert_null (strchr (text->str, '\r'));
  lf = parse_ok (text->str);
  assert_sdp_equal (crlf, lf);

  /* Mixed, and without a final newline. */
  g_string_replace (text, "s=-\n", "s=-\r\n", 1);
  g_string_truncate (text, text->len - 1);
  g_clear_pointer (&lf, ferry_sdp_free);
  lf = parse_ok (text->str);
  assert_sdp_equal (crlf, lf);
}

static void
test_unknown_ignored (void)
{
  static const char text[] =
    "v=0\r\n"
    "o=someone with spaces\r\n"
    "s=Ferry test\r\n"
    "i=an information line\r\n"
    "u=https://example.org/\r\n"
    "e=nobody@example.org\r\n"
    "b=AS:30\r\n"
    "t=0 0\r\n"
    "r=7d 1h 0 25h\r\n"
    "z=2882844526 -1h\r\n"
    "x=not a known type\r\n"
    "a=\r\n"
    "a=:\r\n"
    "a=x-vendor-thing\r\n"
    "a=msid-semantic:WMS *\r\n"
    "a=max-message-size:1\r\n" /* session level: not where it counts */
    "\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "b=AS:30\r\n"
    "a=sendrecv\r\n"
    "a=sctp-init:xyz\r\n"
    "a=ice-options:ice2 trickle\r\n"
    "a=rtcp-mux\r\n"
    "a=x-weird:\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
    "a=fingerprint:sha-256 75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5\r\n";
  g_autoptr(FerrySdp) sdp = parse_ok (text);

  g_assert_cmpuint (sdp->session_id, ==, 0);
  g_assert_true (sdp->ice_trickle);
  g_assert_false (sdp->has_max_message_size);
  g_assert_cmpuint (sdp->sctp_port, ==, 5000);
  assert_reparses (sdp);
}

static void
test_copy_and_types (void)
{
  g_autoptr(FerrySdp) sdp = parse_ok (chromium_av_offer);
  g_autoptr(FerrySdp) copy = ferry_sdp_copy (sdp);
  g_autoptr(FerrySdp) boxed = g_boxed_copy (FERRY_TYPE_SDP, sdp);
  FerrySdpType type;

  assert_sdp_equal (sdp, copy);
  assert_sdp_equal (sdp, boxed);

  g_assert_true (ferry_sdp_type_from_string ("offer", &type));
  g_assert_cmpint (type, ==, FERRY_SDP_TYPE_OFFER);
  g_assert_true (ferry_sdp_type_from_string ("answer", &type));
  g_assert_cmpint (type, ==, FERRY_SDP_TYPE_ANSWER);
  g_assert_false (ferry_sdp_type_from_string ("pranswer", &type));
  g_assert_false (ferry_sdp_type_from_string (NULL, &type));
  g_assert_cmpstr (ferry_sdp_type_to_string (FERRY_SDP_TYPE_OFFER), ==, "offer");
  g_assert_cmpstr (ferry_sdp_type_to_string (FERRY_SDP_TYPE_ANSWER), ==, "answer");
}

static void
test_max_message_size_rules (void)
{
  g_autoptr(FerrySdp) sdp = ferry_sdp_new ();

  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, FERRY_SDP_DEFAULT_MAX_MESSAGE_SIZE);
  g_assert_cmpuint (FERRY_SDP_DEFAULT_MAX_MESSAGE_SIZE, ==, 65536);
  sdp->has_max_message_size = TRUE;
  sdp->max_message_size = 0;
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, G_MAXUINT64);
  sdp->max_message_size = 65537;
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, 65537);
  sdp->max_message_size = G_MAXUINT64 - 1;
  g_assert_cmpuint (ferry_sdp_get_remote_max_message_size (sdp), ==, G_MAXUINT64 - 1);
}

/* Malformed input */

/* A minimal valid description; the malformed cases replace one of its lines. */
static const char * const base_lines[] = {
  "v=0",                                                     /* 1 */
  "o=- 1 2 IN IP4 127.0.0.1",                                /* 2 */
  "s=-",                                                     /* 3 */
  "t=0 0",                                                   /* 4 */
  "a=group:BUNDLE 0",                                        /* 5 */
  "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",        /* 6 */
  "c=IN IP4 0.0.0.0",                                        /* 7 */
  "a=ice-ufrag:abcd",                                        /* 8 */
  "a=ice-pwd:abcdefghijklmnopqrstuv",                        /* 9 */
  "a=fingerprint:sha-256 75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5", /* 10 */
  "a=setup:actpass",                                         /* 11 */
  "a=mid:0",                                                 /* 12 */
  "a=sctp-port:5000",                                        /* 13 */
  "a=max-message-size:262144",                               /* 14 */
  "a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host",  /* 15 */
  NULL,
};

/* base_lines with line @lineno (1-based) replaced by @replacement, or removed if it is %NULL. */
static char *
base_with (guint       lineno,
           const char *replacement)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; base_lines[i] != NULL; i++)
    {
      const char *line = i + 1 == lineno ? replacement : base_lines[i];

      if (line != NULL)
        g_string_append_printf (text, "%s\r\n", line);
    }
  return g_string_free (text, FALSE);
}

static void
assert_fails (const char *text,
              gssize      len,
              int         code,
              guint       lineno)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FerrySdp) sdp = ferry_sdp_parse (text, len, &error);

  g_assert_null (sdp);
  g_assert_error (error, FERRY_SDP_ERROR, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  /* Quoted lines are cut short: a hostile line does not make a huge message. */
  g_assert_cmpuint (strlen (error->message), <, 512);
  if (lineno > 0)
    {
      g_autofree char *where = g_strdup_printf ("line %u ", lineno);

      if (strstr (error->message, where) == NULL)
        g_error ("“%s” does not name line %u", error->message, lineno);
    }
  else
    g_assert_null (strstr (error->message, "line "));
}

static void
test_base_is_valid (void)
{
  g_autofree char *text = base_with (0, NULL);
  g_autoptr(FerrySdp) sdp = parse_ok (text);

  g_assert_cmpuint (sdp->candidates->len, ==, 1);
}

static void
test_malformed_lines (void)
{
  static const struct {
    guint       lineno;
    const char *replacement;
    int         code;
  } cases[] = {
    { 1, "v=1", FERRY_SDP_ERROR_MALFORMED },
    { 1, "v=0 ", FERRY_SDP_ERROR_MALFORMED },
    { 1, "o=- 1 2 IN IP4 127.0.0.1", FERRY_SDP_ERROR_MALFORMED },  /* no v=0 at all */
    { 7, "garbage without an equals sign", FERRY_SDP_ERROR_MALFORMED },
    { 7, "c", FERRY_SDP_ERROR_MALFORMED },
    { 7, "=IN IP4 0.0.0.0", FERRY_SDP_ERROR_MALFORMED },
    { 7, "1=IN IP4 0.0.0.0", FERRY_SDP_ERROR_MALFORMED },
    { 7, " c=IN IP4 0.0.0.0", FERRY_SDP_ERROR_MALFORMED },
    { 6, "m=application 9 UDP/DTLS/SCTP", FERRY_SDP_ERROR_MALFORMED },
    { 6, "m=application", FERRY_SDP_ERROR_MALFORMED },
    { 6, "m=", FERRY_SDP_ERROR_MALFORMED },
    { 6, "m=application nine UDP/DTLS/SCTP webrtc-datachannel", FERRY_SDP_ERROR_MALFORMED },
    { 6, "m=application -9 UDP/DTLS/SCTP webrtc-datachannel", FERRY_SDP_ERROR_MALFORMED },
    { 6, "m=application 65536 UDP/DTLS/SCTP webrtc-datachannel", FERRY_SDP_ERROR_MALFORMED },
    { 6, "m=application 9/2 UDP/DTLS/SCTP webrtc-datachannel", FERRY_SDP_ERROR_MALFORMED },
    { 6, "m=application 9 UDP/DTLS/SCTP bfcp", FERRY_SDP_ERROR_UNSUPPORTED },
    { 6, "m=application 9 DTLS/SCTP webrtc-datachannel", FERRY_SDP_ERROR_MALFORMED },
    { 6, "m=application 9 DTLS/SCTP 0", FERRY_SDP_ERROR_MALFORMED },
    { 6, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel", FERRY_SDP_ERROR_UNSUPPORTED },
    { 13, "a=sctp-port:abc", FERRY_SDP_ERROR_MALFORMED },
    { 13, "a=sctp-port:0", FERRY_SDP_ERROR_MALFORMED },
    { 13, "a=sctp-port:70000", FERRY_SDP_ERROR_MALFORMED },
    { 13, "a=sctp-port:", FERRY_SDP_ERROR_MALFORMED },
    { 13, "a=sctp-port:-5000", FERRY_SDP_ERROR_MALFORMED },
    { 13, "a=sctp-port: 5000", FERRY_SDP_ERROR_MALFORMED },
    { 13, "a=sctpmap:5000 webrtc-data 1024", FERRY_SDP_ERROR_MALFORMED },
    { 13, "a=sctpmap:x webrtc-datachannel 1024", FERRY_SDP_ERROR_MALFORMED },
    { 10, "a=fingerprint:sha-256 ZZ:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5", FERRY_SDP_ERROR_MALFORMED },
    { 10, "a=fingerprint:sha-256 75-A0-56-EE-FB-28-E8-DD-60-23-64-48-25-36-F7-51-59-0B-CD-06-90-CE-47-A0-8E-D5-6A-64-0E-BD-47-B5", FERRY_SDP_ERROR_MALFORMED },
    { 10, "a=fingerprint:sha-256 75A056EEFB28E8DD6023644825 36F751590BCD0690CE47A08ED56A640EBD47B5", FERRY_SDP_ERROR_MALFORMED },
    { 10, "a=fingerprint:sha-256 A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5", FERRY_SDP_ERROR_MALFORMED },
    { 10, "a=fingerprint:sha-256 75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5:00", FERRY_SDP_ERROR_MALFORMED },
    { 10, "a=fingerprint:sha-256 75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5:", FERRY_SDP_ERROR_MALFORMED },
    { 10, "a=fingerprint:sha-256", FERRY_SDP_ERROR_MALFORMED },
    { 10, "a=fingerprint:sha-256 ", FERRY_SDP_ERROR_MALFORMED },
    { 10, "a=fingerprint:sha-256 7", FERRY_SDP_ERROR_MALFORMED },
    { 11, "a=setup:holdconn", FERRY_SDP_ERROR_UNSUPPORTED },
    { 11, "a=setup:", FERRY_SDP_ERROR_UNSUPPORTED },
    { 11, "a=setup:ACTPASS", FERRY_SDP_ERROR_UNSUPPORTED },
    { 8, "a=ice-ufrag:ab-cd", FERRY_SDP_ERROR_MALFORMED },
    { 8, "a=ice-ufrag:ab cd", FERRY_SDP_ERROR_MALFORMED },
    { 8, "a=ice-ufrag:", FERRY_SDP_ERROR_MALFORMED },
    { 8, "a=ice-ufrag:\xc3\xa9t\xc3\xa9", FERRY_SDP_ERROR_MALFORMED },
    { 9, "a=ice-pwd:abcdefghijklmnopqrstuv=", FERRY_SDP_ERROR_MALFORMED },
    { 12, "a=mid:", FERRY_SDP_ERROR_MALFORMED },
    { 12, "a=mid:0123456789012345678901234567890123456789", FERRY_SDP_ERROR_MALFORMED },
    { 15, "a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ", FERRY_SDP_ERROR_MALFORMED },
    { 15, "a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ ", FERRY_SDP_ERROR_MALFORMED },
    { 15, "a=candidate:", FERRY_SDP_ERROR_MALFORMED },
    { 15, "a=candidate", FERRY_SDP_ERROR_MALFORMED },
    { 14, "a=max-message-size:-1", FERRY_SDP_ERROR_MALFORMED },
    { 14, "a=max-message-size:", FERRY_SDP_ERROR_MALFORMED },
    { 14, "a=max-message-size:64k", FERRY_SDP_ERROR_MALFORMED },
    { 14, "a=max-message-size:18446744073709551616", FERRY_SDP_ERROR_MALFORMED },
    { 14, "a=max-message-size:0x10000", FERRY_SDP_ERROR_MALFORMED },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = base_with (cases[i].lineno, cases[i].replacement);

      g_test_message ("case %u: %s", i, cases[i].replacement);
      assert_fails (text, -1, cases[i].code, cases[i].lineno);
    }
}

static void
test_malformed_line_numbers (void)
{
  /* Blank lines count, and LF-only input numbers lines the same way. */
  g_autofree char *text = base_with (13, "a=sctp-port:abc");
  g_autoptr(GString) lf = g_string_new (text);
  g_autoptr(GString) blank = g_string_new ("v=0\r\n\r\n\n");

  g_string_replace (lf, "\r\n", "\n", 0);
  assert_fails (lf->str, -1, FERRY_SDP_ERROR_MALFORMED, 13);

  g_string_append (blank, text + strlen ("v=0\r\n"));
  assert_fails (blank->str, -1, FERRY_SDP_ERROR_MALFORMED, 15);

  /* A line that only exists in a rejected section is still checked if it is a line error. */
  assert_fails ("v=0\r\nm=audio 9 RTP/AVP 0\r\nbroken\r\n", -1, FERRY_SDP_ERROR_MALFORMED, 3);
}

static void
test_malformed_descriptions (void)
{
  g_autofree char *no_data = NULL;
  g_autofree char *no_ufrag = base_with (8, NULL);
  g_autofree char *no_pwd = base_with (9, NULL);
  g_autofree char *no_fingerprint = base_with (10, NULL);
  g_autofree char *sha1_only = base_with (10, "a=fingerprint:sha-1 AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01");
  g_autofree char *base = base_with (0, NULL);
  g_autofree char *too_long = NULL;
  g_autofree char *with_nul = NULL;
  g_autofree char *bad_utf8 = NULL;
  g_autofree char *leading_blank = g_strconcat ("\r\n", base, NULL);
  GString *padding;

  /* Only an audio section. */
  no_data = g_strdup ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
                      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
                      "a=fingerprint:sha-256 75:A0:56:EE:FB:28:E8:DD:60:23:64:48:25:36:F7:51:59:0B:CD:06:90:CE:47:A0:8E:D5:6A:64:0E:BD:47:B5\r\n"
                      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n");
  assert_fails (no_data, -1, FERRY_SDP_ERROR_UNSUPPORTED, 0);
  assert_fails ("v=0\r\n", -1, FERRY_SDP_ERROR_UNSUPPORTED, 0);
  assert_fails ("v=0", -1, FERRY_SDP_ERROR_UNSUPPORTED, 0);
  /* The data section rejected by its sender. */
  {
    g_autofree char *port0 = base_with (6, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel");
    assert_fails (port0, -1, FERRY_SDP_ERROR_UNSUPPORTED, 6);
  }

  assert_fails (no_ufrag, -1, FERRY_SDP_ERROR_MISSING, 0);
  assert_fails (no_pwd, -1, FERRY_SDP_ERROR_MISSING, 0);
  assert_fails (no_fingerprint, -1, FERRY_SDP_ERROR_MISSING, 0);
  assert_fails (sha1_only, -1, FERRY_SDP_ERROR_MISSING, 0);

  /* Empty, or something before v=0. */
  assert_fails ("", 0, FERRY_SDP_ERROR_MALFORMED, 0);
  assert_fails ("\n\r\n", -1, FERRY_SDP_ERROR_MALFORMED, 0);
  assert_fails (leading_blank, -1, FERRY_SDP_ERROR_MALFORMED, 0);

  /* Over 64 KiB, even if the rest is fine: refused before looking at it. */
  padding = g_string_new (base);
  while (padding->len <= FERRY_SDP_MAX_LENGTH)
    g_string_append (padding, "a=x-padding:0123456789012345678901234567890123456789\r\n");
  too_long = g_string_free (padding, FALSE);
  assert_fails (too_long, -1, FERRY_SDP_ERROR_MALFORMED, 0);
  /* Exactly 64 KiB is still accepted. */
  {
    GString *exact = g_string_new (base);
    g_autofree char *exact_text = NULL;
    g_autoptr(FerrySdp) sdp = NULL;
    g_autoptr(GError) error = NULL;

    while (exact->len + 64 < FERRY_SDP_MAX_LENGTH)
      g_string_append (exact, "a=x-padding:0123456789012345678901234567890123456789\r\n");
    g_string_append (exact, "a=x:");
    while (exact->len + 2 < FERRY_SDP_MAX_LENGTH)
      g_string_append_c (exact, 'x');
    g_string_append (exact, "\r\n");
    g_assert_cmpuint (exact->len, ==, FERRY_SDP_MAX_LENGTH);
    exact_text = g_string_free (exact, FALSE);
    sdp = ferry_sdp_parse (exact_text, FERRY_SDP_MAX_LENGTH, &error);
    g_assert_no_error (error);
    g_assert_nonnull (sdp);
  }

  /* An embedded NUL, with an explicit length. */
  with_nul = g_strdup (base);
  with_nul[20] = '\0';
  assert_fails (with_nul, strlen (base), FERRY_SDP_ERROR_MALFORMED, 0);
  /* Including a NUL terminator in the length is an error too. */
  assert_fails (base, strlen (base) + 1, FERRY_SDP_ERROR_MALFORMED, 0);

  /* Invalid UTF-8: a lone continuation byte, an overlong form, a truncated sequence. */
  bad_utf8 = base_with (3, "s=\x80");
  assert_fails (bad_utf8, -1, FERRY_SDP_ERROR_MALFORMED, 0);
  g_free (bad_utf8);
  bad_utf8 = base_with (3, "s=\xc0\xaf");
  assert_fails (bad_utf8, -1, FERRY_SDP_ERROR_MALFORMED, 0);
  g_free (bad_utf8);
  bad_utf8 = g_strconcat (base, "a=x:\xe2\x82", NULL);
  assert_fails (bad_utf8, -1, FERRY_SDP_ERROR_MALFORMED, 0);
}

/* Hostile input */

static void
test_many_candidates (void)
{
  g_autofree char *base = base_with (0, NULL);
  GString *text = g_string_new (base);
  g_autoptr(GError) error = NULL;
  g_autoptr(FerrySdp) sdp = NULL;
  guint n = 0;
  char *full;

  /* As many short candidates as fit in 64 KiB (about 1,800): only the first 64 are kept. */
  while (text->len < FERRY_SDP_MAX_LENGTH - 64)
    g_string_append_printf (text, "a=candidate:%u 1 u %u a 9 typ h\r\n", n, n), n++;
  g_assert_cmpuint (n, >, 1000);
  sdp = ferry_sdp_parse (text->str, text->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sdp->candidates->len, ==, FERRY_SDP_MAX_CANDIDATES);
  /* The base candidate first, then the others in order. */
  g_assert_cmpstr (g_ptr_array_index (sdp->candidates, 1), ==, "candidate:0 1 u 0 a 9 typ h");
  g_assert_cmpstr (g_ptr_array_index (sdp->candidates, 63), ==, "candidate:62 1 u 62 a 9 typ h");
  assert_reparses (sdp);
  g_clear_pointer (&sdp, ferry_sdp_free);

  /* 10,000 real-looking candidates are far beyond 64 KiB: refused as a whole. */
  g_string_assign (text, base);
  for (guint i = 0; i < 10000; i++)
    g_string_append_printf (text, "a=candidate:%u 1 udp 2122194687 192.0.2.%u %u typ host generation 0 network-id 1\r\n",
                            i, i % 256, 1024 + i);
  full = g_string_free (text, FALSE);
  assert_fails (full, -1, FERRY_SDP_ERROR_MALFORMED, 0);
  g_free (full);
}

static void
test_long_line (void)
{
  g_autofree char *base = base_with (0, NULL);
  g_autofree char *filler = g_strnfill (60 * 1024, 'A');
  g_autofree char *unknown = g_strdup_printf ("%sa=x-long:%s\r\n", base, filler);
  g_autofree char *candidate = g_strdup_printf ("%sa=candidate:1 1 udp 1 %s 9 typ host\r\n", base, filler);
  g_autofree char *ufrag_line = g_strdup_printf ("a=ice-ufrag:%s", filler);
  g_autofree char *bad_ufrag = base_with (8, ufrag_line);
  g_autofree char *fp_line = g_strdup_printf ("a=fingerprint:sha-256 %s", filler);
  g_autofree char *bad_fp = base_with (10, fp_line);
  g_autofree char *garbage = g_strdup_printf ("%s%s\r\n", base, filler);
  g_autoptr(FerrySdp) a = parse_ok (unknown);
  g_autoptr(FerrySdp) b = parse_ok (candidate);

  /* An unknown attribute of 60 KiB is skipped; a candidate that long is kept as it is. */
  g_assert_cmpuint (a->candidates->len, ==, 1);
  g_assert_cmpuint (b->candidates->len, ==, 2);
  g_assert_cmpuint (strlen (g_ptr_array_index (b->candidates, 1)), >, 60 * 1024);

  /* Errors quote at most the start of the line. */
  assert_fails (bad_ufrag, -1, FERRY_SDP_ERROR_MALFORMED, 8);
  assert_fails (bad_fp, -1, FERRY_SDP_ERROR_MALFORMED, 10);
  assert_fails (garbage, -1, FERRY_SDP_ERROR_MALFORMED, 16);
}

static void
test_many_media (void)
{
  g_autofree char *base = base_with (0, NULL);
  GString *before = g_string_new ("v=0\r\n");
  GString *after = g_string_new (base);
  g_autoptr(FerrySdp) sdp = NULL;
  g_autoptr(FerrySdp) sdp2 = NULL;
  g_autofree char *out = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text2 = NULL;
  guint n = 0;

  /* Thousands of m-lines after the data section. */
  while (after->len < FERRY_SDP_MAX_LENGTH - 32)
    g_string_append (after, "m=audio 9 RTP/AVP 0\r\n"), n++;
  text = g_string_free (after, FALSE);
  sdp = parse_ok (text);
  g_assert_cmpuint (sdp->data_index, ==, 0);
  g_assert_cmpuint (sdp->rejected_media->len, ==, n);
  out = ferry_sdp_to_string (sdp);
  g_assert_nonnull (out);
  g_assert_true (g_str_has_suffix (out, "m=audio 0 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n"));

  /* And before it, with the data section last. */
  n = 0;
  while (before->len < FERRY_SDP_MAX_LENGTH - strlen (base) - 32)
    g_string_append (before, "m=video 9 RTP/AVP 96\r\na=mid:v\r\n"), n++;
  g_string_append (before, base + strlen ("v=0\r\n"));
  text2 = g_string_free (before, FALSE);
  sdp2 = parse_ok (text2);
  g_assert_cmpuint (sdp2->data_index, ==, n);
  g_assert_cmpuint (sdp2->rejected_media->len, ==, n);
  g_assert_cmpstr (sdp2->ice_ufrag, ==, "abcd");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sdp/real/chromium-offer", test_chromium_offer);
  g_test_add_func ("/sdp/real/chromium-answer", test_chromium_answer);
  g_test_add_func ("/sdp/real/firefox-offer", test_firefox_offer);
  g_test_add_func ("/sdp/real/firefox-answer", test_firefox_answer);
  g_test_add_func ("/sdp/real/libwebrtc-offer", test_libwebrtc_offer);
  g_test_add_func ("/sdp/real/legacy-offer", test_legacy_offer);
  g_test_add_func ("/sdp/real/ice-lite", test_ice_lite);
  g_test_add_func ("/sdp/real/session-level", test_session_level);
  g_test_add_func ("/sdp/real/audio-video-rejected", test_audio_video_rejected);
  g_test_add_func ("/sdp/legacy-port-forms", test_legacy_port_forms);
  g_test_add_func ("/sdp/media-level-wins", test_media_level_wins);
  g_test_add_func ("/sdp/data-between-media", test_data_between_media);
  g_test_add_func ("/sdp/round-trip", test_round_trip);
  g_test_add_func ("/sdp/lf-only", test_lf_only);
  g_test_add_func ("/sdp/unknown-ignored", test_unknown_ignored);
  g_test_add_func ("/sdp/copy-and-types", test_copy_and_types);
  g_test_add_func ("/sdp/max-message-size-rules", test_max_message_size_rules);
  g_test_add_func ("/sdp/malformed/base-is-valid", test_base_is_valid);
  g_test_add_func ("/sdp/malformed/lines", test_malformed_lines);
  g_test_add_func ("/sdp/malformed/line-numbers", test_malformed_line_numbers);
  g_test_add_func ("/sdp/malformed/descriptions", test_malformed_descriptions);
  g_test_add_func ("/sdp/hostile/many-candidates", test_many_candidates);
  g_test_add_func ("/sdp/hostile/long-line", test_long_line);
  g_test_add_func ("/sdp/hostile/many-media", test_many_media);

  return g_test_run ();
}
