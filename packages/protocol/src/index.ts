export * from './codes.ts';
export * from './envelope.ts';
export * from './objects.ts';
export * from './site.ts';
export * from './files.ts';
