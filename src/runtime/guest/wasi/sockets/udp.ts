/**
 * `wasi:sockets/udp` with every operation denied: the interfaces exist so components that
 * import them instantiate; creating a UDP socket fails with the WIT error `access-denied`,
 * never a trap. UDP (egress and virtual loopback) is not implemented yet.
 */
import { pollable } from '../../../shared/shim.js';

const denied = (): never => {
  throw 'access-denied';
};
const unsupported = (): never => {
  throw 'not-supported';
};

/** UdpSocket is never handed out: creating a UDP socket is denied. */
class UdpSocket {
  startBind = denied;
  finishBind = unsupported;
  stream = unsupported;
  localAddress = unsupported;
  remoteAddress = unsupported;
  addressFamily = () => 'ipv4';
  unicastHopLimit = unsupported;
  setUnicastHopLimit = unsupported;
  receiveBufferSize = unsupported;
  setReceiveBufferSize = unsupported;
  sendBufferSize = unsupported;
  setSendBufferSize = unsupported;
  subscribe = () => pollable();
}

/** IncomingDatagramStream is never handed out. */
class IncomingDatagramStream {
  receive = unsupported;
  subscribe = () => pollable();
}

/** OutgoingDatagramStream is never handed out. */
class OutgoingDatagramStream {
  checkSend = unsupported;
  send = unsupported;
  subscribe = () => pollable();
}

/** udpImports are the denied `wasi:sockets/udp*` interfaces. */
export function udpImports(): Record<string, Record<string, unknown>> {
  return {
    'wasi:sockets/udp-create-socket': { createUdpSocket: denied },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
  };
}
