export { loadSnapshot, findSnapshotModel } from './snapshot.js';
export type {
  CatalogSnapshot,
  SnapshotModel,
  SnapshotPricing,
  SnapshotFinetune,
  SnapshotDeprecation,
  SnapshotTierGate,
} from './snapshot.js';
