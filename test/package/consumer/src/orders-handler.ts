/** Lambda entry point of the orders service. */
import { createOrdersHandler } from './orders.js';

export const handler = createOrdersHandler(process.env);
