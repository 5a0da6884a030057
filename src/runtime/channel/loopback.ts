/**
 * The messages of a workload's virtual loopback. Each component context has a channel to
 * its workload's hub in the main thread (`LoopbackRequest` up, `LoopbackReply` down); a
 * connection between two contexts is a MessagePort pair the hub hands to both ends, which
 * then talk directly (`ConnMessage`), thread to thread, with byte credits for flow control.
 */
import type { MessagePort } from 'node:worker_threads';

/** LoopbackRequest is what a context asks its workload's hub (UDP datagrams go through the hub). */
export type LoopbackRequest =
  | { t: 'listen'; id: number; port: number }
  | { t: 'unlisten'; port: number }
  | { t: 'connect'; id: number; port: number }
  | { t: 'udp-bind'; id: number; port: number }
  | { t: 'udp-unbind'; port: number }
  | { t: 'udp-send'; from: number; to: number; data: Uint8Array };

/** LoopbackReply is what the hub answers or delivers. */
export type LoopbackReply =
  | { t: 'listening'; id: number; port: number }
  | { t: 'refused'; id: number; code: string }
  | { t: 'connected'; id: number; conn: MessagePort }
  | { t: 'accept'; port: number; conn: MessagePort }
  | { t: 'udp-bound'; id: number; port: number }
  | { t: 'udp-recv'; port: number; from: number; data: Uint8Array };

/** ConnMessage flows between the two ends of a loopback connection. */
export type ConnMessage =
  | { t: 'data'; bytes: Uint8Array }
  /** ack: the peer took `n` more bytes into its buffer (the sender may send that much more). */
  | { t: 'ack'; n: number }
  | { t: 'end' }
  | { t: 'close' };
