import { describe, expect, it } from 'vitest';
import { asyncImportNames, kebab, parseWorldImports, shapeOf } from './names.js';

describe('kebab', () => {
  it('turns jco camelCase names back into WIT names', () => {
    expect(kebab('getMany')).toBe('get-many');
    expect(kebab('OutgoingValue')).toBe('outgoing-value');
    expect(kebab('getU8')).toBe('get-u8');
    expect(kebab('open')).toBe('open');
  });
});

describe('shapeOf and asyncImportNames', () => {
  it('lists functions, statics and methods in jco naming', () => {
    class Bucket {
      get() {}
      listKeys() {}
      static openNamed() {}
    }
    const shape = shapeOf({ open: () => undefined, Bucket });
    expect(shape.functions).toEqual(['open']);
    expect(shape.classes.Bucket).toEqual({ statics: ['openNamed'], methods: ['get', 'listKeys'] });
    expect(asyncImportNames('wasi:keyvalue/store', shape).sort()).toEqual([
      'wasi:keyvalue/store#[constructor]bucket',
      'wasi:keyvalue/store#[method]bucket.get',
      'wasi:keyvalue/store#[method]bucket.list-keys',
      'wasi:keyvalue/store#[static]bucket.open-named',
      'wasi:keyvalue/store#open',
    ]);
  });
});

describe('parseWorldImports', () => {
  it('reads versioned, unversioned and named imports of the world only', () => {
    const wit = `package root:component;

world root {
  import test:g1/api;
  import wasi:io/poll@0.2.12;
  import wasi:keyvalue/store@0.2.0-draft;
  import %interface: func() -> string;
  import shape: interface {
    import-like: func();
  }

  export run: func(k: string) -> string;
}
`;
    expect(parseWorldImports(wit)).toEqual([
      { name: 'test:g1/api', unversioned: 'test:g1/api', version: undefined },
      { name: 'wasi:io/poll@0.2.12', unversioned: 'wasi:io/poll', version: '0.2.12' },
      { name: 'wasi:keyvalue/store@0.2.0-draft', unversioned: 'wasi:keyvalue/store', version: '0.2.0-draft' },
      { name: 'interface', unversioned: 'interface', version: undefined },
      { name: 'shape', unversioned: 'shape', version: undefined },
    ]);
  });
});
