/**
 * Reading Object Store objects with bounds nats.js does not give: a deadline that also stops
 * the chunk consumer, and a size cap.
 */
import type { ObjectResult } from '@nats-io/obj';

/** ReadObjectOptions bound readObject. */
export interface ReadObjectOptions {
  /** timeoutMs bounds reading every chunk. */
  readonly timeoutMs: number;
  /** maxBytes bounds the bytes read, whatever the object's info says. */
  readonly maxBytes: number;
}

/**
 * readObject reads a whole Object Store object within a deadline and a size bound, and stops
 * its consumer when it gives up. nats.js reads chunks with a consumer that waits for ever for
 * chunks that are gone (purged by a replacement after the info was read, or never written by
 * whoever planted the info), so reading must be cancelled at a deadline. nats.js checks the
 * object's digest once all of it has been read (`result.error`).
 */
export async function readObject(result: ObjectResult, options: ReadObjectOptions): Promise<Uint8Array> {
  const { timeoutMs, maxBytes } = options;
  const reader = result.data.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`reading object ${result.info.name} took over ${timeoutMs} ms`)), timeoutMs);
  });
  const read = async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) throw new Error(`object ${result.info.name} is larger than ${maxBytes} bytes`);
      chunks.push(value);
    }
    const err = await result.error;
    if (err) throw err;
  };
  try {
    await Promise.race([read(), deadline]);
  } catch (err) {
    await reader.cancel().catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
