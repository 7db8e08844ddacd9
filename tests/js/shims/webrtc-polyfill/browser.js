// Browser: the page's own WebRTC implementation.
const scope = globalThis

export const RTCPeerConnection = scope.RTCPeerConnection
export const RTCSessionDescription = scope.RTCSessionDescription
export const RTCIceCandidate = scope.RTCIceCandidate
export const RTCDataChannel = scope.RTCDataChannel
export const RTCPeerConnectionIceEvent = scope.RTCPeerConnectionIceEvent
export const RTCDataChannelEvent = scope.RTCDataChannelEvent
export const MediaStream = scope.MediaStream
export const MediaStreamTrack = scope.MediaStreamTrack
export default { RTCPeerConnection, RTCSessionDescription, RTCIceCandidate, RTCDataChannel }
