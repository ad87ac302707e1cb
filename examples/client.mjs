// Runs a task of a function with @canopy/client and prints what the function answered.
import { createCanopyClient } from '@canopy/client';

const canopy = createCanopyClient({
  baseUrl: process.env.CANOPY_API_URL ?? 'http://127.0.0.1:3000',
  apiKey: process.env.CANOPY_API_KEY,
});
const [functionId, text = 'hello from the client'] = process.argv.slice(2);
const result = await canopy.runTask(functionId, text, { query: { from: 'example' } });
console.log(result.status, result.text());
