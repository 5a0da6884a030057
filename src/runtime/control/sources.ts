/**
 * Turning what a start request brought into what the host uses: sources inline (base64) or
 * sealed in the NATS Object Store (fetched and opened here), and pull credentials by
 * component. Nothing here logs a value.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { type PullCredential, type Source, sourceDataSchema } from '../../api/index.js';
import { getSealed, SourceStoreError } from '../../nats/sources.js';
import type { PullCredentials } from '../engine/source.js';
import { ConfigSources } from '../sources.js';

/** decodeBase64 decodes into memory of its own: small `Buffer.from` decodes share a pooled slab that a wipe would miss. */
function decodeBase64(text: string): Uint8Array {
  const out = Buffer.alloc(Buffer.byteLength(text, 'base64'));
  const length = out.write(text, 'base64');
  return new Uint8Array(out.buffer, out.byteOffset, length);
}

function decodeData(data: z.infer<typeof sourceDataSchema>): Map<string, Uint8Array> {
  return new Map(Object.entries(data).map(([k, v]) => [k, decodeBase64(v)]));
}

const storedDataSchema = z.object({ data: sourceDataSchema });

async function fetchStored(nc: NatsConnection, source: Source): Promise<Map<string, Uint8Array>> {
  const plain = await getSealed(nc, source.stored!);
  let parsed: z.infer<typeof storedDataSchema>;
  try {
    parsed = storedDataSchema.parse(JSON.parse(Buffer.from(plain).toString('utf8')));
  } catch {
    throw new SourceStoreError(`${source.kind} ${source.name}: the stored contents are malformed`);
  } finally {
    plain.fill(0); // the decrypted JSON; its decoded values are copied out below
  }
  return decodeData(parsed.data);
}

/** receiveSources decodes a start's sources (fetching the stored ones), or undefined when it brought none. */
export async function receiveSources(
  nc: NatsConnection,
  sources: readonly Source[] | undefined,
): Promise<ConfigSources | undefined> {
  if (!sources) return undefined;
  const out = new ConfigSources();
  for (const s of sources) {
    if (s.absent) out.add(s.kind, s.name, null);
    else if (s.data) out.add(s.kind, s.name, decodeData(s.data));
    else out.add(s.kind, s.name, await fetchStored(nc, s));
  }
  return out;
}

/** pullCredentialsByComponent indexes a start's pull credentials by component name. */
export function pullCredentialsByComponent(
  credentials: readonly PullCredential[] | undefined,
): ReadonlyMap<string, PullCredentials> | undefined {
  if (!credentials) return undefined;
  return new Map(
    credentials.map((c) => [c.component, { registry: c.registry, username: c.username, password: c.password }]),
  );
}
