#!/usr/bin/env node
// Builds examples/hello/hello.wasm (the README example) from its sources with componentize-js,
// unless hello.wasm.sha256 beside it matches the sources' hash. Run by `npm start` (prestart).
// A build already in the fixture cache (the tests' `example-hello`) is copied instead.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  componentizeJs,
  exampleHello,
  exampleHelloDir,
  fixtureCacheDir,
  hashInputs,
  writeFileAtomic,
} from '../tools/fixtures/guest-build.js';

const wasm = join(exampleHelloDir, 'hello.wasm');
const stamp = `${wasm}.sha256`;
const hash = hashInputs(exampleHello.inputs(), [exampleHello.name, ...exampleHello.labels()]);

const upToDate = existsSync(wasm) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash;
if (!upToDate) {
  const cached = join(fixtureCacheDir(), `${exampleHello.name}-${hash}.wasm`);
  if (existsSync(cached)) {
    writeFileAtomic(wasm, readFileSync(cached));
  } else {
    process.stderr.write('build-example: building examples/hello/hello.wasm (componentize-js, ~10-20 s)...\n');
    const started = Date.now();
    const bytes = await componentizeJs({ ...exampleHello, withRepoDeps: true });
    writeFileAtomic(wasm, bytes);
    process.stderr.write(`build-example: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  writeFileAtomic(stamp, `${hash}\n`);
}
