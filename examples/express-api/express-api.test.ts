import { describeOrdersApiExample } from '../support/orders-api-story.js';

describeOrdersApiExample('examples/express-api', 'examples/express-api/server.ts');
