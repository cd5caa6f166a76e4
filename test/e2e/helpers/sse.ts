// Moved to test/support/sse.ts (what tests share); kept for the tests that import it from here.
export * from '../../support/sse.js';
