// After the run: what the HubSpot sandbox counted (calls, tokens, faults), for the log.

import { SANDBOX } from './support/env';

export default async function globalTeardown(): Promise<void> {
  try {
    const response = await fetch(`${SANDBOX}/_admin/stats`);
    console.log(`\nsandbox stats: ${await response.text()}`);
  } catch (error) {
    console.log(`\nsandbox stats unavailable: ${error instanceof Error ? error.message : String(error)}`);
  }
}
