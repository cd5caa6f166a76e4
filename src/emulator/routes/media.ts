// The media inference routes — images, rerank, audio — in one list for the server's route table.
import type { Route } from '../router.js';
import type { EmulatorState } from '../state.js';
import { audioRoutes } from './audio.js';
import { imageRoutes } from './images.js';
import { rerankRoutes } from './rerank.js';

export function mediaRoutes(state: EmulatorState): Route[] {
  return [...imageRoutes(state), ...rerankRoutes(state), ...audioRoutes(state)];
}
