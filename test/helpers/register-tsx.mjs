// Loads TypeScript through tsx in every thread of a test process (tap's `node-arg`). tsx's own
// `--import tsx` registers only on the main thread before Node 22.14 (tsx issue #354), so a worker
// thread started from a .ts module (the SQLite report reader) could not load its .ts file on Node 20.
import { register } from 'tsx/esm/api';

register();
