/**
 * Debian's Chromium, driven by playwright-core, for the dashboard's browser tests. Without it
 * the tests are skipped, except under CI=true, where they fail.
 */
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.SHIELDWALL_TEST_CHROMIUM ?? '/usr/bin/chromium';

// Chromium otherwise reaches out to Google's services at start and on its own schedule; here
// those attempts are refused many at a time and slow it down. Playwright gives each launch a
// fresh profile directory (--user-data-dir) of its own, and each test a context of its own.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium, or the reason it could not be launched (under CI=true, an error instead). */
export async function launchChromium(): Promise<Browser | string> {
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 30_000 });
  } catch (error) {
    const problem = `Chromium at ${CHROMIUM} could not be launched (apt-get install chromium): ${(error as Error).message.split('\n')[0]}`;
    if (process.env.CI === 'true') throw new Error(`${problem} (CI=true: the browser tests are mandatory)`, { cause: error });
    return problem;
  }
}
