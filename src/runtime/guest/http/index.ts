/**
 * Skiff's own `wasi:http/types` (0.2.0–0.2.x): lean resource classes over buffered
 * request and response data, with no Web Request/Response objects on the serve path.
 */
import { IncomingBody, FutureTrailers, OutgoingBody } from './body.js';
import { FutureIncomingResponse, IncomingResponse, OutgoingRequest, RequestOptions, schemeOf, send } from './client.js';
import { httpErrorCode } from './errors.js';
import { Fields } from './fields.js';
import { IncomingRequest, OutgoingResponse, ResponseOutparam, serve } from './serve.js';

export type { ErrorCode } from './errors.js';
export type { IncomingHandler, Method, Scheme } from './serve.js';
export {
  Fields,
  FutureIncomingResponse,
  FutureTrailers,
  IncomingBody,
  IncomingRequest,
  IncomingResponse,
  OutgoingBody,
  OutgoingRequest,
  OutgoingResponse,
  RequestOptions,
  ResponseOutparam,
  schemeOf,
  send,
  serve,
};

/** types is the `wasi:http/types` import fragment: jco calls these classes and functions. */
export const types: Record<string, unknown> = {
  Fields,
  FutureIncomingResponse,
  FutureTrailers,
  IncomingBody,
  IncomingRequest,
  IncomingResponse,
  OutgoingBody,
  OutgoingRequest,
  OutgoingResponse,
  RequestOptions,
  ResponseOutparam,
  httpErrorCode,
};
