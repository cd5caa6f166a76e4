// One duration wording for every message: the errors module's ("250 ms", "1.5 s", "2 min 30 s").
export { formatDuration } from '../errors/index.js';
