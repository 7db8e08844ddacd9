// Node: the same names webrtc-polyfill exports, backed by libwebrtc (@roamhq/wrtc).
import wrtc from '@roamhq/wrtc'

export const {
  RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, RTCDataChannel,
  RTCPeerConnectionIceEvent, RTCDataChannelEvent, MediaStream, MediaStreamTrack,
} = wrtc
export default wrtc
