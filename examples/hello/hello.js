// The README example guest: answers `<greeting>, visitor #<n>` where the greeting comes from
// wasi:config (`greeting`, default "hello") and n from an atomic counter in the `visits`
// bucket; logs each request with the MODE environment variable.
import { getEnvironment } from 'wasi:cli/environment@0.2.10';
import { get } from 'wasi:config/store@0.2.0-rc.1';
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.10';
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft';
import { open } from 'wasi:keyvalue/store@0.2.0-draft';
import { log } from 'wasi:logging/logging@0.1.0-draft';

const encoder = new TextEncoder();

function send(responseOut, status, message) {
  const headers = Fields.fromList([['content-type', encoder.encode('text/plain; charset=utf-8')]]);
  const response = new OutgoingResponse(headers);
  response.setStatusCode(status);
  const body = response.body();
  ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
  const stream = body.write();
  stream.blockingWriteAndFlush(encoder.encode(message));
  stream[Symbol.dispose]();
  OutgoingBody.finish(body, undefined);
}

function visit() {
  const bucket = open('visits');
  try {
    return increment(bucket, 'count', 1n);
  } finally {
    bucket[Symbol.dispose]();
  }
}

export const incomingHandler = {
  handle(request, responseOut) {
    const path = request.pathWithQuery() ?? '/';
    request[Symbol.dispose]();
    const mode = getEnvironment().find(([key]) => key === 'MODE')?.[1] ?? 'unset';
    try {
      const greeting = get('greeting') ?? 'hello';
      const n = visit();
      log('info', 'hello', `visitor #${n} on ${path} (mode ${mode})`);
      send(responseOut, 200, `${greeting}, visitor #${n}`);
    } catch (e) {
      const error = e?.payload?.tag ?? String(e?.payload ?? e);
      log('error', 'hello', `request on ${path} failed: ${error} (mode ${mode})`);
      send(responseOut, 500, `error: ${error}`);
    }
  },
};
