// Entry point of dist/server.js: `node dist/server.js --stdio` (any editor) or `--node-ipc` (VS Code).
import { startServer } from './server';

startServer();
