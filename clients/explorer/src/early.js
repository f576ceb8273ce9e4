// @ts-check
// The explorer's early script (dist/early.js, a classic script index.html runs before the main
// bundle): on a table page, asks the node for what the page needs first (early-requests.js), then
// runs the main script (which index.html only preloads).
import { startEarlyRequests } from './early-requests.js';

startEarlyRequests();
