// Where tether keeps its local diagnostics files: local-state's rule ($TETHER_HOME, else ~/.tether).
export { defaultJournalPath, defaultStatePath, tetherHome } from '../local-state/index.js';
