// Moved to test/support/emulator.ts (what tests share); kept for the tests that import it from here.
export * from '../../support/emulator.js';
