// Moved to test/support/redis-server.ts (what tests share); kept for the tests that import it from here.
export * from '../support/redis-server.js';
