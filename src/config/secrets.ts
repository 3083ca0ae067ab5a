// What counts as a secret and how it is masked live in src/util/secrets.ts (the dead letter and the
// plugin loader, below config, use them too); the config code reads them from here.

export * from '../util/secrets.ts';
