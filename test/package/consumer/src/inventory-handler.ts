/** Lambda entry point of the inventory service. */
import { createInventoryHandler } from './inventory.js';

export const handler = createInventoryHandler();
