/**
 * The message protocol between the host's main thread and its workload threads, and the
 * only code both sides import: `messages.ts` (opening and closing component contexts,
 * calls and their results) and `bridge.ts` (a guest's plugin calls, on each context's own
 * channel). Types and constants only; nothing here runs on its own.
 */
export { HANDLE_KEY, type HandleRef, type InterfaceShape, type RpcCall, type RpcReply } from './bridge.js';
export type {
  CallMessage,
  ComponentProgram,
  FromWorker,
  HttpRequestData,
  HttpResponseData,
  ToWorker,
} from './messages.js';
