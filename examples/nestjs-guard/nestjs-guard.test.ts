import { describeOrdersApiExample } from '../support/orders-api-story.js';

describeOrdersApiExample('examples/nestjs-guard', 'examples/nestjs-guard/server.ts');
