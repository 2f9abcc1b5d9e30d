// The one way tests get a real browser: Debian's `chromium` (installed by scripts/install-chromium.sh, which
// `npm run envoy:install` runs) driven by playwright-core, which brings no browser of its own. Found at
// $CHROMIUM_BIN, else /usr/bin/chromium, else `chromium` on PATH. Under CI=true a missing browser fails the test;
// elsewhere the test is skipped with how to install it.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import type { TestContext } from "node:test";
import { isCI } from "./envoy.js";

export const CHROMIUM_INSTALL_HINT = "install it with `npm run envoy:install` as root (scripts/install-chromium.sh: apt-get install chromium), or set CHROMIUM_BIN";

export function findChromium(): string | undefined {
  const env = process.env.CHROMIUM_BIN;
  if (env) return existsSync(env) ? env : undefined;
  if (existsSync("/usr/bin/chromium")) return "/usr/bin/chromium";
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The browser's path, or undefined after marking the test skipped (outside CI). Under CI=true a missing one throws. */
export function requireChromium(t: TestContext): string | undefined {
  const path = findChromium();
  if (path) return path;
  const reason = `chromium not found (CHROMIUM_BIN, /usr/bin/chromium, PATH); ${CHROMIUM_INSTALL_HINT}`;
  if (isCI) throw new Error(`CI=true and this test needs a real browser: ${reason}`);
  t.skip(reason);
  return undefined;
}

/** Launch options for playwright-core's chromium.launch: the system binary, and --no-sandbox when running as root. */
export function chromiumLaunchOptions(executablePath: string): { executablePath: string; headless: true; args: string[] } {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return { executablePath, headless: true, args: [...(root ? ["--no-sandbox"] : []), "--disable-gpu", "--disable-dev-shm-usage"] };
}
