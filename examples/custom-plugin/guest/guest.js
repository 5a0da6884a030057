// The custom-plugin example guest: GET /?flag=NAME answers "on" or "off" from the host's
// example:toggles capability, 404 for an unknown flag; GET /list lists the flags.
import { enabled, names } from 'example:toggles/toggles@0.1.0';
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@0.2.10';

const encoder = new TextEncoder();

function send(responseOut, status, text) {
  const response = new OutgoingResponse(Fields.fromList([['content-type', encoder.encode('text/plain')]]));
  response.setStatusCode(status);
  const body = response.body();
  ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
  const stream = body.write();
  stream.blockingWriteAndFlush(encoder.encode(text));
  stream[Symbol.dispose]();
  OutgoingBody.finish(body, undefined);
}

export const incomingHandler = {
  handle(request, responseOut) {
    const path = request.pathWithQuery() ?? '/';
    request[Symbol.dispose]();
    if (path === '/list') {
      send(responseOut, 200, names().join(','));
      return;
    }
    const name = new URLSearchParams(path.split('?')[1] ?? '').get('flag') ?? '';
    try {
      send(responseOut, 200, enabled(name) ? 'on' : 'off');
    } catch (err) {
      // A WIT error value arrives as a ComponentError whose payload is the variant.
      const payload = err?.payload ?? err;
      send(responseOut, 404, `unknown flag ${payload?.val ?? name}`);
    }
  },
};
