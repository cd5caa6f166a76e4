// What tests share: emulator start-up with the shared keys and models, request bodies, SSE reading, a throwaway
// Redis server. Import from here (the older paths under test/e2e/helpers and test/policy re-export these).
export * from './emulator.js';
export * from './bodies.js';
export * from './sse.js';
export * from './redis-server.js';
export * from './endless-upload.js';
