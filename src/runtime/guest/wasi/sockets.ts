/**
 * `wasi:sockets/*` with every operation denied. Each interface exists so components that
 * import sockets (componentize-js guests always do) instantiate; creating a socket or
 * resolving a name fails with the WIT error `access-denied`, never a trap.
 */
import { pollable } from '../../shared/shim.js';

const denied = (): never => {
  throw 'access-denied';
};
const unsupported = (): never => {
  throw 'not-supported';
};

/** Network is the `wasi:sockets/network` resource; it grants nothing. */
class Network {}

/** ResolveAddressStream is never handed out: resolving a name is denied. */
class ResolveAddressStream {
  resolveNextAddress = unsupported;
  subscribe = () => pollable();
}

/** TcpSocket is never handed out: creating a TCP socket is denied. */
class TcpSocket {
  startBind = denied;
  finishBind = unsupported;
  startConnect = denied;
  finishConnect = unsupported;
  startListen = denied;
  finishListen = unsupported;
  accept = unsupported;
  localAddress = unsupported;
  remoteAddress = unsupported;
  isListening = () => false;
  addressFamily = () => 'ipv4';
  setListenBacklogSize = unsupported;
  keepAliveEnabled = unsupported;
  setKeepAliveEnabled = unsupported;
  keepAliveIdleTime = unsupported;
  setKeepAliveIdleTime = unsupported;
  keepAliveInterval = unsupported;
  setKeepAliveInterval = unsupported;
  keepAliveCount = unsupported;
  setKeepAliveCount = unsupported;
  hopLimit = unsupported;
  setHopLimit = unsupported;
  receiveBufferSize = unsupported;
  setReceiveBufferSize = unsupported;
  sendBufferSize = unsupported;
  setSendBufferSize = unsupported;
  subscribe = () => pollable();
  shutdown = unsupported;
}

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

/** createSockets builds the denied `wasi:sockets/*` imports of one workload. */
export function createSockets(): Record<string, Record<string, unknown>> {
  return {
    'wasi:sockets/instance-network': { instanceNetwork: () => new Network() },
    'wasi:sockets/network': { Network, networkErrorCode: () => undefined },
    'wasi:sockets/ip-name-lookup': { resolveAddresses: denied, ResolveAddressStream },
    'wasi:sockets/tcp-create-socket': { createTcpSocket: denied },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/udp-create-socket': { createUdpSocket: denied },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
  };
}
